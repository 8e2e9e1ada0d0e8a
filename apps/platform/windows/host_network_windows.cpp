// SPDX-License-Identifier: GPL-3.0-or-later
// The Windows side of host_network.hpp: addresses, routes, MTU through the IP Helper API (netioapi.h),
// never by running netsh. Interface indexes are IP Helper's (NET_IFINDEX), as on Linux.
#include "host_network.hpp"

#include <winsock2.h>
#include <ws2ipdef.h>
#include <iphlpapi.h>
#include <netioapi.h>

#include <cstring>

namespace udpvpn::app::host_network {
namespace {

std::string text(const char* what, const IpPrefix* p, DWORD code) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " failed (Windows error %lu)", static_cast<unsigned long>(code));
    return std::string(what) + (p ? " " + to_string(*p) : std::string()) + buf;
}

SOCKADDR_INET to_sockaddr(const IpPrefix& p) {
    SOCKADDR_INET sa;
    std::memset(&sa, 0, sizeof sa);
    if (p.v6) {
        sa.Ipv6.sin6_family = AF_INET6;
        std::memcpy(&sa.Ipv6.sin6_addr, p.addr.data(), 16);
    } else {
        sa.Ipv4.sin_family = AF_INET;
        std::memcpy(&sa.Ipv4.sin_addr, p.addr.data(), 4);
    }
    return sa;
}

IpPrefix from_sockaddr(const SOCKADDR_INET& sa, std::uint8_t len) {
    IpPrefix p;
    p.v6 = sa.si_family == AF_INET6;
    if (p.v6) std::memcpy(p.addr.data(), &sa.Ipv6.sin6_addr, 16);
    else std::memcpy(p.addr.data(), &sa.Ipv4.sin_addr, 4);
    p.len = len;
    return p;
}

bool is_unspecified(const SOCKADDR_INET& sa) {
    static const std::uint8_t zero[16] = {};
    return sa.si_family == AF_INET6 ? std::memcmp(&sa.Ipv6.sin6_addr, zero, 16) == 0
                                    : sa.Ipv4.sin_addr.s_addr == 0;
}

// What InitializeUnicastIpAddressEntry does (wine 8 lacks it): permanent, manually configured.
MIB_UNICASTIPADDRESS_ROW address_row(unsigned ifindex, const IpPrefix& addr) {
    MIB_UNICASTIPADDRESS_ROW row;
    std::memset(&row, 0, sizeof row);
    row.PrefixOrigin = IpPrefixOriginManual;
    row.SuffixOrigin = IpSuffixOriginManual;
    row.ValidLifetime = 0xFFFFFFFF;
    row.PreferredLifetime = 0xFFFFFFFF;
    row.InterfaceIndex = ifindex;
    row.Address = to_sockaddr(addr);
    row.OnLinkPrefixLength = addr.len;
    return row;
}

MIB_IPFORWARD_ROW2 forward_row(const Route& r) {
    MIB_IPFORWARD_ROW2 row;
    InitializeIpForwardEntry(&row);
    row.InterfaceIndex = r.ifindex;
    row.DestinationPrefix.Prefix = to_sockaddr(r.dst.network());
    row.DestinationPrefix.PrefixLength = r.dst.len;
    // No gateway: an on-link route through the tunnel (the unspecified next hop of the family).
    IpPrefix none;
    none.v6 = r.dst.v6;
    row.NextHop = to_sockaddr(r.gateway ? *r.gateway : none);
    row.Metric = r.metric;
    row.Protocol = static_cast<NL_ROUTE_PROTOCOL>(MIB_IPPROTO_NETMGMT);   // a static route, as `route add` makes
    return row;
}

}  // namespace

unsigned if_index(const std::string& name) {
    NET_LUID luid;
    std::wstring w(name.begin(), name.end());   // adapter names are ASCII in our configs
    NET_IFINDEX index = 0;
    if (ConvertInterfaceAliasToLuid(w.c_str(), &luid) != NO_ERROR) return 0;
    if (ConvertInterfaceLuidToIndex(&luid, &index) != NO_ERROR) return 0;
    return index;
}

std::string link_set(unsigned ifindex, bool /*up*/, std::optional<std::uint16_t> mtu) {
    // A Wintun adapter is up while a session is open: there is no separate link state to set.
    if (!mtu) return "";
    for (ADDRESS_FAMILY family : {AF_INET, AF_INET6}) {
        MIB_IPINTERFACE_ROW row;
        InitializeIpInterfaceEntry(&row);
        row.Family = family;
        row.InterfaceIndex = ifindex;
        if (DWORD rc = GetIpInterfaceEntry(&row); rc != NO_ERROR) {
            if (family == AF_INET6 && rc == ERROR_NOT_FOUND) continue;   // IPv6 disabled on the adapter
            return text(family == AF_INET ? "reading IPv4 interface settings" : "reading IPv6 interface settings",
                        nullptr, rc);
        }
        // IPv6 needs at least 1280 (RFC 8200, 5): leave IPv6 alone below that.
        if (family == AF_INET6 && *mtu < 1280) continue;
        row.NlMtu = *mtu;
        row.SitePrefixLength = 0;   // SetIpInterfaceEntry rejects the value Get returns for IPv4
        if (DWORD rc = SetIpInterfaceEntry(&row); rc != NO_ERROR) return text("setting the MTU", nullptr, rc);
    }
    return "";
}

std::string addr_add(unsigned ifindex, const IpPrefix& addr) {
    MIB_UNICASTIPADDRESS_ROW row = address_row(ifindex, addr);
    row.DadState = IpDadStatePreferred;   // a tunnel has no neighbours: skip duplicate detection
    const DWORD rc = CreateUnicastIpAddressEntry(&row);
    if (rc == NO_ERROR || rc == ERROR_OBJECT_ALREADY_EXISTS) return "";
    return text("adding address", &addr, rc);
}

std::string addr_del(unsigned ifindex, const IpPrefix& addr) {
    MIB_UNICASTIPADDRESS_ROW row = address_row(ifindex, addr);
    const DWORD rc = DeleteUnicastIpAddressEntry(&row);
    if (rc == NO_ERROR || rc == ERROR_NOT_FOUND) return "";
    return text("removing address", &addr, rc);
}

std::string route_add(const Route& r) {
    Route route = r;
    if (route.ifindex == 0 && route.gateway) {   // Windows wants the interface: the one towards the gateway
        std::string err;
        auto via = route_get(*route.gateway, err);
        if (!via) return err;
        route.ifindex = via->ifindex;
    }
    MIB_IPFORWARD_ROW2 row = forward_row(route);
    DWORD rc = CreateIpForwardEntry2(&row);
    if (rc == ERROR_OBJECT_ALREADY_EXISTS) rc = SetIpForwardEntry2(&row);   // replace, as on Linux
    return rc == NO_ERROR ? "" : text("adding route", &r.dst, rc);
}

std::string route_del(const Route& r) {
    Route route = r;
    if (route.ifindex == 0 && route.gateway) {
        std::string err;
        if (auto via = route_get(*route.gateway, err)) route.ifindex = via->ifindex;
    }
    MIB_IPFORWARD_ROW2 row = forward_row(route);
    const DWORD rc = DeleteIpForwardEntry2(&row);
    return rc == NO_ERROR || rc == ERROR_NOT_FOUND ? "" : text("removing route", &r.dst, rc);
}

std::optional<Route> route_get(const IpPrefix& dst, std::string& error) {
    SOCKADDR_INET to = to_sockaddr(dst), from;
    MIB_IPFORWARD_ROW2 best;
    const DWORD rc = GetBestRoute2(nullptr, 0, nullptr, &to, 0, &best, &from);
    if (rc != NO_ERROR) {
        error = text("looking up the route to", &dst, rc);
        return std::nullopt;
    }
    Route r;
    r.dst = dst;
    r.ifindex = best.InterfaceIndex;
    if (!is_unspecified(best.NextHop)) r.gateway = from_sockaddr(best.NextHop, dst.v6 ? 128 : 32);
    r.metric = best.Metric;
    return r;
}

}  // namespace udpvpn::app::host_network
