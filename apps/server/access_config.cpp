// SPDX-License-Identifier: GPL-3.0-or-later
#include "access_config.hpp"

#include <charconv>
#include <set>

namespace udpvpn::app {
namespace {

bool parse_port(std::string_view s, std::uint16_t& out) {
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || v > 65535) return false;
    out = static_cast<std::uint16_t>(v);
    return true;
}

// "22", "8000-8080".
bool parse_port_range(const std::string& s, PortRange& out) {
    const auto dash = s.find('-');
    if (dash == std::string::npos) {
        if (!parse_port(s, out.first)) return false;
        out.last = out.first;
        return true;
    }
    return parse_port(std::string_view(s).substr(0, dash), out.first) &&
           parse_port(std::string_view(s).substr(dash + 1), out.last) && out.first <= out.last;
}

bool good_name(const std::string& n) {
    if (n.empty() || n.size() > 64) return false;
    for (const char c : n)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return false;
    return true;
}

AccessRule read_rule(TomlReader& r, const std::string& base, bool client_to_client) {
    AccessRule rule;
    rule.name = r.string(base + ".name", "");
    if (!good_name(rule.name))
        r.fail(base + ".name", "every rule needs a name of 1 to 64 letters, digits, '-', '_' or '.' (it labels the "
                               "rule's counter)");
    const std::string action = r.string(base + ".action", "");
    if (action != "allow" && action != "deny") r.fail(base + ".action", "expected \"allow\" or \"deny\"");
    rule.allow = action == "allow";
    rule.identities = r.string_list(base + ".identity");
    rule.groups = r.string_list(base + ".group");
    rule.issuer = r.string(base + ".issuer", "");
    rule.to_clients = r.boolean(base + ".to_clients", false);
    rule.to = r.prefix_list(base + ".to");
    for (auto& p : rule.to) p = p.network();
    rule.to_groups = r.string_list(base + ".to_group");
    if (!rule.to_groups.empty() && !rule.to_clients)
        r.fail(base + ".to_group", "only applies with to_clients = true");
    const std::string proto = r.string(base + ".protocol", "any");
    if (proto == "any") rule.protocol = RuleProtocol::any;
    else if (proto == "tcp") rule.protocol = RuleProtocol::tcp;
    else if (proto == "udp") rule.protocol = RuleProtocol::udp;
    else if (proto == "icmp") rule.protocol = RuleProtocol::icmp;
    else r.fail(base + ".protocol", "expected tcp, udp, icmp or any");
    for (const auto& s : r.string_or_integer_list(base + ".ports")) {
        PortRange pr;
        if (!parse_port_range(s, pr))
            r.fail(base + ".ports", "expected ports such as 22 or \"8000-8080\" (0 to 65535), got \"" + s + "\"");
        rule.ports.push_back(pr);
    }
    if (!rule.ports.empty() && rule.protocol != RuleProtocol::tcp && rule.protocol != RuleProtocol::udp)
        r.fail(base + ".ports", "ports need protocol = \"tcp\" or \"udp\"");
    if (rule.allow && rule.to_clients && !client_to_client)
        r.fail(base + ".to_clients", "allows traffic to other clients, but tunnel.client_to_client is false (turn "
                                     "it on: the rules then decide which clients reach each other)");
    return rule;
}

}  // namespace

AccessPolicy read_access_policy(TomlReader& r, bool client_to_client) {
    AccessPolicy p;
    const std::size_t n = r.table_array_size("access.rule");
    std::set<std::string> names;
    for (std::size_t i = 1; i <= n; ++i) {
        const std::string base = "access.rule." + std::to_string(i);
        p.rules.push_back(read_rule(r, base, client_to_client));
        if (!names.insert(p.rules.back().name).second)
            r.fail(base + ".name", "\"" + p.rules.back().name + "\" names an earlier rule too");
    }
    const std::string def = r.string("access.default", "");
    if (!def.empty() && def != "allow" && def != "deny") r.fail("access.default", "expected \"allow\" or \"deny\"");
    // Rules on: the default is deny, so a client no rule names reaches nothing (a forgotten rule
    // fails closed). "allow" must be written out.
    p.enabled = n > 0 || !def.empty();
    p.default_allow = def == "allow";
    p.reply_timeout = r.duration("access.reply_timeout", p.reply_timeout);
    if (p.reply_timeout < kSecond) r.fail("access.reply_timeout", "must be at least 1s");
    return p;
}

}  // namespace udpvpn::app
