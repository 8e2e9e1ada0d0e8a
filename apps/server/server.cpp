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

#include "endpoint_stats_sum.hpp"
#include "worker_steering.hpp"

#include <udpvpn/rng.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <ctime>
#include <future>
#include <sched.h>
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

// CPUs this process may run on (its affinity mask: taskset and cpusets count), else the online ones.
static unsigned usable_cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<unsigned>(CPU_COUNT(&set));
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<unsigned>(n) : 1;
}

void Server::InnerDrops::add(const InnerDrops& o) noexcept {
    unknown_session += o.unknown_session;
    malformed += o.malformed;
    wrong_protocol += o.wrong_protocol;
    source_address += o.source_address;
    source_link_local += o.source_link_local;
    client_to_client_off += o.client_to_client_off;
    access_denied += o.access_denied;
    forward_failed += o.forward_failed;
    tunnel_write += o.tunnel_write;
    no_route += o.no_route;
    to_client_malformed += o.to_client_malformed;
    seal_failed += o.seal_failed;
    handoff_full += o.handoff_full;
    static_assert(sizeof(InnerDrops) == 13 * sizeof(std::uint64_t), "a new counter must be added here");
}

Server::Server(asio::io_context& io, ServerConfig config)
    : io_(io), cfg_(std::move(config)), shutdown_timer_(io), log_timer_(io),
      clients_(cfg_.ipv4_pool, cfg_.ipv6_pool, cfg_.pool_slices, cfg_.pool_slice) {
    access_.set_policy(cfg_.access);
    clients_.set_fixed(cfg_.fixed);
}

Server::~Server() { stop_workers(); }

// Each worker's thread runs its event loop until stop_workers(). An exception escaping a handler
// is logged and the loop goes on: no exception leaves the thread.
void Server::start_workers() {
    for (auto& wp : workers_) {
        Worker& w = *wp;
        if (w.index == 0) continue;   // the server's own io_context, run by the caller
        w.thread = std::thread([&w] {
            auto guard = asio::make_work_guard(*w.io);
            for (;;) {
                try {
                    w.io->run();
                    return;
                } catch (const std::exception& e) {
                    UVLOG_ERROR("worker %u: %s", w.index, e.what());
                } catch (...) {
                    UVLOG_ERROR("worker %u: unknown exception", w.index);
                }
            }
        });
    }
    workers_running_ = true;
}

void Server::stop_workers() noexcept {
    workers_running_ = false;
    for (auto& wp : workers_) {
        if (!wp->thread.joinable()) continue;
        wp->io->stop();
        wp->thread.join();
    }
}

void Server::run_on(Worker& w, const std::function<void()>& fn) const {
    if (w.index == 0 || !workers_running_) {   // our own thread (or no other is running)
        fn();
        return;
    }
    std::promise<void> done;
    asio::post(*w.io, [&fn, &done] {
        try {
            fn();
            done.set_value();
        } catch (...) {
            done.set_exception(std::current_exception());
        }
    });
    done.get_future().get();
}

Server::Worker* Server::owner_of(SessionId sid) const {
    const auto i = worker_of(sid, cfg_.server_id, static_cast<unsigned>(workers_.size()));
    return i ? workers_[*i].get() : nullptr;
}

KeyPermissions Server::key_permissions() const {
    return cfg_.strict_key_permissions ? KeyPermissions::refuse : KeyPermissions::warn;
}

// Worker `route_byte`'s endpoint. `shared_secret`: the cluster key, or with several workers and
// no cluster key a random one of this process, so that a RETRY cookie of one worker is good at
// the others and any worker can reset a session it does not hold (docs/rfc-draft.txt, 10.5).
ResponderConfig Server::responder_config(std::uint8_t route_byte, const SharedKey& shared_secret,
                                         unsigned workers) const {
    ResponderConfig rc;
    cfg_.protocol.apply_to(rc);
    rc.admission_key = load_admission_key(cfg_.admission_key_file, key_permissions());
    rc.server_id = route_byte;
    rc.cluster_key = shared_secret;
    // The server's own totals are split among the workers (rounded up); a source's handshakes all
    // meet one worker (worker_steering.hpp), so the per-source and per-prefix limits stay whole.
    rc.stateless_reset_rate = static_cast<std::uint32_t>(worker_share(cfg_.stateless_reset_rate, workers));
    rc.max_sessions = std::max<std::size_t>(1, worker_share(cfg_.max_sessions, workers));
    rc.max_half_open = std::max<std::size_t>(1, worker_share(cfg_.unvalidated_limits.max_half_open, workers));
    rc.cookie_threshold = worker_share(cfg_.unvalidated_limits.cookie_threshold, workers);
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
    const TunDevice& tun = *workers_.front()->tun;
    if (!tun.system_interface()) return;   // the test backend: nothing to configure
    const unsigned idx = host_network::if_index(tun.name());
    if (idx == 0) throw std::runtime_error(tun.name() + ": no such interface");
    std::string err = host_network::link_set(idx, true, cfg_.mtu);
    if (!err.empty()) throw std::runtime_error(tun.name() + ": " + err);
    for (const auto& a : {clients_.server_address4(), clients_.server_address6()}) {
        if (!a) continue;
        err = host_network::addr_add(idx, *a);
        if (!err.empty()) throw std::runtime_error(tun.name() + ": " + err + " (" + to_string(*a) + ")");
    }
}

// One queue per worker; one worker opens the device as before (no IFF_MULTI_QUEUE).
void Server::open_tunnel(unsigned count, std::unique_ptr<TunDevice> given) {
    std::string err;
    if (given) {
        workers_.front()->tun = std::move(given);
    } else if (count == 1) {
        workers_.front()->tun = open_tunnel_device(io_, cfg_.test_tunnel, cfg_.device, cfg_.mtu, err, cfg_.offload.tun);
        if (!workers_.front()->tun) throw std::runtime_error(err);
    } else {
        auto queues = open_system_tun_queues(cfg_.device, cfg_.mtu, cfg_.offload.tun, count, err);
        if (queues.size() != count) throw std::runtime_error(err);
        for (unsigned i = 0; i < count; ++i) workers_[i]->tun = std::move(queues[i]);
    }
    setup_device();
}

// One socket per worker. Several share the port (SO_REUSEPORT) with the steering program attached;
// first a plain bind checks that nobody else holds the port (a second server would otherwise join
// the group and take part of the traffic).
void Server::open_sockets() {
    std::string err;
    const bool shared = workers_.size() > 1;
    if (shared) {
        asio::io_context probe_io;
        auto probe = open_udp_socket(probe_io, cfg_.listen_address, cfg_.port, 0, err);
        if (!probe) throw std::runtime_error("server.listen: " + err);
    }
    std::uint16_t port = cfg_.port;
    for (auto& w : workers_) {
        auto sock = open_udp_socket(*w->io, cfg_.listen_address, port, kSocketBuffer, err, shared);
        if (!sock) throw std::runtime_error("server.listen: " + err);
        if (port == 0) port = sock->socket.local_endpoint().port();   // port 0: the others join the first
        if (shared && w->index == 0) {
            err = attach_steering(sock->socket.native_handle(),
                                  steering_program(cfg_.server_id, static_cast<unsigned>(workers_.size())));
            if (!err.empty()) throw std::runtime_error("server.workers: " + err);
        }
        w->driver->start(std::move(*sock), cfg_.offload.udp);
    }
}

void Server::start(std::unique_ptr<TunDevice> tun) {
    std::string why;
    const unsigned count = tun ? 1 : resolve_workers(cfg_, usable_cpus(), why);
    if (!why.empty()) UVLOG_NOTICE("server.workers: running 1 worker: %s", why.c_str());
    auto verifier = load_verifier(cfg_.ca_file, cfg_.crl_file, cfg_.require_crl, cfg_.allow_missing_eku);
    if (std::string problem = check_user_group(cfg_.user, cfg_.group); !problem.empty()) throw ConfigError(problem);
    SharedKey shared_secret = load_cluster_key(cfg_.cluster_key_file, key_permissions());
    if (!shared_secret && count > 1) {
        auto secret = std::make_shared<PresharedKey>(ByteView{});
        SystemRng().fill(secret->expose_mut());
        shared_secret = std::move(secret);
    }
    for (unsigned i = 0; i < count; ++i) {
        auto w = std::make_unique<Worker>();
        Worker& wr = *w;
        w->index = i;
        w->route_byte = static_cast<std::uint8_t>(cfg_.server_id + i);
        if (i == 0) {
            w->io = &io_;
        } else {
            w->own_io = std::make_unique<asio::io_context>(1);
            w->io = w->own_io.get();
        }
        w->driver = std::make_unique<EndpointDriver>(*w->io,
            EndpointDriver::Hooks{[this, &wr](SessionId s, InnerProtocol p, ByteView b) { on_client_packet(wr, s, p, b); },
                                  [this, &wr](const Event& ev) { on_event(wr, ev); },
                                  [&wr] { if (wr.tun) wr.tun->flush(); }});
        // The verifier is thread-safe (certificate.hpp); each endpoint gets its own identity.
        const Error made = w->driver->make_responder(responder_config(w->route_byte, shared_secret, count),
                                                     load_identity(cfg_.cert_file, cfg_.key_file, key_permissions()),
                                                     verifier);
        if (made != Error::ok) throw std::runtime_error(std::string("cannot create the endpoint: ") + to_string(made));
        workers_.push_back(std::move(w));
    }
    Worker& first = *workers_.front();

    if (cfg_.mode == TunnelMode::ppp) {
        ppp_ = std::make_unique<PppSessions>(io_, cfg_.ppp, cfg_.mtu,
            PppSessions::Hooks{[&first](SessionId sid, ByteView f) { first.driver->send_inner(sid, InnerProtocol::ppp, f); },
                               [this](SessionId sid, const std::string& why) { on_pppd_ended(sid, why); }});
    } else {
        open_tunnel(count, std::move(tun));
    }
    open_sockets();

    std::string err;
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
    for (auto& wp : workers_) {
        Worker& w = *wp;
        w.tun_buf.resize(65536);
        w.tun_watch = w.tun->watch(*w.io, [this, &w] { return on_tun_readable(w); });
    }
    if (count > 1)
        UVLOG_NOTICE("workers: %u threads, route bytes %u to %u, one socket and one tunnel queue each", count,
                     first.route_byte, workers_.back()->route_byte);
    start_workers();

    std::lock_guard lock(mutex_);
    log_access_policy();
    UVLOG_INFO("offloads: udp %s, tunnel %s", first.driver->udp_offloads().c_str(),
               first.tun->offloads().empty() ? "none" : first.tun->offloads().c_str());
    const auto a4 = clients_.server_address4(), a6 = clients_.server_address6();
    UVLOG_NOTICE("listening on udp port %u, device %s mtu %u, %s%s%s, client-to-client %s%s", port(),
                 first.tun->name().c_str(), cfg_.mtu, a4 ? to_string(*a4).c_str() : "",
                 a4 && a6 ? " " : "", a6 ? to_string(*a6).c_str() : "", cfg_.client_to_client ? "on" : "off",
                 cfg_.user.empty() ? "" : (", running as " + cfg_.user).c_str());
}

std::uint16_t Server::port() const { return workers_.empty() ? 0 : clock().local_port(); }

void Server::on_event(Worker& w, const Event& ev) {
    std::lock_guard lock(mutex_);
    switch (ev.type) {
    case EventType::established: on_established(w, ev); break;
    case EventType::closed: on_closed(w, ev); break;
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

void Server::on_established(Worker& w, const Event& ev) {
    if (shutting_down_) {
        // A client that reconnected within our last second: tell it now, not after its dead-peer
        // timeout, so it comes back to whoever listens on this port next (a restart).
        UVLOG_INFO("client %s from %s: refused, server shutting down", ev.peer.common_name.c_str(),
                   peer_to_string(ev.address).c_str());
        ++counters_.refused_shutting_down;
        w.driver->close(ev.session, Error::closed_locally, "server shutting down");
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
        w.driver->close(ev.session, Error::closed_locally, "the certificate lacks the name this server identifies clients by");
        return;
    }
    c.identity = who->name;
    c.key = who->key;

    if (!make_room(w, c)) return;

    const FixedAddress f = fixed_address(c);
    const std::string identity = c.identity, outer = peer_to_string(c.outer);
    const Suite suite = c.suite;
    if (const auto refusal = clients_.add(std::move(c), f); refusal != ClientTable::Refusal::none) {
        const bool fixed_in_use = refusal == ClientTable::Refusal::fixed_address_in_use;
        const char* why = fixed_in_use ? "its fixed address is in use" : "the address pool is exhausted";
        UVLOG_WARN("refusing client %s from %s: %s", identity.c_str(), outer.c_str(), why);
        ++(fixed_in_use ? counters_.refused_fixed_address_in_use : counters_.refused_pool_exhausted);
        w.driver->close(ev.session, Error::closed_locally, why);
        return;
    }
    const ClientEntry& added = *clients_.find(ev.session);

    if (ppp_) {
        if (start_pppd(w, added))
            UVLOG_NOTICE("client %s connected from %s: session %08x, PPP, %s", identity.c_str(), outer.c_str(),
                         ev.session, suite_name(suite));
        return;
    }

    const ConfigPush push = push_for(added);
    const std::string v4 = added.ipv4 ? to_string(*added.ipv4, false) : "-";
    const std::string v6 = added.ipv6 ? to_string(*added.ipv6, false) : "-";
    const Error e = w.driver->push_config(ev.session, push);
    UVLOG_NOTICE("client %s connected from %s: session %08x, inner %s %s, %s", identity.c_str(), outer.c_str(),
                 ev.session, v4.c_str(), v6.c_str(), suite_name(suite));
    if (e != Error::ok) UVLOG_WARN("client %s: could not push its configuration: %s", identity.c_str(), to_string(e));
}

// server.max_sessions_per_identity sessions per identity (1 by default). At the limit the oldest
// is replaced by a reconnection, or kept against a second machine (identity_clash.hpp). False:
// the new session was refused (and closed).
bool Server::make_room(Worker& w, const ClientEntry& c) {
    const auto held = clients_.sessions_of(c.key);
    if (held.empty() || held.size() < cfg_.max_sessions_per_identity) return true;
    const SessionId old_sid = held.front();
    // The holder's address: from its endpoint if it is ours, else the last one it reported
    // (address_changed events keep the table's copy current).
    const auto info = owner_of(old_sid) == &w ? w.driver->session_info(old_sid) : std::nullopt;
    const PeerAddress holder = info ? info->address : clients_.find(old_sid)->outer;
    const TimeNs now = w.driver->now();
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
        w.driver->close(c.session, Error::closed_locally,
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
    close_session(w, old_sid, "replaced by a new session");
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
bool Server::start_pppd(Worker& w, const ClientEntry& c) {
    std::string addresses;
    if (c.ipv4) addresses = to_string(*clients_.server_address4(), false) + ":" + to_string(*c.ipv4, false);
    const std::string err = ppp_->open(c.session, c.identity, addresses);
    if (err.empty()) return true;
    UVLOG_ERROR("client %s: %s", c.identity.c_str(), err.c_str());
    ++counters_.refused_pppd_failed;
    const SessionId sid = c.session;
    forget(sid);
    w.driver->close(sid, Error::closed_locally, err);
    return false;
}

// pppd exited by itself (LCP terminated, echo failure, killed...): the session ends with its reason.
// PPP mode runs one worker, on the main thread with PppSessions.
void Server::on_pppd_ended(SessionId sid, const std::string& reason) {
    std::lock_guard lock(mutex_);
    forget(sid);
    workers_.front()->driver->close(sid, Error::closed_locally, reason);
}

// Main thread or any worker, under mutex_.
void Server::close_session(Worker& w, SessionId sid, const std::string& why) {
    Worker* owner = owner_of(sid);
    if (!owner) return;
    if (owner == &w) {
        w.driver->close(sid, Error::closed_locally, why);
        return;
    }
    asio::post(*owner->io, [owner, sid, why] { owner->driver->close(sid, Error::closed_locally, why); });
}

void Server::on_closed(Worker& w, const Event& ev) {
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
        if (refusal_log_.admit(kind, w.driver->now()))
            UVLOG_WARN("refused client%s%s: %s%s", who.c_str(), from.c_str(), to_string(ev.reason), text.c_str());
        return;
    }
    ++counters_.closed[ev.reason];
    UVLOG_NOTICE("client %s (%s) disconnected: %s%s", c->identity.c_str(), peer_to_string(c->outer).c_str(),
                 to_string(ev.reason), text.c_str());
    forget(ev.session);
}

void Server::flush_log_summaries() {
    std::lock_guard lock(mutex_);
    for (const auto& summary : refusal_log_.due(clock().now())) UVLOG_WARN("%s", LogLimiter::format(summary).c_str());
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

void Server::on_client_packet(Worker& w, SessionId sid, InnerProtocol proto, ByteView packet) {
    InnerDrops& drops = w.drops;
    std::unique_lock lock(mutex_);
    const ClientEntry* sender = clients_.find(sid);
    // The endpoint hands out a session's inner packets only after its `established` event, so an
    // unknown session is one we refused, replaced or are closing.
    if (!sender) {
        ++drops.unknown_session;
        return;
    }
    if (ppp_) {
        if (proto == InnerProtocol::ppp) ppp_->deliver(sid, packet);
        else ++drops.wrong_protocol;
        return;
    }
    if (proto == InnerProtocol::ppp) {
        ++drops.wrong_protocol;
        return;
    }
    const ClientEntry& c = *sender;
    // A client may only send from the address we gave it (no spoofing other clients or the server).
    const InnerSourceCheck check = check_inner_source(proto, packet, c.ipv4, c.ipv6);
    const std::optional<IpHeaderInfo>& h = check.header;
    if (check.verdict == InnerSourceVerdict::malformed) {
        ++drops.malformed;
        return;
    }
    if (check.verdict != InnerSourceVerdict::ok) {
        // Link-local chatter (router solicitations, MLD) is normal: only count it.
        if (check.verdict == InnerSourceVerdict::source_link_local) {
            ++drops.source_link_local;
            return;
        }
        ++drops.source_address;
        UVLOG_DEBUG("client %s: dropped packet from unassigned source %s", c.identity.c_str(), to_string(h->src, false).c_str());
        return;
    }
    const RuleSubject from{c.identity, c.peer.issuer, c.groups};
    const TimeNs now = access_.enabled() ? w.driver->now() : 0;
    if (const auto other = clients_.session_for(h->dst)) {
        if (!cfg_.client_to_client) {
            ++drops.client_to_client_off;
            return;
        }
        if (access_.enabled()) {
            const ClientEntry* to = clients_.find(*other);
            if (!to) {
                ++drops.forward_failed;
                return;
            }
            const RuleSubject receiver{to->identity, to->peer.issuer, to->groups};
            if (!access_.allows(from, packet, &receiver, now)) {
                ++drops.access_denied;
                return;
            }
        }
        lock.unlock();   // sealing needs no shared state
        send_to_session(w, *other, proto, packet, HandoffQueue::Origin::client);
        return;
    }
    if (!access_.allows(from, packet, nullptr, now)) {
        ++drops.access_denied;
        return;
    }
    lock.unlock();
    // Addresses inside the pools other than the server's belong to no one: do not bounce them back.
    if (!w.tun->write(packet)) ++drops.tunnel_write;
}

bool Server::on_tun_readable(Worker& w) {
    bool more = true;   // stopped at the batch limit: more may be waiting
    bool flushed_first = false;
    for (int i = 0; i < kTunReadBatch; ++i) {
        // The first packet (or super-packet) leaves before the device is read again (client.cpp).
        if (i > 0 && !flushed_first && !w.tun->segments_pending()) {
            w.driver->flush();
            flushed_first = true;
        }
        const long n = w.tun->read(MutableByteView(w.tun_buf));
        if (n <= 0) {
            more = false;
            break;
        }
        const ByteView pkt(w.tun_buf.data(), static_cast<std::size_t>(n));
        const auto h = parse_ip_header(pkt);
        if (!h) {
            ++w.drops.to_client_malformed;
            continue;
        }
        std::optional<SessionId> sid;
        {
            std::lock_guard lock(mutex_);
            sid = clients_.session_for(h->dst);
        }
        if (!sid) {
            ++w.drops.no_route;
            continue;
        }
        send_to_session(w, *sid, h->protocol, pkt, HandoffQueue::Origin::tunnel);
    }
    w.driver->flush();
    return more;
}

// The kernel picks the tunnel queue by flow, so a worker reads packets of sessions it does not
// hold: those go to the owner's inbox, in the order read, and the owner is woken once per batch.
void Server::send_to_session(Worker& w, SessionId sid, InnerProtocol proto, ByteView packet,
                             HandoffQueue::Origin origin) {
    Worker* owner = owner_of(sid);
    if (owner == &w || !owner) {
        if (!w.driver->send_inner(sid, proto, packet))
            ++(origin == HandoffQueue::Origin::tunnel ? w.drops.seal_failed : w.drops.forward_failed);
        return;
    }
    switch (owner->inbox.push(sid, proto, origin, packet)) {
    case HandoffQueue::Pushed::queued: break;
    case HandoffQueue::Pushed::queued_first:
        asio::post(*owner->io, [this, owner] { take_inbox(*owner); });
        break;
    case HandoffQueue::Pushed::full: ++w.drops.handoff_full; break;
    }
}

void Server::take_inbox(Worker& w) {
    w.handed_in += w.inbox.take([&w](const HandoffQueue::Packet& p) {
        if (!w.driver->send_inner(p.session, p.protocol, p.bytes))
            ++(p.origin == HandoffQueue::Origin::tunnel ? w.drops.seal_failed : w.drops.forward_failed);
    });
    w.driver->flush();
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
    if (next.workers != cfg_.workers) UVLOG_WARN("reload: server.workers changes only on restart");
    std::unique_lock lock(mutex_);   // the workers read what follows
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
    lock.unlock();
    // Re-verifies every session of every worker: revoked or expired clients get `closed` events
    // (logged there). One verifier for all: it is thread-safe.
    for (auto& w : workers_) run_on(*w, [&w, &verifier] { w->driver->set_verifier(verifier); });
    lock.lock();
    UVLOG_NOTICE("reload done: %zu clients connected", clients_.size());
}

void Server::shutdown(std::function<void()> done) {
    shutting_down_ = true;
    std::size_t count = 0;
    for (auto& wp : workers_) {
        Worker& w = *wp;
        run_on(w, [this, &w, &count] {
            const auto sids = w.driver->sessions();
            count += sids.size();
            for (const SessionId s : sids) {
                {
                    std::lock_guard lock(mutex_);
                    if (const ClientEntry* c = clients_.find(s))
                        UVLOG_INFO("client %s (%s): disconnecting, server shutting down", c->identity.c_str(),
                                   peer_to_string(c->outer).c_str());
                    forget(s);
                }
                w.driver->close(s, Error::closed_locally, "server shutting down");
            }
            w.driver->stop_reading();   // no new session now: clients reconnect to whoever comes next
        });
    }
    UVLOG_NOTICE("shutting down: disconnected %zu sessions", count);
    // Give the DISCONNECT datagrams a moment to leave (and retransmissions a chance), at most 1 s.
    // In PPP mode also wait (up to the SIGKILL grace) for every pppd to run ip-down and exit.
    if (ppp_) ppp_->close_all();
    const TimeNs now = workers_.empty() ? 0 : clock().now();
    auto deadline = std::make_shared<TimeNs>(now + (ppp_ ? 4 : 1) * kSecond);
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, deadline, poll, done] {
        const bool ppp_busy = ppp_ && (ppp_->running() || ppp_->stopping());
        bool sessions_left = false;
        for (auto& w : workers_) run_on(*w, [&] { sessions_left = sessions_left || !w->driver->sessions().empty(); });
        if ((!sessions_left && !ppp_busy) || workers_.empty() || clock().now() >= *deadline) {
            for (auto& w : workers_) run_on(*w, [&w] { w->tun_watch.reset(); });
            status_.reset();
            metrics_.reset();
            log_timer_.cancel();
            if (!workers_.empty()) flush_log_summaries();
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

// Every worker's counters, read on its own thread, summed; with `with_sessions` each session's.
Server::WorkerView Server::collect(bool with_sessions) const {
    WorkerView v;
    for (auto& wp : workers_) {
        const Worker& w = *wp;
        run_on(*wp, [&] {
            add_stats(v.stats, w.driver->stats());
            add_traffic(v.traffic, w.driver->traffic());
            v.send_errors += w.driver->send_errors();
            v.drops.add(w.drops);
            v.handed_in.push_back(w.handed_in);
            if (!with_sessions) return;
            for (const SessionId s : w.driver->sessions())
                if (auto info = w.driver->session_info(s)) v.sessions.emplace(s, *info);
        });
    }
    return v;
}

// Every inner packet dropped on the way, by reason: the server's own drops and the endpoint's
// (early data it could not keep, a full delivery queue). One object of its own in the status reply.
void Server::write_inner_drops(JsonWriter& j, const WorkerView& v) const {
    const InnerDropStats& lib = v.stats.inner_dropped;
    const InnerDrops& d = v.drops;
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
    j.field("handoff_full", d.handoff_full);
    j.end_object();
    j.end_object();
}

// What the endpoint refused from peers whose address is not validated, by reason (since start).
// One object of its own in the status reply, next to inner_drops.
void Server::write_handshake_refusals(JsonWriter& j, const WorkerView& v) const {
    const UnvalidatedRefusals& u = v.stats.unvalidated;
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

// Each worker's sessions and route byte (the sessions the table holds, by the worker that owns them).
void Server::write_workers(JsonWriter& j, const WorkerView& v) const {
    std::vector<std::uint64_t> held(workers_.size());
    for (const auto& [sid, c] : clients_)
        if (const Worker* w = owner_of(sid)) ++held[w->index];
    j.key("workers").begin_array();
    for (const auto& w : workers_) {
        j.begin_object();
        j.field("worker", static_cast<std::uint64_t>(w->index));
        j.field("route_byte", static_cast<std::uint64_t>(w->route_byte));
        j.field("sessions", held[w->index]);
        j.field("handed_in", w->index < v.handed_in.size() ? v.handed_in[w->index] : std::uint64_t{0});
        j.end_object();
    }
    j.end_array();
}

// Main thread: the workers' counters first (never under mutex_), then the shared state.
std::string Server::status_json() const {
    const WorkerView view = collect(true);
    std::lock_guard lock(mutex_);
    const EndpointDriver& driver = clock();
    const TimeNs now = driver.now();
    const std::int64_t unix_now = driver.unix_seconds(now);
    auto to_unix = [&](TimeNs t) -> std::int64_t {
        if (t == 0 || t > now) return unix_now;
        return unix_now - static_cast<std::int64_t>((now - t) / kSecond);
    };
    JsonWriter j;
    j.begin_object().field("version", 1);
    j.key("server").begin_object();
    j.field("listen", (cfg_.listen_address.empty() ? std::string("*") : cfg_.listen_address) + ":" + std::to_string(port()));
    j.field("mode", ppp_ ? "ppp" : "ip");
    j.field("device", workers_.front()->tun ? workers_.front()->tun->name() : std::string());
    const auto a4 = clients_.server_address4(), a6 = clients_.server_address6();
    j.field("ipv4", a4 ? to_string(*a4) : std::string());
    j.field("ipv6", a6 ? to_string(*a6) : std::string());
    j.field("pid", static_cast<std::int64_t>(getpid()));
    j.field("uptime_s", static_cast<std::uint64_t>((now - driver.started()) / kSecond));
    j.field("sessions", static_cast<std::uint64_t>(clients_.size()));
    j.field("client_to_client", cfg_.client_to_client);
    j.field("server_id", static_cast<std::uint64_t>(cfg_.server_id));
    j.field("stateless_resets_sent", view.stats.resets_sent);
    j.field("stateless_resets_rate_limited", view.stats.resets_rate_limited);
    write_workers(j, view);
    j.end_object();
    j.key("sessions").begin_array();
    for (const auto& [sid, c] : clients_) {
        const auto found = view.sessions.find(sid);
        const std::optional<SessionInfo> info =
            found == view.sessions.end() ? std::nullopt : std::optional<SessionInfo>(found->second);
        const Worker* owner = owner_of(sid);
        j.begin_object();
        j.field("session", hex_sid(sid));
        j.field("worker", static_cast<std::uint64_t>(owner ? owner->index : 0));
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
    write_inner_drops(j, view);
    write_handshake_refusals(j, view);
    write_access(j);
    j.end_object();
    return j.str();
}

}  // namespace udpvpn::app
