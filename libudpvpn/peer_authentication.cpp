// SPDX-License-Identifier: GPL-3.0-or-later
#include "peer_authentication.hpp"

#include <cstdio>

#include <sodium.h>

namespace udpvpn {

namespace {

// Peer-supplied text goes into our failure text: printable ASCII only.
std::string sanitize(std::string_view s) {
    std::string out(s.substr(0, kMaxCloseText));
    for (char& c : out)
        if (c < 0x20 || c > 0x7E) c = '?';
    return out;
}

// The peer as our failure texts name it.
std::string peer_name(Role peer) { return peer == Role::server ? "server" : "client"; }

}  // namespace

std::string hex16(std::uint16_t v) {
    char b[8];
    std::snprintf(b, sizeof b, "0x%04x", v);
    return b;
}

bool offers(ByteView raw_suites, Suite s) noexcept {
    Reader r(raw_suites);
    while (r.remaining() >= 2)
        if (r.u16() == static_cast<std::uint16_t>(s)) return true;
    return false;
}

Secret32 early_secret_for(const CommonConfig& c) noexcept {
    if (!c.admission_key) return derive_early_secret(nullptr);
    const Secret32 k{c.admission_key->expose()};
    return derive_early_secret(&k);
}

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

Error HandshakeBase::open_packet(ByteView datagram, SessionId ours, HandshakeChannel::Plaintext& plain,
                                 std::size_t& size) {
    auto h = parse_handshake_header(datagram);
    if (!h.ok()) return h.error;
    if (h.value.dst_sid != ours) return Error::unknown_session;
    return channel_.open(datagram, plain, size);
}

HandshakeBase::StepResult HandshakeBase::take_frames(HandshakeChannel::Plaintext& plain, std::size_t size,
                                                      Role peer, HandshakeChannel::Incoming& in) {
    const Error applied = channel_.apply(ByteView(plain).first(size), in);
    sodium_memzero(plain.data(), size);
    if (applied != Error::ok)
        return {Error::protocol_violation, "malformed frames in a HANDSHAKE packet from the " + peer_name(peer)};
    if (in.peer_closed) return {handle_peer_close(in), failure_text_};
    return {};
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

}  // namespace udpvpn
