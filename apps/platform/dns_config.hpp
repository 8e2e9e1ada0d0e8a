// SPDX-License-Identifier: GPL-3.0-or-later
// The DNS servers a server pushes, made the tunnel interface's own for as long as the client runs.
// Linux (dns_config_linux.cpp): systemd-resolved where it runs; Windows (dns_config_windows.cpp):
// the adapter's DNS settings.
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
