// SPDX-License-Identifier: GPL-3.0-or-later
// The host's network configuration around the tunnel: the interface's addresses, MTU and link state,
// and routes. Implemented by host_network_linux.cpp (rtnetlink) and host_network_windows.cpp (IP
// Helper), never by running a command.
// Every call returns "" on success or a message naming what failed and why.
#pragma once
#include "inet.hpp"

#include <optional>
#include <string>

namespace udpvpn::app::host_network {

unsigned if_index(const std::string& name);   // 0 if the interface does not exist

std::string link_set(unsigned ifindex, bool up, std::optional<std::uint16_t> mtu);
// IPv6 addresses are added with IFA_F_NODAD: a tunnel has no neighbours to collide with, and DAD
// would leave the address unusable for a second or more.
std::string addr_add(unsigned ifindex, const IpPrefix& addr);
std::string addr_del(unsigned ifindex, const IpPrefix& addr);

struct Route {
    IpPrefix dst;                        // network and length
    unsigned ifindex = 0;                // 0: let the kernel choose from the gateway
    std::optional<IpPrefix> gateway;     // host address
    std::uint32_t metric = 0;
};
std::string route_add(const Route& r);   // replaces an identical route if present
std::string route_del(const Route& r);

// The route the kernel would use to reach `dst` right now (gateway and output interface).
std::optional<Route> route_get(const IpPrefix& dst, std::string& error);

}  // namespace udpvpn::app::host_network
