// SPDX-License-Identifier: GPL-3.0-or-later
// The server endpoint (docs/rfc-draft.txt, "Endpoints"): many half-open handshakes and sessions,
// demultiplexed by packet type and session ID; handshake objects until they complete, sessions
// afterwards.
#include "admission.hpp"
#include "cluster_key.hpp"
#include "conformance_fault_hooks.hpp"
#include "data_packet.hpp"
#include "endpoint_base.hpp"
#include "handshake.hpp"
#include "session.hpp"
#include "source_limits.hpp"
#include "stateless_reset.hpp"
#include "timer_queue.hpp"
#include "timer_rules.hpp"
#include "wire_format.hpp"

#include <udpvpn/endpoint.hpp>

#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace udpvpn {

namespace {

constexpr std::uint8_t kTypeInitial = static_cast<std::uint8_t>(PacketType::initial);
constexpr std::uint8_t kTypePad = static_cast<std::uint8_t>(PacketType::pad);
constexpr std::uint8_t kTypeHandshake = static_cast<std::uint8_t>(PacketType::handshake);

constexpr std::size_t kMaxStatelessQueue = 256;   // RETRY datagrams waiting to be polled

SessionId peek_sid(ByteView d) noexcept {
    if (d.size() < 5) return 0;
    return (SessionId{d[1]} << 24) | (SessionId{d[2]} << 16) | (SessionId{d[3]} << 8) | SessionId{d[4]};
}

// ServerEndpoint: many half-open handshakes and sessions, demultiplexed by session ID.
class ServerEndpoint final : public EndpointBase {
public:
    ServerEndpoint(const ServerEndpointConfig& c, Identity id, std::shared_ptr<const CertificateVerifier> v, std::shared_ptr<Rng> rng)
        : config_(c), identity_(std::move(id)), verifier_(std::move(v)), rng_(std::move(rng)),
          gate_(config_, *rng_), limits_(config_),
          reset_limit_(config_.cluster_key ? config_.stateless_reset_rate : 0) {}

    Result<SessionId> connect(TimeNs) override { return {0, Error::invalid_state}; }

    Received receive(TimeNs now, const PeerAddress& from, MutableByteView d) override {
        now_ = now;
        if (d.empty()) return drop(Error::malformed);
        const std::uint8_t type = d[0];
        if (is_data_type(type)) return receive_data(now, from, d);
        if ((type == kTypeInitial || type == kTypePad || type == kTypeHandshake) && d.size() > kMaxHandshakeDatagram) {
            // Larger than any handshake datagram a peer may send (§7): nothing is copied or decrypted.
            stats_.unvalidated.oversized++;
            return drop(Error::malformed);
        }
        UDPVPN_FAULT_DO(config_, version_unchecked, fault_any_version_is_1(config_, d));
        if (type == kTypeInitial || type == kTypePad) return receive_initial(now, from, d);
        if (type == kTypeHandshake) return receive_handshake(now, from, d);
        return drop(Error::malformed);
    }

    Sealed seal(TimeNs now, SessionId sid, InnerProtocol p, ByteView inner, MutableByteView out) override {
        now_ = now;
        Sealed s;
        auto it = sessions_.find(sid);
        if (it == sessions_.end()) { s.status = Error::not_found; return s; }
        Session& ses = *it->second.session;
        if (ses.closing() || ses.closed()) { s.status = Error::invalid_state; return s; }
        Result<std::size_t> n = ses.seal(now, static_cast<PayloadType>(p), inner, out);
        // Sealing only moves the keepalive later: the timer queue may keep the earlier deadline.
        // A key that reached its packet limit is rekeyed from poll_datagram(), at once.
        if (n.ok() && ses.want_rekey(now)) mark_ready(sid);
        s.status = n.error;
        s.size = n.ok() ? n.value : 0;
        s.to = ses.address();
        return s;
    }

    Result<std::size_t> poll_datagram(MutableByteView out, PeerAddress& to) override {
        if (!stateless_.empty()) {
            auto& [addr, bytes] = stateless_.front();
            if (out.size() < bytes.size()) return {bytes.size(), Error::buffer_too_small};
            std::copy(bytes.begin(), bytes.end(), out.begin());
            to = addr;
            const std::size_t n = bytes.size();
            stateless_.pop_front();
            return {n, Error::ok};
        }
        while (!ready_.empty()) {
            const SessionId sid = ready_.front();
            Result<std::size_t> n = poll_one(sid, out, to);
            retime(sid);
            if (!n.ok() || n.value > 0) return n;
            ready_.pop_front();
            ready_set_.erase(sid);
            // A session whose last payload has gone (the ACK of the client's DISCONNECT) is forgotten.
            if (auto l = sessions_.find(sid); l != sessions_.end() && l->second.session->closed()) forget(l);
        }
        return {0, Error::ok};
    }

    // The earliest deadline of all half-open handshakes and sessions, from the timer queues: the
    // entries the data path left early are corrected first (settle), so the result is exact.
    TimeNs next_deadline() const override {
        const TimeNs h = half_open_timers_.settle([this](SessionId sid) { return half_open_deadline(sid); });
        const TimeNs s = session_timers_.settle([this](SessionId sid) { return session_deadline(sid); });
        return std::min(h, s);
    }

    // Only the handshakes and sessions whose queued deadline has come are visited, each once: half-open
    // ones first, then sessions, each in deadline order.
    void handle_timeout(TimeNs now) override {
        now_ = now;
        take_due(half_open_timers_, now);
        for (SessionId sid : due_) {
            auto it = half_open_.find(sid);
            if (it == half_open_.end()) continue;
            ServerHandshake& hs = *it->second.handshake;
            if (hs.next_deadline() <= now) {
                hs.on_timeout(now);
                mark_ready(sid);
                if (hs.state() == ServerHandshake::State::failed) {
                    fail_half_open(sid);
                    continue;
                }
            }
            retime(sid);
        }
        take_due(session_timers_, now);
        for (SessionId sid : due_) {
            auto it = sessions_.find(sid);
            if (it == sessions_.end()) continue;
            Live& l = it->second;
            Session& s = *l.session;
            if (l.tail && l.tail_until <= now) l.tail.reset();
            if (s.next_reverify() <= now && verifier_) s.reverify(now, *verifier_);
            if (s.next_deadline() <= now) {
                s.handle_timeout(now);
                mark_ready(sid);
            }
            drain_session_events(s);
            if (s.closed()) forget(it);
            else retime(sid);
        }
        stats_.sessions = sessions_.size();
        stats_.half_open = half_open_.size();
    }

    Error push_config(TimeNs now, SessionId sid, const ConfigPush& c) override {
        now_ = now;
        auto it = sessions_.find(sid);
        if (it == sessions_.end()) return Error::not_found;
        const Error e = it->second.session->push_config(now, c);
        mark_ready(sid);
        retime(sid);
        return e;
    }
    Error ping(TimeNs now, SessionId sid, std::uint64_t token) override {
        now_ = now;
        auto it = sessions_.find(sid);
        if (it == sessions_.end()) return Error::not_found;
        const Error e = it->second.session->ping(now, token);
        mark_ready(sid);
        retime(sid);
        return e;
    }
    Error close(TimeNs now, SessionId sid, Error reason, std::string_view text) override {
        now_ = now;
        auto it = sessions_.find(sid);
        if (it == sessions_.end()) {
            auto h = half_open_.find(sid);
            if (h == half_open_.end()) return Error::not_found;
            by_eph_.erase(h->second.client_eph);   // else a stale index entry outlives the session
            limits_.release(now, h->second.from(), h->second.cookie);
            half_open_timers_.cancel(h->second.timer);
            half_open_.erase(h);
            stats_.half_open = half_open_.size();
            return Error::ok;
        }
        it->second.session->close(now, reason, text);
        drain_session_events(*it->second.session);
        mark_ready(sid);
        retime(sid);
        return Error::ok;
    }
    Error rekey(TimeNs now, SessionId sid) override {
        now_ = now;
        auto it = sessions_.find(sid);
        if (it == sessions_.end()) return Error::not_found;
        mark_ready(sid);
        const Error e = it->second.session->start_rekey(now);
        retime(sid);
        return e;
    }
    void reverify_certificates(TimeNs now) override {
        now_ = now;
        if (!verifier_) return;
        for (auto& [sid, l] : sessions_) {
            l.session->reverify(now, *verifier_);
            drain_session_events(*l.session);
            mark_ready(sid);
            retime(sid);
        }
    }
    void set_verifier(TimeNs now, std::shared_ptr<const CertificateVerifier> v) override {
        now_ = now;
        verifier_ = std::move(v);
        // Handshakes in flight take the new verifier too (§12.6): a client whose chain was accepted
        // before a CRL reload and that holds back its last flight is refused now, not established
        // later and cut off only at the next hourly re-check.
        std::vector<SessionId> refused;
        for (auto& [sid, h] : half_open_) {
            h.handshake->set_verifier(verifier_);
            if (h.handshake->state() == ServerHandshake::State::failed) refused.push_back(sid);
            else retime(sid);
        }
        for (SessionId sid : refused) fail_half_open(sid);
        stats_.half_open = half_open_.size();
        reverify_certificates(now);
    }
    std::optional<SessionInfo> session_info(SessionId sid) const override {
        auto it = sessions_.find(sid);
        if (it == sessions_.end()) return std::nullopt;
        SessionInfo i = info_of(*it->second.session);
        i.established_at = it->second.established_at;
        return i;
    }
    std::vector<SessionId> sessions() const override {
        std::vector<SessionId> v;
        v.reserve(sessions_.size());
        for (const auto& [sid, l] : sessions_) v.push_back(sid);
        return v;
    }

private:
    struct HalfOpen {
        std::unique_ptr<ServerHandshake> handshake;
        // The address of its INITIAL, where it stays (kept once, in the handshake).
        const PeerAddress& from() const noexcept { return handshake->peer_address(); }
        bool cookie = false;   // opened with a valid cookie: counted as proven in limits_
        std::array<std::uint8_t, 32> client_eph{};
        std::vector<Bytes> early;   // DATA that arrived before the client was authenticated
        TimerQueue::Handle timer;   // in half_open_timers_
    };
    struct Live {
        std::unique_ptr<Session> session;
        std::unique_ptr<ServerHandshake> tail;   // re-acknowledges a retransmitted client flight
        TimeNs tail_until = 0;
        TimeNs established_at = 0;
        TimerQueue::Handle timer;   // in session_timers_
    };

    Received refuse(std::uint64_t& reason) {
        reason++;
        return drop(Error::rate_limited);
    }

    void mark_ready(SessionId sid) {
        if (ready_set_.insert(sid).second) ready_.push_back(sid);
    }

    // --- timers: every half-open handshake and session has one entry, its earliest deadline, in a
    // queue of its kind. Whatever may move a deadline earlier calls retime(); the data path, which
    // only moves deadlines later (keepalive, dead peer) or starts a rekey, uses retime_earlier().
    TimeNs half_open_deadline(SessionId sid) const {
        auto it = half_open_.find(sid);
        return it == half_open_.end() ? kNever : it->second.handshake->next_deadline();
    }
    static TimeNs live_deadline(const Live& l) {
        const TimeNs t = std::min(l.session->next_deadline(), l.session->next_reverify());
        return l.tail ? std::min(t, l.tail_until) : t;
    }
    TimeNs session_deadline(SessionId sid) const {
        auto it = sessions_.find(sid);
        return it == sessions_.end() ? kNever : live_deadline(it->second);
    }
    void retime(SessionId sid) {
        if (auto h = half_open_.find(sid); h != half_open_.end())
            half_open_timers_.schedule(h->second.timer, h->second.handshake->next_deadline());
        else if (auto l = sessions_.find(sid); l != sessions_.end())
            session_timers_.schedule(l->second.timer, live_deadline(l->second));
    }
    void retime_earlier(Live& l) { session_timers_.schedule_earlier(l.timer, live_deadline(l)); }
    // Moves the entries due at `now` out of `q` into due_, so that each is visited once even if it
    // is due again at once (a control frame waiting for poll_datagram() has deadline 0).
    void take_due(TimerQueue& q, TimeNs now) {
        due_.clear();
        while (!q.empty() && q.earliest() <= now) {
            due_.push_back(q.earliest_id());
            q.pop();
        }
    }
    void forget(std::unordered_map<SessionId, Live>::iterator it) {
        session_timers_.cancel(it->second.timer);
        sessions_.erase(it);
        stats_.sessions = sessions_.size();
    }

    // A free session ID under our route byte, or 0 after kSidTries random draws found none (the
    // 2^24 - 1 IDs of the route byte nearly all taken, or a broken Rng): the caller refuses the
    // INITIAL instead of looping for ever. With half the IDs taken, 0 comes once in 2^32 tries.
    static constexpr int kSidTries = 32;
    SessionId new_sid() {
        for (int i = 0; i < kSidTries; ++i) {
            std::uint8_t b[3];
            rng_->fill(b);
            const SessionId sid = (SessionId{config_.server_id} << 24) | (SessionId{b[0]} << 16) |
                                  (SessionId{b[1]} << 8) | b[2];
            if ((sid & 0x00FFFFFFu) == 0) continue;
            if (!sessions_.count(sid) && !half_open_.count(sid)) return sid;
        }
        return 0;
    }

    Result<std::size_t> poll_one(SessionId sid, MutableByteView out, PeerAddress& to) {
        if (auto h = half_open_.find(sid); h != half_open_.end()) {
            to = h->second.from();
            Result<std::size_t> n = h->second.handshake->poll_datagram(now_, out);
            if (h->second.handshake->take_held_back()) stats_.unvalidated.over_budget++;
            return n;
        }
        if (auto l = sessions_.find(sid); l != sessions_.end()) {
            to = l->second.session->address();
            if (l->second.tail) {
                Result<std::size_t> n = l->second.tail->poll_datagram(now_, out);
                if (!n.ok() || n.value > 0) return n;
            }
            Result<std::size_t> n = l->second.session->poll_datagram(now_, out, to);
            drain_session_events(*l->second.session);
            return n;
        }
        return {0, Error::ok};
    }

    Received receive_initial(TimeNs now, const PeerAddress& from, MutableByteView d) {
        std::uint8_t retry[128];
        AdmissionGate::Verdict v = gate_.classify(now, from, d, half_open_.size(), retry);
        if (v.kind == AdmissionGate::Verdict::retry && by_eph_.count(v.client_eph_pub)) {
            // Already half-open: a retransmitted INITIAL goes to its handshake, not to a new RETRY.
            v.kind = AdmissionGate::Verdict::accept;
        }
        switch (v.kind) {
        case AdmissionGate::Verdict::drop:
            if (v.has_cookie && v.reason == Error::bad_tag) stats_.unvalidated.bad_cookie++;
            if (v.reason == Error::rate_limited) stats_.unvalidated.table_full++;
            return drop(v.reason);
        case AdmissionGate::Verdict::retry:
            queue_retry(from, ByteView(retry, v.retry_size));
            return {};
        case AdmissionGate::Verdict::pad:
        case AdmissionGate::Verdict::accept: {
            auto known = by_eph_.find(v.client_eph_pub);
            if (known != by_eph_.end()) {
                auto h = half_open_.find(known->second);
                if (h == half_open_.end() || !(h->second.from() == from)) return drop(Error::unexpected_packet);
                // The gate has checked a PAD's MAC and parsed it: the handshake only counts it.
                ServerHandshake& hs = *h->second.handshake;
                const Error e = v.kind == AdmissionGate::Verdict::pad ? hs.on_pad(v.client_sid, v.client_eph_pub, d.size())
                                                                      : hs.on_datagram(now, d);
                mark_ready(known->second);
                return after_half_open(now, known->second, e);
            }
            if (v.kind == AdmissionGate::Verdict::pad) return drop(Error::unexpected_packet);
            return open_half_open(now, from, d, v);
        }
        }
        return drop(Error::malformed);
    }

    // A valid INITIAL of a client we hold nothing for: a new half-open session, unless a limit says no.
    Received open_half_open(TimeNs now, const PeerAddress& from, MutableByteView d, const AdmissionGate::Verdict& v) {
        if (half_open_.size() >= config_.max_half_open ||
            sessions_.size() + half_open_.size() >= config_.max_sessions) {
            stats_.unvalidated.table_full++;
            return drop(Error::rate_limited);
        }
        if (std::optional<Received> refused = admit_source(now, from, v)) return *refused;
        const SessionId sid = new_sid();
        if (sid == 0) {
            limits_.release(now, from, v.cookie_valid, true);
            stats_.unvalidated.no_session_id++;
            return drop(Error::rate_limited);
        }
        HalfOpen h;
        h.handshake = std::make_unique<ServerHandshake>(config_, identity_, verifier_, *rng_, sid, v, d, from, now);
        h.timer.id = sid;
        h.cookie = v.cookie_valid;
        h.client_eph = v.client_eph_pub;
        by_eph_[v.client_eph_pub] = sid;
        half_open_.emplace(sid, std::move(h));
        stats_.half_open = half_open_.size();
        mark_ready(sid);
        return after_half_open(now, sid, Error::ok);
    }

    // Per-host and per-prefix limits (§10.4): over one, a source without a cookie is asked for one
    // (RETRY, no state), a source with a cookie is refused; and a cookie opens one half-open session
    // only (§10.3). nullopt: admitted, its slot in limits_ taken; else what receive() returns.
    std::optional<Received> admit_source(TimeNs now, const PeerAddress& from, const AdmissionGate::Verdict& v) {
        switch (limits_.admit(now, from, v.cookie_valid)) {
        case SourceLimits::Verdict::open: break;
        case SourceLimits::Verdict::retry: {
            if (UDPVPN_FAULT(config_, cookie_never_required)) break;   // opens, uncounted
            std::uint8_t retry[128];
            if (const std::size_t n = gate_.retry(now, from, v.client_sid, v.client_eph_pub, retry); n > 0)
                queue_retry(from, ByteView(retry, n));
            return Received{};
        }
        case SourceLimits::Verdict::source_half_open: return refuse(stats_.unvalidated.source_half_open);
        case SourceLimits::Verdict::prefix_half_open: return refuse(stats_.unvalidated.prefix_half_open);
        case SourceLimits::Verdict::source_rate: return refuse(stats_.unvalidated.source_rate);
        case SourceLimits::Verdict::prefix_rate: return refuse(stats_.unvalidated.prefix_rate);
        case SourceLimits::Verdict::table_full: return refuse(stats_.unvalidated.table_full);
        }
        if (!v.cookie_valid) return std::nullopt;
        // A captured cookie-bearing INITIAL replayed while the cookie lives opens nothing.
        switch (gate_.claim_cookie(v.cookie)) {
        case CookieJar::Claim::first: return std::nullopt;
        case CookieJar::Claim::replayed:
            limits_.release(now, from, true, true);
            stats_.unvalidated.replayed_cookie++;
            return drop(Error::replayed);
        case CookieJar::Claim::full:
            limits_.release(now, from, true, true);
            stats_.unvalidated.table_full++;
            return drop(Error::rate_limited);
        }
        return std::nullopt;
    }

    // A RETRY for `to`, unless the queue of stateless datagrams is full.
    void queue_retry(const PeerAddress& to, ByteView retry) {
        if (stateless_.size() >= kMaxStatelessQueue) return;
        stateless_.emplace_back(to, Bytes(retry.begin(), retry.end()));
        stats_.retries_sent++;
    }

    Received receive_handshake(TimeNs now, const PeerAddress& from, MutableByteView d) {
        const SessionId sid = peek_sid(d);
        if (auto h = half_open_.find(sid); h != half_open_.end()) {
            // A half-open session stays at the address of its INITIAL (§10.2): a packet from anywhere
            // else is not processed at all, however well it decrypts. Whoever holds the handshake keys
            // can send from a forged source, so no such packet may validate that source, move the
            // flight there or (as an ACK) keep the retransmission timer short.
            if (!(h->second.from() == from) && !UDPVPN_FAULT(config_, half_open_address_unchecked)) {
                stats_.unvalidated.wrong_address++;
                return drop(Error::unexpected_packet);
            }
            const Error e = h->second.handshake->on_datagram(now, d);
            mark_ready(sid);
            return after_half_open(now, sid, e);
        }
        if (auto l = sessions_.find(sid); l != sessions_.end() && l->second.tail) {
            const Error e = l->second.tail->on_datagram(now, d);
            mark_ready(sid);
            if (error_class(e) == ErrorClass::drop) return drop(e);
            return {};
        }
        return drop(Error::unknown_session);
    }

    Received receive_data(TimeNs now, const PeerAddress& from, MutableByteView d) {
        Result<DataHeader> h = parse_data_header(d);
        if (!h) return drop(h.error);
        const SessionId sid = h.value.dst_sid;
        if (auto l = sessions_.find(sid); l != sessions_.end()) {
            bool path_check = false;
            Received r = open_data_for(now, *l->second.session, from, h.value, d, &path_check);
            if (r.status == Error::ok) l->second.tail.reset();   // the client saw our ack: flight done
            // Only control payloads and a new address to challenge make the session owe a datagram
            // (an ACK, a PONG, a PATH_CHALLENGE); an ordinary inner packet never does, and keeping
            // this path free of bookkeeping keeps it allocation-free.
            if (!r.has_inner || path_check) mark_ready(sid);
            if (l->second.session->closed()) forget(l);
            else retime_earlier(l->second);
            return r;
        }
        if (auto ho = half_open_.find(sid); ho != half_open_.end()) {
            // Early data: the client may send right after its flight; keep a bounded few until its
            // FINISHED is verified (docs/rfc-draft.txt, "Early data"), only from the INITIAL's address
            // and no larger than the largest datagram we send (16 x 1452 bytes at most per half-open).
            // DATA may overtake the client's first HANDSHAKE packet, so validation is not required.
            if (!(ho->second.from() == from) || d.size() > largest_datagram(config_) ||
                ho->second.early.size() >= config_.early_data_limit) {
                stats_.inner_dropped.early_refused++;
                return drop(Error::unexpected_packet);
            }
            ho->second.early.emplace_back(d.begin(), d.end());
            Received r;
            r.session = sid;
            return r;
        }
        send_stateless_reset(now, from, sid, d.size());
        return drop(Error::unknown_session);
    }

    // Section 10.5: DATA for a session we do not know (its server died, or we restarted). Only with
    // a cluster key, smaller than the trigger, and at most stateless_reset_rate per second.
    void send_stateless_reset(TimeNs now, const PeerAddress& to, SessionId sid, std::size_t trigger_size) {
        if (!config_.cluster_key || trigger_size <= kMinResetSize || stateless_.size() >= kMaxStatelessQueue) return;
        if (!reset_limit_.take(now)) {
            stats_.resets_rate_limited++;
            return;
        }
        std::uint8_t out[kMaxResetSize];
        const std::size_t n = write_stateless_reset(stateless_reset_token(*config_.cluster_key, sid), trigger_size, *rng_, out);
        if (n == 0) return;
        stateless_.emplace_back(to, Bytes(out, out + n));
        stats_.resets_sent++;
    }

    Received after_half_open(TimeNs now, SessionId sid, Error e) {
        auto it = half_open_.find(sid);
        if (it == half_open_.end()) return {};
        ServerHandshake& hs = *it->second.handshake;
        if (hs.state() == ServerHandshake::State::complete) complete_half_open(now, sid);
        else if (hs.state() == ServerHandshake::State::failed) fail_half_open(sid);
        else retime(sid);
        stats_.half_open = half_open_.size();
        stats_.sessions = sessions_.size();
        if (error_class(e) == ErrorClass::drop) return drop(e);
        Received r;
        r.session = sid;
        return r;
    }

    void complete_half_open(TimeNs now, SessionId sid) {
        auto node = half_open_.extract(sid);
        HalfOpen& h = node.mapped();
        half_open_timers_.cancel(h.timer);
        by_eph_.erase(h.client_eph);
        limits_.release(now, h.from(), h.cookie);
        const HandshakeResult& r = h.handshake->result();
        Live l;
        l.session = std::make_unique<Session>(config_, *rng_, session_params(r, Role::server, h.from()), r.secrets, now);
        l.established_at = now;
        l.timer.id = sid;
        report_established(sid, r, h.from());
        for (Bytes& early : h.early) {
            Result<DataHeader> dh = parse_data_header(early);
            Session::Opened o;
            if (dh) o = l.session->open(now, h.from(), dh.value, early);
            if (!dh || o.status != Error::ok) {
                stats_.inner_dropped.early_unopened++;
                continue;
            }
            if (is_inner(o.payload) && !o.plaintext.empty())
                queue_inner(sid, static_cast<InnerProtocol>(o.payload), o.plaintext);
        }
        drain_session_events(*l.session);
        l.tail = std::move(h.handshake);
        l.tail_until = handshake_tail_end(config_.timers, now);
        sessions_.emplace(sid, std::move(l));
        retime(sid);
        mark_ready(sid);
    }

    void fail_half_open(SessionId sid) {
        auto it = half_open_.find(sid);
        if (it == half_open_.end()) return;
        ServerHandshake& hs = *it->second.handshake;
        Event e;
        e.type = EventType::closed;
        e.session = sid;
        e.reason = hs.failure();
        e.text = hs.failure_text().empty() ? to_string(e.reason) : hs.failure_text();
        e.peer.common_name = hs.refused_peer_name();   // unverified: names the client in the log
        e.address = it->second.from();
        // A handshake that never got past address validation is noise (scans, spoofing): only
        // report failures from peers that proved their address.
        if (hs.address_validated() || e.reason != Error::handshake_timeout) push_event(std::move(e));
        by_eph_.erase(it->second.client_eph);
        // Whatever the handshake still owes the client (a refusing SERVER_HELLO, the encrypted
        // CLOSE with the reason) goes out before the state is dropped; the handshake's own
        // poll_datagram() keeps the 3x limit for unvalidated addresses.
        std::uint8_t buf[kMaxDatagram];
        for (int i = 0; i < 4 && stateless_.size() < kMaxStatelessQueue; ++i) {
            Result<std::size_t> n = hs.poll_datagram(now_, buf);
            if (!n.ok() || n.value == 0) break;
            stateless_.emplace_back(it->second.from(), Bytes(buf, buf + n.value));
        }
        limits_.release(now_, it->second.from(), it->second.cookie);
        half_open_timers_.cancel(it->second.timer);
        half_open_.erase(it);
    }

    ServerEndpointConfig config_;
    Identity identity_;
    std::shared_ptr<const CertificateVerifier> verifier_;
    std::shared_ptr<Rng> rng_;
    AdmissionGate gate_;
    SourceLimits limits_;
    ResetRateLimit reset_limit_;
    std::unordered_map<SessionId, HalfOpen> half_open_;
    std::map<std::array<std::uint8_t, 32>, SessionId> by_eph_;
    std::unordered_map<SessionId, Live> sessions_;
    std::deque<SessionId> ready_;
    std::unordered_set<SessionId> ready_set_;
    std::deque<std::pair<PeerAddress, Bytes>> stateless_;
    // Mutable: next_deadline() corrects entries left early, which changes no observable state.
    mutable TimerQueue half_open_timers_, session_timers_;
    std::vector<SessionId> due_;   // handle_timeout()'s scratch list, kept to reuse its memory
};

}  // namespace

Result<std::unique_ptr<Endpoint>> Endpoint::make_server(ServerEndpointConfig config, Identity identity,
                                                        std::shared_ptr<const CertificateVerifier> verifier,
                                                           std::shared_ptr<Rng> rng) {
    if (!rng || !verifier || identity.chain.empty() || !identity.signer || validate(config))
        return {nullptr, Error::invalid_argument};
    auto ep = std::make_unique<ServerEndpoint>(config, std::move(identity), std::move(verifier), std::move(rng));
    return {std::move(ep), Error::ok};
}

}  // namespace udpvpn
