// SPDX-License-Identifier: GPL-3.0-or-later
#include "client.hpp"

#include "ip_packet.hpp"
#include "log.hpp"
#include "pki_files.hpp"
#include "suite_names.hpp"
#include "toml_reader.hpp"

#include <asio/ip/udp.hpp>
#include <sodium.h>

#include <stdexcept>

namespace udpvpn::app {

constexpr int kSocketBuffer = 4 << 20;
constexpr int kTunReadBatch = 64;
// PPP mode: the largest information field pppd should use (its mtu/mru), like tunnel.mtu in IP mode.
constexpr std::size_t kPppMtu = 1420;

Client::Client(asio::io_context& io, ClientConfig config)
    : io_(io), cfg_(std::move(config)), reconnect_timer_(io), ping_timer_(io) {
    server_text_ = cfg_.server_host + ":" + std::to_string(cfg_.server_port);
    driver_ = std::make_unique<EndpointDriver>(io_,
        EndpointDriver::Hooks{[this](SessionId, InnerProtocol p, ByteView b) {
                                  if (tun_) tun_->write(b);
                                  else if (ppp_ && p == InnerProtocol::ppp) ppp_->deliver(b);
                              },
                              [this](const Event& ev) { on_event(ev); },
                              [this] { if (tun_) tun_->flush(); }});
}

Client::~Client() = default;

void Client::start(std::unique_ptr<TunDevice> tun) {
    const KeyPermissions perms = cfg_.strict_key_permissions ? KeyPermissions::refuse : KeyPermissions::warn;
    verifier_ = load_verifier(cfg_.ca_file, cfg_.crl_file, false, cfg_.allow_missing_eku);
    identity_ = load_identity(cfg_.cert_file, cfg_.key_file, perms);
    check_admission_key_file(cfg_.admission_key_file, perms);   // fail early on a bad file

    if (cfg_.mode == TunnelMode::ppp) {
        ppp_ = std::make_unique<PppClient>(io_, cfg_.ppp, kPppMtu,
            PppClient::Hooks{[this](ByteView f) {
                                 if (established_) driver_->send_inner(session_, InnerProtocol::ppp, f);
                             },
                             [this](const PppdExit& e) { on_pppd_ended(e); }});
        ppp_->start();
    } else if (tun) {
        tun_ = std::move(tun);
    } else {
        std::string err;
        tun_ = open_tunnel_device(io_, cfg_.test_tunnel, cfg_.device, 1420, err, cfg_.offload.tun);
        if (!tun_) throw std::runtime_error(err);
    }
    if (tun_) {
        unsigned ifindex = 0;
        if (tun_->system_interface()) {
            ifindex = host_network::if_index(tun_->name());
            if (ifindex == 0) throw std::runtime_error(tun_->name() + ": no such interface");
        }
        host_settings_ = system_host_settings();
        host_config_ = std::make_unique<HostConfig>(*host_settings_, *tun_, ifindex, host_policy());
    }

    std::string err;
    auto sock = open_udp_socket(io_, "", 0, kSocketBuffer, err);
    if (!sock) throw std::runtime_error(err);
    driver_->start(std::move(*sock), cfg_.offload.udp);
    if (ppp_) {
        UVLOG_NOTICE("PPP mode (%s), server %s (expecting name \"%s\")", cfg_.ppp.stdio ? "stdin/stdout" : cfg_.ppp.pppd.c_str(),
                     server_text_.c_str(), cfg_.server_name.c_str());
        connect();
        return;
    }
    tun_buf_.resize(65536);
    tun_watch_ = tun_->watch(io_, [this] { return on_tun_readable(); });
    UVLOG_NOTICE("device %s, server %s (expecting name \"%s\")", tun_->name().c_str(), server_text_.c_str(),
                 cfg_.server_name.c_str());
    UVLOG_INFO("offloads: udp %s, tunnel %s", driver_->udp_offloads().c_str(),
               tun_->offloads().empty() ? "none" : tun_->offloads().c_str());
    connect();
}

std::optional<asio::ip::udp::endpoint> Client::resolve_server() {
    asio::ip::udp::resolver resolver(io_);
    asio::error_code ec;
    // Prefer an address family our socket can reach: a v4-only socket cannot send to IPv6.
    const bool v6 = driver_->dual_stack();
    auto results = resolver.resolve(v6 ? asio::ip::udp::v6() : asio::ip::udp::v4(), cfg_.server_host,
                                    std::to_string(cfg_.server_port),
                                    v6 ? asio::ip::resolver_base::v4_mapped | asio::ip::resolver_base::all_matching
                                              : asio::ip::resolver_base::flags(),
                                    ec);
    if (ec || results.empty()) {
        UVLOG_WARN("cannot resolve %s: %s", cfg_.server_host.c_str(), ec ? ec.message().c_str() : "no address");
        return std::nullopt;
    }
    // Prefer a native IPv6 answer only if there is one; otherwise the (mapped) IPv4 one.
    asio::ip::udp::endpoint best = results.begin()->endpoint();
    return best;
}

void Client::connect() {
    if (stopping_) return;
    const auto server = resolve_server();
    if (!server) {
        schedule_reconnect("the server name does not resolve");
        return;
    }
    server_ep_ = *server;
    InitiatorConfig ic;
    cfg_.protocol.apply_to(ic);
    ic.admission_key = load_admission_key(cfg_.admission_key_file, KeyPermissions::checked);
    ic.expected_server_name = cfg_.server_name;
    ic.server = peer_from_udp(*server);
    // The handshake within a 1280-byte path, then path MTU probing up to a full inner packet.
    ic.inner_mtu = static_cast<std::uint16_t>(tun_ ? tun_->mtu() : kPppMtu + 2);
    if (ppp_) ic.inner_protocols = 2;
    const std::string server_address = peer_to_string(ic.server);
    // The next endpoint replaces the previous one.
    const Error made = driver_->make_initiator(std::move(ic), *identity_, verifier_);
    if (made != Error::ok) throw std::runtime_error(std::string("cannot create the endpoint: ") + to_string(made));
    established_ = false;
    accepted_ = false;
    const auto sid = driver_->connect();
    if (!sid) {
        UVLOG_ERROR("cannot start a handshake: %s", to_string(sid.error));
        schedule_reconnect("handshake could not start");
        return;
    }
    session_ = sid.value;
    UVLOG_INFO("connecting to %s (%s)", server_text_.c_str(), server_address.c_str());
}

void Client::schedule_reconnect(const char* why) {
    if (stopping_) return;
    session_ = 0;
    established_ = false;
    accepted_ = false;
    ping_timer_.cancel();
    // Exponential backoff with jitter (so a fleet does not reconnect in lockstep after a restart).
    backoff_ = backoff_ == 0 ? cfg_.reconnect_min : std::min<TimeNs>(backoff_ * 2, cfg_.reconnect_max);
    const TimeNs jitter = backoff_ / 5 ? randombytes_uniform(static_cast<std::uint32_t>(std::min<TimeNs>(backoff_ / 5 / kMillisecond, 1u << 30))) * kMillisecond : 0;
    const TimeNs delay = backoff_ - jitter / 2;
    UVLOG_NOTICE("reconnecting to %s in %.1f s (%s)", server_text_.c_str(), static_cast<double>(delay) / 1e9, why);
    reconnect_timer_.expires_after(std::chrono::nanoseconds(delay));
    reconnect_timer_.async_wait([this](const asio::error_code& ec) {
        if (!ec) connect();
    });
}

void Client::on_event(const Event& ev) {
    if (ev.session != session_ && ev.type != EventType::closed) return;
    switch (ev.type) {
    case EventType::established: {
        // Our keys are ready, but in one round trip the server checks our certificate only now,
        // on our last flight: "connected" waits for its first authenticated answer (accepted()).
        established_ = true;
        accepted_ = false;
        const std::string name = ev.peer.common_name.empty() ? ev.peer.fingerprint_sha256 : ev.peer.common_name;
        server_identity_ = name;
        connected_text_ = server_text_ + " (" + name + ") at " +
                          peer_to_string(ev.address.len ? ev.address : peer_from_udp(server_ep_)) + ": session " +
                          hex_session(ev.session) + ", " + suite_name(ev.suite);
        UVLOG_INFO("handshake done with %s; waiting for the server to accept this client", connected_text_.c_str());
        ping_tick();   // the pong (or the pushed configuration) is that answer
        break;
    }
    case EventType::config_received:
        on_accepted();
        apply_config(ev.config);
        break;
    case EventType::pong: on_accepted(); break;
    case EventType::closed: {
        if (ev.session != session_) break;
        if (stopping_) {
            UVLOG_INFO("disconnected from %s (client exiting)", server_text_.c_str());
            break;
        }
        if (ppp_) ppp_->session_down();   // (stop() ends pppd itself, gracefully)
        const std::string text = ev.text.empty() ? "" : " (" + ev.text + ")";
        if (accepted_)
            UVLOG_WARN("disconnected from %s: %s%s", server_text_.c_str(), to_string(ev.reason), text.c_str());
        else
            UVLOG_WARN("cannot connect to %s: %s%s", server_text_.c_str(), to_string(ev.reason), text.c_str());
        schedule_reconnect(to_string(ev.reason));
        break;
    }
    case EventType::mtu_changed: UVLOG_DEBUG("path allows inner mtu %u", ev.mtu); break;
    case EventType::rekeyed: UVLOG_DEBUG("rekeyed to epoch %llu", (unsigned long long)ev.epoch); break;
    default: break;
    }
}

std::string Client::hex_session(SessionId sid) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", sid);
    return buf;
}

void Client::on_accepted() {
    if (accepted_ || !established_) return;
    accepted_ = true;
    backoff_ = 0;   // only a session the server took resets the backoff: a refused client backs off
    UVLOG_NOTICE("connected to %s", connected_text_.c_str());
    if (ppp_) {
        // A new pppd for every session (none in stdio mode, where the user's pppd stays).
        const std::string err = ppp_->session_up(server_identity_);
        if (!err.empty()) {
            UVLOG_ERROR("%s", err.c_str());
            driver_->close(session_, Error::closed_locally, err);
        }
    }
}

void Client::ping_tick() {
    // A control ping now and then: pongs are authenticated packets, so a silent server is found dead
    // within dead_peer_timeout even when the tunnel carries nothing.
    if (!established_) return;
    driver_->ping(session_, ++ping_token_);
    ping_timer_.expires_after(std::chrono::nanoseconds(cfg_.ping_interval));
    ping_timer_.async_wait([this](const asio::error_code& ec) {
        if (!ec) ping_tick();
    });
}

bool Client::on_tun_readable() {
    bool more = true;   // stopped at the batch limit: more may be waiting
    bool flushed_first = false;
    for (int i = 0; i < kTunReadBatch; ++i) {
        // The turn's first packet (or super-packet) leaves before the device is read again: in an
        // idle tunnel that read finds nothing, and the packet would wait for it and the re-arm.
        if (i > 0 && !flushed_first && !tun_->segments_pending()) {
            driver_->flush();
            flushed_first = true;
        }
        const long n = tun_->read(MutableByteView(tun_buf_));
        if (n <= 0) {
            more = false;
            break;
        }
        if (!established_) continue;   // nowhere to send it: dropped, as a down link would
        const ByteView pkt(tun_buf_.data(), static_cast<std::size_t>(n));
        const auto h = parse_ip_header(pkt);
        if (!h) continue;
        driver_->send_inner(session_, h->protocol, pkt);
    }
    driver_->flush();
    return more;
}

HostConfigPolicy Client::host_policy() const {
    return HostConfigPolicy{cfg_.accept_routes, cfg_.accept_dns, cfg_.route_all};
}

void Client::apply_config(const ConfigPush& push) {
    if (!host_config_) {
        UVLOG_INFO("PPP mode: ignoring pushed configuration (pppd negotiates addresses)");
        return;
    }
    const asio::ip::address a = server_ep_.address();
    const bool mapped = a.is_v6() && a.to_v6().is_v4_mapped();
    const IpPrefix server =
        *parse_address(mapped ? asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string() : a.to_string());
    host_config_->apply(push, server);
}

void Client::undo_config() {
    if (host_config_) host_config_->undo();
}

void Client::reload() {
    UVLOG_NOTICE("reloading %s", cfg_.path.c_str());
    ClientConfig next;
    std::shared_ptr<const CertificateVerifier> verifier;
    std::optional<Identity> identity;
    try {
        next = load_client_config(cfg_.path);
        // Revocation is never weakened by a reload: dropping the CRL needs a restart.
        if (!cfg_.crl_file.empty() && next.crl_file.empty())
            throw ConfigError("pki.crl: removed from " + cfg_.path + "; revocation checks would stop (restart the "
                              "client to run without a CRL)");
        const KeyPermissions perms = next.strict_key_permissions ? KeyPermissions::refuse : KeyPermissions::warn;
        verifier = load_verifier(next.ca_file, next.crl_file, false, next.allow_missing_eku);
        identity = load_identity(next.cert_file, next.key_file, perms);
        check_admission_key_file(next.admission_key_file, perms);
    } catch (const std::exception& e) {
        UVLOG_ERROR("reload refused, keeping the running configuration, CA and CRL: %s", e.what());
        return;
    }
    const PppConfig& new_ppp = next.ppp;
    const PppConfig& old_ppp = cfg_.ppp;
    if (next.server_host != cfg_.server_host || next.server_port != cfg_.server_port ||
        next.server_name != cfg_.server_name || next.mode != cfg_.mode || next.device != cfg_.device ||
        new_ppp.pppd != old_ppp.pppd || new_ppp.options != old_ppp.options || new_ppp.args != old_ppp.args ||
        new_ppp.stdio != old_ppp.stdio ||
        next.test_tunnel.listen != cfg_.test_tunnel.listen || next.test_tunnel.peer != cfg_.test_tunnel.peer)
        UVLOG_WARN("reload: the server, its name, the device, the tunnel mode, [ppp] and [test_tunnel] "
                   "change only on restart");
    // Those stay as they run. Everything else (CA, CRL, our certificate and key, timers, suites,
    // routes and DNS acceptance) applies to the next handshake; the CA and CRL also to the running
    // session.
    next.path = cfg_.path;
    next.server_host = std::move(cfg_.server_host);
    next.server_port = cfg_.server_port;
    next.server_name = std::move(cfg_.server_name);
    next.device = std::move(cfg_.device);
    next.mode = cfg_.mode;
    next.ppp = std::move(cfg_.ppp);
    next.test_tunnel = std::move(cfg_.test_tunnel);
    cfg_ = std::move(next);
    log_set_level(cfg_.log_level);
    if (host_config_) host_config_->set_policy(host_policy());
    verifier_ = verifier;
    identity_ = std::move(identity);
    // A server certificate the new CA or CRL refuses closes the session (logged there).
    driver_->set_verifier(verifier_);
    UVLOG_NOTICE("reload done");
}

void Client::stop(std::function<void()> done) {
    stopping_ = true;
    reconnect_timer_.cancel();
    ping_timer_.cancel();
    if (driver_->has_endpoint() && session_) {
        driver_->close(session_, Error::closed_locally, "client exiting");
        // The server acknowledges the DISCONNECT (docs/rfc-draft.txt, "Closing a Session"): wait for
        // that, one round trip, so that a lost DISCONNECT is sent again instead of leaving the
        // server to its dead-peer timeout. The endpoint gives up after 2 s by itself.
        wait_for_disconnect([this, done] { finish_stop(done); });
        return;
    }
    finish_stop(done);
}

void Client::wait_for_disconnect(std::function<void()> then) {
    if (driver_->sessions().empty()) return then();
    reconnect_timer_.expires_after(std::chrono::milliseconds(10));
    reconnect_timer_.async_wait([this, then](const asio::error_code& ec) {
        if (ec) return then();
        wait_for_disconnect(then);
    });
}

void Client::finish_stop(std::function<void()> done) {
    if (ppp_) {
        // Let pppd run ip-down and exit before the loop ends.
        ppp_->stop([this, done] {
            driver_->drop_endpoint();
            UVLOG_NOTICE("stopped");
            done();
        });
        return;
    }
    undo_config();
    tun_watch_.reset();
    driver_->drop_endpoint();
    host_config_.reset();
    tun_.reset();   // the kernel removes the device and whatever still pointed at it
    UVLOG_NOTICE("stopped: routes, addresses and DNS settings undone");
    done();
}

void Client::on_pppd_ended(const PppdExit& e) {
    if (stopping_) return;
    if (ppp_->stdio()) {
        UVLOG_NOTICE("%s: exiting", e.reason.c_str());
        stop([this] { io_.stop(); });
        return;
    }
    // Errors in pppd's options or setup would repeat on every reconnect: give up instead.
    if (e.exited && (e.status == 2 || e.status == 3 || e.status == 4 || e.status == 127)) {
        UVLOG_ERROR("%s: exiting", e.reason.c_str());
        exit_code_ = 1;
        stop([this] { io_.stop(); });
        return;
    }
    UVLOG_WARN("%s: closing the session", e.reason.c_str());
    if (session_) driver_->close(session_, Error::closed_locally, e.reason);
}

}  // namespace udpvpn::app
