// SPDX-License-Identifier: GPL-3.0-or-later
// Pushed DNS servers go to systemd-resolved (per-link, through resolvectl) where it runs. Elsewhere
// nothing is touched and the log says so: rewriting /etc/resolv.conf behind a resolver manager's back
// is how VPN clients break machines.
#pragma once
#include "inet.hpp"

#include <string>
#include <vector>

namespace udpvpn::app {

class DnsConfigurator {
public:
    // Returns true if applied. `route_all`: the link also becomes the default DNS route ("~.").
    bool apply(const std::string& device, const std::vector<IpPrefix>& servers, bool route_all);
    void revert();   // undoes apply() (no-op otherwise)
    static bool resolved_running();

private:
    std::string applied_device_;
};

}  // namespace udpvpn::app
