// SPDX-License-Identifier: GPL-3.0-or-later
// The client endpoint (docs/rfc-draft.txt, "Endpoints"): one handshake at a time, then one session.
#include "admission.hpp"
#include "data_packet.hpp"
#include "endpoint_base.hpp"
#include "handshake.hpp"
#include "session.hpp"
#include "stateless_reset.hpp"
#include "wire_format.hpp"

#include <udpvpn/endpoint.hpp>

namespace udpvpn {

namespace {

constexpr std::uint8_t kTypeRetry = static_cast<std::uint8_t>(PacketType::retry);
constexpr std::uint8_t kTypeServerHello = static_cast<std::uint8_t>(PacketType::server_hello);
constexpr std::uint8_t kTypeHandshake = static_cast<std::uint8_t>(PacketType::handshake);

// ClientEndpoint: one handshake at a time, then one session.
class ClientEndpoint final : public EndpointBase {
public:
    ClientEndpoint(const ClientEndpointConfig& c, Identity id, std::shared_ptr<const CertificateVerifier> v, std::shared_ptr<Rng> rng)
        : config_(c), identity_(std::move(id)), verifier_(std::move(v)), rng_(std::move(rng)) {}

    Result<SessionId> connect(TimeNs now) override {
        now_ = now;
        session_.reset();
        reset_token_.reset();
        SessionId sid = 0;
        while (sid == 0) {
            std::uint8_t b[4];
            rng_->fill(b);
            sid = (SessionId{b[0]} << 24) | (SessionId{b[1]} << 16) | (SessionId{b[2]} << 8) | b[3];
        }
        sid_ = sid;
        handshake_ = std::make_unique<ClientHandshake>(config_, identity_, verifier_, *rng_, sid_, now);
        return {sid_, Error::ok};
    }

    Received receive(TimeNs now, const PeerAddress& from, MutableByteView d) override {
        now_ = now;
        if (d.empty()) return drop(Error::malformed);
        const std::uint8_t type = d[0];
        if (reset_token_ && session_ && d.size() <= kMaxResetSize && is_stateless_reset(d, *reset_token_)) {
            // Section 10.5: no server behind our address knows the session any more. Nothing is sent
            // (the server has no keys to read it); the application reconnects at once.
            stats_.resets_received++;
            session_.reset();
            handshake_.reset();
            reset_token_.reset();
            Event e;
            e.type = EventType::closed;
            e.session = sid_;
            e.reason = Error::peer_closed;
            e.text = "stateless reset: the server no longer knows this session";
            push_event(std::move(e));
            Received r;
            r.session = sid_;
            return r;
        }
        if (is_data_type(type)) {
            Result<DataHeader> h = parse_data_header(d);
            if (!h) return drop(h.error);
            if (!session_ || h.value.dst_sid != sid_) return drop(Error::unknown_session);
            Received r = open_data_for(now, *session_, from, h.value, d);
            if (r.status == Error::ok && handshake_ &&
                handshake_->state() == ClientHandshake::State::established) {
                handshake_->confirm();   // an authenticated DATA packet from the server acks flight 3
            }
            reap(now);
            return r;
        }
        if (type == kTypeRetry || type == kTypeServerHello || type == kTypeHandshake) {
            if (!handshake_) return drop(Error::unexpected_packet);
            const Error e = handshake_->on_datagram(now, d);
            after_handshake(now);
            if (error_class(e) == ErrorClass::drop) return drop(e);
            Received r;
            r.session = sid_;
            return r;
        }
        return drop(Error::malformed);
    }

    Sealed seal(TimeNs now, SessionId sid, InnerProtocol p, ByteView inner, MutableByteView out) override {
        now_ = now;
        Sealed s;
        if (sid != sid_) { s.status = Error::not_found; return s; }
        if (!session_ || session_->closing()) { s.status = Error::invalid_state; return s; }
        Result<std::size_t> n = session_->seal(now, static_cast<PayloadType>(p), inner, out);
        s.status = n.error;
        s.size = n.ok() ? n.value : 0;
        s.to = session_->address();
        return s;
    }

    Result<std::size_t> poll_datagram(MutableByteView out, PeerAddress& to) override {
        to = config_.server;
        if (failed_) {
            Result<std::size_t> n = failed_->poll_datagram(now_, out);
            if (!failed_->close_pending()) failed_.reset();
            if (!n.ok() || n.value > 0) return n;
        }
        if (handshake_) {
            Result<std::size_t> n = handshake_->poll_datagram(now_, out);
            if (!n.ok() || n.value > 0) return n;
        }
        if (session_) {
            Result<std::size_t> n = session_->poll_datagram(now_, out, to);
            drain_session_events(*session_);
            reap(now_);   // the last payload (the ACK of the server's DISCONNECT) is already written
            return n;
        }
        return {0, Error::ok};
    }

    TimeNs next_deadline() const override {
        TimeNs t = kNever;
        if (handshake_) t = std::min(t, handshake_->next_deadline());
        if (session_) t = std::min({t, session_->next_deadline(), session_->next_reverify()});
        return t;
    }

    void handle_timeout(TimeNs now) override {
        now_ = now;
        if (handshake_ && handshake_->next_deadline() <= now) {
            handshake_->on_timeout(now);
            after_handshake(now);
        }
        if (session_) {
            if (session_->next_reverify() <= now && verifier_) session_->reverify(now, *verifier_);
            if (session_->next_deadline() <= now) session_->handle_timeout(now);
            drain_session_events(*session_);
            reap(now);
        }
    }

    Error push_config(TimeNs now, SessionId sid, const ConfigPush&) override {
        now_ = now;
        return sid == sid_ ? Error::invalid_state : Error::not_found;   // only servers push configuration
    }
    Error ping(TimeNs now, SessionId sid, std::uint64_t token) override {
        now_ = now;
        if (sid != sid_) return Error::not_found;
        if (!session_) return Error::invalid_state;
        return session_->ping(now, token);
    }
    Error close(TimeNs now, SessionId sid, Error reason, std::string_view text) override {
        now_ = now;
        if (sid != sid_) return Error::not_found;
        if (session_) {
            session_->close(now, reason, text);
            drain_session_events(*session_);
        } else if (handshake_) {
            handshake_.reset();
            Event e;
            e.type = EventType::closed;
            e.session = sid_;
            e.reason = reason;
            e.text = std::string(text);
            push_event(std::move(e));
        }
        return Error::ok;
    }
    Error rekey(TimeNs now, SessionId sid) override {
        now_ = now;
        if (sid != sid_) return Error::not_found;
        if (!session_) return Error::invalid_state;
        return session_->start_rekey(now);
    }
    void reverify_certificates(TimeNs now) override {
        now_ = now;
        if (session_ && verifier_) {
            session_->reverify(now, *verifier_);
            drain_session_events(*session_);
        }
    }
    void set_verifier(TimeNs now, std::shared_ptr<const CertificateVerifier> v) override {
        verifier_ = std::move(v);
        reverify_certificates(now);
    }
    std::optional<SessionInfo> session_info(SessionId sid) const override {
        if (sid != sid_ || !session_) return std::nullopt;
        return info_of(*session_);
    }
    std::vector<SessionId> sessions() const override {
        if (session_) return {sid_};
        return {};
    }

private:
    void after_handshake(TimeNs now) {
        if (!handshake_) return;
        switch (handshake_->state()) {
        case ClientHandshake::State::established:
        case ClientHandshake::State::confirmed:
            if (!session_) start_session(now);
            if (handshake_->state() == ClientHandshake::State::confirmed) handshake_.reset();
            break;
        case ClientHandshake::State::failed: {
            Event e;
            e.type = EventType::closed;
            e.session = sid_;
            e.reason = handshake_->failure();
            e.text = handshake_->failure_text().empty() ? to_string(e.reason) : handshake_->failure_text();
            push_event(std::move(e));
            // Its CLOSE (certificate rejected, bad signature, ...) still goes out: the server learns
            // why (docs/rfc-draft.txt [HS-17]); a new attempt may start meanwhile.
            if (handshake_->close_pending()) failed_ = std::move(handshake_);
            handshake_.reset();
            break;
        }
        default: break;
        }
    }

    void start_session(TimeNs now) {
        const HandshakeResult& r = handshake_->result();
        SessionParams p = session_params(r, Role::client, config_.server);
        p.expected_name = config_.expected_server_name;
        session_ = std::make_unique<Session>(config_, *rng_, std::move(p), r.secrets, now);
        reset_token_ = r.reset_token;
        report_established(sid_, r, config_.server);
    }

    void reap(TimeNs) {
        if (session_ && session_->closed()) {
            drain_session_events(*session_);
            session_.reset();
            handshake_.reset();
            reset_token_.reset();
        }
    }

    ClientEndpointConfig config_;
    std::unique_ptr<ClientHandshake> failed_;   // a failed attempt whose CLOSE is not sent yet
    Identity identity_;
    std::shared_ptr<const CertificateVerifier> verifier_;
    std::shared_ptr<Rng> rng_;
    SessionId sid_ = 0;
    std::unique_ptr<ClientHandshake> handshake_;
    std::unique_ptr<Session> session_;
    std::optional<ResetToken> reset_token_;   // from the server's handshake, while session_ lives
};

}  // namespace

Result<std::unique_ptr<Endpoint>> Endpoint::make_client(ClientEndpointConfig config, Identity identity,
                                                        std::shared_ptr<const CertificateVerifier> verifier,
                                                           std::shared_ptr<Rng> rng) {
    if (!rng || !verifier || identity.chain.empty() || !identity.signer || validate(config))
        return {nullptr, Error::invalid_argument};
    auto ep = std::make_unique<ClientEndpoint>(config, std::move(identity), std::move(verifier), std::move(rng));
    return {std::move(ep), Error::ok};
}

}  // namespace udpvpn
