// SPDX-License-Identifier: GPL-3.0-or-later
// Reads the server's status reply (apps/server/status_protocol.md, version 1) and renders it for
// people. Pure functions: no I/O, the time comes from the caller.
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace udpvpn::ctl {

struct CtlError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct SessionStatus {
    std::string session;          // 8 hex digits
    std::string identity;
    std::string issuer;           // "" from servers that do not send it
    std::string subject;
    std::string fingerprint;
    std::string inner_ipv4;       // "" when none
    std::string inner_ipv6;
    std::string outer;
    std::uint64_t rx_bytes = 0, tx_bytes = 0, rx_packets = 0, tx_packets = 0;
    std::int64_t established_unix = 0;
    std::int64_t last_handshake_unix = 0;
    std::optional<std::int64_t> last_handshake_age_s;  // preferred over the server/client clock difference
    std::string cipher;
    std::uint64_t epoch = 0;
};

struct WorkerStatus {
    std::uint64_t worker = 0, route_byte = 0, sessions = 0;
};

struct ServerStatus {
    std::string listen, device, ipv4, ipv6;
    std::uint64_t pid = 0, uptime_s = 0;
    bool client_to_client = false;
    std::vector<WorkerStatus> workers;   // "workers": empty from servers that send none
    bool present = false;         // the reply had a "server" object
};

// One counter of the "inner_drops" object, named "<direction>.<reason>" ("from_clients.no_route").
struct DropCounter {
    std::string name;
    std::uint64_t count = 0;
};

// The "access" object: a counter per access rule, in rule order.
struct AccessRuleStatus {
    std::string name;
    std::string action;           // "allow" or "deny"
    std::uint64_t packets = 0, bytes = 0;
};

struct AccessStatus {
    bool enabled = false;         // false also for servers that send no "access"
    std::string default_action;   // "allow" or "deny"
    std::vector<AccessRuleStatus> rules;
    AccessRuleStatus by_default;  // matched no rule
    AccessRuleStatus replies;     // client-to-client answers through an open flow
    std::vector<DropCounter> unreadable;
};

struct StatusReply {
    std::uint64_t version = 0;
    ServerStatus server;
    std::vector<SessionStatus> sessions;
    std::vector<DropCounter> inner_drops;   // in the reply's order; empty when the server sends none
    std::vector<DropCounter> handshake_refusals;   // "handshake_refusals", by reason
    AccessStatus access;
};

// Parses one reply line. Unknown fields are ignored and missing ones keep their defaults (readers must
// accept later versions). Throws CtlError for malformed JSON, a wrong field type, or an "error" reply
// (the message is the server's).
StatusReply parse_status_reply(std::string_view line);

// The request line the client sends, newline included.
std::string status_request();

// "0 B", "999 B", "1.5 KiB", "12.0 MiB", ... (binary units, one decimal from KiB on).
std::string human_bytes(std::uint64_t n);
// "12s", "5m03s", "2h10m", "3d04h"; negative ages (clock skew) read as "0s".
std::string human_duration(std::int64_t seconds);

// A header line about the server, then one aligned row per session (or a line saying there is none),
// then a line with the non-zero inner packet drop counters and one with the non-zero handshake
// refusals, if any, then (access rules on) one row per rule with the packets and bytes it decided.
std::string format_status_table(const StatusReply& reply, std::int64_t now_unix);

}  // namespace udpvpn::ctl
