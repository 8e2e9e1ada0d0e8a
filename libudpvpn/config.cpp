// SPDX-License-Identifier: GPL-3.0-or-later
// The configuration's own functions (include/udpvpn/config.hpp): validate(), the one place the
// library's rules live, and the largest datagram for an inner MTU.
#include <udpvpn/config.hpp>

#include <algorithm>
#include <string>

namespace udpvpn {
namespace {

// Docs/rfc-draft.txt, Section 7.1: an INITIAL is at least this large, so no datagram budget below.
constexpr std::uint16_t kMinMaxDatagram = 1200;
constexpr std::size_t kMaxDnsName = 253;

ConfigProblem problem(std::string field, std::string reason) { return {std::move(field), std::move(reason)}; }

bool known(Suite s) noexcept { return s == Suite::chacha20_poly1305 || s == Suite::aes256_gcm; }

ConfigProblem check_timers(const Timers& t) {
    const std::pair<const char*, TimeNs> timers[] = {
        {"timers.rekey_after_time", t.rekey_after_time},     {"timers.reject_after_time", t.reject_after_time},
        {"timers.rekey_grace", t.rekey_grace},               {"timers.keepalive_interval", t.keepalive_interval},
        {"timers.dead_peer_timeout", t.dead_peer_timeout},   {"timers.handshake_timeout", t.handshake_timeout},
        {"timers.handshake_pto", t.handshake_pto},           {"timers.reverify_interval", t.reverify_interval},
        {"timers.control_rto", t.control_rto},
    };
    for (const auto& [name, value] : timers)
        if (value == 0 || value == kNever) return problem(name, "must be a time above zero");
    if (t.rekey_after_time > t.reject_after_time)
        return problem("timers.rekey_after_time", "must not be later than timers.reject_after_time");
    return {};
}

}  // namespace

std::size_t largest_datagram(const CommonConfig& c) noexcept {
    return std::max<std::size_t>(datagram_for_inner(c.inner_mtu), c.max_datagram);
}

ConfigProblem validate(const CommonConfig& c) {
    if (c.suites.empty()) return problem("suites", "needs at least one suite");
    // A suite listed twice is harmless: its first place counts.
    for (Suite s : c.suites)
        if (!known(s)) return problem("suites", "holds an unknown suite");
    if (ConfigProblem p = check_timers(c.timers)) return p;
    if (c.max_datagram < kMinMaxDatagram)
        return problem("max_datagram", "must be at least 1200 bytes (the size of an INITIAL)");
    if (c.inner_protocols < 1 || c.inner_protocols > 3)
        return problem("inner_protocols", "must be 1 (IP), 2 (PPP) or 3 (both)");
    return {};
}

ConfigProblem validate(const InitiatorConfig& c) {
    if (ConfigProblem p = validate(static_cast<const CommonConfig&>(c))) return p;
    // No server name means any certificate of the CA could act as this server: only on request.
    if (c.expected_server_name.empty() && !c.allow_any_server_name)
        return problem("expected_server_name", "is required (or allow_any_server_name)");
    if (c.expected_server_name.size() > kMaxDnsName)
        return problem("expected_server_name", "is longer than a DNS name (253 bytes)");
    return {};
}

ConfigProblem validate(const ResponderConfig& c) {
    if (ConfigProblem p = validate(static_cast<const CommonConfig&>(c))) return p;
    if (c.max_sessions == 0) return problem("max_sessions", "must be at least 1");
    if (c.max_half_open == 0) return problem("max_half_open", "must be at least 1");
    return {};
}

}  // namespace udpvpn
