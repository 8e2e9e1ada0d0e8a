// SPDX-License-Identifier: GPL-3.0-or-later
#include "server.hpp"

#include "conformance_fault_env.hpp"
#include "inner_source.hpp"
#include "ip_packet.hpp"
#include "json_writer.hpp"
#include "log.hpp"
#include "host_network.hpp"
#include "pki_files.hpp"
#include "privileges.hpp"
#include "status_request.hpp"
#include "toml_reader.hpp"

#include <udpvpn/rng.hpp>

#include <ctime>
#include <stdexcept>
#include <unistd.h>

namespace udpvpn::app {

constexpr int kSocketBuffer = 8 << 20;
constexpr int kTunReadBatch = 64;


static std::string printable_name(const std::string& name) {
    std::string out;
    for (const char ch : name.substr(0, 64)) {
        const auto u = static_cast<unsigned char>(ch);
        out += (u < 0x20 || u == 0x7f || ch == '"') ? '?' : ch;
    }
    return name.size() > 64 ? out + "..." : out;
}

static std::string hex_sid(SessionId s) {
    char b[12];
    std::snprintf(b, sizeof b, "%08x", s);
    return b;
}

Server::Server(asio::io_context& io, ServerConfig config)
    : io_(io), cfg_(std::move(config)), clients_(cfg_.ipv4_pool, cfg_.ipv6_pool, cfg_.pool_slices, cfg_.pool_slice),
      shutdown_timer_(io), log_timer_(io) {
    access_.set_policy(cfg_.access);
    clients_.set_fixed(cfg_.fixed);
}

Server::~Server() = default;

KeyPermissions Server::key_permissions() const {
    return cfg_.strict_key_permissions ? KeyPermissions::refuse : KeyPermissions::warn;
}

ResponderConfig Server::responder_config() const {
    ResponderConfig rc;
    cfg_.protocol.apply_to(rc);
    rc.admission_key = load_admission_key(cfg_.admission_key_file, key_permissions());
    rc.server_id = cfg_.server_id;
    rc.cluster_key = load_cluster_key(cfg_.cluster_key_file, key_permissions());
    rc.stateless_reset_rate = cfg_.stateless_reset_rate;
    rc.max_sessions = cfg_.max_sessions;
    rc.max_half_open = cfg_.unvalidated_limits.max_half_open;
    rc.cookie_threshold = cfg_.unvalidated_limits.cookie_threshold;
    rc.max_half_open_per_source = cfg_.unvalidated_limits.max_half_open_per_source;
    rc.max_half_open_per_prefix = cfg_.unvalidated_limits.max_half_open_per_prefix;
    rc.handshake_rate_per_source = cfg_.unvalidated_limits.handshake_rate_per_source;
    rc.handshake_rate_per_prefix = cfg_.unvalidated_limits.handshake_rate_per_prefix;
    // Handshake within a 1280-byte path; early data and probes up to a full inner packet. PPP
    // frames: protocol field (2) + information up to pppd's mtu/mru (<= tunnel.mtu).
    rc.inner_mtu = static_cast<std::uint16_t>(cfg_.mode == TunnelMode::ppp ? cfg_.mtu + 2u : cfg_.mtu);
    if (cfg_.mode == TunnelMode::ppp) rc.inner_protocols = 2;
#ifdef UDPVPN_CONFORMANCE_FAULTS
    rc.conformance_fault = conformance_fault_from_env();   // test builds only
#endif
    return rc;
}

void Server::setup_device() {
    if (!tun_->system_interface()) return;   // the test backend: nothing to configure
    const unsigned idx = host_network::if_index(tun_->name());
    if (idx == 0) throw std::runtime_error(tun_->name() + ": no such interface");
    std::string err = host_network::link_set(idx, true, cfg_.mtu);
    if (!err.empty()) throw std::runtime_error(tun_->name() + ": " + err);
    for (const auto& a : {clients_.server_address4(), clients_.server_address6()}) {
        if (!a) continue;
        err = host_network::addr_add(idx, *a);
        if (!err.empty()) throw std::runtime_error(tun_->name() + ": " + err + " (" + to_string(*a) + ")");
    }
}

void Server::start(std::unique_ptr<TunDevice> tun) {
    driver_ = std::make_unique<EndpointDriver>(io_,
        EndpointDriver::Hooks{[this](SessionId s, InnerProtocol p, ByteView b) { on_client_packet(s, p, b); },
                              [this](const Event& ev) { on_event(ev); }});
    auto verifier = load_verifier(cfg_.ca_file, cfg_.crl_file, cfg_.require_crl, cfg_.allow_missing_eku);
    auto identity = load_identity(cfg_.cert_file, cfg_.key_file, key_permissions());
    if (std::string problem = check_user_group(cfg_.user, cfg_.group); !problem.empty()) throw ConfigError(problem);
    ResponderConfig rc = responder_config();
    const Error made = driver_->make_responder(std::move(rc), std::move(identity), verifier);
    if (made != Error::ok) throw std::runtime_error(std::string("cannot create the endpoint: ") + to_string(made));

    if (cfg_.mode == TunnelMode::ppp) {
        ppp_ = std::make_unique<PppSessions>(io_, cfg_.ppp, cfg_.mtu,
            PppSessions::Hooks{[this](SessionId sid, ByteView f) { driver_->send_inner(sid, InnerProtocol::ppp, f); },
                               [this](SessionId sid, const std::string& why) { on_pppd_ended(sid, why); }});
    } else if (tun) {
        tun_ = std::move(tun);
    } else {
        std::string err;
        tun_ = open_tunnel_device(io_, cfg_.test_tunnel, cfg_.device, cfg_.mtu, err, cfg_.offload.tun);
        if (!tun_) throw std::runtime_error(err);
    }
    if (tun_) setup_device();

    std::string err;
    auto sock = open_udp_socket(io_, cfg_.listen_address, cfg_.port, kSocketBuffer, err);
    if (!sock) throw std::runtime_error("server.listen: " + err);
    driver_->start(std::move(*sock), cfg_.offload.udp);

    if (!cfg_.status_socket.empty()) {
        status_ = ControlSocket::open(io_, cfg_.status_socket, cfg_.status_group,
                                      [this](const std::string& req) -> std::string {
                                          if (parse_status_request(req) == StatusCommand::status)
                                              return status_json();
                                          return kUnknownCommandReply;
                                      },
                                      err);
        if (!status_) throw std::runtime_error(err);
    }
    if (!cfg_.metrics_address.empty()) {
        metrics_ = MetricsListener::open(io_, cfg_.metrics_address, cfg_.metrics_port,
                                         [this] { return metrics_text(); }, err);
        if (!metrics_) throw std::runtime_error(err);
    }

    err = drop_privileges(cfg_.user, cfg_.group);
    if (!err.empty()) throw std::runtime_error(err);

    arm_log_timer();
    if (cfg_.server_id != 0 || !cfg_.cluster_key_file.empty() || cfg_.pool_slices > 1)
        UVLOG_NOTICE("cluster: server id %u (route byte), %s, addresses from pool slice %u of %u", cfg_.server_id,
                     cfg_.cluster_key_file.empty() ? "no cluster key (no shared cookies, no stateless reset)"
                                                   : "cluster key loaded (shared cookies, stateless reset)",
                     cfg_.pool_slice, cfg_.pool_slices);
    if (ppp_) {
        UVLOG_NOTICE("listening on udp port %u, PPP mode: %s%s%s", port(), cfg_.ppp.pppd.c_str(),
                     cfg_.ppp.options.empty() ? "" : " file ", cfg_.ppp.options.c_str());
        return;
    }
    tun_buf_.resize(65536);
    tun_watch_ = tun_->watch(io_, [this] { return on_tun_readable(); });

    log_access_policy();
    UVLOG_INFO("offloads: udp %s, tunnel %s", driver_->udp_offloads().c_str(),
               tun_->offloads().empty() ? "none" : tun_->offloads().c_str());
    const auto a4 = clients_.server_address4(), a6 = clients_.server_address6();
    UVLOG_NOTICE("listening on udp port %u, device %s mtu %u, %s%s%s, client-to-client %s%s", port(),
                 tun_->name().c_str(), cfg_.mtu, a4 ? to_string(*a4).c_str() : "",
                 a4 && a6 ? " " : "", a6 ? to_string(*a6).c_str() : "", cfg_.client_to_client ? "on" : "off",
                 cfg_.user.empty() ? "" : (", running as " + cfg_.user).c_str());
}

std::uint16_t Server::port() const { return driver_ ? driver_->local_port() : 0; }

void Server::on_event(const Event& ev) {
    switch (ev.type) {
    case EventType::established: on_established(ev); break;
    case EventType::closed: on_closed(ev); break;
    case EventType::address_changed: {
        const ClientEntry* c = clients_.find(ev.session);
        if (!c) break;
        UVLOG_INFO("client %s roamed from %s to %s", c->identity.c_str(), peer_to_string(c->outer).c_str(),
                   peer_to_string(ev.address).c_str());
        clients_.set_outer(ev.session, ev.address);
        break;
    }
    case EventType::rekeyed: {
        ++counters_.rekeys;
        if (const ClientEntry* c = clients_.find(ev.session))
            UVLOG_DEBUG("client %s rekeyed to epoch %llu", c->identity.c_str(), (unsigned long long)ev.epoch);
        break;
    }
    case EventType::mtu_changed:
        UVLOG_DEBUG("session %08x: path allows inner mtu %u", ev.session, ev.mtu);
        break;
    default: break;
    }
}

void Server::on_established(const Event& ev) {
    if (shutting_down_) {
        // A client that reconnected within our last second: tell it now, not after its dead-peer
        // timeout, so it comes back to whoever listens on this port next (a restart).
        UVLOG_INFO("client %s from %s: refused, server shutting down", ev.peer.common_name.c_str(),
                   peer_to_string(ev.address).c_str());
        ++counters_.refused_shutting_down;
        driver_->close(ev.session, Error::closed_locally, "server shutting down");
        return;
    }
    ClientEntry c;
    c.session = ev.session;
    c.peer = ev.peer;
    c.outer = ev.address;
    c.suite = ev.suite;
    c.peer.key.reset();
    c.groups = organizational_units(ev.peer);
    const auto who = client_identity(ev.peer, cfg_.identity_mode);
    if (!who) {
        UVLOG_WARN("refusing client %s from %s: its certificate has no subjectAltName for server.identity = \"%s\"",
                   ev.peer.common_name.c_str(), peer_to_string(c.outer).c_str(), identity_mode_name(cfg_.identity_mode));
        ++counters_.refused_no_identity_name;
        driver_->close(ev.session, Error::closed_locally, "the certificate lacks the name this server identifies clients by");
        return;
    }
    c.identity = who->name;
    c.key = who->key;

    if (!make_room(c)) return;

    const FixedAddress f = fixed_address(c);
    const std::string identity = c.identity, outer = peer_to_string(c.outer);
    const Suite suite = c.suite;
    if (const auto refusal = clients_.add(std::move(c), f); refusal != ClientTable::Refusal::none) {
        const bool fixed_in_use = refusal == ClientTable::Refusal::fixed_address_in_use;
        const char* why = fixed_in_use ? "its fixed address is in use" : "the address pool is exhausted";
        UVLOG_WARN("refusing client %s from %s: %s", identity.c_str(), outer.c_str(), why);
        ++(fixed_in_use ? counters_.refused_fixed_address_in_use : counters_.refused_pool_exhausted);
        driver_->close(ev.session, Error::closed_locally, why);
        return;
    }
    const ClientEntry& added = *clients_.find(ev.session);

    if (ppp_) {
        if (start_pppd(added))
            UVLOG_NOTICE("client %s connected from %s: session %08x, PPP, %s", identity.c_str(), outer.c_str(),
                         ev.session, suite_name(suite));
        return;
    }

    const ConfigPush push = push_for(added);
    const std::string v4 = added.ipv4 ? to_string(*added.ipv4, false) : "-";
    const std::string v6 = added.ipv6 ? to_string(*added.ipv6, false) : "-";
    const Error e = driver_->push_config(ev.session, push);
    UVLOG_NOTICE("client %s connected from %s: session %08x, inner %s %s, %s", identity.c_str(), outer.c_str(),
                 ev.session, v4.c_str(), v6.c_str(), suite_name(suite));
    if (e != Error::ok) UVLOG_WARN("client %s: could not push its configuration: %s", identity.c_str(), to_string(e));
}

// server.max_sessions_per_identity sessions per identity (1 by default). At the limit the oldest
// is replaced by a reconnection, or kept against a second machine (identity_clash.hpp). False:
// the new session was refused (and closed).
bool Server::make_room(const ClientEntry& c) {
    const auto held = clients_.sessions_of(c.key);
    if (held.empty() || held.size() < cfg_.max_sessions_per_identity) return true;
    const SessionId old_sid = held.front();
    const auto info = driver_->session_info(old_sid);
    const PeerAddress holder = info ? info->address : clients_.find(old_sid)->outer;
    const TimeNs now = driver_->now();
    const auto d = clashes_.decide(c.key, holder, c.outer, now);
    const std::string old_from = peer_to_string(holder), new_from = peer_to_string(c.outer);
    switch (d.verdict) {
    case IdentityClashes::Verdict::clash:
        UVLOG_WARN("identity %s is in use from %s and from %s at once (one certificate on two machines?): "
                   "keeping the session from %s, refusing %s for %llu s; give each machine its own "
                   "certificate, or allow several sessions with server.max_sessions_per_identity",
                   c.identity.c_str(), old_from.c_str(), new_from.c_str(), old_from.c_str(), new_from.c_str(),
                   static_cast<unsigned long long>(d.hold / kSecond));
        [[fallthrough]];
    case IdentityClashes::Verdict::held: {
        if (d.verdict == IdentityClashes::Verdict::held && refusal_log_.admit("identity in use: " + c.identity, now))
            UVLOG_INFO("refusing client %s from %s: the identity is in use from %s (for %llu s more)",
                       c.identity.c_str(), new_from.c_str(), old_from.c_str(),
                       static_cast<unsigned long long>(d.hold / kSecond));
        ++counters_.refused_identity_in_use;
        driver_->close(c.session, Error::closed_locally,
                       "identity " + c.identity + " is in use from another address; retry later");
        return false;
    }
    case IdentityClashes::Verdict::move:
        UVLOG_WARN("client %s moved from %s to %s: closing its previous session %08x", c.identity.c_str(),
                   old_from.c_str(), new_from.c_str(), old_sid);
        break;
    case IdentityClashes::Verdict::reconnect:
        UVLOG_INFO("client %s reconnected from %s: closing its previous session %08x", c.identity.c_str(),
                   new_from.c_str(), old_sid);
        break;
    }
    forget(old_sid);
    driver_->close(old_sid, Error::closed_locally, "replaced by a new session");
    return true;
}

// The client's [clients.<name>] addresses, if the entry is for it.
FixedAddress Server::fixed_address(const ClientEntry& c) const {
    const auto fixed = cfg_.fixed.find(c.identity);
    FixedAddress f = fixed != cfg_.fixed.end() ? fixed->second : FixedAddress{};
    if (fixed != cfg_.fixed.end() && !f.issuer.empty() && f.issuer != c.peer.issuer) {
        // [clients.<name>] pins another CA: this is a namesake, not the client the entry is for.
        UVLOG_INFO("client %s from %s: issuer \"%s\" is not the one [clients.%s] pins (\"%s\"); no fixed address",
                   c.identity.c_str(), peer_to_string(c.outer).c_str(), c.peer.issuer.c_str(), c.identity.c_str(),
                   f.issuer.c_str());
        f = FixedAddress{};
    }
    return f;
}

// What the client is told in IP mode: its addresses with the pools' lengths, routes, DNS, MTU.
ConfigPush Server::push_for(const ClientEntry& c) const {
    ConfigPush push;
    if (c.ipv4) {
        IpPrefix a = *c.ipv4;
        a.len = cfg_.ipv4_pool->len;
        push.ipv4 = to_push4(a);
    }
    if (c.ipv6) {
        IpPrefix a = *c.ipv6;
        a.len = cfg_.ipv6_pool->len;
        push.ipv6 = to_push6(a);
    }
    for (const auto& r : cfg_.push_routes) {
        if (r.v6) push.routes6.push_back(to_push6(r.network()));
        else push.routes4.push_back(to_push4(r.network()));
    }
    for (const auto& d : cfg_.push_dns) {
        if (d.v6) push.dns6.push_back(to_push6(d).addr);
        else push.dns4.push_back(to_push4(d).addr);
    }
    push.mtu = cfg_.mtu;
    return push;
}

// PPP mode, after `established` only: the client has proven its certificate.
bool Server::start_pppd(const ClientEntry& c) {
    std::string addresses;
    if (c.ipv4) addresses = to_string(*clients_.server_address4(), false) + ":" + to_string(*c.ipv4, false);
    const std::string err = ppp_->open(c.session, c.identity, addresses);
    if (err.empty()) return true;
    UVLOG_ERROR("client %s: %s", c.identity.c_str(), err.c_str());
    ++counters_.refused_pppd_failed;
    const SessionId sid = c.session;
    forget(sid);
    driver_->close(sid, Error::closed_locally, err);
    return false;
}

// pppd exited by itself (LCP terminated, echo failure, killed...): the session ends with its reason.
void Server::on_pppd_ended(SessionId sid, const std::string& reason) {
    forget(sid);
    driver_->close(sid, Error::closed_locally, reason);
}

void Server::on_closed(const Event& ev) {
    const ClientEntry* c = clients_.find(ev.session);
    const std::string text = ev.text.empty() ? "" : " (" + ev.text + ")";
    if (!c) {
        // A handshake that never completed: the reason is what an admin needs (revoked, expired, ...).
        // The name a refused certificate claims: unverified, so made printable and bounded.
        const std::string who = ev.peer.common_name.empty() ? "" : " " + printable_name(ev.peer.common_name);
        const std::string from = ev.address.len ? " from " + peer_to_string(ev.address) : "";
        if (ev.reason == Error::closed_locally) return;   // sessions we replaced or refused: logged already
        ++counters_.handshakes_failed[ev.reason];
        // Per reason at most a few lines per window, then a summary: a flood of spoofed INITIALs
        // or of clients stalling after RETRY must not become a flood of log lines.
        const std::string kind = std::string("refused client: ") + to_string(ev.reason);
        flush_log_summaries();
        if (refusal_log_.admit(kind, driver_->now()))
            UVLOG_WARN("refused client%s%s: %s%s", who.c_str(), from.c_str(), to_string(ev.reason), text.c_str());
        return;
    }
    ++counters_.closed[ev.reason];
    UVLOG_NOTICE("client %s (%s) disconnected: %s%s", c->identity.c_str(), peer_to_string(c->outer).c_str(),
                 to_string(ev.reason), text.c_str());
    forget(ev.session);
}

void Server::flush_log_summaries() {
    for (const auto& summary : refusal_log_.due(driver_->now())) UVLOG_WARN("%s", LogLimiter::format(summary).c_str());
}

void Server::arm_log_timer() {
    // Summaries are due one window after a kind's first line: look once a second.
    log_timer_.expires_after(std::chrono::seconds(1));
    log_timer_.async_wait([this](const asio::error_code& ec) {
        if (ec) return;
        flush_log_summaries();
        arm_log_timer();
    });
}

void Server::forget(SessionId sid) {
    const auto c = clients_.remove(sid);
    if (!c) return;
    if (access_.enabled()) {
        if (c->ipv4) access_.forget_address(*c->ipv4);
        if (c->ipv6) access_.forget_address(*c->ipv6);
    }
    if (ppp_) ppp_->close(sid);   // the session is gone: so is its pppd
}

void Server::on_client_packet(SessionId sid, InnerProtocol proto, ByteView packet) {
    const ClientEntry* sender = clients_.find(sid);
    // The endpoint hands out a session's inner packets only after its `established` event, so an
    // unknown session is one we refused, replaced or are closing.
    if (!sender) {
        ++inner_drops_.unknown_session;
        return;
    }
    if (ppp_) {
        if (proto == InnerProtocol::ppp) ppp_->deliver(sid, packet);
        else ++inner_drops_.wrong_protocol;
        return;
    }
    if (proto == InnerProtocol::ppp) {
        ++inner_drops_.wrong_protocol;
        return;
    }
    const ClientEntry& c = *sender;
    // A client may only send from the address we gave it (no spoofing other clients or the server).
    const InnerSourceCheck check = check_inner_source(proto, packet, c.ipv4, c.ipv6);
    const std::optional<IpHeaderInfo>& h = check.header;
    if (check.verdict == InnerSourceVerdict::malformed) {
        ++inner_drops_.malformed;
        return;
    }
    if (check.verdict != InnerSourceVerdict::ok) {
        // Link-local chatter (router solicitations, MLD) is normal: only count it.
        if (check.verdict == InnerSourceVerdict::source_link_local) {
            ++inner_drops_.source_link_local;
            return;
        }
        ++inner_drops_.source_address;
        UVLOG_DEBUG("client %s: dropped packet from unassigned source %s", c.identity.c_str(), to_string(h->src, false).c_str());
        return;
    }
    const RuleSubject from{c.identity, c.peer.issuer, c.groups};
    const TimeNs now = access_.enabled() ? driver_->now() : 0;
    if (const auto other = clients_.session_for(h->dst)) {
        if (!cfg_.client_to_client) {
            ++inner_drops_.client_to_client_off;
            return;
        }
        if (access_.enabled()) {
            const ClientEntry* to = clients_.find(*other);
            if (!to) {
                ++inner_drops_.forward_failed;
                return;
            }
            const RuleSubject receiver{to->identity, to->peer.issuer, to->groups};
            if (!access_.allows(from, packet, &receiver, now)) {
                ++inner_drops_.access_denied;
                return;
            }
        }
        if (!driver_->send_inner(*other, proto, packet)) ++inner_drops_.forward_failed;
        return;
    }
    if (!access_.allows(from, packet, nullptr, now)) {
        ++inner_drops_.access_denied;
        return;
    }
    // Addresses inside the pools other than the server's belong to no one: do not bounce them back.
    if (!tun_->write(packet)) ++inner_drops_.tunnel_write;
}

bool Server::on_tun_readable() {
    for (int i = 0; i < kTunReadBatch; ++i) {
        const long n = tun_->read(MutableByteView(tun_buf_));
        if (n <= 0) return false;
        const ByteView pkt(tun_buf_.data(), static_cast<std::size_t>(n));
        const auto h = parse_ip_header(pkt);
        if (!h) {
            ++inner_drops_.to_client_malformed;
            continue;
        }
        const auto sid = clients_.session_for(h->dst);
        if (!sid) {
            ++inner_drops_.no_route;
            continue;
        }
        if (!driver_->send_inner(*sid, h->protocol, pkt)) ++inner_drops_.seal_failed;
    }
    return true;   // more may be waiting
}

void Server::reload() {
    UVLOG_NOTICE("SIGHUP: reloading %s", cfg_.path.empty() ? "(built-in defaults)" : cfg_.path.c_str());
    ServerConfig next = cfg_;
    std::shared_ptr<const CertificateVerifier> verifier;
    try {
        if (!cfg_.path.empty()) {
            next = load_server_config(cfg_.path);
            next.path = cfg_.path;
        }
        // Revocation is never weakened by a reload: dropping the CRL or require_crl needs a restart.
        if (!cfg_.crl_file.empty() && next.crl_file.empty())
            throw ConfigError("pki.crl: removed from " + cfg_.path + "; revocation checks would stop (restart the "
                              "server to run without a CRL)");
        if (cfg_.require_crl && !next.require_crl)
            throw ConfigError("pki.require_crl: turned off in " + cfg_.path + "; that needs a restart");
        verifier = load_verifier(next.ca_file, next.crl_file, next.require_crl, next.allow_missing_eku);
    } catch (const std::exception& e) {
        UVLOG_ERROR("reload refused, keeping the running configuration, CA and CRL: %s", e.what());
        return;
    }
    if (next.port != cfg_.port || next.listen_address != cfg_.listen_address || next.device != cfg_.device ||
        next.mtu != cfg_.mtu || !(next.ipv4_pool == cfg_.ipv4_pool) || !(next.ipv6_pool == cfg_.ipv6_pool) ||
        next.identity_mode != cfg_.identity_mode)
        UVLOG_WARN("reload: listen address, device, mtu, pools and server.identity change only on restart");
    log_set_level(next.log_level);
    cfg_.log_level = next.log_level;
    cfg_.client_to_client = next.client_to_client;
    if (!(next.access == cfg_.access)) {
        cfg_.access = next.access;
        access_.set_policy(cfg_.access);   // counters of rules that stay are kept
        log_access_policy();
    }
    cfg_.max_sessions_per_identity = next.max_sessions_per_identity;
    cfg_.push_routes = next.push_routes;
    cfg_.push_dns = next.push_dns;
    cfg_.fixed = next.fixed;
    cfg_.ca_file = next.ca_file;
    cfg_.crl_file = next.crl_file;
    cfg_.require_crl = next.require_crl;
    cfg_.allow_missing_eku = next.allow_missing_eku;
    clients_.set_fixed(cfg_.fixed);
    // Re-verifies every session: revoked or expired clients get `closed` events (logged there).
    driver_->set_verifier(verifier);
    UVLOG_NOTICE("reload done: %zu clients connected", clients_.size());
}

void Server::shutdown(std::function<void()> done) {
    shutting_down_ = true;
    const auto sids = driver_ ? driver_->sessions() : std::vector<SessionId>{};
    UVLOG_NOTICE("shutting down: disconnecting %zu sessions", sids.size());
    for (const SessionId s : sids) {
        if (const ClientEntry* c = clients_.find(s))
            UVLOG_INFO("client %s (%s): disconnecting, server shutting down", c->identity.c_str(),
                       peer_to_string(c->outer).c_str());
        forget(s);
        driver_->close(s, Error::closed_locally, "server shutting down");
    }
    if (driver_) driver_->stop_reading();   // no new session now: clients reconnect to whoever comes next
    // Give the DISCONNECT datagrams a moment to leave (and retransmissions a chance), at most 1 s.
    // In PPP mode also wait (up to the SIGKILL grace) for every pppd to run ip-down and exit.
    if (ppp_) ppp_->close_all();
    const TimeNs now = driver_ ? driver_->now() : 0;
    auto deadline = std::make_shared<TimeNs>(now + (ppp_ ? 4 : 1) * kSecond);
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, deadline, poll, done] {
        const bool ppp_busy = ppp_ && (ppp_->running() || ppp_->stopping());
        const bool sessions_left = driver_ && !driver_->sessions().empty();
        if ((!sessions_left && !ppp_busy) || !driver_ || driver_->now() >= *deadline) {
            tun_watch_.reset();
            status_.reset();
            metrics_.reset();
            log_timer_.cancel();
            flush_log_summaries();
            done();
            *poll = nullptr;
            return;
        }
        shutdown_timer_.expires_after(std::chrono::milliseconds(20));
        shutdown_timer_.async_wait([poll](const asio::error_code& ec) {
            if (!ec && *poll) (*poll)();
        });
    };
    (*poll)();
}

// Every inner packet dropped on the way, by reason: the server's own drops and the endpoint's
// (early data it could not keep, a full delivery queue). One object of its own in the status reply.
void Server::write_inner_drops(JsonWriter& j) const {
    const InnerDropStats lib = driver_ ? driver_->stats().inner_dropped : InnerDropStats{};
    const InnerDrops& d = inner_drops_;
    j.key("inner_drops").begin_object();
    j.key("from_clients").begin_object();
    j.field("unknown_session", d.unknown_session);
    j.field("malformed", d.malformed);
    j.field("wrong_protocol", d.wrong_protocol);
    j.field("source_address", d.source_address);
    j.field("source_link_local", d.source_link_local);
    j.field("client_to_client_off", d.client_to_client_off);
    j.field("access_denied", d.access_denied);
    j.field("forward_failed", d.forward_failed);
    j.field("tunnel_write", d.tunnel_write);
    j.field("early_refused", lib.early_refused);
    j.field("early_unopened", lib.early_unopened);
    j.field("queue_full", lib.queue_full);
    j.end_object();
    j.key("to_clients").begin_object();
    j.field("no_route", d.no_route);
    j.field("malformed", d.to_client_malformed);
    j.field("seal_failed", d.seal_failed);
    j.end_object();
    j.end_object();
}

// What the endpoint refused from peers whose address is not validated, by reason (since start).
// One object of its own in the status reply, next to inner_drops.
void Server::write_handshake_refusals(JsonWriter& j) const {
    const UnvalidatedRefusals u = driver_ ? driver_->stats().unvalidated : UnvalidatedRefusals{};
    j.key("handshake_refusals").begin_object();
    j.field("oversized", u.oversized);
    j.field("bad_cookie", u.bad_cookie);
    j.field("replayed_cookie", u.replayed_cookie);
    j.field("wrong_address", u.wrong_address);
    j.field("source_half_open", u.source_half_open);
    j.field("prefix_half_open", u.prefix_half_open);
    j.field("source_rate", u.source_rate);
    j.field("prefix_rate", u.prefix_rate);
    j.field("table_full", u.table_full);
    j.field("no_session_id", u.no_session_id);
    j.field("over_budget", u.over_budget);
    j.end_object();
}

void Server::log_access_policy() const {
    const AccessPolicy& p = access_.policy();
    if (!p.enabled) {
        UVLOG_INFO("access rules: none, clients reach every destination%s",
                   cfg_.client_to_client ? " and each other" : "");
        return;
    }
    UVLOG_NOTICE("access rules: %zu, default %s", p.rules.size(), p.default_allow ? "allow" : "deny");
    for (const AccessRule& r : p.rules) {
        std::string to = r.to_clients ? "clients" : "";
        for (const auto& pre : r.to) to += (to.empty() ? "" : " ") + to_string(pre);
        std::string ports;
        for (const auto& pr : r.ports)
            ports += (ports.empty() ? " port " : ",") + std::to_string(pr.first) +
                     (pr.last != pr.first ? "-" + std::to_string(pr.last) : "");
        UVLOG_INFO("access rule %s: %s %s to %s%s", r.name.c_str(), r.allow ? "allow" : "deny",
                   rule_protocol_name(r.protocol), to.empty() ? "any" : to.c_str(), ports.c_str());
    }
}

// The access rules' counters (udpvpnctl status; status_protocol.md, "access").
void Server::write_access(JsonWriter& j) const {
    const AccessPolicy& p = access_.policy();
    const AccessCounters& c = access_.counters();
    auto count = [&j](const char* key, const AccessCount& n) {
        j.key(key).begin_object().field("packets", n.packets).field("bytes", n.bytes).end_object();
    };
    j.key("access").begin_object();
    j.field("enabled", p.enabled);
    j.field("default", p.default_allow ? "allow" : "deny");
    j.key("rules").begin_array();
    for (const auto& r : c.rules) {
        j.begin_object();
        j.field("name", r.name);
        j.field("action", r.allow ? "allow" : "deny");
        j.field("packets", r.matched.packets);
        j.field("bytes", r.matched.bytes);
        j.end_object();
    }
    j.end_array();
    count("default_action", c.default_action);
    count("replies", c.replies);
    j.key("unreadable").begin_object();
    for (std::size_t i = 1; i < kInnerProblems; ++i)
        j.field(inner_problem_name(static_cast<InnerProblem>(i)), c.unreadable[i]);
    j.end_object();
    j.field("open_flows", static_cast<std::uint64_t>(access_.open_flows()));
    j.end_object();
}

std::string Server::status_json() const {
    const TimeNs now = driver_->now();
    const std::int64_t unix_now = driver_->unix_seconds(now);
    auto to_unix = [&](TimeNs t) -> std::int64_t {
        if (t == 0 || t > now) return unix_now;
        return unix_now - static_cast<std::int64_t>((now - t) / kSecond);
    };
    JsonWriter j;
    j.begin_object().field("version", 1);
    j.key("server").begin_object();
    j.field("listen", (cfg_.listen_address.empty() ? std::string("*") : cfg_.listen_address) + ":" + std::to_string(port()));
    j.field("mode", ppp_ ? "ppp" : "ip");
    j.field("device", tun_ ? tun_->name() : std::string());
    const auto a4 = clients_.server_address4(), a6 = clients_.server_address6();
    j.field("ipv4", a4 ? to_string(*a4) : std::string());
    j.field("ipv6", a6 ? to_string(*a6) : std::string());
    j.field("pid", static_cast<std::int64_t>(getpid()));
    j.field("uptime_s", static_cast<std::uint64_t>((now - driver_->started()) / kSecond));
    j.field("sessions", static_cast<std::uint64_t>(clients_.size()));
    j.field("client_to_client", cfg_.client_to_client);
    j.field("server_id", static_cast<std::uint64_t>(cfg_.server_id));
    j.field("stateless_resets_sent", driver_->stats().resets_sent);
    j.field("stateless_resets_rate_limited", driver_->stats().resets_rate_limited);
    j.end_object();
    j.key("sessions").begin_array();
    for (const auto& [sid, c] : clients_) {
        const auto info = driver_->session_info(sid);
        j.begin_object();
        j.field("session", hex_sid(sid));
        j.field("identity", c.identity);
        j.field("issuer", c.peer.issuer);
        j.field("subject", c.peer.subject);
        j.field("fingerprint", c.peer.fingerprint_sha256);
        j.field("inner_ipv4", c.ipv4 ? to_string(*c.ipv4, false) : std::string());
        j.field("inner_ipv6", c.ipv6 ? to_string(*c.ipv6, false) : std::string());
        j.field("outer", peer_to_string(info ? info->address : c.outer));
        j.field("rx_bytes", info ? info->rx_bytes : std::uint64_t{0});
        j.field("rx_packets", info ? info->rx_packets : std::uint64_t{0});
        j.field("tx_bytes", info ? info->tx_bytes : std::uint64_t{0});
        j.field("tx_packets", info ? info->tx_packets : std::uint64_t{0});
        j.field("established_unix", to_unix(info ? info->established_at : 0));
        j.field("last_handshake_unix", to_unix(info ? info->last_handshake : 0));
        j.field("last_handshake_age_s",
                static_cast<std::uint64_t>(info && info->last_handshake && info->last_handshake <= now
                                               ? (now - info->last_handshake) / kSecond : 0));
        j.field("cipher", suite_name(info ? info->suite : c.suite));
        j.field("epoch", static_cast<std::uint64_t>(info ? info->epoch : 0));
        if (ppp_) j.field("pppd_pid", static_cast<std::int64_t>(ppp_->pid(sid)));
        j.end_object();
    }
    j.end_array();
    write_inner_drops(j);
    write_handshake_refusals(j);
    write_access(j);
    j.end_object();
    return j.str();
}

}  // namespace udpvpn::app
