// SPDX-License-Identifier: GPL-3.0-or-later
#include "server_config.hpp"

#include "access_config.hpp"
#include "address_pool.hpp"
#include "toml_reader.hpp"
#include "tunnel_backend.hpp"

#include <algorithm>

namespace udpvpn::app {

ServerConfig default_server_config() {
    ServerConfig c;
    c.ipv4_pool = parse_prefix("10.77.0.0/24");
    c.ipv6_pool = parse_prefix("fd77:7670:6e00::/64");
    return c;
}

static ServerConfig read(TomlReader& r) {
    ServerConfig c = default_server_config();
    c.path = r.path();
    const std::string listen = r.string("server.listen", "");
    if (!listen.empty()) {
        // "[::]:51820", "0.0.0.0:51820", ":51820" or a bare port via server.port.
        auto hp = parse_host_port(listen.front() == ':' ? "*" + listen : listen, 51820);
        if (!hp) r.fail("server.listen", "expected address:port such as \"0.0.0.0:51820\" or \"[::]:51820\"");
        c.listen_address = hp->host == "*" ? "" : hp->host;
        if (!c.listen_address.empty() && !parse_address(c.listen_address))
            r.fail("server.listen", "the address must be an IP literal");
        c.port = hp->port;
    }
    c.port = static_cast<std::uint16_t>(r.integer("server.port", c.port, 1, 65535));
    if (!parse_identity_mode(r.string("server.identity", "subject"), c.identity_mode))
        r.fail("server.identity", "expected subject, san-dns, san-email, san-uri or fingerprint");
    c.max_sessions_per_identity =
        static_cast<std::size_t>(r.integer("server.max_sessions_per_identity", 1, 1, 1024));
    c.workers = static_cast<unsigned>(r.integer("server.workers", 0, 0, kMaxConfiguredWorkers));
    const std::string level = r.string("server.log_level", "info");
    if (!parse_log_level(level, c.log_level)) r.fail("server.log_level", "expected error, warning, notice, info or debug");

    c.ca_file = r.string("pki.ca", c.ca_file);
    c.cert_file = r.string("pki.cert", c.cert_file);
    c.key_file = r.string("pki.key", c.key_file);
    c.crl_file = r.string("pki.crl", "");
    c.require_crl = r.boolean("pki.require_crl", false);
    c.allow_missing_eku = r.boolean("pki.allow_missing_eku", false);
    c.admission_key_file = r.string("pki.admission_key", "");
    c.strict_key_permissions = r.boolean("pki.strict_key_permissions", false);

    c.device = r.string("tunnel.device", c.device);
    if (c.device.empty() || c.device.size() > 15) r.fail("tunnel.device", "must be 1 to 15 characters");
    c.mtu = static_cast<std::uint16_t>(r.integer("tunnel.mtu", c.mtu, 1280, 9000));
    if (r.has("tunnel.ipv4_pool")) {
        c.ipv4_pool = r.prefix("tunnel.ipv4_pool");
        if (c.ipv4_pool && (c.ipv4_pool->v6 || c.ipv4_pool->len > 30))
            r.fail("tunnel.ipv4_pool", "expected an IPv4 prefix of length 30 or shorter");
    }
    if (r.has("tunnel.ipv6_pool")) {
        c.ipv6_pool = r.prefix("tunnel.ipv6_pool");
        if (c.ipv6_pool && (!c.ipv6_pool->v6 || c.ipv6_pool->len > 126))
            r.fail("tunnel.ipv6_pool", "expected an IPv6 prefix of length 126 or shorter");
    }
    read_ppp_config(r, c.mode, c.ppp, false);
    read_test_tunnel(r, c.test_tunnel);
    read_offload_config(r, c.offload);
    if (c.mode == TunnelMode::ppp) {
        // pppd negotiates addresses itself; a pool given explicitly is handed out through IPCP.
        c.ppp_assign_ipv4 = r.has("tunnel.ipv4_pool") && c.ipv4_pool.has_value();
        if (!c.ppp_assign_ipv4) c.ipv4_pool.reset();
        c.ipv6_pool.reset();   // IPV6CP negotiates interface identifiers, not addresses
    }
    if (c.mode == TunnelMode::ip && !c.ipv4_pool && !c.ipv6_pool) r.fail("tunnel.ipv4_pool", "at least one of ipv4_pool and ipv6_pool is needed");
    if (r.has("tunnel.routes")) {
        c.push_routes = r.prefix_list("tunnel.routes");
    } else {
        if (c.ipv4_pool) c.push_routes.push_back(c.ipv4_pool->network());
        if (c.ipv6_pool) c.push_routes.push_back(c.ipv6_pool->network());
    }
    c.push_dns = r.address_list("tunnel.dns");
    c.client_to_client = r.boolean("tunnel.client_to_client", false);
    c.access = read_access_policy(r, c.client_to_client);
    if (c.access.enabled && c.mode == TunnelMode::ppp)
        r.fail("access", "access rules apply to IP mode only (in PPP mode pppd's own filters apply)");

    for (const auto& name : r.table_keys("clients")) {
        const std::string base = "clients." + name;
        FixedAddress f;
        f.ipv4 = r.address(base + ".ipv4");
        f.ipv6 = r.address(base + ".ipv6");
        f.issuer = r.string(base + ".issuer", "");
        if (f.ipv4 && (f.ipv4->v6 || !c.ipv4_pool || !c.ipv4_pool->contains(*f.ipv4)))
            r.fail(base + ".ipv4", "must be an IPv4 address inside tunnel.ipv4_pool");
        if (f.ipv6 && (!f.ipv6->v6 || !c.ipv6_pool || !c.ipv6_pool->contains(*f.ipv6)))
            r.fail(base + ".ipv6", "must be an IPv6 address inside tunnel.ipv6_pool");
        c.fixed[name] = f;
    }

    c.status_socket = r.string("status.socket", c.status_socket);
    c.status_group = r.string("status.group", "");
    const std::string metrics = r.string("metrics.listen", "");
    if (!metrics.empty()) {
        // An IP literal and a port: a scraper reaches it, nothing else should (no name lookups).
        auto hp = parse_host_port(metrics, 0);
        if (!hp || hp->port == 0 || !parse_address(hp->host))
            r.fail("metrics.listen", "expected an IP address and a port such as \"127.0.0.1:9557\" or \"[::1]:9557\"");
        c.metrics_address = hp->host;
        c.metrics_port = hp->port;
    }
    c.user = r.string("privileges.user", "");
    c.group = r.string("privileges.group", "");
    if (c.mode == TunnelMode::ppp && !c.user.empty())
        r.fail("privileges.user", "must be empty in PPP mode (the server starts pppd, which needs root)");

    // Several servers behind one load balancer: route byte, shared key, a part of the pools each.
    c.server_id = static_cast<std::uint8_t>(r.integer("cluster.server_id", 0, 0, 255));
    c.cluster_key_file = r.string("cluster.key", "");
    c.stateless_reset_rate = static_cast<std::uint32_t>(r.integer("cluster.stateless_reset_rate", 100, 0, 1 << 20));
    c.pool_slices = static_cast<unsigned>(r.integer("cluster.pool_slices", 1, 1, 256));
    if ((c.pool_slices & (c.pool_slices - 1)) != 0) r.fail("cluster.pool_slices", "must be a power of two (1, 2, 4, ... 256)");
    c.pool_slice = c.server_id % c.pool_slices;
    if (c.pool_slices > 1 && c.server_id >= c.pool_slices)
        r.fail("cluster.server_id", "must be below cluster.pool_slices (" + std::to_string(c.pool_slices) +
                                        "): it numbers this server's part of the pools");
    // Worker w takes route byte server_id + w: all of them must be route bytes.
    if (c.workers > 1 && c.server_id + c.workers > 256)
        r.fail("server.workers", "workers take route bytes cluster.server_id (" + std::to_string(c.server_id) +
                                     ") to server_id + workers - 1, which must stay below 256");
    for (const auto* pool : {&c.ipv4_pool, &c.ipv6_pool}) {
        if (*pool && !AddressPool::slice_of(**pool, c.pool_slices, c.pool_slice))
            r.fail((*pool)->v6 ? "tunnel.ipv6_pool" : "tunnel.ipv4_pool",
                   "too small for cluster.pool_slices = " + std::to_string(c.pool_slices) +
                       " parts of at least 4 addresses each");
    }

    c.max_sessions = static_cast<std::size_t>(r.integer("protocol.max_sessions", 65536, 1, 1 << 24));
    ResponderConfig& u = c.unvalidated_limits;
    u.max_half_open = static_cast<std::size_t>(r.integer("protocol.max_half_open", 4096, 1, 1 << 20));
    u.cookie_threshold = static_cast<std::size_t>(r.integer("protocol.cookie_threshold", 256, 0, 1 << 20));
    u.max_half_open_per_source = static_cast<std::size_t>(r.integer("protocol.max_half_open_per_source", 32, 0, 1 << 20));
    u.max_half_open_per_prefix = static_cast<std::size_t>(r.integer("protocol.max_half_open_per_prefix", 128, 0, 1 << 20));
    u.handshake_rate_per_source = static_cast<std::uint32_t>(r.integer("protocol.handshake_rate_per_source", 10, 0, 1 << 20));
    u.handshake_rate_per_prefix = static_cast<std::uint32_t>(r.integer("protocol.handshake_rate_per_prefix", 50, 0, 1 << 20));
    read_protocol_options(r, c.protocol);
    if (c.protocol.timers.dead_peer_timeout <= c.protocol.timers.keepalive_interval)
        r.fail("protocol.dead_peer_timeout", "must be longer than keepalive_interval");
    r.reject_unknown();
    return c;
}

unsigned resolve_workers(const ServerConfig& c, unsigned online_cpus, std::string& why) {
    why.clear();
    const bool cluster = c.server_id != 0 || !c.cluster_key_file.empty() || c.pool_slices > 1;
    unsigned n = c.workers;
    if (n == 0) n = std::clamp(online_cpus, 1u, kAutoWorkersCap);
    if (n == 1) return 1;
    if (c.mode == TunnelMode::ppp) why = "PPP mode runs one worker (one pppd per client on one event loop)";
    else if (c.test_tunnel.enabled()) why = "the loopback test tunnel has one queue: one worker";
    else if (cluster && c.workers == 0)
        why = "a [cluster] member runs one worker unless server.workers says more (each worker takes a route byte "
              "of its own, server_id + worker)";
    return why.empty() ? n : 1;
}

ServerConfig load_server_config(const std::string& path) {
    auto r = TomlReader::from_file(path);
    return read(r);
}

ServerConfig parse_server_config(std::string_view text, const std::string& name) {
    auto r = TomlReader::from_string(text, name);
    return read(r);
}

}  // namespace udpvpn::app
