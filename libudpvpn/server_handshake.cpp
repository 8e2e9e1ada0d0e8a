// SPDX-License-Identifier: GPL-3.0-or-later
#include "server_handshake.hpp"

#include "admission.hpp"
#include "sodium_init.hpp"
#include "timer_rules.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include <sodium.h>

namespace udpvpn {

namespace {

constexpr std::size_t kMinHandshakeDatagram = 256;   // below this we could not carry a CLOSE + ACK

}  // namespace

ServerHandshake::ServerHandshake(const ServerEndpointConfig& config, const Identity& identity,
                                 std::shared_ptr<const CertificateVerifier> verifier, Rng& rng, SessionId server_sid,
                                 const AdmissionGate::Verdict& initial, ByteView initial_datagram,
                                 const PeerAddress& from, TimeNs now, HandshakeOptions options)
    : HandshakeBase(std::move(verifier), Expect::certificate), server_sid_(server_sid), from_(from),
      deadline_(handshake_deadline(config.timers, now)), timer_(config.timers.handshake_pto),
      admission_key_(config.admission_key) {
    ensure_sodium();
    UDPVPN_FAULT_COPY(*this, config);
    datagram_size_ = std::clamp<std::size_t>(config.max_datagram, kMinHandshakeDatagram, kMaxHandshakeDatagram);
    received_ = initial_datagram.size();
    // A cookie admits the INITIAL but does not validate the address (§10.3): it can be captured
    // and replayed from the address it names, so the flight stays within 3x until a HANDSHAKE
    // packet from this address decrypts.
    result_.server_sid = server_sid;
    result_.client_sid = initial.client_sid;
    client_eph_pub_ = initial.client_eph_pub;
    server_hello_pending_ = false;
    // The library's rules (validate()) hold for every handshake, not only the endpoints' own.
    if (const ConfigProblem bad = validate(config))
        { fail_server(Error::invalid_argument, "configuration: " + bad.field + " " + bad.reason); return; }

    auto p = parse_initial(initial_datagram);
    if (!p.ok() || p.value.client_eph_pub != initial.client_eph_pub)
        { fail_server(Error::protocol_violation, "INITIAL does not parse"); return; }
    client_hello_.assign(p.value.client_hello.begin(), p.value.client_hello.end());

    const Answer answer = answer_client_hello(config, p.value);
    if (!send_server_hello(config, rng, answer.suite)) return;
    // A refusal goes out as SERVER_HELLO with suite 0, then a CLOSE under the handshake keys.
    if (answer.refuse != Error::ok) { fail_server(answer.refuse, answer.refuse_text); return; }
    result_.peer_inner_protocols = answer.peer_inner_protocols;
    build_flight(config, identity, options);
}

ServerHandshake::Answer ServerHandshake::answer_client_hello(const ServerEndpointConfig& config,
                                                             const InitialFields& initial) {
    // §3.2 client extensions, then suite: our first preference that the client offers and we can run.
    Answer a;
    const ExtensionsParse ext = parse_extensions(initial.extensions);
    if (ext.error == Error::unsupported_extension) {
        a.refuse = Error::unsupported_extension;
        a.refuse_text = "unsupported critical extension " + hex16(ext.unsupported_type);
    } else if (ext.error != Error::ok) {
        a.refuse = Error::protocol_violation;
        a.refuse_text = "malformed extensions in INITIAL";
    }
    for (Suite s : config.suites) {
        if (offers(initial.suites, s) && suite_available(s)) {
            a.suite = static_cast<std::uint16_t>(s);
            break;
        }
    }
    if (a.refuse == Error::ok && a.suite == 0) {
        a.refuse = Error::no_common_suite;
        a.refuse_text = "no common cipher suite";
    }
    if (a.refuse != Error::ok) a.suite = 0;   // SERVER_HELLO with suite 0, then an encrypted CLOSE
    a.peer_inner_protocols = ext.ext.inner_protocols.value_or(0);
    return a;
}

bool ServerHandshake::send_server_hello(const ServerEndpointConfig& config, Rng& rng, std::uint16_t suite) {
    Random32 server_random{};
    Secret32 eph_priv;
    PublicKey32 eph_pub{};
    rng.fill(server_random);
    rng.fill(eph_priv.expose_mut());
    x25519_public(eph_priv, eph_pub);
    Secret32 shared;
    if (!x25519(eph_priv, client_eph_pub_, shared)) {
        fail_server(Error::protocol_violation, "client ephemeral key is a small-order point");
        return false;
    }
    eph_priv.wipe();

    ServerHelloFields sh;
    sh.client_sid = result_.client_sid;
    sh.server_sid = server_sid_;
    sh.server_random = server_random;
    sh.server_eph_pub = eph_pub;
    sh.suite = suite;
    server_hello_.resize(kServerHelloSize);
    encode_server_hello(sh, server_hello_);
    server_hello_pending_ = true;

    transcript_.update(client_hello_);
    transcript_.update(server_hello_);
    result_.th1 = transcript_.snapshot();
    hs_ = derive_handshake_secrets(early_secret_for(config), shared, result_.th1);
    channel_.install(hs_.server_hs, hs_.client_hs);
    result_.suite = static_cast<Suite>(suite);
    return true;
}

Bytes ServerHandshake::encrypted_extensions(const ServerEndpointConfig& config, const Signer& signer,
                                            std::size_t cert_size, const HandshakeOptions& options) const {
    Extensions ee;
    ee.flight_size_hint = 0;
    ee.inner_protocols = config.inner_protocols;
    if (config.cluster_key) {
        // Section 10.5: the token any server of the cluster can derive from our session ID.
        const ResetToken token = stateless_reset_token(*config.cluster_key, server_sid_);
        ee.stateless_reset_token.emplace();
        std::copy(token.expose().begin(), token.expose().end(), ee.stateless_reset_token->begin());
    }
    const std::size_t ee_size = kHsMsgHeaderSize + encode_extensions(ee, options.extra_extensions).size();
    // flight_size_hint: the stream size, with the signature at its maximum length (ECDSA varies).
    ee.flight_size_hint = static_cast<std::uint32_t>(ee_size + cert_size + kHsMsgHeaderSize + 4 +
                                                     signer.max_signature_size() + kHsMsgHeaderSize +
                                                     kFinishedSize);
    return encode_encrypted_extensions(encode_extensions(ee, options.extra_extensions));
}

void ServerHandshake::build_flight(const ServerEndpointConfig& config, const Identity& identity,
                                   const HandshakeOptions& options) {
    // §3.4 flight 2: EE, CERTIFICATE, CERTIFICATE_VERIFY, FINISHED, all built now.
    if (identity.chain.empty() || !identity.signer) { fail_server(Error::internal, "no server identity"); return; }
    const Bytes cert = encode_certificate(identity.chain);
    if (cert.empty()) { fail_server(Error::internal, "our certificate chain cannot be encoded"); return; }
    const Bytes ee_msg = encrypted_extensions(config, *identity.signer, cert.size(), options);
    transcript_.update(ee_msg);
    transcript_.update(cert);
    const Bytes content = certificate_verify_content(Role::server, transcript_.snapshot());
    Bytes sig;
    if (identity.signer->sign(content, sig) != Error::ok || sig.empty())
        { fail_server(Error::internal, "signing CertificateVerify failed"); return; }
    const Bytes cv = encode_certificate_verify(identity.signer->scheme(), sig);
    transcript_.update(cv);
    const Bytes fin = encode_finished(hs_.server_finished, transcript_.snapshot());
    transcript_.update(fin);
    result_.th2 = transcript_.snapshot();
    result_.secrets = derive_data_secrets(hs_.hs_secret, result_.th2);
    data_ready_ = true;
    SendStream& s = channel_.send_stream();
    if (s.append(ee_msg) != Error::ok || s.append(cert) != Error::ok || s.append(cv) != Error::ok ||
        s.append(fin) != Error::ok)
        { fail_server(Error::internal, "our handshake flight exceeds 32768 bytes"); return; }
}

void ServerHandshake::set_verifier(std::shared_ptr<const CertificateVerifier> verifier) {
    StepResult r = change_verifier(std::move(verifier), Role::client, "");
    if (state_ == State::sending_flight && r.error != Error::ok) fail_server(r.error, std::move(r.text));
}

void ServerHandshake::fail_server(Error e, std::string text) {
    fail(e, std::move(text));
    state_ = State::failed;
    timer_.disarm();
}

std::size_t ServerHandshake::budget() const noexcept {
    if (validated_ || UDPVPN_FAULT(*this, amplification_unlimited)) return std::numeric_limits<std::size_t>::max();
    const std::uint64_t cap = 3 * received_;   // §3.4: 3 × bytes received before validation
    return cap > sent_ ? static_cast<std::size_t>(cap - sent_) : 0;
}

void ServerHandshake::resend_flight() noexcept {
    // A cookie validates the address but says nothing about SERVER_HELLO having arrived: resend it
    // until the client proves it has it (its first HANDSHAKE packet).
    if (!client_has_hello_ && !server_hello_.empty()) server_hello_pending_ = true;
    channel_.send_stream().requeue_unacked();
}

TimeNs ServerHandshake::next_deadline() const noexcept {
    if (state_ != State::sending_flight) return kNever;
    return std::min(deadline_, timer_.deadline());
}

void ServerHandshake::on_timeout(TimeNs now) {
    if (state_ != State::sending_flight) return;
    if (now >= deadline_) { fail_server(Error::handshake_timeout, "the client did not finish within handshake_timeout"); return; }
    if (now < timer_.deadline()) return;
    timer_.backoff();
    resend_flight();
}

Result<std::size_t> ServerHandshake::poll_datagram(TimeNs now, MutableByteView out) {
    const std::size_t limit = std::min(datagram_size_, budget());
    if (server_hello_pending_) {
        if (out.size() < kServerHelloSize) return {kServerHelloSize, Error::buffer_too_small};
        if (limit < kServerHelloSize) {   // amplification limit: wait for more bytes
            held_back_ = true;
            return {0, Error::ok};
        }
        std::memcpy(out.data(), server_hello_.data(), kServerHelloSize);
        server_hello_pending_ = false;
        sent_ += kServerHelloSize;
        if (state_ == State::sending_flight) timer_.arm(now);
        return {kServerHelloSize, Error::ok};
    }
    if (state_ == State::failed && !channel_.close_queued()) return {0, Error::ok};
    if (!channel_.wants_to_send()) return {0, Error::ok};
    if (out.size() < datagram_size_) return {datagram_size_, Error::buffer_too_small};
    bool frag = false;
    const std::size_t n = channel_.build(result_.client_sid, out, limit, frag);
    if (n == 0 && limit < datagram_size_) held_back_ = true;
    sent_ += n;
    if (frag && state_ == State::sending_flight) timer_.arm(now);
    return {n, Error::ok};
}

Error ServerHandshake::on_datagram(TimeNs now, ByteView datagram) {
    if (datagram.empty() || datagram.size() > kMaxHandshakeDatagram) return Error::malformed;
    switch (datagram[0]) {
    case static_cast<std::uint8_t>(PacketType::initial): {
        if (!admission_verify(admission_key_bytes(admission_key_), datagram)) return Error::admission_denied;
        auto p = parse_initial(datagram);
        if (!p.ok()) return p.error;
        if (!std::equal(p.value.client_hello.begin(), p.value.client_hello.end(), client_hello_.begin(),
                        client_hello_.end()))
            return Error::unexpected_packet;
        received_ += datagram.size();   // §3.4: a duplicate INITIAL counts toward the budget ...
        if (state_ == State::sending_flight && !client_has_hello_) resend_flight();   // ... and resends
        return Error::ok;
    }
    case static_cast<std::uint8_t>(PacketType::pad): {
        if (!admission_verify(admission_key_bytes(admission_key_), datagram)) return Error::admission_denied;
        auto p = parse_pad(datagram);
        if (!p.ok()) return p.error;
        return on_pad(p.value.client_sid, p.value.client_eph_pub, datagram.size());
    }
    case static_cast<std::uint8_t>(PacketType::handshake): break;
    default: return Error::unexpected_packet;
    }
    if (state_ == State::failed) return Error::unexpected_packet;
    HandshakeChannel::Plaintext plain;
    std::size_t plain_size = 0;
    if (const Error e = open_packet(datagram, server_sid_, plain, plain_size); e != Error::ok) return e;
    validated_ = true;   // §1.5: it decrypted, so the client saw SERVER_HELLO at this address
    client_has_hello_ = true;
    received_ += datagram.size();
    server_hello_pending_ = false;
    HandshakeChannel::Incoming in;
    if (StepResult r = take_frames(plain, plain_size, Role::client, in); r.error != Error::ok) {
        fail_server(r.error, std::move(r.text));   // after the peer's CLOSE: nothing more to send
        return failure_;
    }
    if (state_ == State::sending_flight) {
        if (in.ack_progress) {
            timer_.reset_backoff();
            if (channel_.send_stream().all_acked()) timer_.disarm();
            else timer_.rearm(now);
        }
        if (process_messages() != Error::ok) return failure_;
    }
    return Error::ok;
}

Error ServerHandshake::on_pad(SessionId client_sid, const PublicKey32& client_eph_pub, std::size_t size) noexcept {
    if (client_eph_pub != client_eph_pub_ || client_sid != result_.client_sid) return Error::unexpected_packet;
    received_ += size;   // §1.2
    return Error::ok;
}

Error ServerHandshake::process_messages() {
    while (state_ == State::sending_flight) {
        std::optional<HsMessage> msg;
        StepResult r = next_peer_message(Role::client, msg);
        if (msg) r = take_peer_auth_message(*msg, Role::client, "");
        if (r.error != Error::ok) {
            fail_server(r.error, std::move(r.text));
            return failure_;
        }
        if (!msg) return Error::ok;   // the next message has not all arrived
        if (expect_ != Expect::done) continue;
        // The client's FINISHED verified.
        if (consumed_ != channel_.recv_stream().contiguous().size()) {
            fail_server(Error::protocol_violation, "client sent bytes after its Finished");
            return failure_;
        }
        state_ = State::complete;
        timer_.disarm();
        // The client's Finished follows our whole flight: everything we sent was received.
        const ByteRange all{0, static_cast<std::uint32_t>(channel_.send_stream().size())};
        channel_.send_stream().on_ack({&all, 1});
        channel_.request_ack();   // §3.4 flight 4: ACK covering the whole client stream
        return Error::ok;
    }
    return Error::ok;
}

}  // namespace udpvpn
