// SPDX-License-Identifier: GPL-3.0-or-later
// What the client changes on the host for a session (the tunnel device's MTU and addresses, routes
// through it, a host route to the server outside it, DNS), applied from the server's pushed
// configuration and undone exactly: undo() reverts what apply() changed and nothing else, also
// when some of the changes failed. The host is reached through HostSettings only, so tests run
// HostConfig against a fake, without root.
#pragma once
#include "inet.hpp"
#include "host_network.hpp"
#include "tun_device.hpp"

#include <udpvpn/config_push.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace udpvpn::app {

// The host's network settings, as HostConfig changes them. Each change returns "" on success or
// a message naming what failed.
class HostSettings {
public:
    virtual ~HostSettings() = default;
    virtual std::string link_set(unsigned ifindex, bool up, std::optional<std::uint16_t> mtu) = 0;
    virtual std::string addr_add(unsigned ifindex, const IpPrefix& addr) = 0;
    virtual std::string addr_del(unsigned ifindex, const IpPrefix& addr) = 0;
    virtual std::string route_add(const host_network::Route& route) = 0;
    virtual std::string route_del(const host_network::Route& route) = 0;
    // The route the host uses to reach `dst` now.
    virtual std::optional<host_network::Route> route_get(const IpPrefix& dst, std::string& error) = 0;
    // True if the DNS servers were applied to `device`; `route_all`: for every domain.
    virtual bool dns_apply(const std::string& device, const std::vector<IpPrefix>& servers, bool route_all) = 0;
    virtual void dns_revert() = 0;
};

// The system's: host_network.hpp and dns_config.hpp (implemented by each platform wing).
std::unique_ptr<HostSettings> system_host_settings();

// Which parts of a push the client takes (its [tunnel] options).
struct HostConfigPolicy {
    bool accept_routes = true;
    bool accept_dns = true;
    bool route_all = false;   // every destination through the tunnel, whatever the server pushes
};

class HostConfig {
public:
    // `ifindex` 0: the test backend, which has nothing of the host's to change (only the device's
    // MTU bookkeeping).
    HostConfig(HostSettings& host, TunDevice& device, unsigned ifindex, HostConfigPolicy policy);

    // Applies `push` (first undoing the previous one, unless it is the same). `server`: the
    // server's outer address, kept reachable outside the tunnel when everything goes through it.
    void apply(const ConfigPush& push, const IpPrefix& server);
    void undo();
    void set_policy(HostConfigPolicy policy) { policy_ = policy; }   // from the next apply() on

    // What apply() changed and undo() will revert.
    struct Applied {
        std::optional<std::uint16_t> previous_mtu;   // the device's MTU before the push set one
        std::vector<IpPrefix> addresses;
        std::vector<host_network::Route> routes;
        std::optional<host_network::Route> server_route;   // host route to the server outside the tunnel
        bool dns = false;
        std::optional<ConfigPush> push;
    };
    const Applied& applied() const noexcept { return applied_; }

private:
    void apply_routes(const ConfigPush& push, const IpPrefix& server, std::string& summary, bool& everything);
    void keep_server_outside(const IpPrefix& server, std::string& summary);

    HostSettings& host_;
    TunDevice& device_;
    unsigned ifindex_;
    HostConfigPolicy policy_;
    Applied applied_;
};

}  // namespace udpvpn::app
