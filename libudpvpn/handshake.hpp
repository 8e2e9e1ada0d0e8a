// SPDX-License-Identifier: GPL-3.0-or-later
// The udpvpn v1 handshake as sans-IO state machines (docs/rfc-draft.txt, Sections 7-10):
//
//   client                                                  server
//   INITIAL(ClientHello, cookie?) + PAD × pad_datagrams ->  ResponderGate: MAC, version, size, cookie
//                                          <- RETRY(cookie)  (only at/above cookie_threshold, no state)
//                              <- SERVER_HELLO              ServerHandshake: suite, eph key, th1
//                              <- HANDSHAKE{EE, CERT, CV, FIN}   (<= 3 × bytes received until validated)
//   verify chain/CV/FIN, th2 -> data keys: ESTABLISHED
//   HANDSHAKE{ACK, CERT, CV, FIN} ->                        verify chain/CV/FIN: COMPLETE
//                              <- HANDSHAKE{ACK}            client: CONFIRMED
//
// Nothing here reads a clock or touches a socket: the caller passes `now`, feeds datagrams and drains
// poll_datagram() until it returns 0 after every call, and calls on_timeout() at next_deadline().
#pragma once
#include "cookie.hpp"
#include "handshake_channel.hpp"
#include "handshake_messages.hpp"
#include "key_schedule.hpp"
#include "transcript.hpp"
#include "wire_format.hpp"

#include <udpvpn/certificate.hpp>
#include <udpvpn/config.hpp>
#include <udpvpn/error.hpp>
#include <udpvpn/rng.hpp>
#include <udpvpn/types.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace udpvpn {

struct HandshakeResult {
    Suite suite{};
    DataSecrets secrets;                  // epoch 0 data secrets (from th2)
    PeerIdentity peer;
    std::vector<Bytes> peer_chain;        // DER, leaf first, as received
    SessionId client_sid = 0, server_sid = 0;
    std::uint8_t peer_inner_protocols = 0;   // the peer's inner_protocols extension (0 = absent)
    std::uint32_t server_flight_hint = 0;    // client: flight_size_hint from EE (cache it to size PADs)
    std::optional<ResetToken> reset_token;   // client: stateless_reset_token from EE (Section 10.5)
    Hash32 th1{}, th2{};                     // transcript hashes (public values; vectors and tests)
};

// Knobs that are not configuration: tests use them to exercise extension handling.
struct HandshakeOptions {
    Bytes extra_extensions;   // raw TLVs appended to our INITIAL (client) or ENCRYPTED_EXTENSIONS (server)
};

// Shared by both sides: failure state, the CLOSE we owe the peer, and the checks of the peer's
// CERTIFICATE, CERTIFICATE_VERIFY and FINISHED, which both sides run alike with the roles swapped.
class HandshakeBase {
public:
    Error failure() const noexcept { return failure_; }
    // The subject CN of a peer certificate that was refused (unverified: for log lines only).
    const std::string& refused_peer_name() const noexcept { return refused_peer_name_; }
    const std::string& failure_text() const noexcept { return failure_text_; }
    // The close code the peer sent (when failure() came from a peer CLOSE), else 0xFFFF.
    std::uint16_t peer_close_code() const noexcept { return peer_close_code_; }
    // HANDSHAKE packets built so far (for tests and statistics).
    std::uint32_t handshake_packets_sent() const noexcept { return channel_.packets_sent(); }
    // A failed handshake has a CLOSE for the peer that poll_datagram() has not returned yet.
    bool close_pending() const noexcept { return channel_.close_queued(); }

protected:
    // The next message of the peer's handshake stream (§3.4): the server's starts at certificate.
    enum class Expect { ee, certificate, certificate_verify, finished, done };
    // What a step found wrong: Error::ok, or the error to fail the handshake with and why.
    struct StepResult {
        Error error = Error::ok;
        std::string text;
    };

    HandshakeBase(std::shared_ptr<const CertificateVerifier> verifier, Expect first)
        : verifier_(std::move(verifier)), expect_(first) {}

    // Enters the failed state. With handshake keys a CLOSE is queued for the peer (unless the failure
    // came from the peer or from a timeout).
    void fail(Error e, std::string text);
    // Processes messages complete in the receive stream; implemented by each side.
    Error handle_peer_close(const HandshakeChannel::Incoming& in);
    // The peer's CERTIFICATE, CERTIFICATE_VERIFY or FINISHED, whichever expect_ names; `peer` is the
    // peer's role, `expected_name` the name its certificate must carry ("" = any). Checks it, adds it
    // to the transcript and moves expect_ on (to done after FINISHED). Any other message is
    // unexpected. On failure the caller fails the handshake with the result.
    StepResult take_peer_auth_message(const HsMessage& msg, Role peer, std::string_view expected_name);
    // Replaces the verifier (CA or CRL reload). A peer chain it already accepted is checked again
    // with the new one at once; a failure is returned for the caller to fail the handshake with.
    StepResult change_verifier(std::shared_ptr<const CertificateVerifier> verifier, Role peer,
                               std::string_view expected_name);
    // The next message of the peer's stream, consumed from it into `msg`; `msg` stays empty while the
    // message has not all arrived. A malformed one is a protocol violation.
    StepResult next_peer_message(Role peer, std::optional<HsMessage>& msg);

    HandshakeChannel channel_;
    Transcript transcript_;
    std::size_t consumed_ = 0;   // bytes of the peer's stream already parsed into messages
    Error failure_ = Error::ok;
    std::string failure_text_;
    std::string refused_peer_name_;
    std::uint16_t peer_close_code_ = 0xFFFF;
    std::shared_ptr<const CertificateVerifier> verifier_;
    HandshakeSecrets hs_;
    Expect expect_;
    HandshakeResult result_;
#ifdef UDPVPN_CONFORMANCE_FAULTS
    ConformanceFault conformance_fault = ConformanceFault::none;   // set by ServerHandshake only
#endif
};

class ClientHandshake : public HandshakeBase {
public:
    // One attempt; a retry after failure or timeout is a new object (new ephemeral key).
    // Draws client_random (32 bytes) then the ephemeral private key (32 bytes) from `rng`.
    ClientHandshake(const InitiatorConfig& config, const Identity& identity,
                    std::shared_ptr<const CertificateVerifier> verifier, Rng& rng, SessionId client_sid,
                    TimeNs now, HandshakeOptions options = {});
    ~ClientHandshake();   // wipes the admission key of its configuration copy

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

    InitiatorConfig config_;
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

// The stateless front of a server: admission MAC, version, size, half-open caps and cookies.
class ResponderGate {
public:
    // Keeps a copy of the configuration and a reference to `rng` (cookie secrets), which must outlive it.
    ResponderGate(const ResponderConfig& config, Rng& rng);
    ~ResponderGate();   // wipes the admission key of its configuration copy

    struct Verdict {
        enum Kind {
            drop,     // silently ignore (reason says why; count it)
            retry,    // send retry_out[0, retry_size) back to the source, keep no state
            accept,   // a valid INITIAL: look up (client_eph_pub, from) among half-open sessions; if
                      // one exists pass the datagram to its on_datagram(), else create a ServerHandshake
            pad,      // a PAD with a valid MAC: pass it to the half-open session of (client_eph_pub, from)
        } kind = drop;
        Error reason = Error::ok;
        SessionId client_sid = 0;
        PublicKey32 client_eph_pub{};
        bool has_cookie = false;      // it carried a cookie (drop with bad_tag: the cookie was bad)
        bool cookie_valid = false;    // accept: it carried a valid cookie (admission, not validation)
        Cookie cookie{};              // the cookie, when valid: claim_cookie() before opening a session
        std::size_t retry_size = 0;
    };
    // For INITIAL and PAD datagrams (anything else: drop / unexpected_packet). A RETRY verdict also
    // carries client_eph_pub: if that session is already half-open, route the datagram to it instead.
    Verdict classify(TimeNs now, const PeerAddress& from, ByteView datagram, std::size_t half_open_count,
                     MutableByteView retry_out);
    // A RETRY for this client at this address into `out` (its size; 0 if `out` is too small).
    std::size_t retry(TimeNs now, const PeerAddress& from, SessionId client_sid, const PublicKey32& client_eph_pub,
                      MutableByteView out) noexcept;
    // A valid cookie is about to open a new half-open session (§10.3): first use, or a replay of
    // one that already opened one, or no room left to remember it (2 x max_half_open per bucket).
    CookieJar::Claim claim_cookie(const Cookie& cookie) { return cookies_.claim(cookie, 2 * config_.max_half_open); }

private:
    ResponderConfig config_;
    Secret32 admission_key_;   // the configured key or zeros (a pre-shared secret: wiped)
    Secret32 cluster_key_;     // the configured cluster key or zeros (cookie secrets, Section 10.5)
    CookieJar cookies_;
};

class ServerHandshake : public HandshakeBase {
public:
    // One half-open session, created after ResponderGate said accept. Draws server_random (32 bytes)
    // then the ephemeral private key (32 bytes) from `rng`. Builds its whole flight at once, so the
    // data secrets are known before the client answers (early data).
    ServerHandshake(const ResponderConfig& config, const Identity& identity,
                    std::shared_ptr<const CertificateVerifier> verifier, Rng& rng, SessionId server_sid,
                    const ResponderGate::Verdict& initial, ByteView initial_datagram, const PeerAddress& from,
                    TimeNs now, HandshakeOptions options = {});

    // PAD / duplicate INITIAL (raise the budget; a duplicate INITIAL resends the unacknowledged flight)
    // or HANDSHAKE. Error classes as for ClientHandshake::on_datagram.
    Error on_datagram(TimeNs now, ByteView datagram);
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
    void fail_server(Error e, std::string text);
    Error process_messages();
    void resend_flight() noexcept;
    std::size_t budget() const noexcept;

    SessionId server_sid_;
    PeerAddress from_;
    TimeNs deadline_;
    RetransmitTimer timer_;
    State state_ = State::sending_flight;
    Secret32 admission_key_;   // per half-open: wiped with it

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
