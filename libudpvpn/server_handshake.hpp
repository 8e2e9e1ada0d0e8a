// SPDX-License-Identifier: GPL-3.0-or-later
// The server's side of one half-open session (docs/rfc-draft.txt, Sections 7-10): SERVER_HELLO and
// its whole flight at once, within 3x the bytes received until the address is validated, then the
// client's flight verified.
#pragma once
#include "admission_gate.hpp"
#include "handshake_stream.hpp"
#include "peer_authentication.hpp"

#include <udpvpn/config.hpp>
#include <udpvpn/rng.hpp>

#include <utility>

namespace udpvpn {

class ServerHandshake : public HandshakeBase {
public:
    // One half-open session, created after AdmissionGate said accept. Draws server_random (32 bytes)
    // then the ephemeral private key (32 bytes) from `rng`. Builds its whole flight at once, so the
    // data secrets are known before the client answers (early data).
    ServerHandshake(const ServerEndpointConfig& config, const Identity& identity,
                    std::shared_ptr<const CertificateVerifier> verifier, Rng& rng, SessionId server_sid,
                    const AdmissionGate::Verdict& initial, ByteView initial_datagram, const PeerAddress& from,
                    TimeNs now, HandshakeOptions options = {});

    // PAD / duplicate INITIAL (raise the budget; a duplicate INITIAL resends the unacknowledged flight)
    // or HANDSHAKE. Error classes as for ClientHandshake::on_datagram.
    Error on_datagram(TimeNs now, ByteView datagram);
    // A PAD of `size` bytes whose admission MAC and fields the AdmissionGate has already checked
    // (the Verdict's client_sid and client_eph_pub): counts toward the budget if it names this
    // handshake, else unexpected_packet. Spares the MAC and the parse a second time.
    Error on_pad(SessionId client_sid, const PublicKey32& client_eph_pub, std::size_t size) noexcept;
    // Respects 3 × bytes received until the address is validated (returns 0 when the budget is spent).
    Result<std::size_t> poll_datagram(TimeNs now, MutableByteView out);
    TimeNs next_deadline() const noexcept;
    void on_timeout(TimeNs now);

    enum class State { sending_flight, complete /* client verified */, failed };
    State state() const noexcept { return state_; }
    const HandshakeResult& result() const noexcept { return result_; }   // complete only
    bool address_validated() const noexcept { return validated_; }
    // A new verifier (CA or CRL reload) for this handshake in flight: a client chain accepted before
    // is verified again, and the handshake fails (CLOSE queued) if it no longer passes (§12.6).
    void set_verifier(std::shared_ptr<const CertificateVerifier> verifier);
    // The last poll_datagram() held a datagram back because of the amplification limit (cleared).
    bool take_held_back() noexcept { return std::exchange(held_back_, false); }
    bool data_keys_ready() const noexcept { return data_ready_; }
    // Data secrets derivable once our FINISHED is built: decrypt early DATA, deliver after complete.
    const DataSecrets& early_data_secrets() const noexcept { return result_.secrets; }
    SessionId server_sid() const noexcept { return server_sid_; }
    SessionId client_sid() const noexcept { return result_.client_sid; }
    const PublicKey32& client_eph_pub() const noexcept { return client_eph_pub_; }
    const PeerAddress& peer_address() const noexcept { return from_; }
    std::uint64_t bytes_received() const noexcept { return received_; }
    std::uint64_t bytes_sent() const noexcept { return sent_; }

private:
    // What we answer to the client's INITIAL: the suite, or why we refuse it (§3.2).
    struct Answer {
        std::uint16_t suite = 0;          // 0 when refused
        Error refuse = Error::ok;
        std::string refuse_text;
        std::uint8_t peer_inner_protocols = 0;
    };
    // The steps of the constructor, in order.
    static Answer answer_client_hello(const ServerEndpointConfig& config, const InitialFields& initial);
    // Draws our random and ephemeral key, builds SERVER_HELLO and installs the handshake keys.
    // false: the handshake failed (the client's ephemeral key is unusable).
    bool send_server_hello(const ServerEndpointConfig& config, Rng& rng, std::uint16_t suite);
    // Flight 2, whole: ENCRYPTED_EXTENSIONS, CERTIFICATE, CERTIFICATE_VERIFY, FINISHED; then the
    // data secrets are known (early data).
    void build_flight(const ServerEndpointConfig& config, const Identity& identity, const HandshakeOptions& options);
    Bytes encrypted_extensions(const ServerEndpointConfig& config, const Signer& signer, std::size_t cert_size,
                               const HandshakeOptions& options) const;

    void fail_server(Error e, std::string text);
    Error process_messages();
    void resend_flight() noexcept;
    std::size_t budget() const noexcept;

    SessionId server_sid_;
    PeerAddress from_;
    TimeNs deadline_;
    RetransmitTimer timer_;
    State state_ = State::sending_flight;
    SharedKey admission_key_;   // the configuration's, shared (none: zeros)

    Bytes client_hello_;
    PublicKey32 client_eph_pub_{};
    Bytes server_hello_;
    bool server_hello_pending_ = true;
    bool validated_ = false;
    bool held_back_ = false;
    bool client_has_hello_ = false;   // a HANDSHAKE from the client decrypted: it has SERVER_HELLO
    bool data_ready_ = false;
    std::uint64_t received_ = 0, sent_ = 0;
    std::size_t datagram_size_ = 1232;
};

}  // namespace udpvpn
