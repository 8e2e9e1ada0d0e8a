// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpnctl's reading and rendering of the status reply (apps/server/status_protocol.md).
#include "status_view.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using namespace udpvpn::ctl;

namespace {
// The example reply of status_protocol.md, on one line as the server sends it.
const char* kReply =
    R"({"version":1,"server":{"listen":"[::]:51820","device":"udpvpn0","ipv4":"10.77.0.1/24","ipv6":"fd77::1/64",)"
    R"("pid":1234,"uptime_s":3600,"sessions":2,"client_to_client":false},"sessions":[)"
    R"({"session":"0a1b2c3d","identity":"alice","issuer":"CN=Example CA","subject":"O=ops,CN=alice",)"
    R"("fingerprint":"ab12","inner_ipv4":"10.77.0.2","inner_ipv6":"fd77::2",)"
    R"("outer":"192.0.2.10:40000","rx_bytes":123,"rx_packets":4,"tx_bytes":1572864,"tx_packets":5,)"
    R"("established_unix":1700000000,"last_handshake_unix":1700000100,"last_handshake_age_s":12,)"
    R"("cipher":"chacha20-poly1305","epoch":3},)"
    R"({"session":"0a1b2c3e","identity":"bob","inner_ipv4":"10.77.0.3","inner_ipv6":"",)"
    R"("outer":"[2001:db8::7]:1234","rx_bytes":0,"tx_bytes":0,"rx_packets":0,"tx_packets":0,)"
    R"("last_handshake_unix":1700000000,"cipher":"aes-256-gcm"}]})";

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

TEST_CASE("the documented reply parses into every session field") {
    const StatusReply r = parse_status_reply(kReply);
    CHECK(r.version == 1);
    REQUIRE(r.server.present);
    CHECK(r.server.listen == "[::]:51820");
    CHECK(r.server.device == "udpvpn0");
    CHECK(r.server.uptime_s == 3600);
    REQUIRE(r.sessions.size() == 2);
    const SessionStatus& a = r.sessions[0];
    CHECK(a.session == "0a1b2c3d");
    CHECK(a.identity == "alice");
    CHECK(a.issuer == "CN=Example CA");
    CHECK(a.subject == "O=ops,CN=alice");
    CHECK(r.sessions[1].issuer.empty());   // an older server sends none
    CHECK(a.fingerprint == "ab12");
    CHECK(a.inner_ipv4 == "10.77.0.2");
    CHECK(a.inner_ipv6 == "fd77::2");
    CHECK(a.outer == "192.0.2.10:40000");
    CHECK(a.rx_bytes == 123);
    CHECK(a.rx_packets == 4);
    CHECK(a.tx_bytes == 1572864);
    CHECK(a.tx_packets == 5);
    CHECK(a.established_unix == 1700000000);
    CHECK(a.last_handshake_unix == 1700000100);
    REQUIRE(a.last_handshake_age_s.has_value());
    CHECK(*a.last_handshake_age_s == 12);
    CHECK(a.cipher == "chacha20-poly1305");
    CHECK(a.epoch == 3);
    CHECK_FALSE(r.sessions[1].last_handshake_age_s.has_value());
}

TEST_CASE("counters use the full unsigned 64-bit range") {
    const auto r = parse_status_reply(R"({"version":1,"sessions":[{"rx_bytes":18446744073709551615}]})");
    CHECK(r.sessions.at(0).rx_bytes == UINT64_MAX);
}

TEST_CASE("fields a later version adds are ignored, missing ones default") {
    const auto r = parse_status_reply(
        R"({"version":2,"new_top":[1,2],"sessions":[{"identity":"carol","new_field":{"x":1}}]})");
    CHECK(r.version == 2);
    CHECK_FALSE(r.server.present);
    REQUIRE(r.sessions.size() == 1);
    CHECK(r.sessions[0].identity == "carol");
    CHECK(r.sessions[0].inner_ipv4.empty());
    CHECK(r.sessions[0].rx_bytes == 0);
}

TEST_CASE("an error reply surfaces the server's message") {
    try {
        parse_status_reply(R"({"version":1,"error":"unknown command"})");
        FAIL("no exception");
    } catch (const CtlError& e) {
        CHECK(std::string(e.what()).find("unknown command") != std::string::npos);
    }
}

TEST_CASE("malformed replies are refused with a reason, never crash") {
    for (const char* bad : {"", "not json", "[1,2]", "{\"version\":1}", R"({"sessions":{}})", R"({"sessions":[1]})",
                            R"({"sessions":[{"rx_bytes":"12"}]})", R"({"sessions":[{"rx_bytes":-1}]})",
                            R"({"sessions":[{"identity":7}]})", R"({"sessions":[)", "{\"sessions\":[]}garbage"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(parse_status_reply(bad), CtlError);
    }
}

TEST_CASE("the table has a header and one row per client with addresses, counters and cipher") {
    const std::string t = format_status_table(parse_status_reply(kReply), 1700000100);
    CAPTURE(t);
    CHECK(count_lines(t) == 4);  // server line, header, two clients
    CHECK(t.rfind("udpvpn-server on [::]:51820, device udpvpn0 (10.77.0.1/24 fd77::1/64), up 1h00m, 2 clients\n", 0) == 0);
    CHECK(t.find("IDENTITY") != std::string::npos);
    CHECK(t.find("CIPHER") != std::string::npos);
    const auto alice = t.find("alice");
    REQUIRE(alice != std::string::npos);
    const std::string row = t.substr(alice, t.find('\n', alice) - alice);
    for (const char* want : {"10.77.0.2", "fd77::2", "192.0.2.10:40000", "123 B", "1.5 MiB", "12s ago", "chacha20-poly1305",
                             "CN=Example CA"}) {
        CAPTURE(want);
        CHECK(row.find(want) != std::string::npos);
    }
    const auto bob = t.find("bob");
    const std::string bob_row = t.substr(bob, t.find('\n', bob) - bob);
    CHECK(bob_row.find("[2001:db8::7]:1234") != std::string::npos);
    CHECK(bob_row.find("1m40s ago") != std::string::npos);  // no age field: computed from our clock
    CHECK(bob_row.find(" - ") != std::string::npos);         // no inner IPv6
}

TEST_CASE("columns line up") {
    const std::string t = format_status_table(parse_status_reply(kReply), 1700000100);
    std::vector<std::string> lines;
    for (std::size_t p = 0, n; (n = t.find('\n', p)) != std::string::npos; p = n + 1) lines.push_back(t.substr(p, n - p));
    REQUIRE(lines.size() == 4);
    const auto col = lines[1].find("CIPHER");
    CHECK(lines[2].find("chacha20-poly1305") == col);
    CHECK(lines[3].find("aes-256-gcm") == col);
}

// Found by the status_socket fuzz target: a certificate CN holding an ESC sequence reached the
// administrator's terminal as it was.
TEST_CASE("control characters in reply text never reach the terminal") {
    const char* reply =
        R"({"version":1,"server":{"listen":"x\u001b]0;owned\u0007"},"sessions":[{"session":"0a1b2c3d",)"
        R"("identity":"eve\u001b[2J\r","issuer":"CN=\u007fCA","outer":"1.2.3.4:5"}],)"
        R"("inner_drops":{"from_clients":{"bad\u0008":1}},"handshake_refusals":{"r\u001b":2}})";
    const StatusReply r = parse_status_reply(reply);
    CHECK(r.sessions.at(0).identity == "eve?[2J?");
    CHECK(r.sessions.at(0).issuer == "CN=?CA");
    const std::string table = format_status_table(r, 1700000000);
    CHECK(std::none_of(table.begin(), table.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return c != '\n' && (u < 0x20 || u == 0x7F);
    }));
    CHECK(table.find("eve?[2J?") != std::string::npos);
    CHECK(table.find("from_clients.bad? 1") != std::string::npos);
    try {
        parse_status_reply(R"({"version":1,"error":"no\u001b[1mpe"})");
        FAIL("an error reply must throw");
    } catch (const CtlError& e) {
        CHECK(std::string(e.what()) == "server answered: no?[1mpe");
    }
}

TEST_CASE("no sessions: the table says so") {
    const std::string t = format_status_table(parse_status_reply(R"({"version":1,"sessions":[]})"), 0);
    CHECK(t == "no clients connected\n");
}

TEST_CASE("byte counts read in binary units") {
    CHECK(human_bytes(0) == "0 B");
    CHECK(human_bytes(1023) == "1023 B");
    CHECK(human_bytes(1024) == "1.0 KiB");
    CHECK(human_bytes(1536) == "1.5 KiB");
    CHECK(human_bytes(200ull << 20) == "200.0 MiB");
    CHECK(human_bytes(3ull << 40) == "3.0 TiB");
    CHECK(human_bytes(UINT64_MAX) == "16.0 EiB");
}

TEST_CASE("durations are short and exact to the shown unit") {
    CHECK(human_duration(-5) == "0s");
    CHECK(human_duration(0) == "0s");
    CHECK(human_duration(59) == "59s");
    CHECK(human_duration(183) == "3m03s");
    CHECK(human_duration(7800) == "2h10m");
    CHECK(human_duration(3 * 86400 + 4 * 3600 + 59) == "3d04h");
}

TEST_CASE("the request is one JSON line") {
    CHECK(status_request() == "{\"command\":\"status\"}\n");
}

TEST_CASE("the inner packet drop counters are read by reason and shown when not zero") {
    const auto r = parse_status_reply(
        R"({"version":1,"sessions":[],"inner_drops":{"from_clients":{"source_address":3,"queue_full":0},)"
        R"("to_clients":{"no_route":7}}})");
    REQUIRE(r.inner_drops.size() == 3);
    const auto has = [&](const std::string& name, std::uint64_t n) {
        return std::any_of(r.inner_drops.begin(), r.inner_drops.end(),
                           [&](const DropCounter& d) { return d.name == name && d.count == n; });
    };
    CHECK(has("from_clients.source_address", 3));
    CHECK(has("from_clients.queue_full", 0));
    CHECK(has("to_clients.no_route", 7));
    const std::string table = format_status_table(r, 0);
    CHECK(table.find("from_clients.source_address 3") != std::string::npos);
    CHECK(table.find("to_clients.no_route 7") != std::string::npos);
    CHECK(table.find("queue_full") == std::string::npos);
    CHECK_THROWS_AS(parse_status_reply(R"({"version":1,"sessions":[],"inner_drops":{"a":{"b":-1}}})"), CtlError);
    CHECK(parse_status_reply(kReply).inner_drops.empty());
}

TEST_CASE("the handshake refusal counters are read by reason and shown when not zero") {
    const auto r = parse_status_reply(
        R"({"version":1,"sessions":[],"inner_drops":{"to_clients":{"no_route":0}},)"
        R"("handshake_refusals":{"wrong_address":40,"source_half_open":0,"bad_cookie":2}})");
    REQUIRE(r.handshake_refusals.size() == 3);
    const auto has = [&](const std::string& name, std::uint64_t n) {
        return std::any_of(r.handshake_refusals.begin(), r.handshake_refusals.end(),
                           [&](const DropCounter& d) { return d.name == name && d.count == n; });
    };
    CHECK(has("wrong_address", 40));
    CHECK(has("bad_cookie", 2));
    CHECK(has("source_half_open", 0));
    const std::string table = format_status_table(r, 0);
    CHECK(table.find("handshakes refused before validation: ") != std::string::npos);
    CHECK(table.find("wrong_address 40") != std::string::npos);
    CHECK(table.find("bad_cookie 2") != std::string::npos);
    CHECK(table.find("source_half_open") == std::string::npos);
    CHECK(table.find("inner packets dropped") == std::string::npos);
    CHECK_THROWS_AS(parse_status_reply(R"({"version":1,"sessions":[],"handshake_refusals":[1]})"), CtlError);
    CHECK_THROWS_AS(parse_status_reply(R"({"version":1,"sessions":[],"handshake_refusals":{"a":"x"}})"), CtlError);
    CHECK(parse_status_reply(kReply).handshake_refusals.empty());
}

TEST_CASE("the access rule counters are read in rule order and shown exactly, with the default") {
    const auto r = parse_status_reply(
        R"({"version":1,"sessions":[],"access":{"enabled":true,"default":"deny",)"
        R"("rules":[{"name":"alice-ssh","action":"allow","packets":12,"bytes":1234567},)"
        R"({"name":"bob-all","action":"allow","packets":0,"bytes":0}],)"
        R"("default_action":{"packets":3,"bytes":252},"replies":{"packets":6,"bytes":504},)"
        R"("unreadable":{"truncated":0,"ip_options":2},"open_flows":1}})");
    REQUIRE(r.access.enabled);
    CHECK(r.access.default_action == "deny");
    REQUIRE(r.access.rules.size() == 2);
    CHECK(r.access.rules[0].name == "alice-ssh");
    CHECK(r.access.rules[0].packets == 12);
    CHECK(r.access.rules[0].bytes == 1234567);
    CHECK(r.access.by_default.packets == 3);
    CHECK(r.access.replies.bytes == 504);
    const std::string table = format_status_table(r, 0);
    CHECK(table.find("ACCESS RULE  ACTION  PACKETS  BYTES\n") != std::string::npos);
    CHECK(table.find("alice-ssh    allow   12       1234567\n") != std::string::npos);
    CHECK(table.find("(default)    deny    3        252\n") != std::string::npos);
    CHECK(table.find("(replies)    allow   6        504\n") != std::string::npos);
    CHECK(table.find("refused unread: ip_options 2\n") != std::string::npos);
    // Rules off, or a server from before access rules: no section.
    CHECK(format_status_table(parse_status_reply(R"({"version":1,"sessions":[],"access":{"enabled":false,"default":"deny"}})"), 0)
              .find("ACCESS RULE") == std::string::npos);
    CHECK_FALSE(parse_status_reply(kReply).access.enabled);
    CHECK_THROWS_AS(parse_status_reply(R"({"version":1,"sessions":[],"access":{"enabled":true,"default":"deny","rules":[{"name":"a","action":"allow","packets":-1,"bytes":0}]}})"), CtlError);
}

TEST_CASE("several workers: the table says how the clients spread over them; one worker, nothing") {
    const std::string two =
        R"({"version":1,"server":{"listen":"[::]:51820","pid":1,"uptime_s":5,"sessions":3,"workers":[)"
        R"({"worker":0,"route_byte":8,"sessions":2},{"worker":1,"route_byte":9,"sessions":1}]},"sessions":[]})";
    const StatusReply r = parse_status_reply(two);
    REQUIRE(r.server.workers.size() == 2);
    CHECK(r.server.workers[1].route_byte == 9);
    CHECK(r.server.workers[0].sessions == 2);
    CHECK(format_status_table(r, 0).find("workers: 0: 2 clients, 1: 1 client\n") != std::string::npos);
    const std::string one =
        R"({"version":1,"server":{"pid":1,"workers":[{"worker":0,"route_byte":0,"sessions":0}]},"sessions":[]})";
    CHECK(format_status_table(parse_status_reply(one), 0).find("workers") == std::string::npos);
    CHECK_THROWS_AS(parse_status_reply(R"({"version":1,"server":{"workers":3},"sessions":[]})"), CtlError);
}
