// SPDX-License-Identifier: GPL-3.0-or-later
#include "ppp_config.hpp"

#include "toml_reader.hpp"

#include <unistd.h>

namespace udpvpn::app {

void read_ppp_config(TomlReader& r, TunnelMode& mode, PppConfig& ppp, bool client) {
    const std::string m = r.string("tunnel.mode", "ip");
    if (m == "ip") mode = TunnelMode::ip;
    else if (m == "ppp") mode = TunnelMode::ppp;
    else r.fail("tunnel.mode", "expected \"ip\" or \"ppp\"");

    // Read (and so accept) the [ppp] table in either mode: switching modes is one line.
    ppp.pppd = r.string("ppp.pppd", ppp.pppd);
    ppp.options = r.string("ppp.options", "");
    ppp.args = r.string_list("ppp.args");
    if (client) ppp.stdio = r.boolean("ppp.stdio", false);
    if (mode != TunnelMode::ppp) return;

    if (ppp.pppd.empty() || ppp.pppd.front() != '/') r.fail("ppp.pppd", "must be an absolute path");
    if (!ppp.stdio && ::access(ppp.pppd.c_str(), X_OK) != 0)
        r.fail("ppp.pppd", "cannot execute \"" + ppp.pppd + "\" (is the ppp package installed?)");
    if (!ppp.options.empty() && ::access(ppp.options.c_str(), R_OK) != 0)
        r.fail("ppp.options", "cannot read \"" + ppp.options + "\"");
    for (const auto& a : ppp.args)
        for (unsigned char c : a)
            if (c < 0x20 || c == 0x7F) r.fail("ppp.args", "arguments must not contain control characters");
}

}  // namespace udpvpn::app
