// SPDX-License-Identifier: GPL-3.0-or-later
#include "client_config.hpp"

#include "inet.hpp"
#include "suite_names.hpp"
#include "toml_reader.hpp"
#include "tunnel_backend.hpp"

namespace udpvpn::app {

static ClientConfig read(TomlReader& r) {
    ClientConfig c;
    c.path = r.path();
    const std::string server = r.string("client.server", "");
    if (server.empty()) r.fail("client.server", "is required (\"vpn.example.com:51820\")");
    const auto hp = parse_host_port(server, 51820);
    if (!hp) r.fail("client.server", "expected host:port such as \"vpn.example.com:51820\" or \"[2001:db8::1]:51820\"");
    c.server_host = hp->host;
    c.server_port = hp->port;
    c.server_name = r.string("client.server_name", "");
    if (c.server_name.empty()) {
        // Safe default: the name we dialled. An IP literal is not a name a certificate vouches for.
        if (parse_address(c.server_host))
            r.fail("client.server_name", "is required when client.server is an IP address (the name in the server's certificate)");
        c.server_name = c.server_host;
    }
    const std::string level = r.string("client.log_level", "info");
    if (!parse_log_level(level, c.log_level)) r.fail("client.log_level", "expected error, warning, notice, info or debug");

    c.ca_file = r.string("pki.ca", c.ca_file);
    c.cert_file = r.string("pki.cert", c.cert_file);
    c.key_file = r.string("pki.key", c.key_file);
    c.crl_file = r.string("pki.crl", "");
    c.allow_missing_eku = r.boolean("pki.allow_missing_eku", false);
    c.admission_key_file = r.string("pki.admission_key", "");
    c.strict_key_permissions = r.boolean("pki.strict_key_permissions", false);

    c.device = r.string("tunnel.device", c.device);
    if (c.device.empty() || c.device.size() > 15) r.fail("tunnel.device", "must be 1 to 15 characters");
    c.route_all = r.boolean("tunnel.route_all", false);
    c.accept_routes = r.boolean("tunnel.accept_routes", true);
    c.accept_dns = r.boolean("tunnel.accept_dns", true);
    read_ppp_config(r, c.mode, c.ppp, true);
    read_test_tunnel(r, c.test_tunnel);
    read_offload_config(r, c.offload);

    c.reconnect_min = r.duration("reconnect.min_delay", c.reconnect_min);
    c.reconnect_max = r.duration("reconnect.max_delay", c.reconnect_max);
    if (c.reconnect_min < 100 * kMillisecond) r.fail("reconnect.min_delay", "must be at least 100ms");
    if (c.reconnect_max < c.reconnect_min) r.fail("reconnect.max_delay", "must not be shorter than min_delay");

    c.ping_interval = r.duration("protocol.ping_interval", c.ping_interval);
    read_protocol_options(r, c.protocol);
    if (c.ping_interval < 500 * kMillisecond) r.fail("protocol.ping_interval", "must be at least 500ms");
    if (c.protocol.timers.dead_peer_timeout <= c.ping_interval)
        r.fail("protocol.dead_peer_timeout", "must be longer than ping_interval");
    r.reject_unknown();
    return c;
}

ClientConfig load_client_config(const std::string& path) {
    auto r = TomlReader::from_file(path);
    return read(r);
}

ClientConfig parse_client_config(std::string_view text, const std::string& name) {
    auto r = TomlReader::from_string(text, name);
    return read(r);
}

}  // namespace udpvpn::app
