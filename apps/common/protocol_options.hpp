// SPDX-License-Identifier: GPL-3.0-or-later
// The [protocol] options udpvpn-server and udpvpn-client share (docs/man/udpvpn.conf.5.scd).
#pragma once
#include "toml_reader.hpp"

#include <udpvpn/config.hpp>
#include <udpvpn/endpoint.hpp>

#include <algorithm>
#include <vector>

namespace udpvpn::app {

struct ProtocolOptions {
    TimeNs keepalive_interval = 10 * kSecond;
    TimeNs dead_peer_timeout = 45 * kSecond;
    TimeNs rekey_after_time = 120 * kSecond;
    TimeNs reverify_interval = 3600 * kSecond;   // re-check the peer's certificate this often...
    bool reverify_on_rekey = true;               // ... and after every rekey
    std::vector<Suite> suites{Suite::chacha20_poly1305, Suite::aes256_gcm};

    // Into the library's configuration (ResponderConfig or InitiatorConfig).
    template <typename EndpointConfig>
    void apply_to(EndpointConfig& c) const {
        c.suites = suites;
        c.timers.keepalive_interval = keepalive_interval;
        c.timers.dead_peer_timeout = dead_peer_timeout;
        c.timers.rekey_after_time = rekey_after_time;
        c.timers.reverify_interval = reverify_interval;
        c.reverify_on_rekey = reverify_on_rekey;
    }
};

// Datagram sizes for tunnel packets of up to `largest_inner` bytes (docs/rfc-draft.txt §14, §20.3):
// the handshake, and everything sent before path MTU probing has found more, stays within a
// 1280-byte path (the draft's default max_datagram, 1232 bytes of UDP payload); probing searches up
// to the datagram a full inner packet needs. Inner packets are sent whole whatever probing found.
template <typename EndpointConfig>
void apply_path_sizes(EndpointConfig& c, std::size_t largest_inner) {
    c.max_datagram = CommonConfig{}.max_datagram;
    c.max_probe_datagram = static_cast<std::uint16_t>(
        std::min<std::size_t>(65507, std::max<std::size_t>(largest_inner + kDataOverhead, c.max_datagram)));
}

// Reads keepalive_interval, dead_peer_timeout, rekey_after_time, reverify_interval,
// reverify_on_rekey and suites from [protocol] over
// the defaults in `out`, and checks each. How dead_peer_timeout relates to the other timers is
// the caller's to check (the server's keepalive, the client's ping). Throws ConfigError.
void read_protocol_options(TomlReader& r, ProtocolOptions& out);

}  // namespace udpvpn::app
