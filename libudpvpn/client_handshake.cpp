// SPDX-License-Identifier: GPL-3.0-or-later
#include "client_handshake.hpp"

#include "admission.hpp"
#include "sodium_init.hpp"
#include "timer_rules.hpp"

#include <algorithm>

#include <sodium.h>

namespace udpvpn {

ClientHandshake::ClientHandshake(const ClientEndpointConfig& config, const Identity& identity,
                                 std::shared_ptr<const CertificateVerifier> verifier, Rng& rng, SessionId client_sid,
                                 TimeNs now, HandshakeOptions options)
    : HandshakeBase(std::move(verifier), Expect::ee), config_(config), identity_(identity), options_(std::move(options)),
      client_sid_(client_sid), deadline_(handshake_deadline(config.timers, now)), timer_(config.timers.handshake_pto) {
    ensure_sodium();
    // The library's rules (validate()) hold for every handshake, not only the endpoints' own.
    if (const ConfigProblem bad = validate(config))
        { fail_client(Error::invalid_argument, "configuration: " + bad.field + " " + bad.reason); return; }
    // §1.1: INITIAL >= 1200; §7: no handshake datagram above kMaxHandshakeDatagram
    datagram_size_ = std::clamp<std::size_t>(config.max_datagram, kMinInitialSize, kMaxHandshakeDatagram);
    rng.fill(client_random_);
    rng.fill(eph_priv_.expose_mut());
    x25519_public(eph_priv_, eph_pub_);
    result_.client_sid = client_sid;

    for (Suite s : config.suites) {
        if (!suite_available(s) || offers(suites_, s) || suites_.size() / 2 >= kMaxSuitesOffered) continue;
        suites_.push_back(static_cast<std::uint8_t>(static_cast<std::uint16_t>(s) >> 8));
        suites_.push_back(static_cast<std::uint8_t>(static_cast<std::uint16_t>(s)));
    }
    Extensions ext;
    ext.inner_protocols = config.inner_protocols;
    extensions_ = encode_extensions(ext, options_.extra_extensions);

    if (suites_.empty()) { fail_client(Error::no_common_suite, "no configured cipher suite is available"); return; }
    if (identity_.chain.empty() || !identity_.signer) { fail_client(Error::internal, "no client identity"); return; }
    InitialFields f;
    f.client_sid = client_sid_;
    f.client_random = client_random_;
    f.client_eph_pub = eph_pub_;
    f.suites = suites_;
    f.extensions = extensions_;
    client_hello_ = encode_client_hello(f);
    if (client_hello_.empty() || client_hello_.size() + 1 + kCookieSize + kAdmissionMacSize > datagram_size_)
        { fail_client(Error::internal, "INITIAL does not fit the datagram size"); return; }
    transcript_.update(client_hello_);   // §1.1: cookie, padding and MAC are not part of it
}


void ClientHandshake::fail_client(Error e, std::string text) {
    fail(e, std::move(text));
    state_ = State::failed;
    timer_.disarm();
    eph_priv_.wipe();
}

std::size_t ClientHandshake::initial_size() const noexcept { return datagram_size_; }

void ClientHandshake::confirm() noexcept {
    if (state_ != State::established) return;
    state_ = State::confirmed;
    timer_.disarm();
}

TimeNs ClientHandshake::next_deadline() const noexcept {
    if (state_ == State::failed || state_ == State::confirmed) return kNever;
    return std::min(deadline_, timer_.deadline());
}

void ClientHandshake::on_timeout(TimeNs now) {
    if (state_ == State::failed || state_ == State::confirmed) return;
    if (now >= deadline_)
        { fail_client(Error::handshake_timeout, "the handshake did not complete within handshake_timeout"); return; }
    if (now < timer_.deadline()) return;
    timer_.backoff();
    if (!have_server_hello_) {
        queue_flight1();                                  // INITIAL or the server's answer was lost
    } else if (state_ == State::established) {
        channel_.send_stream().requeue_unacked();         // our flight is not acknowledged yet
    } else {
        channel_.request_ack();                           // the server may be stuck at its
        channel_.request_probe();                         // amplification limit: validate our address
    }
}

Result<std::size_t> ClientHandshake::poll_datagram(TimeNs now, MutableByteView out) {
    if (state_ == State::failed && !channel_.close_queued()) return {0, Error::ok};
    if (!have_server_hello_ && state_ != State::failed) {
        if (flight1_next_ > config_.pad_datagrams) return {0, Error::ok};
        if (out.size() < datagram_size_) return {datagram_size_, Error::buffer_too_small};
        const ByteView key = admission_key_bytes(config_.admission_key);
        Result<std::size_t> r;
        if (flight1_next_ == 0) {
            InitialFields f;
            f.client_sid = client_sid_;
            f.client_random = client_random_;
            f.client_eph_pub = eph_pub_;
            f.suites = suites_;
            f.extensions = extensions_;
            f.cookie = cookie_;
            r = encode_initial(f, key, datagram_size_, out);
        } else {
            r = encode_pad({client_sid_, eph_pub_}, key, datagram_size_, out);
        }
        if (!r.ok()) return {0, Error::internal};
        ++flight1_next_;
        timer_.arm(now);
        return r;
    }
    if (!channel_.wants_to_send()) return {0, Error::ok};
    if (out.size() < datagram_size_) return {datagram_size_, Error::buffer_too_small};
    bool frag = false;
    const std::size_t n = channel_.build(result_.server_sid, out, datagram_size_, frag);
    if (n > 0 && state_ != State::failed && (frag || state_ == State::awaiting_server)) timer_.arm(now);
    return {n, Error::ok};
}

Error ClientHandshake::on_datagram(TimeNs now, ByteView datagram) {
    if (datagram.empty() || datagram.size() > kMaxHandshakeDatagram) return Error::malformed;
    if (state_ == State::failed) return Error::unexpected_packet;
    switch (datagram[0]) {
    case static_cast<std::uint8_t>(PacketType::retry): return on_retry(datagram);
    case static_cast<std::uint8_t>(PacketType::server_hello): return on_server_hello(now, datagram);
    case static_cast<std::uint8_t>(PacketType::handshake): return on_handshake(now, datagram);
    default: return Error::unexpected_packet;
    }
}

Error ClientHandshake::on_retry(ByteView datagram) {
    if (have_server_hello_) return Error::unexpected_packet;
    auto r = parse_retry(datagram);
    if (!r.ok()) return r.error;
    if (r.value.client_sid != client_sid_) return Error::unknown_session;
    // RETRY is unauthenticated: follow a few, never loop forever.
    if (retries_seen_ >= 3) return Error::unexpected_packet;
    ++retries_seen_;
    cookie_.assign(r.value.cookie.begin(), r.value.cookie.end());
    queue_flight1();   // §1.3: the same INITIAL (same key and random) with the cookie filled in
    timer_.disarm();
    timer_.reset_backoff();
    return Error::ok;
}

Error ClientHandshake::on_server_hello(TimeNs now, ByteView datagram) {
    if (have_server_hello_) return Error::unexpected_packet;
    auto sh = parse_server_hello(datagram);
    if (!sh.ok()) return sh.error;
    if (sh.value.client_sid != client_sid_) return Error::unknown_session;
    if (sh.value.suite == 0) {
        server_suite_none_ = true;   // the server found nothing in common; its CLOSE follows
    } else if (!offers(suites_, static_cast<Suite>(sh.value.suite))) {
        fail_client(Error::protocol_violation, "server chose suite " + hex16(sh.value.suite) + " which we did not offer");
        return failure_;
    }
    Secret32 shared;
    if (!x25519(eph_priv_, sh.value.server_eph_pub, shared)) {
        fail_client(Error::protocol_violation, "server ephemeral key is a small-order point");
        return failure_;
    }
    transcript_.update(datagram);   // §1.4: the whole datagram
    result_.th1 = transcript_.snapshot();
    hs_ = derive_handshake_secrets(early_secret_for(config_), shared, result_.th1);
    channel_.install(hs_.client_hs, hs_.server_hs);
    eph_priv_.wipe();
    have_server_hello_ = true;
    flight1_next_ = std::size_t{config_.pad_datagrams} + 1;
    result_.server_sid = sh.value.server_sid;
    result_.suite = static_cast<Suite>(sh.value.suite);
    timer_.disarm();
    timer_.reset_backoff();
    timer_.arm(now);   // probe if the server's flight does not arrive
    return Error::ok;
}

Error ClientHandshake::on_handshake(TimeNs now, ByteView datagram) {
    if (!have_server_hello_) return Error::unexpected_packet;
    HandshakeChannel::Plaintext plain;
    std::size_t plain_size = 0;
    if (const Error e = open_packet(datagram, client_sid_, plain, plain_size); e != Error::ok) return e;
    HandshakeChannel::Incoming in;
    if (StepResult r = take_frames(plain, plain_size, Role::server, in); r.error != Error::ok) {
        fail_client(r.error, std::move(r.text));   // after the peer's CLOSE: nothing more to send
        return failure_;
    }
    if (state_ == State::awaiting_server) {
        if (in.had_frag) {
            timer_.reset_backoff();
            timer_.rearm(now);
        }
        if (process_messages() != Error::ok) return failure_;
    }
    if (in.ack_progress && state_ == State::established) {
        timer_.reset_backoff();
        if (channel_.send_stream().all_acked()) {
            state_ = State::confirmed;   // §3.4: the server has our whole flight
            timer_.disarm();
        } else {
            timer_.rearm(now);
        }
    }
    return Error::ok;
}

HandshakeBase::StepResult ClientHandshake::take_encrypted_extensions(const HsMessage& msg) {
    if (server_suite_none_) return {Error::protocol_violation, "server continued without a cipher suite"};
    const ExtensionsParse ext = parse_extensions(msg.body);
    if (ext.error == Error::unsupported_extension)
        return {Error::unsupported_extension, "unsupported critical extension " + hex16(ext.unsupported_type)};
    if (ext.error != Error::ok) return {Error::protocol_violation, "malformed extensions from the server"};
    result_.server_flight_hint = ext.ext.flight_size_hint.value_or(0);
    if (ext.ext.stateless_reset_token) result_.reset_token = ResetToken(ByteView(*ext.ext.stateless_reset_token));
    result_.peer_inner_protocols = ext.ext.inner_protocols.value_or(0);
    transcript_.update(msg.whole);
    expect_ = Expect::certificate;
    return {};
}

Error ClientHandshake::process_messages() {
    while (state_ == State::awaiting_server) {
        std::optional<HsMessage> msg;
        StepResult r = next_peer_message(Role::server, msg);
        // ENCRYPTED_EXTENSIONS comes first and only from the server; the rest both sides share.
        if (msg && expect_ == Expect::ee && msg->type == HsMsgType::encrypted_extensions)
            r = take_encrypted_extensions(*msg);
        else if (msg)
            r = take_peer_auth_message(*msg, Role::server, config_.expected_server_name);
        if (r.error != Error::ok) {
            fail_client(r.error, std::move(r.text));
            return failure_;
        }
        if (!msg) return Error::ok;   // the next message has not all arrived
        if (expect_ != Expect::done) continue;
        // The server's FINISHED verified: data keys, then our flight 3.
        result_.th2 = transcript_.snapshot();
        result_.secrets = derive_data_secrets(hs_.hs_secret, result_.th2);
        if (send_own_flight() != Error::ok) return failure_;
        if (consumed_ != channel_.recv_stream().contiguous().size()) {
            fail_client(Error::protocol_violation, "server sent bytes after its Finished");
            return failure_;
        }
        state_ = State::established;
        return Error::ok;
    }
    return Error::ok;
}

Error ClientHandshake::send_own_flight() {
    // §3.4 flight 3: CERTIFICATE, CERTIFICATE_VERIFY over the transcript through it, FINISHED.
    const Bytes cert = encode_certificate(identity_.chain);
    if (cert.empty()) {
        fail_client(Error::internal, "our certificate chain cannot be encoded (1..4 certificates)");
        return failure_;
    }
    transcript_.update(cert);
    const Bytes content = certificate_verify_content(Role::client, transcript_.snapshot());
    Bytes sig;
    if (identity_.signer->sign(content, sig) != Error::ok || sig.empty()) {
        fail_client(Error::internal, "signing CertificateVerify failed");
        return failure_;
    }
    const Bytes cv = encode_certificate_verify(identity_.signer->scheme(), sig);
    transcript_.update(cv);
    const Bytes fin = encode_finished(hs_.client_finished, transcript_.snapshot());
    transcript_.update(fin);
    SendStream& s = channel_.send_stream();
    if (s.append(cert) != Error::ok || s.append(cv) != Error::ok || s.append(fin) != Error::ok) {
        fail_client(Error::internal, "our handshake flight exceeds 32768 bytes");
        return failure_;
    }
    return Error::ok;
}

}  // namespace udpvpn
