// SPDX-License-Identifier: GPL-3.0-or-later
// What the client and the server handshake share (docs/rfc-draft.txt, Sections 7-9): the result,
// the failure state and the CLOSE owed to the peer, and the authentication of the peer, whose
// CERTIFICATE, CERTIFICATE_VERIFY and FINISHED both sides check alike with the roles swapped.
#pragma once
#include "cluster_key.hpp"
#include "handshake_channel.hpp"
#include "handshake_messages.hpp"
#include "key_schedule.hpp"
#include "transcript.hpp"
#include "wire_format.hpp"

#include <udpvpn/certificate.hpp>
#include <udpvpn/config.hpp>
#include <udpvpn/error.hpp>
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
    // A HANDSHAKE packet addressed to `ours` (§3.3), decrypted into `plain`. Drop-class errors (not
    // ours, malformed, not authentic): nothing changed.
    Error open_packet(ByteView datagram, SessionId ours, HandshakeChannel::Plaintext& plain, std::size_t& size);
    // The frames of a HANDSHAKE packet from the peer, opened into `plain` (wiped here), applied to
    // the channel into `in`. Malformed frames, or the peer's CLOSE (recorded as the failure at
    // once), are returned for the caller to fail the handshake with.
    StepResult take_frames(HandshakeChannel::Plaintext& plain, std::size_t size, Role peer,
                           HandshakeChannel::Incoming& in);
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

// Helpers of both handshakes.
// "0x002a": a suite or extension type in failure texts.
std::string hex16(std::uint16_t v);
// Whether a raw list of u16 suite codes names `s`.
bool offers(ByteView raw_suites, Suite s) noexcept;
// The early secret, from the configured admission key or none (Section 8).
Secret32 early_secret_for(const CommonConfig& c) noexcept;

}  // namespace udpvpn
