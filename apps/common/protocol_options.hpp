// SPDX-License-Identifier: GPL-3.0-or-later
// The [protocol] options udpvpn-server and udpvpn-client share (docs/man/udpvpn.conf.5.scd).
#pragma once
#include "toml_reader.hpp"

#include <udpvpn/config.hpp>

#include <vector>

namespace udpvpn::app {

struct ProtocolOptions {
    TimeNs keepalive_interval = 10 * kSecond;
    TimeNs dead_peer_timeout = 45 * kSecond;
    TimeNs rekey_after_time = 120 * kSecond;
    std::vector<Suite> suites{Suite::chacha20_poly1305, Suite::aes256_gcm};

    // Into the library's configuration (ResponderConfig or InitiatorConfig).
    template <typename EndpointConfig>
    void apply_to(EndpointConfig& c) const {
        c.suites = suites;
        c.timers.keepalive_interval = keepalive_interval;
        c.timers.dead_peer_timeout = dead_peer_timeout;
        c.timers.rekey_after_time = rekey_after_time;
    }
};

// Reads keepalive_interval, dead_peer_timeout, rekey_after_time and suites from [protocol] over
// the defaults in `out`, and checks each. How dead_peer_timeout relates to the other timers is
// the caller's to check (the server's keepalive, the client's ping). Throws ConfigError.
void read_protocol_options(TomlReader& r, ProtocolOptions& out);

}  // namespace udpvpn::app
