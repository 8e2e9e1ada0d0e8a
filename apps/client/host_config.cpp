// SPDX-License-Identifier: GPL-3.0-or-later
#include "host_config.hpp"

#include "log.hpp"

#include <cstring>

namespace udpvpn::app {

static bool same_push(const ConfigPush& a, const ConfigPush& b) {
    return encode_config_push(a) == encode_config_push(b);
}

static bool is_default(const IpPrefix& p) { return p.len == 0; }

HostConfig::HostConfig(HostSettings& host, TunDevice& device, unsigned ifindex, HostConfigPolicy policy)
    : host_(host), device_(device), ifindex_(ifindex), policy_(policy) {}

void HostConfig::apply(const ConfigPush& push, const IpPrefix& server) {
    if (applied_.push && same_push(*applied_.push, push)) {
        UVLOG_INFO("server pushed the same configuration as before: kept");
        return;
    }
    undo();
    applied_.push = push;
    std::string summary;
    if (push.mtu) {
        applied_.previous_mtu = device_.mtu();
        device_.set_mtu(*push.mtu);
        summary += " mtu " + std::to_string(*push.mtu);
    }
    if (ifindex_) {
        if (auto err = host_.link_set(ifindex_, true, push.mtu); !err.empty()) UVLOG_ERROR("%s", err.c_str());
    }
    std::vector<IpPrefix> addrs;
    if (push.ipv4) addrs.push_back(from_push(*push.ipv4));
    if (push.ipv6) addrs.push_back(from_push(*push.ipv6));
    for (const auto& a : addrs) {
        summary += " " + to_string(a);
        if (!ifindex_) continue;
        if (auto err = host_.addr_add(ifindex_, a); !err.empty()) {
            UVLOG_ERROR("%s: %s", to_string(a).c_str(), err.c_str());
            continue;
        }
        applied_.addresses.push_back(a);
    }
    bool everything = false;
    apply_routes(push, server, summary, everything);
    std::vector<IpPrefix> dns;
    for (const auto& d : push.dns4) {
        IpPrefix p;
        std::memcpy(p.addr.data(), d.data(), 4);
        p.len = 32;
        dns.push_back(p);
    }
    for (const auto& d : push.dns6) {
        IpPrefix p;
        p.v6 = true;
        std::memcpy(p.addr.data(), d.data(), 16);
        p.len = 128;
        dns.push_back(p);
    }
    UVLOG_NOTICE("configured %s:%s", device_.name().c_str(), summary.c_str());
    if (!ifindex_) return;   // the test backend: nothing of the system's to configure
    if (policy_.accept_dns && !dns.empty()) applied_.dns = host_.dns_apply(device_.name(), dns, everything);
    else if (!dns.empty()) UVLOG_INFO("DNS: ignoring pushed servers (tunnel.accept_dns = false)");
}

void HostConfig::apply_routes(const ConfigPush& push, const IpPrefix& server, std::string& summary,
                              bool& everything) {
    std::vector<IpPrefix> routes;
    if (policy_.accept_routes) {
        for (const auto& r : push.routes4) routes.push_back(from_push(r));
        for (const auto& r : push.routes6) routes.push_back(from_push(r));
    }
    if (policy_.route_all) {
        routes.push_back(*parse_prefix("0.0.0.0/0"));
        routes.push_back(*parse_prefix("::/0"));
    }
    std::vector<IpPrefix> install;
    for (const auto& r : routes) {
        if (is_default(r)) {
            // Two halves beat the default route without replacing it (and come back out cleanly).
            everything = true;
            IpPrefix a = r, b = r;
            a.len = b.len = 1;
            b.addr[0] = 0x80;
            install.push_back(a);
            install.push_back(b);
        } else {
            install.push_back(r.network());
        }
    }
    if (everything && ifindex_) keep_server_outside(server, summary);
    for (const auto& r : install) {
        summary += " route " + to_string(r);
        if (!ifindex_) continue;
        // A route for a family without an address on the device would fail: skip it.
        if ((r.v6 && !push.ipv6) || (!r.v6 && !push.ipv4)) continue;
        host_network::Route nr{r, ifindex_, std::nullopt, 0};
        if (auto err = host_.route_add(nr); !err.empty()) {
            UVLOG_WARN("%s", err.c_str());
            continue;
        }
        applied_.routes.push_back(nr);
    }
}

// Keeps the server reachable outside the tunnel, through whatever route reaches it now.
void HostConfig::keep_server_outside(const IpPrefix& server, std::string& summary) {
    std::string err;
    const auto r = host_.route_get(server, err);
    if (!r) {
        UVLOG_ERROR("cannot find the route to the server: %s", err.c_str());
        return;
    }
    if (r->ifindex == ifindex_) return;   // already through the tunnel: nothing to keep
    host_network::Route host{server, r->ifindex, r->gateway, 0};
    if (err = host_.route_add(host); !err.empty()) {
        UVLOG_ERROR("host route to the server: %s", err.c_str());
        return;
    }
    applied_.server_route = host;
    summary += " (host route to " + to_string(server, false) + " kept outside)";
}

void HostConfig::undo() {
    if (applied_.dns) host_.dns_revert();
    applied_.dns = false;
    for (auto it = applied_.routes.rbegin(); it != applied_.routes.rend(); ++it) host_.route_del(*it);
    applied_.routes.clear();
    if (applied_.server_route) {
        if (auto err = host_.route_del(*applied_.server_route); !err.empty()) UVLOG_WARN("%s", err.c_str());
        applied_.server_route.reset();
    }
    for (const auto& a : applied_.addresses) host_.addr_del(ifindex_, a);
    applied_.addresses.clear();
    if (applied_.previous_mtu) {
        device_.set_mtu(*applied_.previous_mtu);
        if (ifindex_) host_.link_set(ifindex_, true, applied_.previous_mtu);
        applied_.previous_mtu.reset();
    }
    applied_.push.reset();
}

}  // namespace udpvpn::app
