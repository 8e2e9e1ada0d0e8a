// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol_options.hpp"

#include "suite_names.hpp"

namespace udpvpn::app {

void read_protocol_options(TomlReader& r, ProtocolOptions& p) {
    p.keepalive_interval = r.duration("protocol.keepalive_interval", p.keepalive_interval);
    p.dead_peer_timeout = r.duration("protocol.dead_peer_timeout", p.dead_peer_timeout);
    p.rekey_after_time = r.duration("protocol.rekey_after_time", p.rekey_after_time);
    p.reverify_interval = r.duration("protocol.reverify_interval", p.reverify_interval);
    if (p.reverify_interval < kSecond) r.fail("protocol.reverify_interval", "must be at least 1s");
    p.reverify_on_rekey = r.boolean("protocol.reverify_on_rekey", p.reverify_on_rekey);
    if (p.keepalive_interval < kSecond) r.fail("protocol.keepalive_interval", "must be at least 1s");
    if (p.rekey_after_time < 10 * kSecond || p.rekey_after_time > 150 * kSecond)
        r.fail("protocol.rekey_after_time", "must be between 10s and 150s (keys are refused after 180s)");
    if (r.has("protocol.suites")) {
        p.suites.clear();
        for (const auto& s : r.string_list("protocol.suites")) {
            Suite suite;
            if (!parse_suite(s, suite)) r.fail("protocol.suites", "unknown suite \"" + s + "\" (chacha20-poly1305, aes-256-gcm)");
            p.suites.push_back(suite);
        }
        if (p.suites.empty()) r.fail("protocol.suites", "needs at least one suite");
    }
}

}  // namespace udpvpn::app
