// SPDX-License-Identifier: GPL-3.0-or-later
#include "client_config.hpp"
#include "server_config.hpp"
#include "toml_reader.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

using namespace udpvpn;
using namespace udpvpn::app;

static std::string error_of(std::string_view text) {
    try {
        parse_server_config(text, "server.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST_CASE("an empty server configuration gives the safe defaults") {
    const auto c = parse_server_config("", "server.toml");
    CHECK(c.port == 51820);
    CHECK(c.mtu == 1420);
    CHECK_FALSE(c.client_to_client);
    REQUIRE(c.ipv4_pool);
    REQUIRE(c.ipv6_pool);
    CHECK(to_string(*c.ipv4_pool) == "10.77.0.0/24");
    CHECK(c.push_routes.size() == 2);   // the pools themselves
    CHECK(c.user.empty());
    CHECK_FALSE(c.require_crl);
}

TEST_CASE("server options are read with their types") {
    const auto c = parse_server_config(R"(
[server]
listen = "[::]:4433"
log_level = "debug"
[tunnel]
ipv4_pool = "10.9.0.0/16"
ipv6_pool = ""
routes = ["192.168.0.0/24"]
dns = ["10.9.0.1"]
client_to_client = true
mtu = 1380
[clients.alice]
ipv4 = "10.9.1.2"
[protocol]
keepalive_interval = "5s"
dead_peer_timeout = 30
suites = ["aes-256-gcm"]
)", "s.toml");
    CHECK(c.port == 4433);
    CHECK(c.listen_address == "::");
    CHECK(c.log_level == LogLevel::debug);
    CHECK_FALSE(c.ipv6_pool);
    REQUIRE(c.push_routes.size() == 1);
    CHECK(to_string(c.push_routes[0]) == "192.168.0.0/24");
    CHECK(c.client_to_client);
    CHECK(c.mtu == 1380);
    REQUIRE(c.fixed.count("alice"));
    CHECK(to_string(*c.fixed.at("alice").ipv4, false) == "10.9.1.2");
    CHECK(c.protocol.timers.keepalive_interval == 5 * kSecond);
    CHECK(c.protocol.timers.dead_peer_timeout == 30 * kSecond);
    REQUIRE(c.protocol.suites.size() == 1);
    CHECK(c.protocol.suites[0] == Suite::aes256_gcm);
}

TEST_CASE("a bad option is reported with file, line and option name") {
    CHECK(error_of("[tunnel]\n\nmtu = 100\n") == "server.toml:3: tunnel.mtu: must be between 1280 and 9000");
    CHECK(error_of("[tunnel]\nmtu = \"big\"\n") == "server.toml:2: tunnel.mtu: expected an integer");
    CHECK(error_of("[tunnel]\nipv4_pool = \"10.0.0.0/33\"\n").find("server.toml:2: tunnel.ipv4_pool:") == 0);
    CHECK(error_of("[clients.bob]\nipv4 = \"192.168.5.5\"\n") ==
          "server.toml:2: clients.bob.ipv4: must be an IPv4 address inside tunnel.ipv4_pool");
    CHECK(error_of("[protocol]\nkeepalive_interval = \"10 parsecs\"\n").find("server.toml:2: protocol.keepalive_interval") == 0);
}

TEST_CASE("the library's rules (udpvpn::validate) are reported under the [protocol] key") {
    // Our range policy first, the library's rules after it: both name the key that is wrong.
    CHECK(error_of("[protocol]\nsuites = []\n").find("protocol.suites: needs at least one suite") != std::string::npos);
    CHECK(error_of("[protocol]\nrekey_after_time = \"200s\"\n").find("protocol.rekey_after_time: must be between") !=
          std::string::npos);
}

TEST_CASE("a misspelt option is an error, not a silent default") {
    CHECK(error_of("[tunnel]\nclient_to_clinet = true\n") == "server.toml:2: tunnel.client_to_clinet: unknown option");
    CHECK(error_of("[clients.alice]\nipv5 = \"x\"\n") == "server.toml:2: clients.alice.ipv5: unknown option");
}

TEST_CASE("a TOML syntax error names the line") {
    CHECK(error_of("[server]\nport = = 3\n").find("server.toml:2:") == 0);
}

TEST_CASE("a missing configuration file is a clear error") {
    try {
        load_server_config("/nonexistent/udpvpn.toml");
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()).find("/nonexistent/udpvpn.toml: cannot open") == 0);
    }
}

TEST_CASE("the client needs a server and defaults the expected name to the host it dials") {
    const auto c = parse_client_config("[client]\nserver = \"vpn.example.com:4000\"\n", "c.toml");
    CHECK(c.server_host == "vpn.example.com");
    CHECK(c.server_port == 4000);
    CHECK(c.server_name == "vpn.example.com");
    CHECK_FALSE(c.route_all);
    CHECK(c.accept_dns);
    try {
        parse_client_config("[client]\nserver = \"192.0.2.1\"\n", "c.toml");
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()).find("c.toml: client.server_name: is required when client.server is an IP address") == 0);
    }
    try {
        parse_client_config("", "c.toml");
        FAIL("no error");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()) == "c.toml: client.server: is required (\"vpn.example.com:51820\")");
    }
}

TEST_CASE("the documented example configurations parse") {
    const char* root = std::getenv("UDPVPN_SOURCE_ROOT");
    REQUIRE(root);
    const auto s = load_server_config(std::string(root) + "/apps/examples/server.toml");
    CHECK(s.port == 51820);
    const auto c = load_client_config(std::string(root) + "/apps/examples/client.toml");
    CHECK(c.server_name == "vpn.example.com");
}

TEST_CASE("the test tunnel takes loopback host:port pairs only, both or neither") {
    const std::string base = "[client]\nserver = \"vpn.example.com:4000\"\n[test_tunnel]\n";
    const auto c = parse_client_config(base + "listen = \"127.0.0.1:40001\"\npeer = \"[::1]:40002\"\n", "c.toml");
    CHECK(c.test_tunnel.enabled());
    CHECK(c.test_tunnel.listen == "127.0.0.1:40001");
    CHECK_FALSE(parse_client_config("[client]\nserver = \"h:1\"\n", "c.toml").test_tunnel.enabled());
    auto error_of = [&](const std::string& body) -> std::string {
        try {
            parse_client_config(base + body, "c.toml");
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "";
    };
    // Inner packets cross it unencrypted: nothing that could leave the machine.
    CHECK(error_of("listen = \"192.0.2.1:40001\"\npeer = \"127.0.0.1:40002\"\n").find("test_tunnel.listen: expected a loopback") !=
          std::string::npos);
    CHECK(error_of("listen = \"127.0.0.1:40001\"\npeer = \"localhost:40002\"\n").find("test_tunnel.peer: expected a loopback") !=
          std::string::npos);
    CHECK(error_of("listen = \"127.0.0.1:40001\"\n").find("needs both listen and peer") != std::string::npos);
    CHECK(error_of("listen = \"127.0.0.1\"\npeer = \"127.0.0.1:40002\"\n").find("test_tunnel.listen") != std::string::npos);
}

TEST_CASE("handshake datagrams fit a 1280-byte path and path MTU probing runs, with the defaults") {
    // docs/rfc-draft.txt §14 and §20.3: 1232 bytes of UDP payload before probing, probes up to a
    // full inner packet of tunnel.mtu (issue 10: the apps used to send 1449-byte handshake datagrams
    // and turned probing off).
    const auto server = parse_server_config("", "server.toml");
    ResponderConfig rc;
    rc.inner_mtu = server.mtu;
    CHECK(rc.max_datagram == 1232);
    CHECK(rc.max_datagram + 48 <= 1280);   // IPv6 + UDP headers
    CHECK(largest_datagram(rc) == 1420 + kDataOverhead);
    InitiatorConfig ic;
    ic.inner_mtu = 9000;
    CHECK(ic.max_datagram == 1232);
    CHECK(largest_datagram(ic) == 9000 + kDataOverhead);
    ic.inner_mtu = 1100;   // a small inner packet never lowers the base size
    CHECK(largest_datagram(ic) == 1232);
    ic.inner_mtu = 65535;   // capped at the largest UDP payload
    CHECK(largest_datagram(ic) == 65507);
    CHECK_FALSE(validate(static_cast<const CommonConfig&>(ic)));
}

TEST_CASE("metrics: off unless [metrics] listen names an IP address and a port") {
    CHECK(parse_server_config("", "server.toml").metrics_address.empty());
    const auto c = parse_server_config("[metrics]\nlisten = \"127.0.0.1:9557\"\n", "server.toml");
    CHECK(c.metrics_address == "127.0.0.1");
    CHECK(c.metrics_port == 9557);
    const auto v6 = parse_server_config("[metrics]\nlisten = \"[::1]:9100\"\n", "server.toml");
    CHECK(v6.metrics_address == "::1");
    CHECK(v6.metrics_port == 9100);
    for (const char* bad : {"127.0.0.1", "localhost:9557", "127.0.0.1:0", ":9557", "[::1]"}) {
        CAPTURE(bad);
        CHECK(error_of(std::string("[metrics]\nlisten = \"") + bad + "\"\n").find("metrics.listen") != std::string::npos);
    }
}

TEST_CASE("[cluster]: route byte, shared key file, a part of the pools, checked") {
    const auto c = parse_server_config(R"(
[tunnel]
ipv4_pool = "10.66.0.0/16"
ipv6_pool = "fd66::/64"
[cluster]
server_id = 2
key = "/etc/udpvpn/cluster.key"
pool_slices = 4
stateless_reset_rate = 50
)", "s.toml");
    CHECK(c.server_id == 2);
    CHECK(c.cluster_key_file == "/etc/udpvpn/cluster.key");
    CHECK(c.pool_slices == 4);
    CHECK(c.pool_slice == 2);
    CHECK(c.stateless_reset_rate == 50);
    const auto d = parse_server_config("", "s.toml");
    CHECK(d.server_id == 0);
    CHECK(d.pool_slices == 1);
    CHECK(d.cluster_key_file.empty());
    CHECK(error_of("[cluster]\nserver_id = 256\n").find("cluster.server_id") != std::string::npos);
    CHECK(error_of("[cluster]\npool_slices = 3\n").find("power of two") != std::string::npos);
    CHECK(error_of("[cluster]\nserver_id = 4\npool_slices = 4\n").find("below cluster.pool_slices") != std::string::npos);
    CHECK(error_of("[tunnel]\nipv4_pool = \"10.0.0.0/29\"\n[cluster]\npool_slices = 4\n").find("tunnel.ipv4_pool") !=
          std::string::npos);
    CHECK(error_of("[cluster]\nkeys = \"x\"\n").find("cluster.keys") != std::string::npos);   // unknown option
}

TEST_CASE("server.workers: one per online CPU by default, one where the rest cannot follow") {
    std::string why;
    const auto d = parse_server_config("", "s.toml");
    CHECK(d.workers == 0);
    CHECK(resolve_workers(d, 2, why) == 2);
    CHECK(why.empty());
    CHECK(resolve_workers(d, 1, why) == 1);
    CHECK(resolve_workers(d, 0, why) == 1);   // sysconf failed
    CHECK(resolve_workers(d, 128, why) == kAutoWorkersCap);

    const auto three = parse_server_config("[server]\nworkers = 3\n", "s.toml");
    CHECK(three.workers == 3);
    CHECK(resolve_workers(three, 1, why) == 3);   // as configured, whatever the CPUs
    const auto one = parse_server_config("[server]\nworkers = 1\n", "s.toml");
    CHECK(resolve_workers(one, 8, why) == 1);
    CHECK(why.empty());

    // PPP mode, the test tunnel: one worker, and the log says why.
    const auto ppp = parse_server_config("[server]\nworkers = 4\n[tunnel]\nmode = \"ppp\"\n", "s.toml");
    CHECK(resolve_workers(ppp, 8, why) == 1);
    CHECK(why.find("PPP") != std::string::npos);
    const auto loop = parse_server_config(
        "[server]\nworkers = 4\n[test_tunnel]\nlisten = \"127.0.0.1:40001\"\npeer = \"127.0.0.1:40002\"\n", "s.toml");
    CHECK(resolve_workers(loop, 8, why) == 1);
    CHECK(why.find("test tunnel") != std::string::npos);

    // A cluster member keeps one worker unless told: its route bytes would reach the next member's.
    const auto member = parse_server_config("[cluster]\nserver_id = 1\npool_slices = 4\n", "s.toml");
    CHECK(resolve_workers(member, 8, why) == 1);
    CHECK(why.find("cluster") != std::string::npos);
    const auto wide = parse_server_config("[server]\nworkers = 2\n[cluster]\nserver_id = 2\npool_slices = 4\n", "s.toml");
    CHECK(resolve_workers(wide, 8, why) == 2);

    // Server-wide limits are split among the workers, rounded up.
    CHECK(worker_share(256, 1) == 256);
    CHECK(worker_share(256, 2) == 128);
    CHECK(worker_share(100, 3) == 34);
    CHECK(worker_share(1, 4) == 1);
    CHECK(worker_share(0, 4) == 0);

    CHECK(error_of("[server]\nworkers = 65\n").find("server.workers") != std::string::npos);
    CHECK(error_of("[server]\nworkers = -1\n").find("server.workers") != std::string::npos);
    CHECK(error_of("[server]\nworkers = 4\n[cluster]\nserver_id = 254\n").find("below 256") != std::string::npos);
    CHECK(error_of("[server]\nworkers = 2\n[cluster]\nserver_id = 254\n").empty());
}

TEST_CASE("[offload]: every kernel offload on by default, each one can be turned off") {
    const auto d = parse_server_config("", "server.toml");
    CHECK(d.offload.udp.batch);
    CHECK(d.offload.udp.gso);
    CHECK(d.offload.udp.gro);
    CHECK(d.offload.tun);
    const auto c = parse_client_config(R"(
[client]
server = "vpn.example.test:51820"
[offload]
udp_batch = false
udp_gso = false
udp_gro = false
tun = false
)", "client.toml");
    CHECK_FALSE(c.offload.udp.batch);
    CHECK_FALSE(c.offload.udp.gso);
    CHECK_FALSE(c.offload.udp.gro);
    CHECK_FALSE(c.offload.tun);
    const auto s = parse_server_config("[offload]\nudp_gso = false\n", "server.toml");
    CHECK(s.offload.udp.batch);
    CHECK_FALSE(s.offload.udp.gso);
    CHECK(s.offload.tun);
    CHECK(error_of("[offload]\ntun = \"off\"\n").find("offload.tun") != std::string::npos);
    CHECK(error_of("[offload]\nudp_gso_please = false\n").find("udp_gso_please") != std::string::npos);
}
