// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-server configuration (TOML, apps/examples/server.toml documents every option).
#pragma once
#include "inet.hpp"
#include "log.hpp"
#include "offload_config.hpp"
#include "ppp_config.hpp"
#include "protocol_options.hpp"
#include "tunnel_backend.hpp"
#include "suite_names.hpp"
#include "client_identity.hpp"
#include "access_rules.hpp"

#include <udpvpn/config.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace udpvpn::app {

struct FixedAddress {
    std::optional<IpPrefix> ipv4, ipv6;   // host addresses inside the pools
    std::string issuer;                   // "" or the RFC 4514 issuer DN the client's CA must have
};

struct ServerConfig {
    std::string path;                          // the file it came from ("" = built-in defaults)
    // [server]
    std::string listen_address;                // "" = every address, dual-stack
    std::uint16_t port = 51820;
    LogLevel log_level = LogLevel::info;
    std::size_t max_sessions_per_identity = 1; // sessions one certificate identity may hold at once
    unsigned workers = 0;                      // threads with an endpoint each; 0 = one per online CPU
    // [pki]
    std::string ca_file = "/etc/udpvpn/ca.crt";
    std::string cert_file = "/etc/udpvpn/server.crt";
    std::string key_file = "/etc/udpvpn/server.key";
    std::string crl_file;                      // "" = no CRL
    bool require_crl = false;
    bool allow_missing_eku = false;            // accept client leaves without extendedKeyUsage
    std::string admission_key_file;            // 32 raw bytes or 64 hex digits; "" = none
    bool strict_key_permissions = false;       // a key readable by group/others: error, not warning
    // [tunnel]
    std::string device = "udpvpn%d";
    TestTunnelConfig test_tunnel;            // [test_tunnel]: the loopback test backend instead
    std::uint16_t mtu = 1420;                  // inner MTU; 1420 + 29 + IPv6/UDP headers fits 1500
    std::optional<IpPrefix> ipv4_pool;         // server takes the first host address
    std::optional<IpPrefix> ipv6_pool;
    std::vector<IpPrefix> push_routes;         // default: the pools themselves
    std::vector<IpPrefix> push_dns;
    bool client_to_client = false;
    AccessPolicy access;                       // [access], [[access.rule]]; SIGHUP reloads it
    std::map<std::string, FixedAddress> fixed; // [clients.<identity>]
    IdentityMode identity_mode = IdentityMode::subject;   // server.identity; restart to change
    TunnelMode mode = TunnelMode::ip;          // tunnel.mode
    // PPP mode: one pppd per session ([ppp]); tunnel.ipv4_pool, when set in the file, hands each
    // client its address through IPCP (pppd's local:remote option).
    PppConfig ppp;
    bool ppp_assign_ipv4 = false;
    OffloadConfig offload;                     // [offload]; restart to change
    // [status]
    std::string status_socket = "/run/udpvpn/server.sock";
    std::string status_group;
    // [metrics]: Prometheus text on http://<address>:<port>/metrics; off when the address is "".
    std::string metrics_address;
    std::uint16_t metrics_port = 0;
    // [privileges]
    std::string user, group;
    // [cluster]: several servers behind one load balancer (docs/rfc-draft.txt, Section 10.5)
    std::uint8_t server_id = 0;                // route byte of our session IDs
    std::string cluster_key_file;              // shared secret (cookies, stateless reset); "" = none
    unsigned pool_slices = 1;                  // the pools are cut into this many parts ...
    unsigned pool_slice = 0;                   // ... and we hand out addresses of this one
    std::uint32_t stateless_reset_rate = 100;  // resets sent per second at most
    // [protocol]
    std::size_t max_sessions = 65536;
    // Peers not authenticated yet (docs/rfc-draft.txt, Section 10.4; udpvpn.conf(5)), [protocol].
    ResponderConfig unvalidated_limits;   // only max_half_open, cookie_threshold and the per-source ones
    ProtocolOptions protocol;
};

// Workers when server.workers is 0 (automatic): one per online CPU, at most this many.
constexpr unsigned kAutoWorkersCap = 16;
constexpr unsigned kMaxConfiguredWorkers = 64;

// How many workers the server runs: server.workers, or one per online CPU (`online_cpus`, at most
// kAutoWorkersCap) when 0. One where the rest cannot follow: PPP mode (a pppd per client, one
// thread), the loopback test tunnel, and a [cluster] member that did not set server.workers (its
// route bytes would reach into the other members'). `why` says why it is one when forced.
unsigned resolve_workers(const ServerConfig& config, unsigned online_cpus, std::string& why);

// One worker's part of a server-wide limit (max_sessions, max_half_open, cookie_threshold,
// stateless_reset_rate): `total` split evenly, rounded up; 0 stays 0.
constexpr std::uint64_t worker_share(std::uint64_t total, unsigned workers) {
    return workers <= 1 ? total : (total + workers - 1) / workers;
}

// Throws ConfigError naming file, line and option.
ServerConfig load_server_config(const std::string& path);
ServerConfig parse_server_config(std::string_view text, const std::string& name);
ServerConfig default_server_config();

}  // namespace udpvpn::app
