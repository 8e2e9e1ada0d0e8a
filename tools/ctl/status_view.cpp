// SPDX-License-Identifier: GPL-3.0-or-later
#include "status_view.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace udpvpn::ctl {
namespace {

using nlohmann::json;

// Reply text as it may reach a terminal: names come from peer certificates (a CN may hold an ESC
// sequence), so every control character becomes '?'.
std::string shown(std::string s) {
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    return s;
}

// A field of the expected JSON type, or the default when absent/null. A present field of another
// type is an error: it means the reply is not what the protocol says.
template <typename T>
T field(const json& obj, const char* key, T def = T{}) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return def;
    bool ok;
    if constexpr (std::is_same_v<T, std::string>) ok = it->is_string();
    else if constexpr (std::is_same_v<T, bool>) ok = it->is_boolean();
    else if constexpr (std::is_unsigned_v<T>) ok = it->is_number_unsigned();
    else ok = it->is_number_integer();
    if (!ok) throw CtlError(std::string("malformed status reply: field '") + key + "' has the wrong type");
    if constexpr (std::is_same_v<T, std::string>) return shown(it->get<std::string>());
    else return it->get<T>();
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
}

}  // namespace

std::string status_request() { return "{\"command\":\"status\"}\n"; }

StatusReply parse_status_reply(std::string_view line) {
    const json doc = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) throw CtlError("malformed status reply: not JSON");
    if (!doc.is_object()) throw CtlError("malformed status reply: not a JSON object");
    if (auto err = doc.find("error"); err != doc.end())
        throw CtlError("server answered: " + shown(err->is_string() ? err->get<std::string>() : err->dump()));

    StatusReply r;
    r.version = field<std::uint64_t>(doc, "version");
    if (auto s = doc.find("server"); s != doc.end() && s->is_object()) {
        r.server.present = true;
        r.server.listen = field<std::string>(*s, "listen");
        r.server.device = field<std::string>(*s, "device");
        r.server.ipv4 = field<std::string>(*s, "ipv4");
        r.server.ipv6 = field<std::string>(*s, "ipv6");
        r.server.pid = field<std::uint64_t>(*s, "pid");
        r.server.uptime_s = field<std::uint64_t>(*s, "uptime_s");
        r.server.client_to_client = field<bool>(*s, "client_to_client");
        if (auto w = s->find("workers"); w != s->end() && !w->is_null()) {
            if (!w->is_array()) throw CtlError("malformed status reply: \"workers\" is not a list");
            for (const auto& j : *w) {
                if (!j.is_object()) throw CtlError("malformed status reply: a worker is not an object");
                r.server.workers.push_back({field<std::uint64_t>(j, "worker"), field<std::uint64_t>(j, "route_byte"),
                                            field<std::uint64_t>(j, "sessions")});
            }
        }
    }
    auto sessions = doc.find("sessions");
    if (sessions == doc.end()) throw CtlError("malformed status reply: no \"sessions\"");
    if (!sessions->is_array()) throw CtlError("malformed status reply: \"sessions\" is not a list");
    for (const auto& j : *sessions) {
        if (!j.is_object()) throw CtlError("malformed status reply: a session is not an object");
        SessionStatus s;
        s.session = field<std::string>(j, "session");
        s.identity = field<std::string>(j, "identity");
        // Servers before issue 14 send no issuer or subject.
        if (j.contains("issuer")) s.issuer = field<std::string>(j, "issuer");
        if (j.contains("subject")) s.subject = field<std::string>(j, "subject");
        s.fingerprint = field<std::string>(j, "fingerprint");
        s.inner_ipv4 = field<std::string>(j, "inner_ipv4");
        s.inner_ipv6 = field<std::string>(j, "inner_ipv6");
        s.outer = field<std::string>(j, "outer");
        s.rx_bytes = field<std::uint64_t>(j, "rx_bytes");
        s.tx_bytes = field<std::uint64_t>(j, "tx_bytes");
        s.rx_packets = field<std::uint64_t>(j, "rx_packets");
        s.tx_packets = field<std::uint64_t>(j, "tx_packets");
        s.established_unix = field<std::int64_t>(j, "established_unix");
        s.last_handshake_unix = field<std::int64_t>(j, "last_handshake_unix");
        if (j.contains("last_handshake_age_s") && !j["last_handshake_age_s"].is_null())
            s.last_handshake_age_s = field<std::int64_t>(j, "last_handshake_age_s");
        s.cipher = field<std::string>(j, "cipher");
        s.epoch = field<std::uint64_t>(j, "epoch");
        r.sessions.push_back(std::move(s));
    }
    if (auto d = doc.find("inner_drops"); d != doc.end() && !d->is_null()) {
        if (!d->is_object()) throw CtlError("malformed status reply: \"inner_drops\" is not an object");
        for (const auto& [direction, reasons] : d->items()) {
            if (!reasons.is_object()) throw CtlError("malformed status reply: \"inner_drops\" entries are objects");
            for (const auto& [reason, n] : reasons.items()) {
                if (!n.is_number_unsigned()) throw CtlError("malformed status reply: drop counter '" + shown(reason) + "' has the wrong type");
                r.inner_drops.push_back({shown(direction + "." + reason), n.get<std::uint64_t>()});
            }
        }
    }
    if (auto h = doc.find("handshake_refusals"); h != doc.end() && !h->is_null()) {
        if (!h->is_object()) throw CtlError("malformed status reply: \"handshake_refusals\" is not an object");
        for (const auto& [reason, n] : h->items()) {
            if (!n.is_number_unsigned()) throw CtlError("malformed status reply: refusal counter '" + shown(reason) + "' has the wrong type");
            r.handshake_refusals.push_back({shown(reason), n.get<std::uint64_t>()});
        }
    }
    if (auto a = doc.find("access"); a != doc.end() && !a->is_null()) {
        if (!a->is_object()) throw CtlError("malformed status reply: \"access\" is not an object");
        auto counter = [](const json& o, std::string name, std::string action) {
            if (!o.is_object()) throw CtlError("malformed status reply: an \"access\" counter is not an object");
            AccessRuleStatus c{std::move(name), std::move(action)};
            c.packets = field<std::uint64_t>(o, "packets");
            c.bytes = field<std::uint64_t>(o, "bytes");
            return c;
        };
        r.access.enabled = field<bool>(*a, "enabled");
        r.access.default_action = field<std::string>(*a, "default");
        if (auto rules = a->find("rules"); rules != a->end()) {
            if (!rules->is_array()) throw CtlError("malformed status reply: \"access.rules\" is not a list");
            for (const auto& j : *rules)
                r.access.rules.push_back(counter(j, field<std::string>(j, "name"), field<std::string>(j, "action")));
        }
        if (auto d = a->find("default_action"); d != a->end())
            r.access.by_default = counter(*d, "(default)", r.access.default_action);
        if (auto d = a->find("replies"); d != a->end()) r.access.replies = counter(*d, "(replies)", "allow");
        if (auto u = a->find("unreadable"); u != a->end() && u->is_object())
            for (const auto& [reason, n] : u->items()) {
                if (!n.is_number_unsigned()) throw CtlError("malformed status reply: unreadable counter '" + reason + "' has the wrong type");
                r.access.unreadable.push_back({reason, n.get<std::uint64_t>()});
            }
    }
    return r;
}

std::string human_bytes(std::uint64_t n) {
    if (n < 1024) return std::to_string(n) + " B";
    static const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = static_cast<double>(n) / 1024.0;
    std::size_t u = 0;
    while (v >= 1024.0 && u + 1 < std::size(units)) {
        v /= 1024.0;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::string human_duration(std::int64_t s) {
    if (s < 0) s = 0;
    char buf[32];
    if (s < 60) std::snprintf(buf, sizeof buf, "%" PRId64 "s", s);
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
    else if (s < 86400) std::snprintf(buf, sizeof buf, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
    else std::snprintf(buf, sizeof buf, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
    return buf;
}

// Rows already padded to their column widths, two spaces apart.
static std::string aligned(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) line += i + 1 == row.size() ? row[i] : pad(row[i], width[i] + 2);
        out += line + "\n";
    }
    return out;
}

// Exact counts: they are compared with what was sent.
static std::string format_access(const AccessStatus& a) {
    if (!a.enabled) return "";
    std::vector<std::vector<std::string>> rows{{"ACCESS RULE", "ACTION", "PACKETS", "BYTES"}};
    auto row = [&rows](const AccessRuleStatus& c) {
        rows.push_back({c.name, c.action, std::to_string(c.packets), std::to_string(c.bytes)});
    };
    for (const auto& c : a.rules) row(c);
    row(a.by_default);
    row(a.replies);
    std::string unreadable;
    for (const auto& d : a.unreadable)
        if (d.count) unreadable += (unreadable.empty() ? "" : ", ") + d.name + " " + std::to_string(d.count);
    return aligned(rows) + (unreadable.empty() ? "" : "refused unread: " + unreadable + "\n");
}

std::string format_status_table(const StatusReply& r, std::int64_t now_unix) {
    std::string out;
    if (r.server.present) {
        out += "udpvpn-server";
        if (!r.server.listen.empty()) out += " on " + r.server.listen;
        if (!r.server.device.empty()) {
            out += ", device " + r.server.device;
            std::string addrs = r.server.ipv4;
            if (!r.server.ipv6.empty()) addrs += (addrs.empty() ? "" : " ") + r.server.ipv6;
            if (!addrs.empty()) out += " (" + addrs + ")";
        }
        out += ", up " + human_duration(static_cast<std::int64_t>(r.server.uptime_s));
        out += ", " + std::to_string(r.sessions.size()) + (r.sessions.size() == 1 ? " client" : " clients");
        if (r.server.client_to_client) out += ", client-to-client on";
        out += "\n";
        // Several workers: how the sessions spread over them ("workers: 0: 3 clients, 1: 1 client").
        if (r.server.workers.size() > 1) {
            std::string spread;
            for (const auto& w : r.server.workers)
                spread += (spread.empty() ? "" : ", ") + std::to_string(w.worker) + ": " + std::to_string(w.sessions) +
                          (w.sessions == 1 ? " client" : " clients");
            out += "workers: " + spread + "\n";
        }
    }
    std::string drops;
    for (const auto& d : r.inner_drops)
        if (d.count) drops += (drops.empty() ? "" : ", ") + d.name + " " + std::to_string(d.count);
    std::string refusals;
    for (const auto& d : r.handshake_refusals)
        if (d.count) refusals += (refusals.empty() ? "" : ", ") + d.name + " " + std::to_string(d.count);
    const std::string drop_line = (drops.empty() ? "" : "inner packets dropped: " + drops + "\n") +
                                  (refusals.empty() ? "" : "handshakes refused before validation: " + refusals + "\n") +
                                  format_access(r.access);
    if (r.sessions.empty()) return out + "no clients connected\n" + drop_line;

    const std::vector<std::string> header = {"IDENTITY", "INNER IPV4", "INNER IPV6", "OUTER",     "RX",
                                             "TX",       "RX PKTS",    "TX PKTS",    "HANDSHAKE", "CIPHER",
                                             "ISSUER"};
    std::vector<std::vector<std::string>> rows{header};
    for (const auto& s : r.sessions) {
        const std::int64_t age = s.last_handshake_age_s ? *s.last_handshake_age_s
                                 : s.last_handshake_unix ? now_unix - s.last_handshake_unix
                                                         : -1;
        auto dash = [](const std::string& v) { return v.empty() ? std::string("-") : v; };
        rows.push_back({dash(s.identity), dash(s.inner_ipv4), dash(s.inner_ipv6), dash(s.outer),
                        human_bytes(s.rx_bytes), human_bytes(s.tx_bytes), std::to_string(s.rx_packets),
                        std::to_string(s.tx_packets), age < 0 ? "-" : human_duration(age) + " ago",
                        dash(s.cipher), dash(s.issuer)});
    }
    std::vector<std::size_t> width(header.size(), 0);
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i)
            line += i + 1 == row.size() ? row[i] : pad(row[i], width[i] + 2);
        out += line + "\n";
    }
    return out + drop_line;
}

}  // namespace udpvpn::ctl
