// SPDX-License-Identifier: GPL-3.0-or-later
// PPP mode options shared by udpvpn-server and udpvpn-client: `tunnel.mode` and the `[ppp]` table
// (apps/examples/*.toml, docs/man/udpvpn.conf.5.scd).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace udpvpn::app {

class TomlReader;

// What the tunnel carries: IP packets to and from a TUN device, or PPP frames to and from pppd.
enum class TunnelMode : std::uint8_t { ip, ppp };

struct PppConfig {
    std::string pppd = "/usr/sbin/pppd";   // absolute path (exec'd without a PATH search)
    std::string options;                   // passed as `file <options>`; "" = pppd's defaults only
    std::vector<std::string> args;         // extra pppd arguments, after everything else
    bool stdio = false;                    // client: talk HDLC on stdin/stdout (under pppd's `pty`)
};

// Reads tunnel.mode into `mode` and, in PPP mode, the [ppp] table. `client` allows ppp.stdio.
// Throws ConfigError naming the option.
void read_ppp_config(TomlReader& r, TunnelMode& mode, PppConfig& ppp, bool client);

}  // namespace udpvpn::app
