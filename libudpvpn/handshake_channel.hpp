// SPDX-License-Identifier: GPL-3.0-or-later
// HANDSHAKE packet protection and packetization for one side (docs/rfc-draft.txt, Sections 7.5, 7.6, 9.6):
// ChaCha20-Poly1305 under the handshake traffic keys with the packet number as the counter, AAD = the
// 9-byte header; inside, CLOSE / ACK / FRAG frames built from our SendStream and the peer's RecvStream.
#pragma once
#include "aead.hpp"
#include "handshake_stream.hpp"
#include "key_schedule.hpp"
#include "wire_format.hpp"

#include <array>
#include <string>

namespace udpvpn {

class HandshakeChannel {
public:
    // Installs the ChaCha20-Poly1305 keys for both directions (from the "c hs" / "s hs" secrets).
    void install(const Secret32& send_secret, const Secret32& recv_secret) noexcept;
    bool ready() const noexcept { return send_key_.valid(); }

    // Decrypts a HANDSHAKE datagram into `plaintext`, a caller buffer (on its stack: nothing is
    // allocated or kept for a packet that does not authenticate); `size` is the plaintext length.
    // Drop-class errors: malformed (also: larger than kMaxHandshakeDatagram), bad_tag.
    using Plaintext = std::array<std::uint8_t, kMaxHandshakeDatagram>;
    Error open(ByteView datagram, Plaintext& plaintext, std::size_t& size) noexcept;
    // The last successful open() had a packet number above every one opened before (not a replay).
    bool last_open_newest() const noexcept { return last_newest_; }

    struct Incoming {
        bool had_frag = false;       // the packet carried stream data: it must be acknowledged
        bool ack_progress = false;   // the peer acknowledged new bytes of our stream
        bool peer_closed = false;
        std::uint16_t close_code = 0;
        std::string close_text;
    };
    // Applies the frames of an authenticated plaintext. protocol_violation for malformed frames or a
    // FRAG past the stream bound.
    Error apply(ByteView plaintext, Incoming& in);

    SendStream& send_stream() noexcept { return send_; }
    RecvStream& recv_stream() noexcept { return recv_; }
    const RecvStream& recv_stream() const noexcept { return recv_; }

    void request_ack() noexcept { ack_pending_ = !recv_.empty(); }
    // The next packet carries at least a PADDING frame even with nothing else to say (a PTO probe).
    void request_probe() noexcept { probe_pending_ = true; }
    void queue_close(std::uint16_t code, std::string text);
    bool close_queued() const noexcept { return close_pending_; }
    bool close_sent() const noexcept { return close_sent_; }

    bool wants_to_send() const noexcept {
        return ready() && (close_pending_ || ack_pending_ || probe_pending_ || send_.has_pending());
    }
    // Builds one packet of at most `limit` bytes into `out`. Returns its size (0: nothing to send or
    // the limit is too small for anything useful). `carried_frag` tells whether it needs a PTO.
    // After a CLOSE is sent nothing else is ever built.
    std::size_t build(SessionId dst_sid, MutableByteView out, std::size_t limit, bool& carried_frag) noexcept;

    std::uint32_t packets_sent() const noexcept { return next_pn_; }

private:
    AeadKey send_key_, recv_key_;
    std::uint32_t next_pn_ = 0;
    std::uint64_t recv_pn_end_ = 0;   // highest packet number opened + 1
    bool last_newest_ = false;
    SendStream send_;
    RecvStream recv_;
    bool ack_pending_ = false;
    bool probe_pending_ = false;
    bool close_pending_ = false, close_sent_ = false;
    std::uint16_t close_code_ = 0;
    std::string close_text_;
};

}  // namespace udpvpn
