// SPDX-License-Identifier: GPL-3.0-or-later
#include "handshake_channel.hpp"

#include <algorithm>
#include <cstring>

#include <sodium.h>

namespace udpvpn {

void HandshakeChannel::install(const Secret32& send_secret, const Secret32& recv_secret) noexcept {
    // §1.5: handshake packets always use ChaCha20-Poly1305, whatever suite the data keys use.
    send_key_ = AeadKey(Suite::chacha20_poly1305, TrafficKeys::derive(send_secret));
    recv_key_ = AeadKey(Suite::chacha20_poly1305, TrafficKeys::derive(recv_secret));
}

Error HandshakeChannel::open(ByteView datagram, Plaintext& plaintext, std::size_t& size) noexcept {
    size = 0;
    if (!recv_key_.valid()) return Error::unexpected_packet;
    if (datagram.size() > kMaxHandshakeDatagram) return Error::malformed;
    auto h = parse_handshake_header(datagram);
    if (!h.ok()) return h.error;
    const std::size_t n = datagram.size() - kHandshakeHeaderSize - kHandshakeTagSize;
    std::memcpy(plaintext.data(), datagram.data() + kHandshakeHeaderSize, n);
    const Error e = recv_key_.open(h.value.packet_number, datagram.first(kHandshakeHeaderSize),
                                   MutableByteView(plaintext).first(n), datagram.data() + kHandshakeHeaderSize + n);
    if (e != Error::ok) {
        sodium_memzero(plaintext.data(), n);
        return Error::bad_tag;
    }
    size = n;
    last_newest_ = h.value.packet_number >= recv_pn_end_;
    if (last_newest_) recv_pn_end_ = std::uint64_t{h.value.packet_number} + 1;
    return Error::ok;
}

Error HandshakeChannel::apply(ByteView plaintext, Incoming& in) {
    if (plaintext.empty()) return Error::protocol_violation;   // §1.5: at least one frame
    FrameReader fr(plaintext);
    while (!fr.done()) {
        auto f = fr.next();
        if (!f.ok()) return Error::protocol_violation;
        switch (f.value.type) {
        case FrameType::padding: break;
        case FrameType::frag:
            if (recv_.on_frag(f.value.offset, f.value.data) != Error::ok) return Error::protocol_violation;
            in.had_frag = true;
            break;
        case FrameType::ack:
            if (send_.on_ack({f.value.ranges.data(), f.value.n_ranges})) in.ack_progress = true;
            break;
        case FrameType::close:
            in.peer_closed = true;
            in.close_code = f.value.code;
            in.close_text.assign(f.value.text.begin(), f.value.text.end());
            break;
        }
    }
    if (in.had_frag) ack_pending_ = true;
    return Error::ok;
}

void HandshakeChannel::queue_close(std::uint16_t code, std::string text) {
    if (close_sent_) return;
    close_pending_ = true;
    close_code_ = code;
    if (text.size() > kMaxCloseText) text.resize(kMaxCloseText);
    close_text_ = std::move(text);
}

std::size_t HandshakeChannel::build(SessionId dst_sid, MutableByteView out, std::size_t limit,
                                    bool& carried_frag) noexcept {
    carried_frag = false;
    if (!ready() || close_sent_) return 0;
    limit = std::min(limit, out.size());
    constexpr std::size_t kOverhead = kHandshakeHeaderSize + kHandshakeTagSize;
    if (limit < kOverhead + 1) return 0;
    MutableByteView pkt = out.first(limit);
    Writer body(pkt.subspan(kHandshakeHeaderSize, limit - kOverhead));
    if (close_pending_) {
        if (body.remaining() < kCloseOverhead + close_text_.size()) return 0;
        write_close(body, close_code_, close_text_);
    } else {
        if (ack_pending_) {
            auto ranges = recv_.ack_ranges();
            if (body.remaining() < 2 + 8 * ranges.size()) return 0;
            write_ack(body, ranges);
        }
        while (send_.write_frag(body, body.remaining())) carried_frag = true;
        if (body.size() == 0 && probe_pending_) body.u8(static_cast<std::uint8_t>(FrameType::padding));
        if (body.size() == 0) return 0;
    }
    if (!body.ok()) return 0;
    encode_handshake_header({dst_sid, next_pn_}, pkt);
    const std::size_t n = body.size();
    send_key_.seal(next_pn_, pkt.first(kHandshakeHeaderSize), pkt.subspan(kHandshakeHeaderSize, n),
                   pkt.data() + kHandshakeHeaderSize + n);
    ++next_pn_;
    if (close_pending_) { close_pending_ = false; close_sent_ = true; }
    ack_pending_ = false;
    probe_pending_ = false;
    return kOverhead + n;
}

}  // namespace udpvpn
