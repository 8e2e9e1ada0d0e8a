// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-server: one responder Endpoint on one UDP socket, one TUN device, forwarding by inner
// destination address, an address pool, a status socket, SIGHUP reload and SIGTERM shutdown.
#pragma once
#include "access_filter.hpp"
#include "json_writer.hpp"
#include "control_socket.hpp"
#include "endpoint_driver.hpp"
#include "client_identity.hpp"
#include "client_table.hpp"
#include "identity_clash.hpp"
#include "log_limiter.hpp"
#include "metrics_listener.hpp"
#include "prometheus_text.hpp"
#include "pki_files.hpp"
#include "ppp_sessions.hpp"
#include "server_config.hpp"
#include "tun_device.hpp"
#include "udp_socket.hpp"

#include <udpvpn/endpoint.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <optional>

namespace udpvpn::app {

class Server {
public:
    Server(asio::io_context& io, ServerConfig config);
    ~Server();

    // Opens the device (or uses `tun` if given: tests), the socket and the status socket, then drops
    // privileges. Throws ConfigError / std::runtime_error with a message for the log.
    void start(std::unique_ptr<TunDevice> tun = nullptr);
    // SIGHUP: re-reads the configuration file and the CRL; healthy sessions stay.
    void reload();
    // SIGTERM: DISCONNECT to every client with a reason, then `done` once they are out (or 1 s).
    void shutdown(std::function<void()> done);

    std::string status_json() const;
    // Prometheus text exposition of the counters below and the endpoint's (server_metrics.cpp).
    std::string metrics_text() const;
    std::uint16_t port() const;
    // Per access rule: packets and bytes it decided, the default's, replies, unreadable packets
    // (status "access"; a metrics exporter reads them here). Counters survive reloads by rule name.
    const AccessCounters& access_counters() const noexcept { return access_.counters(); }

private:
    void on_event(const Event& ev);
    void on_established(const Event& ev);
    bool make_room(const ClientEntry& c);
    FixedAddress fixed_address(const ClientEntry& c) const;
    ConfigPush push_for(const ClientEntry& c) const;
    void on_closed(const Event& ev);
    void forget(SessionId sid);
    void on_client_packet(SessionId sid, InnerProtocol proto, ByteView packet);
    bool on_tun_readable();   // true: stopped at the batch limit
    bool start_pppd(const ClientEntry& c);
    void on_pppd_ended(SessionId sid, const std::string& reason);
    void setup_device();
    ResponderConfig responder_config() const;
    void flush_log_summaries();
    void arm_log_timer();
    KeyPermissions key_permissions() const;
    void write_inner_drops(JsonWriter& j) const;
    void write_handshake_refusals(JsonWriter& j) const;
    void write_rule_metrics(PrometheusText& m) const;
    void write_access(JsonWriter& j) const;
    void log_access_policy() const;

    asio::io_context& io_;
    ServerConfig cfg_;
    std::unique_ptr<TunDevice> tun_;
    std::unique_ptr<EndpointDriver> driver_;   // the endpoint, the UDP socket and the clock
    std::unique_ptr<ReadWatch> tun_watch_;
    std::unique_ptr<ControlSocket> status_;
    std::unique_ptr<MetricsListener> metrics_;   // [metrics] listen, off by default
    std::unique_ptr<PppSessions> ppp_;   // PPP mode (tunnel.mode = "ppp") instead of tun_
    ClientTable clients_;             // sessions, their inner addresses and identities
    IdentityClashes clashes_;
    AccessFilter access_;             // [[access.rule]] on what clients send
    std::vector<std::uint8_t> tun_buf_;
    asio::steady_timer shutdown_timer_;
    LogLimiter refusal_log_;          // refusals of peers, per reason: a few lines, then a summary
    asio::steady_timer log_timer_;
    bool shutting_down_ = false;      // shutdown() began: sessions that complete now are closed
    // Inner packets the server itself dropped, by reason (status socket: "inner_drops").
    struct InnerDrops {
        // From clients (after the endpoint delivered them).
        std::uint64_t unknown_session = 0;        // no client for the session (refused, replaced, closing)
        std::uint64_t malformed = 0;              // not an IP packet of the payload type's version
        std::uint64_t wrong_protocol = 0;         // IP in PPP mode or PPP in IP mode
        std::uint64_t source_address = 0;         // source is not the address assigned to that client
        std::uint64_t source_link_local = 0;      // the same for IPv6 link-local chatter (normal)
        std::uint64_t client_to_client_off = 0;   // to another client while client_to_client is off
        std::uint64_t access_denied = 0;          // refused by the access rules (per rule: "access")
        std::uint64_t forward_failed = 0;         // to another client: its session refused it
        std::uint64_t tunnel_write = 0;           // the tunnel device refused the write
        // To clients (read from the tunnel device).
        std::uint64_t no_route = 0;               // no client has the destination address
        std::uint64_t to_client_malformed = 0;    // not a parseable IP packet
        std::uint64_t seal_failed = 0;            // the client's session refused it (closing, key limit)
    } inner_drops_;
    // Session events since start, for the metrics (the endpoint counts handshakes and drops).
    struct SessionCounters {
        std::uint64_t rekeys = 0;
        std::map<Error, std::uint64_t> handshakes_failed;   // closed before `established`, by reason
        std::map<Error, std::uint64_t> closed;              // sessions of clients that ended, by reason
        // Completed handshakes the server itself refused, by reason.
        std::uint64_t refused_no_identity_name = 0;      // the certificate lacks the server.identity name
        std::uint64_t refused_identity_in_use = 0;       // identity held from another address
        std::uint64_t refused_fixed_address_in_use = 0;
        std::uint64_t refused_pool_exhausted = 0;
        std::uint64_t refused_shutting_down = 0;
        std::uint64_t refused_pppd_failed = 0;
    } counters_;
};

}  // namespace udpvpn::app
