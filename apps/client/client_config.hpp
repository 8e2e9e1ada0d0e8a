// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-client configuration (TOML, apps/examples/client.toml documents every option).
#pragma once
#include "log.hpp"
#include "offload_config.hpp"
#include "ppp_config.hpp"
#include "protocol_options.hpp"
#include "tunnel_backend.hpp"

#include <udpvpn/config.hpp>

#include <string>
#include <vector>

namespace udpvpn::app {

struct ClientConfig {
    std::string path;
    // [client]
    std::string server_host;                 // name or IP literal
    std::uint16_t server_port = 51820;
    std::string server_name;                 // the name the server certificate must carry
    LogLevel log_level = LogLevel::info;
    // [pki]
    std::string ca_file = "/etc/udpvpn/ca.crt";
    std::string cert_file = "/etc/udpvpn/client.crt";
    std::string key_file = "/etc/udpvpn/client.key";
    std::string crl_file;
    bool allow_missing_eku = false;          // accept a server leaf without extendedKeyUsage
    std::string admission_key_file;
    bool strict_key_permissions = false;     // a key readable by group/others: error, not warning
    // [tunnel]
    std::string device = "udpvpn%d";
    TestTunnelConfig test_tunnel;            // [test_tunnel]: the loopback test backend instead
    bool route_all = false;                  // send every packet through the tunnel
    bool accept_routes = true;               // install the routes the server pushes
    bool accept_dns = true;                  // hand pushed DNS servers to systemd-resolved
    TunnelMode mode = TunnelMode::ip;        // tunnel.mode; PPP mode uses [ppp] instead of a TUN device
    PppConfig ppp;
    OffloadConfig offload;                   // [offload]
    // [reconnect]
    TimeNs reconnect_min = 1 * kSecond;
    TimeNs reconnect_max = 30 * kSecond;
    // [protocol]
    TimeNs ping_interval = 5 * kSecond;      // liveness probe while connected
    ProtocolOptions protocol{.timers = {.dead_peer_timeout = 20 * kSecond}};   // then reconnect
};

ClientConfig load_client_config(const std::string& path);
ClientConfig parse_client_config(std::string_view text, const std::string& name);

}  // namespace udpvpn::app
