// SPDX-License-Identifier: GPL-3.0-or-later
// [access] and [[access.rule]]: what the file says becomes the policy, and every mistake is an
// error naming file, line and option (udpvpn-server refuses to start; a reload keeps the old rules).
#include "server_config.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;

namespace {

std::string error_of(const std::string& text) {
    try {
        parse_server_config(text, "server.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

constexpr const char* kIssueRules = R"(
[tunnel]
client_to_client = true
[[access.rule]]
name = "alice-ssh"
identity = ["alice"]
action = "allow"
protocol = "tcp"
to = ["10.77.0.1/32"]
ports = [22]
[[access.rule]]
name = "bob-all"
identity = ["bob"]
action = "allow"
[[access.rule]]
name = "ops-clients"
group = ["ops"]
action = "allow"
to_clients = true
[[access.rule]]
name = "web"
issuer = "CN=test CA"
action = "deny"
protocol = "udp"
to = ["10.0.0.0/8", "fd00::/8"]
ports = [80, "8000-8080"]
)";

}  // namespace

TEST_CASE("without [access] the rules are off, as before") {
    const auto c = parse_server_config("", "server.toml");
    CHECK_FALSE(c.access.enabled);
    CHECK(c.access.rules.empty());
}

TEST_CASE("rules are read in file order with their fields; the default becomes deny") {
    const auto c = parse_server_config(kIssueRules, "server.toml");
    REQUIRE(c.access.rules.size() == 4);
    CHECK(c.access.enabled);
    CHECK_FALSE(c.access.default_allow);
    CHECK(c.access.reply_timeout == 120 * kSecond);
    const AccessRule& a = c.access.rules[0];
    CHECK(a.name == "alice-ssh");
    CHECK(a.allow);
    CHECK(a.identities == std::vector<std::string>{"alice"});
    CHECK(a.protocol == RuleProtocol::tcp);
    REQUIRE(a.to.size() == 1);
    CHECK(to_string(a.to[0]) == "10.77.0.1/32");
    CHECK(a.ports == std::vector<PortRange>{{22, 22}});
    CHECK_FALSE(a.to_clients);
    CHECK(c.access.rules[1].name == "bob-all");
    CHECK(c.access.rules[1].protocol == RuleProtocol::any);
    CHECK(c.access.rules[2].groups == std::vector<std::string>{"ops"});
    CHECK(c.access.rules[2].to_clients);
    const AccessRule& w = c.access.rules[3];
    CHECK_FALSE(w.allow);
    CHECK(w.issuer == "CN=test CA");
    CHECK(w.ports == std::vector<PortRange>{{80, 80}, {8000, 8080}});
    CHECK(w.to.size() == 2);
}

TEST_CASE("access.default and reply_timeout are read") {
    auto c = parse_server_config("[access]\ndefault = \"allow\"\nreply_timeout = \"30s\"\n", "server.toml");
    CHECK(c.access.enabled);   // a default alone turns the rules on (with no rule: allow all)
    CHECK(c.access.default_allow);
    CHECK(c.access.reply_timeout == 30 * kSecond);
    c = parse_server_config("[access]\ndefault = \"deny\"\n", "server.toml");
    CHECK(c.access.enabled);
    CHECK_FALSE(c.access.default_allow);
}

TEST_CASE("every rule mistake names the rule and the option") {
    CHECK(error_of("[[access.rule]]\naction = \"allow\"\n") ==
          "server.toml:1: access.rule.1.name: every rule needs a name of 1 to 64 letters, digits, '-', '_' or '.' "
          "(it labels the rule's counter)");
    CHECK(error_of("[[access.rule]]\nname = \"a\"\naction = \"permit\"\n") ==
          "server.toml:3: access.rule.1.action: expected \"allow\" or \"deny\"");
    CHECK(error_of("[[access.rule]]\nname = \"a\"\naction = \"allow\"\n[[access.rule]]\nname = \"a\"\naction = "
                   "\"deny\"\n") == "server.toml:5: access.rule.2.name: \"a\" names an earlier rule too");
    CHECK(error_of("[[access.rule]]\nname = \"a\"\naction = \"allow\"\nprotocol = \"sctp\"\n") ==
          "server.toml:4: access.rule.1.protocol: expected tcp, udp, icmp or any");
    CHECK(error_of("[[access.rule]]\nname = \"a\"\naction = \"allow\"\nports = [22]\n") ==
          "server.toml:4: access.rule.1.ports: ports need protocol = \"tcp\" or \"udp\"");
    CHECK(error_of("[[access.rule]]\nname = \"a\"\naction = \"allow\"\nprotocol = \"tcp\"\nports = [\"90-80\"]\n") ==
          "server.toml:5: access.rule.1.ports: expected ports such as 22 or \"8000-8080\" (0 to 65535), got \"90-80\"");
    CHECK(error_of("[[access.rule]]\nname = \"a\"\naction = \"allow\"\nprotocol = \"tcp\"\nports = [65536]\n").find(
              "got \"65536\"") != std::string::npos);
    CHECK(error_of("[[access.rule]]\nname = \"a\"\naction = \"allow\"\nto = [\"10.0.0.300/8\"]\n").find(
              "access.rule.1.to: expected IP prefixes") != std::string::npos);
    CHECK(error_of("[[access.rule]]\nname = \"a\"\naction = \"allow\"\nto_group = [\"ops\"]\n") ==
          "server.toml:4: access.rule.1.to_group: only applies with to_clients = true");
    CHECK(error_of("[[access.rule]]\nname = \"a\"\naction = \"allow\"\nport = 22\n") ==
          "server.toml:4: access.rule.1.port: unknown option");
    CHECK(error_of("[access]\ndefault = \"maybe\"\n") == "server.toml:2: access.default: expected \"allow\" or \"deny\"");
    CHECK(error_of("[access]\nrule = 3\n") == "server.toml:2: access.rule: expected an array of tables ([[access.rule]])");
}

TEST_CASE("a rule letting clients reach each other needs tunnel.client_to_client") {
    CHECK(error_of("[[access.rule]]\nname = \"ops\"\naction = \"allow\"\nto_clients = true\n") ==
          "server.toml:4: access.rule.1.to_clients: allows traffic to other clients, but tunnel.client_to_client is "
          "false (turn it on: the rules then decide which clients reach each other)");
    // A deny rule to other clients is harmless with it off.
    CHECK(error_of("[[access.rule]]\nname = \"ops\"\naction = \"deny\"\nto_clients = true\n").empty());
}

TEST_CASE("access rules are refused in PPP mode") {
    CHECK(error_of("[tunnel]\nmode = \"ppp\"\n[[access.rule]]\nname = \"a\"\naction = \"allow\"\n").find(
              "access rules apply to IP mode only") != std::string::npos);
}
