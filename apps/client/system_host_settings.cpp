// SPDX-License-Identifier: GPL-3.0-or-later
// HostSettings on the real system: host_network.hpp and dns_config.hpp, whose implementations are
// the platform's (rtnetlink and systemd-resolved on Linux, IP Helper on Windows).
#include "dns_config.hpp"
#include "host_config.hpp"

namespace udpvpn::app {
namespace {

class SystemHostSettings final : public HostSettings {
public:
    std::string link_set(unsigned ifindex, bool up, std::optional<std::uint16_t> mtu) override {
        return host_network::link_set(ifindex, up, mtu);
    }
    std::string addr_add(unsigned ifindex, const IpPrefix& addr) override { return host_network::addr_add(ifindex, addr); }
    std::string addr_del(unsigned ifindex, const IpPrefix& addr) override { return host_network::addr_del(ifindex, addr); }
    std::string route_add(const host_network::Route& route) override { return host_network::route_add(route); }
    std::string route_del(const host_network::Route& route) override { return host_network::route_del(route); }
    std::optional<host_network::Route> route_get(const IpPrefix& dst, std::string& error) override {
        return host_network::route_get(dst, error);
    }
    bool dns_apply(const std::string& device, const std::vector<IpPrefix>& servers, bool route_all) override {
        return dns_.apply(device, servers, route_all);
    }
    void dns_revert() override { dns_.revert(); }

private:
    DnsConfigurator dns_;
};

}  // namespace

std::unique_ptr<HostSettings> system_host_settings() { return std::make_unique<SystemHostSettings>(); }

}  // namespace udpvpn::app
