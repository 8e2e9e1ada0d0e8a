// SPDX-License-Identifier: GPL-3.0-or-later
// PPP mode options (tunnel.mode, [ppp]) of udpvpn-server and udpvpn-client.
#include "client_config.hpp"
#include "server_config.hpp"
#include "toml_reader.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace udpvpn;
using namespace udpvpn::app;

template <typename F>
static std::string error_of(F&& parse) {
    try {
        parse();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST_CASE("IP mode stays the default and ignores a [ppp] table") {
    const auto c = parse_server_config("[ppp]\nargs = [\"debug\"]\n", "server.toml");
    CHECK(c.mode == TunnelMode::ip);
    CHECK(c.ipv4_pool.has_value());
}

TEST_CASE("server PPP mode reads [ppp] and uses only an ipv4_pool the file sets") {
    const auto c = parse_server_config(R"(
[tunnel]
mode = "ppp"
[ppp]
pppd = "/bin/sh"
options = "/dev/null"
args = ["lcp-echo-interval", "10"]
)", "server.toml");
    CHECK(c.mode == TunnelMode::ppp);
    CHECK(c.ppp.pppd == "/bin/sh");
    CHECK(c.ppp.options == "/dev/null");
    CHECK(c.ppp.args == std::vector<std::string>{"lcp-echo-interval", "10"});
    CHECK_FALSE(c.ipv4_pool);   // pppd decides the addresses
    CHECK_FALSE(c.ipv6_pool);

    const auto p = parse_server_config("[tunnel]\nmode = \"ppp\"\nipv4_pool = \"10.66.0.0/24\"\n[ppp]\npppd = \"/bin/sh\"\n",
                                       "server.toml");
    REQUIRE(p.ipv4_pool);
    CHECK(to_string(*p.ipv4_pool) == "10.66.0.0/24");
    CHECK(p.ppp_assign_ipv4);
}

TEST_CASE("PPP mode errors name the option") {
    CHECK(error_of([] { parse_server_config("[tunnel]\nmode = \"l2tp\"\n", "s.toml"); }).find("tunnel.mode") != std::string::npos);
    CHECK(error_of([] { parse_server_config("[tunnel]\nmode = \"ppp\"\n[ppp]\npppd = \"pppd\"\n", "s.toml"); })
              .find("ppp.pppd: must be an absolute path") != std::string::npos);
    CHECK(error_of([] { parse_server_config("[tunnel]\nmode = \"ppp\"\n[ppp]\npppd = \"/nonexistent/pppd\"\n", "s.toml"); })
              .find("ppp.pppd: cannot execute") != std::string::npos);
    CHECK(error_of([] {
              parse_server_config("[tunnel]\nmode = \"ppp\"\n[ppp]\npppd = \"/bin/sh\"\noptions = \"/nonexistent\"\n", "s.toml");
          }).find("ppp.options: cannot read") != std::string::npos);
    // pppd needs root: the server cannot drop privileges in PPP mode.
    CHECK(error_of([] {
              parse_server_config("[tunnel]\nmode = \"ppp\"\n[ppp]\npppd = \"/bin/sh\"\n[privileges]\nuser = \"nobody\"\n", "s.toml");
          }).find("privileges.user") != std::string::npos);
    // stdio is a client option.
    CHECK(error_of([] { parse_server_config("[ppp]\nstdio = true\n", "s.toml"); }).find("ppp.stdio") != std::string::npos);
}

TEST_CASE("client PPP mode: spawn or stdio, and a configurable rekey interval") {
    const auto c = parse_client_config(R"(
[client]
server = "vpn.example.com:51820"
[tunnel]
mode = "ppp"
[ppp]
stdio = true
pppd = "/nonexistent/pppd"
[protocol]
rekey_after_time = "10s"
)", "client.toml");
    CHECK(c.mode == TunnelMode::ppp);
    CHECK(c.ppp.stdio);   // pppd is the user's: its path is not checked
    CHECK(c.protocol.timers.rekey_after_time == 10 * kSecond);
    CHECK(error_of([] {
              parse_client_config("[client]\nserver = \"h:1\"\n[protocol]\nrekey_after_time = \"5s\"\n", "c.toml");
          }).find("protocol.rekey_after_time") != std::string::npos);
}
