// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol_options.hpp"

#include "suite_names.hpp"

namespace udpvpn::app {

namespace {

// The [protocol] key behind a field of the library's configuration ("timers.rekey_after_time").
std::string protocol_key(const std::string& field) {
    const std::string timers = "timers.";
    return "protocol." + (field.rfind(timers, 0) == 0 ? field.substr(timers.size()) : field);
}

}  // namespace

void read_protocol_options(TomlReader& r, ProtocolOptions& p) {
    Timers& t = p.timers;
    t.keepalive_interval = r.duration("protocol.keepalive_interval", t.keepalive_interval);
    t.dead_peer_timeout = r.duration("protocol.dead_peer_timeout", t.dead_peer_timeout);
    t.rekey_after_time = r.duration("protocol.rekey_after_time", t.rekey_after_time);
    t.reverify_interval = r.duration("protocol.reverify_interval", t.reverify_interval);
    if (t.reverify_interval < kSecond) r.fail("protocol.reverify_interval", "must be at least 1s");
    p.reverify_on_rekey = r.boolean("protocol.reverify_on_rekey", p.reverify_on_rekey);
    if (t.keepalive_interval < kSecond) r.fail("protocol.keepalive_interval", "must be at least 1s");
    if (t.rekey_after_time < 10 * kSecond || t.rekey_after_time > 150 * kSecond)
        r.fail("protocol.rekey_after_time", "must be between 10s and 150s (keys are refused after 180s)");
    if (r.has("protocol.suites")) {
        p.suites.clear();
        for (const auto& s : r.string_list("protocol.suites")) {
            Suite suite;
            if (!parse_suite(s, suite)) r.fail("protocol.suites", "unknown suite \"" + s + "\" (chacha20-poly1305, aes-256-gcm)");
            p.suites.push_back(suite);
        }
    }
    CommonConfig library;
    p.apply_to(library);
    if (const ConfigProblem bad = validate(library)) r.fail(protocol_key(bad.field), bad.reason);
}

}  // namespace udpvpn::app
