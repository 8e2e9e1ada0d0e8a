// SPDX-License-Identifier: GPL-3.0-or-later
#include "handshake.hpp"

#include "admission.hpp"
#include "aead.hpp"
#include "sodium_init.hpp"
#include "timer_rules.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

#include <sodium.h>

namespace udpvpn {
namespace {

constexpr std::size_t kMinHandshakeDatagram = 256;   // below this we could not carry a CLOSE + ACK

std::string hex16(std::uint16_t v) {
    char b[8];
    std::snprintf(b, sizeof b, "0x%04x", v);
    return b;
}

// Peer-supplied text goes into our failure text: printable ASCII only.
std::string sanitize(std::string_view s) {
    std::string out(s.substr(0, kMaxCloseText));
    for (char& c : out)
        if (c < 0x20 || c > 0x7E) c = '?';
    return out;
}

bool offers(ByteView raw_suites, Suite s) noexcept {
    Reader r(raw_suites);
    while (r.remaining() >= 2)
        if (r.u16() == static_cast<std::uint16_t>(s)) return true;
    return false;
}

Secret32 early_secret_for(const CommonConfig& c) noexcept {
    if (!c.admission_key) return derive_early_secret(nullptr);
    const Secret32 k{ByteView(*c.admission_key)};
    return derive_early_secret(&k);
}

// The peer as our failure texts name it.
std::string peer_name(Role peer) { return peer == Role::server ? "server" : "client"; }

}  // namespace

// =================================================================================================
// HandshakeBase

void HandshakeBase::fail(Error e, std::string text) {
    if (failure_ != Error::ok) return;
    failure_ = e;
    failure_text_ = std::move(text);
    // A timeout means the peer is gone; anything else is worth telling it (encrypted, when keys exist).
    if (channel_.ready() && e != Error::handshake_timeout) channel_.queue_close(close_code_for(e), failure_text_);
}

Error HandshakeBase::handle_peer_close(const HandshakeChannel::Incoming& in) {
    if (failure_ != Error::ok) return failure_;
    peer_close_code_ = in.close_code;
    failure_ = error_for_close_code(in.close_code);
    failure_text_ = std::string("peer closed the handshake: ") + close_code_name(in.close_code);
    if (!in.close_text.empty()) failure_text_ += ": " + sanitize(in.close_text);
    return failure_;
}

HandshakeBase::StepResult HandshakeBase::next_peer_message(Role peer, std::optional<HsMessage>& msg) {
    bool complete = false;
    auto m = read_hs_message(channel_.recv_stream().contiguous().subspan(consumed_), complete);
    if (!m.ok()) return {Error::protocol_violation, "malformed handshake message from the " + peer_name(peer)};
    if (!complete) return {};
    consumed_ += m.value.whole.size();
    msg = m.value;
    return {};
}

HandshakeBase::StepResult HandshakeBase::change_verifier(std::shared_ptr<const CertificateVerifier> verifier,
                                                        Role peer, std::string_view expected_name) {
    verifier_ = std::move(verifier);
    if (failure_ != Error::ok || (expect_ != Expect::certificate_verify && expect_ != Expect::finished)) return {};
    auto id = verifier_ ? verifier_->verify(result_.peer_chain, peer, expected_name)
                        : Result<PeerIdentity>{{}, Error::cert_invalid};
    if (id.ok()) return {};
    refused_peer_name_ = id.value.common_name;
    return {error_class(id.error) == ErrorClass::close ? id.error : Error::cert_invalid,
            peer_name(peer) + " certificate rejected after a verifier change: " + to_string(id.error)};
}

HandshakeBase::StepResult HandshakeBase::take_peer_auth_message(const HsMessage& msg, Role peer,
                                                               std::string_view expected_name) {
    switch (expect_) {
    case Expect::certificate: {
        if (msg.type != HsMsgType::certificate) break;
        auto chain = parse_certificate(msg.body);
        if (!chain.ok()) return {Error::protocol_violation, "malformed CERTIFICATE from the " + peer_name(peer)};
        transcript_.update(msg.whole);
        auto id = verifier_ ? verifier_->verify(chain.value, peer, expected_name)
                            : Result<PeerIdentity>{{}, Error::cert_invalid};
        if (!id.ok()) {
            refused_peer_name_ = id.value.common_name;
            return {error_class(id.error) == ErrorClass::close ? id.error : Error::cert_invalid,
                    peer_name(peer) + " certificate rejected: " + to_string(id.error)};
        }
        if (!id.value.key) return {Error::internal, "verifier returned no key"};
        result_.peer = std::move(id.value);
        result_.peer_chain = std::move(chain.value);
        expect_ = Expect::certificate_verify;
        return {};
    }
    case Expect::certificate_verify: {
        if (msg.type != HsMsgType::certificate_verify) break;
        auto cv = parse_certificate_verify(msg.body);
        if (!cv.ok()) return {Error::protocol_violation, "malformed CERTIFICATE_VERIFY from the " + peer_name(peer)};
        // The peer signed the transcript through its CERTIFICATE, with the key of that certificate.
        const PeerKey& key = *result_.peer.key;
        const Bytes content = certificate_verify_content(peer, transcript_.snapshot());
        if (cv.value.scheme != static_cast<std::uint16_t>(key.scheme()) ||
            (key.verify(content, cv.value.signature) != Error::ok && !UDPVPN_FAULT(*this, client_cert_verify_unchecked)))
            return {Error::bad_signature, peer_name(peer) + " CertificateVerify does not verify with its certificate key"};
        transcript_.update(msg.whole);
        expect_ = Expect::finished;
        return {};
    }
    case Expect::finished: {
        if (msg.type != HsMsgType::finished) break;
        const Secret32& key = peer == Role::server ? hs_.server_finished : hs_.client_finished;
        if (!verify_finished(key, transcript_.snapshot(), msg.body) && !UDPVPN_FAULT(*this, client_finished_unverified))
            return {Error::bad_finished, peer_name(peer) + " Finished does not verify"};
        transcript_.update(msg.whole);
        expect_ = Expect::done;
        return {};
    }
    case Expect::ee:
    case Expect::done: break;
    }
    return {Error::protocol_violation, "unexpected handshake message from the " + peer_name(peer)};
}

// =================================================================================================
// ClientHandshake

ClientHandshake::ClientHandshake(const InitiatorConfig& config, const Identity& identity,
                                 std::shared_ptr<const CertificateVerifier> verifier, Rng& rng, SessionId client_sid,
                                 TimeNs now, HandshakeOptions options)
    : HandshakeBase(std::move(verifier), Expect::ee), config_(config), identity_(identity), options_(std::move(options)),
      client_sid_(client_sid), deadline_(handshake_deadline(config.timers, now)), timer_(config.timers.handshake_pto) {
    ensure_sodium();
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

ClientHandshake::~ClientHandshake() { wipe_admission_key(config_); }

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
        const Secret32 key = admission_secret_of(config_);
        Result<std::size_t> r;
        if (flight1_next_ == 0) {
            InitialFields f;
            f.client_sid = client_sid_;
            f.client_random = client_random_;
            f.client_eph_pub = eph_pub_;
            f.suites = suites_;
            f.extensions = extensions_;
            f.cookie = cookie_;
            r = encode_initial(f, key.expose(), datagram_size_, out);
        } else {
            r = encode_pad({client_sid_, eph_pub_}, key.expose(), datagram_size_, out);
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
    auto h = parse_handshake_header(datagram);
    if (!h.ok()) return h.error;
    if (h.value.dst_sid != client_sid_) return Error::unknown_session;
    HandshakeChannel::Plaintext plain;
    std::size_t plain_size = 0;
    const Error e = channel_.open(datagram, plain, plain_size);
    if (e != Error::ok) return e;
    HandshakeChannel::Incoming in;
    const Error applied = channel_.apply(ByteView(plain).first(plain_size), in);
    sodium_memzero(plain.data(), plain_size);
    if (applied != Error::ok) {
        fail_client(Error::protocol_violation, "malformed frames in a HANDSHAKE packet from the server");
        return failure_;
    }
    if (in.peer_closed) {
        handle_peer_close(in);
        state_ = State::failed;
        timer_.disarm();
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

// =================================================================================================
// ResponderGate

ResponderGate::ResponderGate(const ResponderConfig& config, Rng& rng)
    : config_(config), admission_key_(admission_secret_of(config)), cluster_key_(cluster_secret_of(config)),
      cookies_(config.cluster_key ? CookieJar(rng, &cluster_key_, config.cookie_clock_offset) : CookieJar(rng)) {
    ensure_sodium();
}

ResponderGate::~ResponderGate() {
    wipe_admission_key(config_);
    wipe_cluster_key(config_);
}

ResponderGate::Verdict ResponderGate::classify(TimeNs now, const PeerAddress& from, ByteView datagram,
                                               std::size_t half_open_count, MutableByteView retry_out) {
    Verdict v;
    auto drop = [&v](Error e) { v.kind = Verdict::drop; v.reason = e; return v; };
    if (datagram.empty() || datagram.size() > kMaxHandshakeDatagram) return drop(Error::malformed);
    if (datagram[0] == static_cast<std::uint8_t>(PacketType::pad)) {
        if (!admission_verify(admission_key_.expose(), datagram) && !UDPVPN_FAULT(config_, admission_key_unchecked))
            return drop(Error::admission_denied);
        auto p = parse_pad(datagram);
        if (!p.ok()) return drop(p.error);
        v.kind = Verdict::pad;
        v.client_sid = p.value.client_sid;
        v.client_eph_pub = p.value.client_eph_pub;
        return v;
    }
    if (datagram[0] != static_cast<std::uint8_t>(PacketType::initial)) return drop(Error::unexpected_packet);
    if (datagram.size() < kMinInitialSize) return drop(Error::malformed);          // §1.1
    if (!admission_verify(admission_key_.expose(), datagram) && !UDPVPN_FAULT(config_, admission_key_unchecked))
        return drop(Error::admission_denied);
    auto p = parse_initial(datagram);
    if (!p.ok()) return drop(p.error);
    v.client_sid = p.value.client_sid;
    v.client_eph_pub = p.value.client_eph_pub;
    if (half_open_count >= config_.max_half_open) return drop(Error::rate_limited);   // §3.5
    if (!p.value.cookie.empty()) {
        // A cookie we cannot verify (forged, other address, expired): drop, never RETRY again.
        v.has_cookie = true;
        if (!cookies_.verify(now, from, v.client_sid, v.client_eph_pub, p.value.cookie)) return drop(Error::bad_tag);
        v.cookie_valid = true;
        std::memcpy(v.cookie.data(), p.value.cookie.data(), kCookieSize);
    } else if (half_open_count >= config_.cookie_threshold && !UDPVPN_FAULT(config_, cookie_never_required)) {
        v.retry_size = retry(now, from, v.client_sid, v.client_eph_pub, retry_out);
        if (v.retry_size == 0) return drop(Error::buffer_too_small);
        v.kind = Verdict::retry;
        return v;
    }
    v.kind = Verdict::accept;
    return v;
}

std::size_t ResponderGate::retry(TimeNs now, const PeerAddress& from, SessionId client_sid,
                                 const PublicKey32& client_eph_pub, MutableByteView out) noexcept {
    RetryFields rf;
    rf.client_sid = client_sid;
    rf.cookie = cookies_.make(now, from, client_sid, client_eph_pub);
    auto n = encode_retry(rf, out);
    return n.ok() ? n.value : 0;
}

// =================================================================================================
// ServerHandshake

ServerHandshake::ServerHandshake(const ResponderConfig& config, const Identity& identity,
                                 std::shared_ptr<const CertificateVerifier> verifier, Rng& rng, SessionId server_sid,
                                 const ResponderGate::Verdict& initial, ByteView initial_datagram,
                                 const PeerAddress& from, TimeNs now, HandshakeOptions options)
    : HandshakeBase(std::move(verifier), Expect::certificate), server_sid_(server_sid), from_(from),
      deadline_(handshake_deadline(config.timers, now)), timer_(config.timers.handshake_pto),
      admission_key_(admission_secret_of(config)) {
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

    auto p = parse_initial(initial_datagram);
    if (!p.ok() || p.value.client_eph_pub != initial.client_eph_pub)
        { fail_server(Error::protocol_violation, "INITIAL does not parse"); return; }
    client_hello_.assign(p.value.client_hello.begin(), p.value.client_hello.end());

    Random32 server_random{};
    Secret32 eph_priv;
    PublicKey32 eph_pub{};
    rng.fill(server_random);
    rng.fill(eph_priv.expose_mut());
    x25519_public(eph_priv, eph_pub);

    // §3.2 client extensions, then suite: our first preference that the client offers and we can run.
    Error refuse = Error::ok;
    std::string refuse_text;
    const ExtensionsParse ext = parse_extensions(p.value.extensions);
    if (ext.error == Error::unsupported_extension) {
        refuse = Error::unsupported_extension;
        refuse_text = "unsupported critical extension " + hex16(ext.unsupported_type);
    } else if (ext.error != Error::ok) {
        refuse = Error::protocol_violation;
        refuse_text = "malformed extensions in INITIAL";
    }
    std::uint16_t suite = 0;
    for (Suite s : config.suites) {
        if (offers(p.value.suites, s) && suite_available(s)) {
            suite = static_cast<std::uint16_t>(s);
            break;
        }
    }
    if (refuse == Error::ok && suite == 0) {
        refuse = Error::no_common_suite;
        refuse_text = "no common cipher suite";
    }
    if (refuse != Error::ok) suite = 0;   // SERVER_HELLO with suite 0, then an encrypted CLOSE

    Secret32 shared;
    if (!x25519(eph_priv, client_eph_pub_, shared))
        { fail_server(Error::protocol_violation, "client ephemeral key is a small-order point"); return; }
    eph_priv.wipe();

    ServerHelloFields sh;
    sh.client_sid = initial.client_sid;
    sh.server_sid = server_sid;
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
    if (refuse != Error::ok) { fail_server(refuse, refuse_text); return; }
    result_.peer_inner_protocols = ext.ext.inner_protocols.value_or(0);

    // §3.4 flight 2: EE, CERTIFICATE, CERTIFICATE_VERIFY, FINISHED, all built now.
    if (identity.chain.empty() || !identity.signer) { fail_server(Error::internal, "no server identity"); return; }
    const Bytes cert = encode_certificate(identity.chain);
    if (cert.empty()) { fail_server(Error::internal, "our certificate chain cannot be encoded"); return; }
    Extensions ee;
    ee.flight_size_hint = 0;
    ee.inner_protocols = config.inner_protocols;
    if (config.cluster_key) {
        // Section 10.5: the token any server of the cluster can derive from our session ID.
        const ResetToken token = stateless_reset_token(cluster_secret_of(config), server_sid);
        ee.stateless_reset_token.emplace();
        std::copy(token.expose().begin(), token.expose().end(), ee.stateless_reset_token->begin());
    }
    const std::size_t ee_size = kHsMsgHeaderSize + encode_extensions(ee, options.extra_extensions).size();
    // flight_size_hint: the stream size, with the signature at its maximum length (ECDSA varies).
    ee.flight_size_hint = static_cast<std::uint32_t>(ee_size + cert.size() + kHsMsgHeaderSize + 4 +
                                                     identity.signer->max_signature_size() +
                                                     kHsMsgHeaderSize + kFinishedSize);
    const Bytes ee_msg = encode_encrypted_extensions(encode_extensions(ee, options.extra_extensions));
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
        if (!admission_verify(admission_key_.expose(), datagram)) return Error::admission_denied;
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
        if (!admission_verify(admission_key_.expose(), datagram)) return Error::admission_denied;
        auto p = parse_pad(datagram);
        if (!p.ok()) return p.error;
        if (p.value.client_eph_pub != client_eph_pub_ || p.value.client_sid != result_.client_sid)
            return Error::unexpected_packet;
        received_ += datagram.size();   // §1.2
        return Error::ok;
    }
    case static_cast<std::uint8_t>(PacketType::handshake): break;
    default: return Error::unexpected_packet;
    }
    if (state_ == State::failed) return Error::unexpected_packet;
    auto h = parse_handshake_header(datagram);
    if (!h.ok()) return h.error;
    if (h.value.dst_sid != server_sid_) return Error::unknown_session;
    HandshakeChannel::Plaintext plain;
    std::size_t plain_size = 0;
    const Error e = channel_.open(datagram, plain, plain_size);
    if (e != Error::ok) return e;
    validated_ = true;   // §1.5: it decrypted, so the client saw SERVER_HELLO at this address
    client_has_hello_ = true;
    received_ += datagram.size();
    server_hello_pending_ = false;
    HandshakeChannel::Incoming in;
    const Error applied = channel_.apply(ByteView(plain).first(plain_size), in);
    sodium_memzero(plain.data(), plain_size);
    if (applied != Error::ok) {
        fail_server(Error::protocol_violation, "malformed frames in a HANDSHAKE packet from the client");
        return failure_;
    }
    if (in.peer_closed) {
        handle_peer_close(in);
        state_ = State::failed;
        timer_.disarm();
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
