// SPDX-License-Identifier: GPL-3.0-or-later
// Control channel (docs/rfc-draft.txt, "Control channel"); the frame layout and the retransmission
// rules are summarised in control_channel.hpp.
#include "control_channel.hpp"

#include "bytes_io.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace udpvpn {
namespace {

// seq numbers are u32 on the wire and u64 inside; the wire value is taken as the one closest to
// `ref` (serial number arithmetic, RFC 1982). Negative results mean "before seq 0".
std::int64_t unwrap(std::uint64_t ref, std::uint32_t wire) noexcept {
    const auto diff = static_cast<std::int32_t>(wire - static_cast<std::uint32_t>(ref));
    return static_cast<std::int64_t>(ref) + diff;
}

// Walks the frames of a CONTROL plaintext, calling `on` for each parsed frame; stops with
// malformed on the first one that does not parse or that `on` rejects.
struct Frame {
    std::uint8_t type = 0;
    std::uint32_t a = 0;      // MSG seq, ACK cum_seq, PROBE / PROBE_ACK probe_id
    std::uint32_t b = 0;      // ACK sack, PROBE_ACK size, PROBE datagram size
    std::uint8_t msg_type = 0;
    ByteView body;            // MSG body, PATH_CHALLENGE / PATH_RESPONSE token
};

template <typename F>
Error walk(ByteView frames, F&& on) noexcept {
    if (frames.empty()) return Error::malformed;   // an empty CONTROL payload has no meaning
    Reader r(frames);
    while (!r.at_end()) {
        Frame f;
        f.type = r.u8();
        switch (f.type) {
        case ctrl_frame::msg: {
            f.a = r.u32();
            f.msg_type = r.u8();
            const std::uint16_t len = r.u16();
            if (!r.ok() || len > ControlChannel::kMaxBody) return Error::malformed;
            f.body = r.bytes(len);
            break;
        }
        case ctrl_frame::ack:
            f.a = r.u32();
            f.b = r.u32();
            break;
        case ctrl_frame::probe: {
            f.a = r.u32();
            const ByteView pad = r.rest();
            if (!r.ok() || !all_zero(pad))
                return Error::malformed;
            f.b = static_cast<std::uint32_t>(
                std::min<std::size_t>(frames.size() + kDataOverhead, 0xFFFF));
            break;
        }
        case ctrl_frame::probe_ack:
            f.a = r.u32();
            f.b = r.u16();
            break;
        case ctrl_frame::path_challenge:
        case ctrl_frame::path_response:
            f.body = r.bytes(8);
            break;
        default:
            return Error::malformed;   // frames carry no length: an unknown one cannot be skipped
        }
        if (!r.ok() || !on(f)) return Error::malformed;
    }
    return Error::ok;
}

}  // namespace

ControlChannel::ControlChannel(const Timers& timers) noexcept
    : base_rto_(timers.control_rto > 0 ? timers.control_rto : 300 * kMillisecond), rto_(base_rto_) {}

Error ControlChannel::send(TimeNs /*now*/, std::uint8_t msg_type, ByteView body) {
    if (body.size() > kMaxBody) return Error::invalid_argument;
    if (out_.size() >= kMaxQueued) return Error::queue_full;
    OutMsg m;
    m.seq = next_seq_++;
    m.type = msg_type;
    m.body.assign(body.begin(), body.end());
    out_.push_back(std::move(m));
    return Error::ok;
}

Error ControlChannel::on_payload(TimeNs now, ByteView frames) {
    // Pass 1: parse and check everything against the current state, change nothing.
    const Error e = walk(frames, [this](const Frame& f) noexcept {
        if (f.type != ctrl_frame::ack) return true;
        // An ACK may be old (cum below send_base_) but never covers a message we did not send.
        const std::int64_t cum = unwrap(send_base_, f.a);
        if (cum < 0 || static_cast<std::uint64_t>(cum) > sent_end_) return false;
        if (f.b != 0) {
            const int top = std::bit_width(f.b) - 1;   // highest SACKed offset
            if (static_cast<std::uint64_t>(cum) + 1 + static_cast<std::uint64_t>(top) >= sent_end_) return false;
        }
        return true;
    });
    if (e != Error::ok) return e;
    // Pass 2: apply. Cannot fail.
    walk(frames, [this, now](const Frame& f) {
        switch (f.type) {
        case ctrl_frame::msg: {
            ack_owed_ = true;   // duplicates and out-of-window ones too: the peer needs our state
            const std::int64_t seq = unwrap(recv_next_, f.a);
            if (seq >= 0) apply_msg(static_cast<std::uint64_t>(seq), f.msg_type, f.body);
            break;
        }
        case ctrl_frame::ack:
            apply_ack(now, static_cast<std::uint64_t>(unwrap(send_base_, f.a)), f.b);
            break;
        case ctrl_frame::probe:
            if (probe_acks_owed_.size() < kMaxProbeAcks)
                probe_acks_owed_.emplace_back(f.a, static_cast<std::uint16_t>(f.b));
            break;
        case ctrl_frame::probe_ack:
            if (probe_acks_received_.size() < kMaxProbeAcks)
                probe_acks_received_.emplace_back(f.a, static_cast<std::uint16_t>(f.b));
            break;
        case ctrl_frame::path_challenge:
        case ctrl_frame::path_response: {
            auto& q = f.type == ctrl_frame::path_challenge ? path_responses_owed_ : path_responses_received_;
            if (q.size() >= kMaxPathTokens) break;
            PathToken t{};
            std::copy(f.body.begin(), f.body.end(), t.begin());
            q.push_back(t);
            break;
        }
        default:
            break;
        }
        return true;
    });
    return Error::ok;
}

void ControlChannel::apply_msg(std::uint64_t seq, std::uint8_t type, ByteView body) {
    if (seq < recv_next_) return;                  // already delivered
    const std::uint64_t off = seq - recv_next_;
    if (off >= kRecvAhead) return;                 // beyond the window: not stored, not acked
    InSlot& s = ahead_[(ahead_head_ + off) % kRecvAhead];
    if (s.used) return;                            // duplicate of a buffered one
    s.used = true;
    s.msg.type = type;
    s.msg.body.assign(body.begin(), body.end());
    drain_in_order();
}

void ControlChannel::drain_in_order() {
    while (ahead_[ahead_head_].used && delivered_.size() < kMaxDelivered) {
        InSlot& s = ahead_[ahead_head_];
        delivered_.push_back(std::move(s.msg));
        s = InSlot{};
        ahead_head_ = (ahead_head_ + 1) % kRecvAhead;
        ++recv_next_;
    }
}

void ControlChannel::apply_ack(TimeNs now, std::uint64_t cum, std::uint32_t sack) {
    bool progress = false;
    while (!out_.empty() && out_.front().seq < cum) {
        progress |= !out_.front().acked;
        out_.pop_front();
    }
    for (std::uint32_t i = 0; i < 32; ++i) {
        if (!(sack >> i & 1u)) continue;
        const std::uint64_t seq = cum + 1 + i;
        if (seq < send_base_) continue;   // an old ACK: already gone
        if (out_.empty() || seq < out_.front().seq) continue;
        const std::uint64_t idx = seq - out_.front().seq;
        if (idx >= out_.size()) break;
        OutMsg& m = out_[idx];
        if (!m.acked) {
            m.acked = true;
            m.pending = false;
            progress = true;
        }
    }
    while (!out_.empty() && out_.front().acked) out_.pop_front();
    send_base_ = out_.empty() ? next_seq_ : out_.front().seq;
    if (!progress) return;
    // New data acknowledged: the path works, so the backoff ends and the timer restarts.
    rto_ = base_rto_;
    const bool in_flight = std::any_of(out_.begin(), out_.end(), [](const OutMsg& m) { return m.sent && !m.acked; });
    rto_deadline_ = in_flight ? now + rto_ : kNever;
}

void ControlChannel::on_timeout(TimeNs now) noexcept {
    if (now < rto_deadline_) return;
    bool any = false;
    for (OutMsg& m : out_) {
        if (m.sent && !m.acked) {
            m.pending = true;
            any = true;
        }
    }
    rto_ = std::min(rto_ * 2, kMaxRto);
    rto_deadline_ = any ? now + rto_ : kNever;
}

std::size_t ControlChannel::poll_payload(TimeNs now, MutableByteView out) {
    on_timeout(now);
    Writer w(out);
    if (ack_owed_ && w.remaining() >= kAckFrameSize) {
        std::uint32_t sack = 0;
        for (std::uint32_t i = 0; i + 1 < kRecvAhead; ++i)
            if (ahead_[(ahead_head_ + 1 + i) % kRecvAhead].used) sack |= 1u << i;
        w.u8(ctrl_frame::ack);
        w.u32(static_cast<std::uint32_t>(recv_next_));
        w.u32(sack);
        ack_owed_ = false;
    }
    while (!probe_acks_owed_.empty() && w.remaining() >= kProbeAckFrameSize) {
        w.u8(ctrl_frame::probe_ack);
        w.u32(probe_acks_owed_.front().first);
        w.u16(probe_acks_owed_.front().second);
        probe_acks_owed_.pop_front();
    }
    while (!path_responses_owed_.empty() && w.remaining() >= kPathFrameSize) {
        w.u8(ctrl_frame::path_response);
        w.bytes(path_responses_owed_.front());
        path_responses_owed_.pop_front();
    }
    const std::uint64_t window_end = send_base_ + kWindow;
    for (OutMsg& m : out_) {
        if (m.seq >= window_end) break;
        if (!m.pending || w.remaining() < kMsgFrameOverhead + m.body.size()) continue;
        w.u8(ctrl_frame::msg);
        w.u32(static_cast<std::uint32_t>(m.seq));
        w.u8(m.type);
        w.u16(static_cast<std::uint16_t>(m.body.size()));
        w.bytes(m.body);
        m.pending = false;
        m.sent = true;
        sent_end_ = std::max(sent_end_, m.seq + 1);
        if (rto_deadline_ == kNever) rto_deadline_ = now + rto_;
    }
    return w.size();
}

bool ControlChannel::has_due_frames() const noexcept {
    if (ack_owed_ || !probe_acks_owed_.empty() || !path_responses_owed_.empty()) return true;
    const std::uint64_t window_end = send_base_ + kWindow;
    for (const OutMsg& m : out_) {
        if (m.seq >= window_end) break;
        if (m.pending) return true;
    }
    return false;
}

std::optional<ControlChannel::Message> ControlChannel::poll_message() {
    if (delivered_.empty()) return std::nullopt;
    Message m = std::move(delivered_.front());
    delivered_.pop_front();
    const std::uint64_t before = recv_next_;
    drain_in_order();   // a slot may have waited for room in delivered_
    if (recv_next_ != before) ack_owed_ = true;
    return m;
}

std::optional<std::pair<std::uint32_t, std::uint16_t>> ControlChannel::poll_probe_ack() {
    if (probe_acks_received_.empty()) return std::nullopt;
    auto p = probe_acks_received_.front();
    probe_acks_received_.pop_front();
    return p;
}

std::optional<ControlChannel::PathToken> ControlChannel::poll_path_response() {
    if (path_responses_received_.empty()) return std::nullopt;
    const PathToken t = path_responses_received_.front();
    path_responses_received_.pop_front();
    return t;
}

std::size_t write_path_challenge(const ControlChannel::PathToken& token, MutableByteView out) noexcept {
    if (out.size() < ControlChannel::kPathFrameSize) return 0;
    Writer w(out.first(ControlChannel::kPathFrameSize));
    w.u8(ctrl_frame::path_challenge);
    w.bytes(token);
    return w.size();
}

std::size_t write_probe_payload(std::uint32_t probe_id, std::size_t payload_size, MutableByteView out) noexcept {
    if (payload_size < ControlChannel::kProbeFrameMinSize || payload_size > out.size()) return 0;
    Writer w(out.first(payload_size));
    w.u8(ctrl_frame::probe);
    w.u32(probe_id);
    w.zeros(w.remaining());
    return w.size();
}

}  // namespace udpvpn
