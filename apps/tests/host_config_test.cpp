// SPDX-License-Identifier: GPL-3.0-or-later
// HostConfig against a fake host: undo() leaves the host exactly as apply() found it, also when
// some changes fail, and touches nothing it did not change.
#include "host_config.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <tuple>

using namespace udpvpn;
using namespace udpvpn::app;

namespace {

constexpr unsigned kTun = 7, kEth = 2;

// The host's network state as the client can change it.
struct HostState {
    std::map<unsigned, std::uint16_t> mtu;
    std::set<unsigned> up;
    std::set<std::pair<unsigned, std::string>> addresses;
    std::set<std::string> routes;
    std::string dns;   // "device: servers [all]", "" when the host's own
    bool operator==(const HostState&) const = default;
};

std::string route_key(const host_network::Route& r) {
    return to_string(r.dst) + " dev " + std::to_string(r.ifindex) + (r.gateway ? " via " + to_string(*r.gateway, false) : "");
}

class FakeHost final : public HostSettings {
public:
    HostState state;
    std::set<std::string> failing;     // "addr_add <prefix>", "route_add <prefix>", "link_set", "dns"
    std::vector<std::string> strays;   // removals of what was not there: undo must never do that
    int changes = 0;

    std::string link_set(unsigned ifindex, bool up, std::optional<std::uint16_t> mtu) override {
        ++changes;
        if (failing.count("link_set")) return "link_set refused";
        if (up) state.up.insert(ifindex);
        if (mtu) state.mtu[ifindex] = *mtu;
        return "";
    }
    std::string addr_add(unsigned ifindex, const IpPrefix& a) override {
        ++changes;
        if (failing.count("addr_add " + to_string(a))) return "address refused";
        state.addresses.insert({ifindex, to_string(a)});
        return "";
    }
    std::string addr_del(unsigned ifindex, const IpPrefix& a) override {
        ++changes;
        if (!state.addresses.erase({ifindex, to_string(a)})) strays.push_back("addr_del " + to_string(a));
        return "";
    }
    std::string route_add(const host_network::Route& r) override {
        ++changes;
        if (failing.count("route_add " + to_string(r.dst))) return "route refused";
        state.routes.insert(route_key(r));
        return "";
    }
    std::string route_del(const host_network::Route& r) override {
        ++changes;
        if (!state.routes.erase(route_key(r))) strays.push_back("route_del " + route_key(r));
        return "";
    }
    std::optional<host_network::Route> route_get(const IpPrefix& dst, std::string& error) override {
        if (failing.count("route_get")) {
            error = "no route";
            return std::nullopt;
        }
        // Longest match of the two halves (through the tunnel) over the default route (eth).
        if (state.routes.count("0.0.0.0/1 dev 7") || state.routes.count("128.0.0.0/1 dev 7"))
            return host_network::Route{dst, kTun, std::nullopt, 0};
        return host_network::Route{dst, kEth, parse_address("192.0.2.1"), 0};
    }
    bool dns_apply(const std::string& device, const std::vector<IpPrefix>& servers, bool all) override {
        ++changes;
        if (failing.count("dns")) return false;
        state.dns = device + ":";
        for (const auto& s : servers) state.dns += " " + to_string(s, false);
        if (all) state.dns += " all";
        return true;
    }
    void dns_revert() override {
        ++changes;
        if (state.dns.empty()) strays.push_back("dns_revert");
        state.dns.clear();
    }
};

class FakeTun final : public TunDevice {
public:
    const std::string& name() const noexcept override { return name_; }
    std::unique_ptr<ReadWatch> watch(asio::io_context&, OnReadable) override { return nullptr; }
    long read(MutableByteView) noexcept override { return 0; }
    bool write(ByteView) noexcept override { return true; }
    std::uint16_t mtu() const noexcept override { return mtu_; }
    void set_mtu(std::uint16_t mtu) noexcept override { mtu_ = mtu; }

private:
    std::string name_ = "udpvpn0";
    std::uint16_t mtu_ = 1420;
};

Ipv4Prefix v4(const char* text) {
    const IpPrefix p = *parse_prefix(text);
    Ipv4Prefix out;
    std::copy_n(p.addr.begin(), 4, out.addr.begin());
    out.prefix = p.len;
    return out;
}

Ipv6Prefix v6(const char* text) {
    const IpPrefix p = *parse_prefix(text);
    Ipv6Prefix out;
    std::copy_n(p.addr.begin(), 16, out.addr.begin());
    out.prefix = p.len;
    return out;
}

ConfigPush full_push() {
    ConfigPush p;
    p.ipv4 = v4("10.8.0.2/24");
    p.ipv6 = v6("fd00:8::2/64");
    p.routes4 = {v4("10.20.0.0/16"), v4("172.16.0.0/12")};
    p.routes6 = {v6("fd00:20::/48")};
    p.dns4 = {v4("10.8.0.1/32").addr};
    p.mtu = 1380;
    return p;
}

// A host with its own default route and an address on eth, before the client touches it.
FakeHost fresh_host() {
    FakeHost h;
    h.state.routes.insert("0.0.0.0/0 dev 2 via 192.0.2.1");
    h.state.addresses.insert({kEth, "192.0.2.10/24"});
    h.state.up.insert(kEth);
    h.state.mtu[kEth] = 1500;
    h.state.mtu[kTun] = 1420;
    return h;
}

const IpPrefix kServer = *parse_address("198.51.100.7");

}  // namespace

TEST_CASE("a push's addresses, routes, DNS and MTU reach the host, and undo takes them all back") {
    FakeHost host = fresh_host();
    host.state.up.insert(kTun);   // the device is up before the push: undo leaves it so
    const HostState before = host.state;
    FakeTun tun;
    HostConfig hc(host, tun, kTun, {});
    hc.apply(full_push(), kServer);
    CHECK(host.state.addresses.count({kTun, "10.8.0.2/24"}));
    CHECK(host.state.addresses.count({kTun, "fd00:8::2/64"}));
    CHECK(host.state.routes.count("10.20.0.0/16 dev 7"));
    CHECK(host.state.routes.count("172.16.0.0/12 dev 7"));
    CHECK(host.state.routes.count("fd00:20::/48 dev 7"));
    CHECK(host.state.dns == "udpvpn0: 10.8.0.1");
    CHECK(host.state.mtu[kTun] == 1380);
    CHECK(tun.mtu() == 1380);
    hc.undo();
    CHECK(host.state == before);
    CHECK(tun.mtu() == 1420);
    CHECK(host.strays.empty());
    CHECK_FALSE(hc.applied().push);
}

TEST_CASE("everything through the tunnel: two halves per family and the server kept outside") {
    FakeHost host = fresh_host();
    FakeTun tun;
    HostConfigPolicy policy;
    policy.route_all = true;
    HostConfig hc(host, tun, kTun, policy);
    hc.apply(full_push(), kServer);
    CHECK(host.state.routes.count("0.0.0.0/1 dev 7"));
    CHECK(host.state.routes.count("128.0.0.0/1 dev 7"));
    CHECK(host.state.routes.count("::/1 dev 7"));
    CHECK(host.state.routes.count("8000::/1 dev 7"));
    // The host route to the server through the way it was reached before.
    CHECK(host.state.routes.count("198.51.100.7/32 dev 2 via 192.0.2.1"));
    CHECK(host.state.routes.count("0.0.0.0/0 dev 2 via 192.0.2.1"));   // the default route stays
    CHECK(host.state.dns == "udpvpn0: 10.8.0.1 all");
    hc.undo();
    CHECK(host.state.routes == std::set<std::string>{"0.0.0.0/0 dev 2 via 192.0.2.1"});
    CHECK(host.strays.empty());
}

TEST_CASE("after partial failures undo takes back what succeeded and touches nothing else") {
    FakeHost host = fresh_host();
    host.failing = {"addr_add fd00:8::2/64", "route_add 172.16.0.0/12", "dns", "route_get"};
    const HostState before = host.state;
    FakeTun tun;
    HostConfigPolicy policy;
    policy.route_all = true;
    HostConfig hc(host, tun, kTun, policy);
    hc.apply(full_push(), kServer);
    CHECK(hc.applied().addresses.size() == 1);   // the IPv4 address only
    CHECK(hc.applied().routes.size() == 6);      // 10.20/16, fd00:20::/48 and four halves; not 172.16/12
    CHECK_FALSE(hc.applied().server_route);      // no route to the server was found
    CHECK_FALSE(hc.applied().dns);
    CHECK(host.state.routes.count("10.20.0.0/16 dev 7"));
    CHECK_FALSE(host.state.routes.count("172.16.0.0/12 dev 7"));
    hc.undo();
    HostState after = host.state;
    after.up.erase(kTun);   // apply brought the device up; it stays up (it is the client's own)
    CHECK(after == before);
    CHECK(host.strays.empty());   // no removal of the address, route or DNS that never came
}

TEST_CASE("a failing link change still configures the rest and restores the device MTU") {
    FakeHost host = fresh_host();
    host.failing = {"link_set"};
    FakeTun tun;
    HostConfig hc(host, tun, kTun, {});
    hc.apply(full_push(), kServer);
    CHECK(host.state.addresses.count({kTun, "10.8.0.2/24"}));
    CHECK(tun.mtu() == 1380);
    hc.undo();
    CHECK(tun.mtu() == 1420);
    CHECK(host.state.addresses == fresh_host().state.addresses);
    CHECK(host.strays.empty());
}

TEST_CASE("the same push again changes nothing; a different one replaces the first") {
    FakeHost host = fresh_host();
    const HostState before = host.state;
    FakeTun tun;
    HostConfig hc(host, tun, kTun, {});
    hc.apply(full_push(), kServer);
    const HostState first = host.state;
    const int changes = host.changes;
    hc.apply(full_push(), kServer);
    CHECK(host.changes == changes);
    CHECK(host.state == first);

    ConfigPush next = full_push();
    next.ipv4 = v4("10.8.0.9/24");
    next.routes4 = {v4("10.30.0.0/16")};
    next.dns4.clear();
    next.mtu.reset();
    hc.apply(next, kServer);
    CHECK(host.state.addresses.count({kTun, "10.8.0.9/24"}));
    CHECK_FALSE(host.state.addresses.count({kTun, "10.8.0.2/24"}));
    CHECK(host.state.routes.count("10.30.0.0/16 dev 7"));
    CHECK_FALSE(host.state.routes.count("10.20.0.0/16 dev 7"));
    CHECK(host.state.dns.empty());
    CHECK(tun.mtu() == 1420);   // the first push's MTU was undone, the second sets none
    hc.undo();
    HostState after = host.state;
    after.up.erase(kTun);
    CHECK(after == before);
    CHECK(host.strays.empty());
}

TEST_CASE("routes and DNS the client does not accept are left alone") {
    FakeHost host = fresh_host();
    FakeTun tun;
    HostConfigPolicy policy;
    policy.accept_routes = false;
    policy.accept_dns = false;
    HostConfig hc(host, tun, kTun, policy);
    hc.apply(full_push(), kServer);
    CHECK(hc.applied().routes.empty());
    CHECK(host.state.dns.empty());
    CHECK(hc.applied().addresses.size() == 2);
    hc.undo();
    CHECK(host.strays.empty());
}

TEST_CASE("a route of a family the push gives no address for is skipped") {
    FakeHost host = fresh_host();
    FakeTun tun;
    HostConfig hc(host, tun, kTun, {});
    ConfigPush p = full_push();
    p.ipv6.reset();
    hc.apply(p, kServer);
    CHECK_FALSE(host.state.routes.count("fd00:20::/48 dev 7"));
    CHECK(host.state.routes.count("10.20.0.0/16 dev 7"));
}

TEST_CASE("a server already reached through the tunnel gets no host route") {
    FakeHost host = fresh_host();
    host.state.routes.insert("0.0.0.0/1 dev 7");   // left by someone else: the server is inside
    FakeTun tun;
    HostConfigPolicy policy;
    policy.route_all = true;
    HostConfig hc(host, tun, kTun, policy);
    hc.apply(full_push(), kServer);
    CHECK_FALSE(hc.applied().server_route);
}

TEST_CASE("the test backend changes nothing of the host's but the device's MTU") {
    FakeHost host = fresh_host();
    const HostState before = host.state;
    FakeTun tun;
    HostConfigPolicy policy;
    policy.route_all = true;
    HostConfig hc(host, tun, 0, policy);
    hc.apply(full_push(), kServer);
    CHECK(host.changes == 0);
    CHECK(host.state == before);
    CHECK(tun.mtu() == 1380);
    hc.undo();
    CHECK(host.changes == 0);
    CHECK(tun.mtu() == 1420);
}
