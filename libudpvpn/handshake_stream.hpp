// SPDX-License-Identifier: GPL-3.0-or-later
// One direction's handshake byte stream (docs/rfc-draft.txt, Sections 7.6, 9.5, 9.6).
// The sender cuts its messages into FRAG frames that fit the room left in a datagram and resends
// whatever the peer has not acknowledged after each PTO; the receiver reassembles with hard bounds.
//
// Bounds (a peer cannot make us hold more than this per direction):
//   - the stream is at most kMaxStreamSize = 32768 bytes (§3.1 "Total stream <= 32768 bytes");
//     a FRAG reaching past it is a protocol violation;
//   - at most kMaxStreamRanges = 16 disjoint received ranges; a FRAG that would create a 17th is
//     dropped unacknowledged (the sender retransmits it once the gaps fill);
//   - the receive buffer grows only up to the highest byte received, never past 32768.
#pragma once
#include "bytes_io.hpp"
#include "wire_format.hpp"

#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <array>

namespace udpvpn {

inline constexpr std::size_t kMaxStreamSize = 32768;
inline constexpr std::size_t kMaxStreamRanges = 16;

// Up to 16 disjoint, non-adjacent, sorted ranges.
class RangeSet {
public:
    // Adds [start, end), merging with neighbours. false (and no change) if it would need a 17th range.
    bool add(std::uint32_t start, std::uint32_t end) noexcept;
    bool contains(std::uint32_t start, std::uint32_t end) const noexcept;
    // End of the range that starts at 0 (0 if none).
    std::uint32_t prefix_end() const noexcept { return n_ && r_[0].start == 0 ? r_[0].end : 0; }
    // First byte >= pos not covered, and the end of the gap it starts (or `limit`).
    ByteRange next_gap(std::uint32_t pos, std::uint32_t limit) const noexcept;
    std::span<const ByteRange> ranges() const noexcept { return {r_.data(), n_}; }
    std::size_t size() const noexcept { return n_; }
    void clear() noexcept { n_ = 0; }

private:
    std::array<ByteRange, kMaxStreamRanges> r_{};
    std::size_t n_ = 0;
};

// Our outgoing stream.
class SendStream {
public:
    // Appends a message; invalid_argument if the stream would exceed kMaxStreamSize.
    Error append(ByteView bytes);
    std::size_t size() const noexcept { return data_.size(); }
    ByteView data() const noexcept { return data_; }

    // True if some unacknowledged bytes are queued for (re)transmission.
    bool has_pending() const noexcept;
    // Writes one FRAG frame carrying the next queued bytes, using at most `room` bytes of `w`.
    // Returns false (and writes nothing) if nothing is queued or room < kFragOverhead + 1.
    bool write_frag(Writer& w, std::size_t room) noexcept;
    // Marks the ranges of an ACK frame acknowledged. Returns true if new bytes were acknowledged.
    // Ranges past the end of the stream are clipped.
    bool on_ack(std::span<const ByteRange> ranges) noexcept;
    bool all_acked() const noexcept { return acked_.prefix_end() == data_.size(); }
    // Bytes sent and not acknowledged exist.
    bool in_flight() const noexcept { return cursor_ > 0 && !all_acked(); }
    // PTO fired: everything not acknowledged is sent again.
    void requeue_unacked() noexcept { cursor_ = 0; }
    std::uint32_t acked_prefix() const noexcept { return acked_.prefix_end(); }

private:
    Bytes data_;
    RangeSet acked_;
    std::uint32_t cursor_ = 0;   // bytes before it were sent in the current round
};

// The peer's stream, reassembled.
class RecvStream {
public:
    // Stores a FRAG. protocol_violation if it reaches past kMaxStreamSize; ok otherwise (including
    // when the data is dropped because of the range limit).
    Error on_frag(std::uint32_t offset, ByteView data);
    // The contiguous bytes from 0 (what messages are parsed from).
    ByteView contiguous() const noexcept { return ByteView(buf_).first(received_.prefix_end()); }
    // Received ranges for an ACK frame: the first kMaxAckRanges (the prefix first).
    std::span<const ByteRange> ack_ranges() const noexcept;
    bool empty() const noexcept { return received_.size() == 0; }

private:
    Bytes buf_;
    RangeSet received_;
};

// Probe timeout with exponential backoff (§3.4: starts at handshake_pto, doubles each time it fires,
// back to the initial value when the peer acknowledges progress).
class RetransmitTimer {
public:
    explicit RetransmitTimer(TimeNs initial = 300 * kMillisecond) noexcept : initial_(initial), pto_(initial) {}
    void arm(TimeNs now) noexcept { if (deadline_ == kNever) deadline_ = now + pto_; }
    void rearm(TimeNs now) noexcept { deadline_ = now + pto_; }
    void disarm() noexcept { deadline_ = kNever; }
    // Fired: doubles the PTO (capped at 2^6 × initial, the overall handshake timeout ends it anyway).
    void backoff() noexcept { if (pto_ < initial_ * 64) pto_ *= 2; deadline_ = kNever; }
    void reset_backoff() noexcept { pto_ = initial_; }
    TimeNs deadline() const noexcept { return deadline_; }
    TimeNs pto() const noexcept { return pto_; }

private:
    TimeNs initial_, pto_;
    TimeNs deadline_ = kNever;
};

}  // namespace udpvpn
