// SPDX-License-Identifier: GPL-3.0-or-later
// The [protocol] options udpvpn-server and udpvpn-client share (docs/man/udpvpn.conf.5.scd).
#pragma once
#include "toml_reader.hpp"

#include <udpvpn/config.hpp>
#include <udpvpn/endpoint.hpp>

#include <algorithm>
#include <vector>

namespace udpvpn::app {

// The library's own fields and defaults (include/udpvpn/config.hpp): [protocol] sets
// keepalive_interval, dead_peer_timeout, rekey_after_time and reverify_interval of `timers`, the
// other timers keep the library's defaults.
struct ProtocolOptions {
    Timers timers{};
    bool reverify_on_rekey = CommonConfig{}.reverify_on_rekey;   // re-check the peer's certificate
    std::vector<Suite> suites = CommonConfig{}.suites;

    // Into the library's configuration (ResponderConfig or InitiatorConfig).
    template <typename EndpointConfig>
    void apply_to(EndpointConfig& c) const {
        c.suites = suites;
        c.timers = timers;
        c.reverify_on_rekey = reverify_on_rekey;
    }
};

// Reads keepalive_interval, dead_peer_timeout, rekey_after_time, reverify_interval,
// reverify_on_rekey and suites from [protocol] over the defaults in `out`, and checks each: our
// range policy first, then the library's rules (udpvpn::validate), both reported under the
// [protocol] key. How dead_peer_timeout relates to the other timers is the caller's to check (the
// server's keepalive, the client's ping). Throws ConfigError.
void read_protocol_options(TomlReader& r, ProtocolOptions& out);

}  // namespace udpvpn::app
