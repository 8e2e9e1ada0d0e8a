// SPDX-License-Identifier: GPL-3.0-or-later
// The client's side of the handshake (docs/rfc-draft.txt, Sections 7-9): INITIAL and PADs, RETRY,
// the server's flight verified, our flight 3, until the server acknowledges it.
#pragma once
#include "handshake_stream.hpp"
#include "peer_authentication.hpp"

#include <udpvpn/config.hpp>
#include <udpvpn/rng.hpp>

namespace udpvpn {

class ClientHandshake : public HandshakeBase {
public:
    // One attempt; a retry after failure or timeout is a new object (new ephemeral key).
    // Draws client_random (32 bytes) then the ephemeral private key (32 bytes) from `rng`.
    ClientHandshake(const ClientEndpointConfig& config, const Identity& identity,
                    std::shared_ptr<const CertificateVerifier> verifier, Rng& rng, SessionId client_sid,
                    TimeNs now, HandshakeOptions options = {});

    // RETRY, SERVER_HELLO or HANDSHAKE addressed to us. Drop-class errors (malformed, bad_tag,
    // unexpected_packet, unknown_session): the datagram was ignored, nothing changed. Close-class
    // errors: the handshake failed (state() == failed; drain poll_datagram() for the CLOSE).
    Error on_datagram(TimeNs now, ByteView datagram);
    // Next datagram to send: its size, 0 if nothing, buffer_too_small (needed size in value).
    Result<std::size_t> poll_datagram(TimeNs now, MutableByteView out);
    TimeNs next_deadline() const noexcept;
    // PTO retransmissions; at start + handshake_timeout the handshake fails with handshake_timeout.
    void on_timeout(TimeNs now);

    enum class State {
        awaiting_server,   // INITIAL sent, server flight not verified yet
        established,       // flight 3 sent, data keys ready: may send DATA
        confirmed,         // the server acknowledged our flight (or confirm() was called)
        failed,
    };
    State state() const noexcept { return state_; }
    // Valid from established on.
    const HandshakeResult& result() const noexcept { return result_; }
    // The first DATA from the server authenticated: it has our flight, stop retransmitting.
    void confirm() noexcept;
    SessionId client_sid() const noexcept { return client_sid_; }
    // The INITIAL in its current form (with the latest cookie), for tests and vectors.
    std::size_t initial_size() const noexcept;

private:
    void fail_client(Error e, std::string text);
    Error on_retry(ByteView datagram);
    Error on_server_hello(TimeNs now, ByteView datagram);
    Error on_handshake(TimeNs now, ByteView datagram);
    Error process_messages();
    StepResult take_encrypted_extensions(const HsMessage& msg);
    Error send_own_flight();
    void queue_flight1() noexcept { flight1_next_ = 0; }

    ClientEndpointConfig config_;
    Identity identity_;
    HandshakeOptions options_;
    SessionId client_sid_;
    TimeNs deadline_;
    RetransmitTimer timer_;
    State state_ = State::awaiting_server;

    Random32 client_random_{};
    Secret32 eph_priv_;
    PublicKey32 eph_pub_{};
    Bytes suites_;       // offered, raw u16 list
    Bytes extensions_;   // our INITIAL extensions
    Bytes client_hello_;
    Bytes cookie_;
    int retries_seen_ = 0;
    std::size_t datagram_size_ = 1232;
    std::size_t flight1_next_ = 0;   // 0 = INITIAL next, 1..pad = PADs, > pad = flight 1 sent

    bool have_server_hello_ = false;
    bool server_suite_none_ = false;
};

}  // namespace udpvpn
