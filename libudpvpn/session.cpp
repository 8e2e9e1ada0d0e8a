// SPDX-License-Identifier: GPL-3.0-or-later
#include "session.hpp"

#include "control_messages.hpp"
#include "timer_rules.hpp"
#include "wire_format.hpp"

#include <udpvpn/rng.hpp>

#include <sodium.h>

#include <algorithm>

namespace udpvpn {

namespace {

constexpr std::uint8_t kMsgConfig = ctrl_msg::config;
constexpr std::uint8_t kMsgPing = ctrl_msg::ping;
constexpr std::uint8_t kMsgPong = ctrl_msg::pong;
constexpr std::uint8_t kMsgDisconnect = ctrl_msg::disconnect;
constexpr std::uint8_t kMsgRekeyInit = ctrl_msg::rekey_init;
constexpr std::uint8_t kMsgRekeyResp = ctrl_msg::rekey_resp;

// The longest prefix of `text` that is valid UTF-8 and fits a DISCONNECT.
std::string disconnect_text(std::string_view text) {
    std::string t(text.substr(0, kMaxDisconnectText));
    while (!t.empty() && !is_valid_utf8(t)) t.pop_back();
    return t;
}

// The peer's DISCONNECT text ends up in our event text and from there in logs: control characters
// (a newline forging a log line, terminal escapes) become '?'. UTF-8 beyond ASCII is kept.
std::string loggable(std::string text) {
    for (char& c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) c = '?';
    }
    return text;
}

// Path validation: an unvalidated address is sent at most this many times what it sent us, and is
// challenged at most kPathTries times (control_rto, doubling) before the check is given up.
constexpr std::uint64_t kPathAmplification = 3;
constexpr std::uint8_t kPathTries = 5;
constexpr std::size_t kPathChallengeDatagram = ControlChannel::kPathFrameSize + kDataOverhead;

TimeNs min_time(TimeNs a, TimeNs b) { return a < b ? a : b; }

}  // namespace

AeadLimits aead_limits(Suite suite, const CommonConfig& c) noexcept {
    // QUIC's analysis (RFC 9001 §6.6): AES-GCM confidentiality 2^23 packets, integrity 2^52 forgeries;
    // ChaCha20-Poly1305 integrity 2^36 forgeries. We rekey at half the hard limit.
    AeadLimits l{};
    if (suite == Suite::aes256_gcm) {
        l.rekey_after_packets = 1ull << 22;
        l.reject_after_packets = 1ull << 23;
        l.max_failed_opens = 1ull << 52;
    } else {
        l.rekey_after_packets = 1ull << 40;
        l.reject_after_packets = 1ull << 60;
        l.max_failed_opens = 1ull << 36;
    }
    if (c.rekey_after_packets) l.rekey_after_packets = c.rekey_after_packets;
    if (c.reject_after_packets) l.reject_after_packets = c.reject_after_packets;
    if (l.rekey_after_packets >= l.reject_after_packets) l.rekey_after_packets = l.reject_after_packets / 2;
    return l;
}

Session::Session(const CommonConfig& config, Rng& rng, SessionParams params, const DataSecrets& secrets, TimeNs now)
    : config_(config), rng_(rng), limits_(aead_limits(params.suite, config)), local_sid_(params.local_sid),
      peer_sid_(params.peer_sid), suite_(params.suite), role_(params.role), address_(params.address),
      params_(std::make_unique<SessionParams>(std::move(params))) {
    const bool client = role_ == Role::client;
    send_.install(suite_, client ? secrets.client_data : secrets.server_data, 0, now);
    current_.install(suite_, client ? secrets.server_data : secrets.client_data, 0, kNever);
    rekey_secret_ = secrets.rekey;
    created_ = last_sent_ = last_received_ = last_handshake_ = now;
    next_reverify_ = next_reverify_time(config_.timers, now);
    inner_mtu_ = static_cast<std::uint16_t>(inner_for_datagram(config_.max_datagram));
    control_ = std::make_unique<ControlChannel>(config_.timers);
    path_ = std::make_unique<PathCheck>();
    const std::size_t probe_to = largest_datagram(config_);
    if (role_ == Role::client && probe_to > config_.max_datagram) {
        pmtu_ = std::make_unique<PmtuProbe>();
        pmtu_->start(now, config_.max_datagram, static_cast<std::uint16_t>(probe_to));
    }
}

void Session::on_probe_acks() {
    // Probe IDs are the probed datagram sizes, so an acknowledgement needs no bookkeeping here.
    while (auto ack = control_->poll_probe_ack()) {
        if (!pmtu_) continue;
        const std::uint16_t before = pmtu_->result();
        pmtu_->on_ack(static_cast<std::uint16_t>(ack->first));
        if (pmtu_->result() > before) {
            inner_mtu_ = static_cast<std::uint16_t>(inner_for_datagram(pmtu_->result()));
            Event e;
            e.type = EventType::mtu_changed;
            e.mtu = inner_mtu_;
            emit(std::move(e));
        }
    }
}

void Session::start_path_check(TimeNs now, const PeerAddress& from, std::size_t datagram_size) {
    // A check of another address is replaced: budgets never carry over from one address to another.
    *path_ = PathCheck{};
    path_->active = true;
    path_->candidate = from;
    rng_.fill(path_->token);
    path_->received = datagram_size;
    path_->next_send = now;
}

void Session::on_path_responses(Opened& r) {
    while (auto token = control_->poll_path_response()) {
        if (!path_->active || sodium_memcmp(token->data(), path_->token.data(), path_->token.size()) != 0) continue;
        // The peer received our challenge at the candidate address: the session moves there, and the
        // old path is abandoned.
        address_ = path_->candidate;
        params_->address = address_;
        *path_ = PathCheck{};
        r.address_changed = true;
        Event e;
        e.type = EventType::address_changed;
        e.address = address_;
        emit(std::move(e));
    }
}

bool Session::path_challenge_allowed() const noexcept {
    return path_->active && path_->tries < kPathTries &&
           path_->sent + kPathChallengeDatagram <= kPathAmplification * path_->received;
}

Result<std::size_t> Session::poll_path_challenge(TimeNs now, MutableByteView out, PeerAddress& to) {
    if (!path_challenge_allowed() || now < path_->next_send) return {0, Error::ok};
    MutableByteView body = out.subspan(kDataHeaderSize, out.size() - kDataOverhead);
    const std::size_t n = write_path_challenge(path_->token, body);
    if (n == 0) return {0, Error::ok};
    Result<std::size_t> sealed = seal(now, PayloadType::control, body.first(n), out);
    if (!sealed) return sealed;
    path_->sent += sealed.value;
    path_->next_send = next_path_challenge(config_.timers, now, path_->tries);
    path_->tries++;
    to = path_->candidate;
    return sealed;
}

void Session::emit(Event e) {
    e.session = local_sid_;
    events_.push_back(std::move(e));
}

std::optional<Event> Session::poll_event() {
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.erase(events_.begin());
    return e;
}

Session::Opened Session::open(TimeNs now, const PeerAddress& from, const DataHeader& h, MutableByteView datagram) {
    Opened r;
    if (closed_) { r.status = Error::unknown_session; return r; }
    ReceiveKey* key = nullptr;
    if (current_.valid && (current_.epoch & 1u) == h.key_phase) key = &current_;
    else if (other_.valid && (other_.epoch & 1u) == h.key_phase) key = &other_;
    if (!key) { r.status = Error::stale_key; return r; }
    if (key->expires != kNever && now >= key->expires) {
        key->discard();
        r.status = Error::stale_key;
        return r;
    }
    if (!key->window.check(h.counter) && !UDPVPN_FAULT(config_, replay_check_off)) { r.status = Error::replayed; return r; }
    Result<ByteView> pt = open_data(key->aead, h, datagram);
    if (!pt) {
        // Integrity limit: too many forgeries against one key and the key must go.
        if (++key->failed_opens >= limits_.max_failed_opens) finish_close(Error::key_exhausted, "integrity limit");
        r.status = pt.error;
        return r;
    }
    // Only a packet newer than any seen on the current key may move the session (a replay cannot).
    const bool newest = key == &current_ && h.counter >= current_.window.next_expected();
    key->window.commit(h.counter);
    last_received_ = now;
    counters_.rx_packets++;
    counters_.rx_bytes += pt.value.size();

    if (key == &other_ && pending_.active && !pending_.we_initiated && other_.epoch == pending_.epoch) {
        // First packet under the next epoch: the peer has switched, so we switch too.
        promote_next_epoch(now);
    }
    // A new address is not used before it proves it can receive (a client could otherwise send its
    // own DATA from a victim's address and steer its downstream there): only bytes it sent count.
    if (path_->active && from == path_->candidate) path_->received += datagram.size();
    else if (newest && !(from == address_)) {
        start_path_check(now, from, datagram.size());
        r.path_check_started = true;
    }
    r.payload = h.payload;
    r.plaintext = pt.value;
    if (h.payload == PayloadType::control) {
        if (control_->on_payload(now, pt.value) != Error::ok) {
            r.status = Error::malformed;
            return r;
        }
        while (auto m = control_->poll_message()) handle_control_message(now, m->type, m->body);
        on_probe_acks();
        on_path_responses(r);
        // Our DISCONNECT is acknowledged: nothing is left to deliver, the session goes now.
        if (closing_ && !final_ack_ && !control_->has_unacked()) finish_close(close_reason_, {});
    }
    return r;
}

Result<std::size_t> Session::seal(TimeNs now, PayloadType payload, ByteView plaintext, MutableByteView out) {
    if (closed_ || !send_.valid) return {0, Error::invalid_state};
    if (key_exhausted(config_.timers, send_.created, send_.next_counter, limits_.reject_after_packets, now))
        return {0, Error::key_exhausted};
    DataHeader h;
    h.key_phase = static_cast<std::uint8_t>(send_.epoch & 1u);
    h.payload = payload;
    h.dst_sid = peer_sid_;
    h.counter = send_.next_counter;
    Result<std::size_t> n = seal_data(send_.aead, h, plaintext, out);
    if (!n) return n;
    send_.next_counter++;
    last_sent_ = now;
    counters_.tx_packets++;
    counters_.tx_bytes += plaintext.size();
    return n;
}

Error Session::send_control(TimeNs now, std::uint8_t msg_type, ByteView body) {
    if (closed_ || closing_) return Error::invalid_state;
    return control_->send(now, msg_type, body);
}

Error Session::ping(TimeNs now, std::uint64_t token) {
    return send_control(now, kMsgPing, encode_ping_token(token));
}

Error Session::push_config(TimeNs now, const ConfigPush& config) {
    if (role_ != Role::server) return Error::invalid_state;   // only servers push configuration
    return send_control(now, kMsgConfig, encode_config_push(config));
}

bool Session::want_rekey(TimeNs now) const noexcept {
    if (pending_.active || closing_ || closed_) return false;
    return rekey_due(config_.timers, role_, send_.created, send_.next_counter, limits_.rekey_after_packets, now);
}

Error Session::start_rekey(TimeNs now) {
    if (closed_ || closing_) return Error::invalid_state;
    if (pending_.active) return Error::ok;
    pending_.active = true;
    pending_.we_initiated = true;
    pending_.epoch = send_.epoch + 1;
    pending_.secrets = std::make_unique<PendingSecrets>();
    rng_.fill(pending_.secrets->eph_private.expose_mut());
    RekeyMessage init;
    init.epoch = pending_.epoch;
    x25519_public(pending_.secrets->eph_private, init.eph_pub);
    return control_->send(now, kMsgRekeyInit, encode_rekey(init));
}

void Session::on_rekey_init(TimeNs now, ByteView body) {
    const Result<RekeyMessage> init = decode_rekey(body);
    if (!init || init.value.epoch != send_.epoch + 1) return fail_protocol(now, "bad REKEY_INIT");
    const std::uint32_t epoch = init.value.epoch;
    if (pending_.active && pending_.we_initiated) {
        // Both sides started a rekey: the client's wins (docs/rfc-draft.txt, "Rekey").
        if (role_ == Role::client) return;
        pending_ = PendingRekey{};
    }
    Secret32 eph;
    rng_.fill(eph.expose_mut());
    RekeyMessage resp;
    resp.epoch = epoch;
    x25519_public(eph, resp.eph_pub);
    Secret32 shared;
    if (!x25519(eph, init.value.eph_pub, shared)) return fail_protocol(now, "bad rekey key");
    DataSecrets next = derive_rekey_secrets(rekey_secret_, shared, epoch);
    const bool client = role_ == Role::client;
    // Receive under the next epoch from now on; keep sending under the current one until the peer
    // shows it switched (no packet is lost to the rekey).
    other_.install(suite_, client ? next.server_data : next.client_data, epoch, kNever);
    pending_.active = true;
    pending_.we_initiated = false;
    pending_.epoch = epoch;
    pending_.secrets = std::make_unique<PendingSecrets>();
    pending_.secrets->next_send_traffic = client ? next.client_data : next.server_data;
    pending_.secrets->next_rekey_secret = next.rekey;
    control_->send(now, kMsgRekeyResp, encode_rekey(resp));
}

void Session::on_rekey_resp(TimeNs now, ByteView body) {
    const Result<RekeyMessage> resp = decode_rekey(body);
    if (!resp) return fail_protocol(now, "bad REKEY_RESP");
    const std::uint32_t epoch = resp.value.epoch;
    if (!pending_.active || !pending_.we_initiated || epoch != pending_.epoch) return;  // stale: ignore
    Secret32 shared;
    if (!x25519(pending_.secrets->eph_private, resp.value.eph_pub, shared)) return fail_protocol(now, "bad rekey key");
    DataSecrets next = derive_rekey_secrets(rekey_secret_, shared, epoch);
    const bool client = role_ == Role::client;
    // The old receive key stays for the grace period: packets already in flight still open.
    std::swap(current_, other_);
    other_.expires = previous_key_expiry(config_.timers, now);
    current_.install(suite_, client ? next.server_data : next.client_data, epoch, kNever);
    send_.install(suite_, client ? next.client_data : next.server_data, epoch, now);
    rekey_secret_ = next.rekey;
    pending_ = PendingRekey{};
    report_rekeyed(now, epoch);
}

void Session::report_rekeyed(TimeNs now, std::uint32_t epoch) {
    last_handshake_ = now;
    // A CRL loaded since, or a certificate expired mid-session, ends the session at the next rekey
    // at the latest (the endpoint re-verifies when next_reverify() is due: at once).
    if (config_.reverify_on_rekey) next_reverify_ = now;
    Event e;
    e.type = EventType::rekeyed;
    e.epoch = epoch;
    emit(std::move(e));
}

void Session::promote_next_epoch(TimeNs now) {
    std::swap(current_, other_);
    other_.expires = previous_key_expiry(config_.timers, now);
    send_.install(suite_, pending_.secrets->next_send_traffic, pending_.epoch, now);
    rekey_secret_ = pending_.secrets->next_rekey_secret;
    const std::uint32_t epoch = pending_.epoch;
    pending_ = PendingRekey{};
    report_rekeyed(now, epoch);
}

void Session::handle_control_message(TimeNs now, std::uint8_t type, ByteView body) {
    switch (type) {
    case kMsgConfig: {
        if (role_ != Role::client) return fail_protocol(now, "CONFIG from a client");
        Result<ConfigPush> c = decode_config_push(body);
        if (!c) return fail_protocol(now, "malformed CONFIG");
        if (c.value.mtu) inner_mtu_ = std::min<std::uint16_t>(inner_mtu_, *c.value.mtu);
        Event e;
        e.type = EventType::config_received;
        e.config = std::move(c.value);
        emit(std::move(e));
        return;
    }
    case kMsgPing:
        control_->send(now, kMsgPong, body);
        return;
    case kMsgPong: {
        Result<std::uint64_t> token = decode_ping_token(body);
        if (!token) return;   // a malformed PONG is ignored: it carries no state
        Event e;
        e.type = EventType::pong;
        e.token = token.value;
        emit(std::move(e));
        return;
    }
    case kMsgDisconnect: {
        Result<Disconnect> d = decode_disconnect(body);
        if (!d) return on_peer_disconnect(now, "peer closed (malformed reason)");
        std::string t = std::string("peer closed (") + close_code_name(d.value.code) + ")";
        if (!d.value.text.empty()) t += ": " + loggable(std::move(d.value.text));
        return on_peer_disconnect(now, std::move(t));
    }
    case kMsgRekeyInit: return on_rekey_init(now, body);
    case kMsgRekeyResp: return on_rekey_resp(now, body);
    default: {
        Event e;
        e.type = EventType::control_message;
        e.token = type;
        e.text.assign(body.begin(), body.end());
        emit(std::move(e));
        return;
    }
    }
}

void Session::finish_close(Error reason, std::string text) {
    if (closed_) return;
    closed_ = true;
    const bool reported = close_reported_;
    close_reported_ = true;
    close_reason_ = reason;
    send_.discard();
    current_.discard();
    other_.discard();
    rekey_secret_.wipe();
    pending_ = PendingRekey{};
    if (reported) return;
    Event e;
    e.type = EventType::closed;
    e.reason = reason;
    e.text = text.empty() ? to_string(reason) : std::move(text);
    emit(std::move(e));
}

void Session::on_peer_disconnect(TimeNs now, std::string text) {
    // The session is over for the caller at once; one last CONTROL payload carries the ACK of the
    // DISCONNECT, so that the peer forgets the session now instead of after its 2 s linger
    // (docs/rfc-draft.txt, "Closing a Session"). Nothing else is sent or accepted meanwhile.
    if (!close_reported_) {
        close_reported_ = true;
        Event e;
        e.type = EventType::closed;
        e.reason = Error::peer_closed;
        e.text = std::move(text);
        emit(std::move(e));
    }
    close_reason_ = Error::peer_closed;
    final_ack_ = true;
    if (!closing_) {
        closing_ = true;
        close_deadline_ = close_deadline(now);
    }
}

void Session::close(TimeNs now, Error reason, std::string_view text) {
    if (closed_ || closing_) return;
    // The wire carries the close reason codes of docs/rfc-draft.txt, not our internal Error values.
    std::uint16_t code = close_code_for(reason);
    if (UDPVPN_FAULT(config_, disconnect_code_wrong)) code = 0;
    Result<Bytes> body = encode_disconnect({code, disconnect_text(text)});
    if (body) control_->send(now, kMsgDisconnect, body.value);
    closing_ = true;
    close_reason_ = reason;
    close_deadline_ = close_deadline(now);
    // The caller learns at once that the session is over; the linger only delivers DISCONNECT.
    close_reported_ = true;
    Event e;
    e.type = EventType::closed;
    e.reason = reason;
    e.text = text.empty() ? std::string(to_string(reason)) : std::string(text);
    emit(std::move(e));
}

void Session::fail_protocol(TimeNs now, const char* why) {
    // Authenticated input that breaks the protocol: the peer learns why (DISCONNECT 11,
    // docs/rfc-draft.txt [CTL-1]) and nothing more is accepted from it, as after a failed
    // re-verification.
    close(now, Error::protocol_violation, why);
    current_.discard();
    other_.discard();
}

void Session::reverify(TimeNs now, const CertificateVerifier& verifier) {
    if (closed_) return;
    next_reverify_ = next_reverify_time(config_.timers, now);
    const Role peer_role = role_ == Role::client ? Role::server : Role::client;
    Result<PeerIdentity> r = verifier.verify(params_->peer_chain, peer_role, params_->expected_name);
    if (!r) {
        std::string why = std::string("peer certificate no longer valid: ") + to_string(r.error);
        close(now, r.error, why);
        // Cut off at once: nothing more is accepted from the peer; only the DISCONNECT goes out.
        current_.discard();
        other_.discard();
    }
}

Result<std::size_t> Session::poll_datagram(TimeNs now, MutableByteView out, PeerAddress& to) {
    to = address_;
    if (closed_) return {0, Error::ok};
    if (out.size() < kDataOverhead + 64) return {kDataOverhead + 64, Error::buffer_too_small};
    if (!closing_) {
        Result<std::size_t> challenge = poll_path_challenge(now, out, to);
        if (!challenge.ok() || challenge.value > 0) return challenge;
    }
    if (want_rekey(now)) start_rekey(now);
    // Control frames are written straight behind the DATA header, then sealed in place.
    MutableByteView body = out.subspan(kDataHeaderSize, out.size() - kDataOverhead);
    const std::size_t max_payload = std::min<std::size_t>(body.size(), inner_for_datagram(config_.max_datagram));
    std::size_t n = control_->poll_payload(now, body.first(max_payload));
    if (final_ack_) {
        // The peer closed: this payload acknowledges its DISCONNECT and is the last one we send.
        Result<std::size_t> sealed = n > 0 ? seal(now, PayloadType::control, body.first(n), out)
                                           : Result<std::size_t>{0, Error::ok};
        finish_close(close_reason_, {});
        return sealed;
    }
    if (n > 0) return seal(now, PayloadType::control, body.first(n), out);
    if (pmtu_ && !closing_) {
        if (auto size = pmtu_->probe_due(now); size && *size <= out.size()) {
            const std::size_t pn = write_probe_payload(*size, *size - kDataOverhead, body);
            if (pn > 0) return seal(now, PayloadType::control, body.first(pn), out);
        }
    }
    if (!closing_ && keepalive_due(config_.timers, last_sent_, now))
        return seal(now, PayloadType::keepalive, {}, out);
    return {0, Error::ok};
}

TimeNs Session::next_deadline() const {
    if (closed_) return kNever;
    TimeNs t = control_->next_deadline();
    if (closing_) return min_time(t, close_deadline_);
    if (pmtu_) t = min_time(t, pmtu_->next_deadline());
    // A challenge short of budget waits for bytes from the candidate, not for a timer; after the
    // last try, its wait ends the check.
    if (path_->active && (path_->tries >= kPathTries || path_challenge_allowed())) t = min_time(t, path_->next_send);
    t = min_time(t, keepalive_time(config_.timers, last_sent_));
    t = min_time(t, dead_peer_time(config_.timers, last_received_));
    t = min_time(t, next_reverify_);
    if (!pending_.active) t = min_time(t, rekey_time(config_.timers, role_, send_.created));
    t = min_time(t, key_expiry(config_.timers, send_.created));
    if (other_.valid && other_.expires != kNever) t = min_time(t, other_.expires);
    return t;
}

void Session::handle_timeout(TimeNs now) {
    if (closed_) return;
    control_->on_timeout(now);
    if (closing_) {
        // A final ACK owed to the peer's DISCONNECT goes out through poll_datagram() first.
        if (now >= close_deadline_ || (!final_ack_ && !control_->has_unacked())) finish_close(close_reason_, {});
        return;
    }
    if (peer_dead(config_.timers, last_received_, now))
        return finish_close(Error::peer_timeout, "no authenticated packet for " +
                                                     std::to_string(config_.timers.dead_peer_timeout / kSecond) + " s");
    if (key_expired(config_.timers, send_.created, now))
        return finish_close(Error::key_exhausted, "no rekey before the key's hard time limit");
    if (other_.valid && other_.expires != kNever && now >= other_.expires) other_.discard();
    if (path_->active && path_->tries >= kPathTries && now >= path_->next_send) *path_ = PathCheck{};
    if (want_rekey(now)) start_rekey(now);
}

}  // namespace udpvpn
