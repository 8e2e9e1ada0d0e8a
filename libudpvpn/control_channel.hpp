// SPDX-License-Identifier: GPL-3.0-or-later
// The encrypted control channel (docs/rfc-draft.txt, "Control channel"): reliable, ordered control
// messages and PMTU probes, carried as the plaintext of DATA packets with payload_type 3 (CONTROL).
// Sans-IO: the session seals what poll_payload() writes and feeds opened plaintext to on_payload().
//
// Frames (one after the other until the end of the plaintext):
//   0x01 MSG        seq (4) | msg_type (1) | len (2) | body      reliable, delivered once, in seq order
//   0x02 ACK        cum_seq (4) | sack (4)    all seq < cum_seq received; bit i: cum_seq+1+i received
//   0x03 PROBE      probe_id (4) | zeros      the zeros run to the end of the plaintext
//   0x04 PROBE_ACK  probe_id (4) | size (2)   size = received probe's DATA datagram size
//   0x05 PATH_CHALLENGE  token (8)            sent alone to an unvalidated peer address
//   0x06 PATH_RESPONSE   token (8)            echoes a received PATH_CHALLENGE
//
// Reliability: at most kWindow messages in flight (seq < lowest unacked + 32); one retransmission
// timer for the oldest unacked message, first timeout Timers::control_rto (300 ms), doubling up to
// 5 s, back to control_rto whenever an ACK acknowledges something new. A timeout resends every
// unacknowledged in-flight message (SACKed ones are not resent). No give-up: the session's dead-peer
// timer ends a session whose peer stopped answering.
//
// Memory is bounded: kMaxQueued outgoing messages, kRecvAhead out-of-order and kMaxDelivered
// delivered-but-unpolled incoming messages (each body <= kMaxBody), kMaxProbeAcks of each probe queue,
// kMaxPathTokens of each path validation queue.
#pragma once
#include <udpvpn/config.hpp>
#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace udpvpn {

namespace ctrl_frame {
inline constexpr std::uint8_t msg = 0x01;
inline constexpr std::uint8_t ack = 0x02;
inline constexpr std::uint8_t probe = 0x03;
inline constexpr std::uint8_t probe_ack = 0x04;
inline constexpr std::uint8_t path_challenge = 0x05;
inline constexpr std::uint8_t path_response = 0x06;
}  // namespace ctrl_frame

class ControlChannel {
public:
    static constexpr std::size_t kWindow = 32;          // messages in flight
    static constexpr std::size_t kMaxQueued = 64;       // accepted by send() and not yet acknowledged
    static constexpr std::size_t kMaxBody = 1100;       // bytes per message body
    static constexpr std::size_t kRecvAhead = kWindow + 1;   // receive slots: [next, next + 32]
    static constexpr std::size_t kMaxDelivered = 64;    // in-order messages waiting for poll_message()
    static constexpr std::size_t kMaxProbeAcks = 8;     // owed PROBE_ACKs / received PROBE_ACKs kept
    static constexpr std::size_t kMaxPathTokens = 4;    // owed PATH_RESPONSEs / received ones kept
    static constexpr std::size_t kPathFrameSize = 9;    // PATH_CHALLENGE and PATH_RESPONSE
    static constexpr TimeNs kMaxRto = 5 * kSecond;
    static constexpr std::size_t kMsgFrameOverhead = 8;      // type, seq, msg_type, len
    static constexpr std::size_t kAckFrameSize = 9;
    static constexpr std::size_t kProbeAckFrameSize = 7;
    static constexpr std::size_t kProbeFrameMinSize = 5;
    // An out buffer of this size always fits an ACK and the largest MSG frame: pass at least this
    // much to poll_payload() or a large message may wait until a bigger buffer comes.
    static constexpr std::size_t kMinPayloadBuffer = kAckFrameSize + kMsgFrameOverhead + kMaxBody;

    explicit ControlChannel(const Timers& timers) noexcept;

    // Queues a reliable message. queue_full when kMaxQueued messages are unacknowledged;
    // invalid_argument if body.size() > kMaxBody. `now` is unused today (the timer arms when the
    // message is first written by poll_payload) and kept for symmetry.
    Error send(TimeNs now, std::uint8_t msg_type, ByteView body);

    // Feeds one decrypted CONTROL plaintext. The whole payload is parsed before anything is
    // applied: malformed (unknown frame, truncation, empty payload, body > kMaxBody, non-zero probe
    // padding, an ACK for messages never sent) leaves the channel untouched; the caller drops it.
    Error on_payload(TimeNs now, ByteView frames);

    // Writes the frames due now into `out` (an ACK if one is owed, owed PROBE_ACKs,
    // retransmissions, then new messages within the window), at most out.size() bytes. Returns the
    // number of bytes written; 0 if nothing is due. Call until it returns 0; each non-zero result
    // is one CONTROL plaintext to seal and send. Runs on_timeout(now) first.
    std::size_t poll_payload(TimeNs now, MutableByteView out);

    struct Message {
        std::uint8_t type = 0;
        Bytes body;
    };
    // The next received message, in seq order, each exactly once.
    std::optional<Message> poll_message();

    // When poll_payload() next has something to write: 0 if frames are due already (an ACK, a
    // PROBE_ACK, a message within the window), else the retransmission deadline, or kNever if
    // nothing is in flight.
    TimeNs next_deadline() const noexcept { return has_due_frames() ? 0 : rto_deadline_; }
    // Marks the unacknowledged in-flight messages for retransmission and doubles the RTO if the
    // deadline has passed; otherwise does nothing.
    void on_timeout(TimeNs now) noexcept;

    // Something accepted by send() is not yet acknowledged by the peer.
    bool has_unacked() const noexcept { return !out_.empty(); }
    // Messages accepted by send() and not yet acknowledged (<= kMaxQueued).
    std::size_t queued() const noexcept { return out_.size(); }
    // Current retransmission timeout (for tests and statistics).
    TimeNs rto() const noexcept { return rto_; }

    // A PROBE_ACK received from the peer: (probe_id, acknowledged datagram size). Oldest first;
    // at most kMaxProbeAcks are kept (later ones are dropped until these are polled).
    std::optional<std::pair<std::uint32_t, std::uint16_t>> poll_probe_ack();

    using PathToken = std::array<std::uint8_t, 8>;
    // A PATH_RESPONSE received from the peer (its token), oldest first, at most kMaxPathTokens kept.
    std::optional<PathToken> poll_path_response();

private:
    struct OutMsg {
        std::uint64_t seq = 0;
        std::uint8_t type = 0;
        Bytes body;
        bool sent = false;      // written at least once
        bool pending = true;    // must be written (first time or retransmission)
        bool acked = false;     // SACKed (not yet below cum)
    };
    struct InSlot {
        bool used = false;
        Message msg;
    };
    void apply_ack(TimeNs now, std::uint64_t cum, std::uint32_t sack);
    void apply_msg(std::uint64_t seq, std::uint8_t type, ByteView body);
    void drain_in_order();
    bool has_due_frames() const noexcept;

    TimeNs base_rto_;
    TimeNs rto_;
    TimeNs rto_deadline_ = kNever;

    // Sending: out_ holds seqs [send_base_, next_seq_); sent_end_ = 1 + highest seq ever written.
    std::deque<OutMsg> out_;
    std::uint64_t send_base_ = 0;
    std::uint64_t next_seq_ = 0;
    std::uint64_t sent_end_ = 0;

    // Receiving: recv_next_ is the next seq to deliver; slot i holds seq recv_next_ + i.
    std::uint64_t recv_next_ = 0;
    std::array<InSlot, kRecvAhead> ahead_{};
    std::size_t ahead_head_ = 0;   // ring index of recv_next_
    std::deque<Message> delivered_;
    bool ack_owed_ = false;

    std::deque<std::pair<std::uint32_t, std::uint16_t>> probe_acks_owed_;
    std::deque<std::pair<std::uint32_t, std::uint16_t>> probe_acks_received_;
    std::deque<PathToken> path_responses_owed_;
    std::deque<PathToken> path_responses_received_;
};

// Builds a CONTROL payload of one PATH_CHALLENGE frame. Returns its size (kPathFrameSize), or 0 if
// out is too small.
std::size_t write_path_challenge(const ControlChannel::PathToken& token, MutableByteView out) noexcept;

// Builds a CONTROL payload of one PROBE frame padded with zeros to exactly `payload_size` bytes
// (the DATA datagram is then payload_size + kDataOverhead bytes). Returns
// payload_size, or 0 if payload_size < 5 or out is smaller than payload_size.
std::size_t write_probe_payload(std::uint32_t probe_id, std::size_t payload_size, MutableByteView out) noexcept;

}  // namespace udpvpn
