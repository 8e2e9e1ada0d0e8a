// SPDX-License-Identifier: GPL-3.0-or-later
// The Linux side of host_network.hpp: rtnetlink through libmnl, never by running `ip`.
#include "host_network.hpp"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

namespace udpvpn::app::host_network {
namespace {

struct Socket {
    mnl_socket* nl = nullptr;
    ~Socket() { if (nl) mnl_socket_close(nl); }
};

using ReplyCallback = int (*)(const nlmsghdr*, void*);

// Room for one request. MNL_SOCKET_BUFFER_SIZE asks sysconf() at run time, which makes a stack
// array of it variable-length; 8192 is its upper bound and far more than any request here needs.
constexpr std::size_t kRequestBytes = 8192;

// Sends one request with NLM_F_ACK and waits for the kernel's answer.
std::string transact(nlmsghdr* nlh, const char* what, ReplyCallback cb = nullptr, void* data = nullptr) {
    Socket s;
    s.nl = mnl_socket_open(NETLINK_ROUTE);
    if (!s.nl) return std::string(what) + ": netlink socket: " + std::strerror(errno);
    if (mnl_socket_bind(s.nl, 0, MNL_SOCKET_AUTOPID) < 0) return std::string(what) + ": netlink bind: " + std::strerror(errno);
    const unsigned portid = mnl_socket_get_portid(s.nl);
    nlh->nlmsg_seq = static_cast<unsigned>(std::time(nullptr));
    nlh->nlmsg_flags |= NLM_F_ACK;
    if (mnl_socket_sendto(s.nl, nlh, nlh->nlmsg_len) < 0) return std::string(what) + ": netlink send: " + std::strerror(errno);
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(s.nl, buf.data(), buf.size());
        if (n < 0) return std::string(what) + ": netlink receive: " + std::strerror(errno);
        const int r = mnl_cb_run(buf.data(), static_cast<size_t>(n), nlh->nlmsg_seq, portid, cb, data);
        if (r == MNL_CB_ERROR) return std::string(what) + ": " + std::strerror(errno);
        if (r == MNL_CB_STOP) return "";
    }
}

void put_addr(nlmsghdr* nlh, unsigned short type, const IpPrefix& a) {
    mnl_attr_put(nlh, type, a.addr_size(), a.addr.data());
}

}  // namespace

unsigned if_index(const std::string& name) { return if_nametoindex(name.c_str()); }

std::string link_set(unsigned ifindex, bool up, std::optional<std::uint16_t> mtu) {
    alignas(nlmsghdr) char buf[kRequestBytes];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = static_cast<int>(ifindex);
    ifm->ifi_change = IFF_UP;
    ifm->ifi_flags = up ? IFF_UP : 0;
    if (mtu) mnl_attr_put_u32(nlh, IFLA_MTU, *mtu);
    return transact(nlh, "set link");
}

static std::string addr_change(unsigned ifindex, const IpPrefix& a, bool add) {
    alignas(nlmsghdr) char buf[kRequestBytes];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
    nlh->nlmsg_flags = NLM_F_REQUEST | (add ? (NLM_F_CREATE | NLM_F_REPLACE) : 0);
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = a.v6 ? AF_INET6 : AF_INET;
    ifa->ifa_prefixlen = a.len;
    ifa->ifa_flags = a.v6 ? IFA_F_NODAD : 0;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = ifindex;
    put_addr(nlh, IFA_LOCAL, a);
    put_addr(nlh, IFA_ADDRESS, a);
    if (a.v6) mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
    return transact(nlh, add ? "add address" : "delete address");
}

std::string addr_add(unsigned ifindex, const IpPrefix& a) { return addr_change(ifindex, a, true); }
std::string addr_del(unsigned ifindex, const IpPrefix& a) { return addr_change(ifindex, a, false); }

static void route_message(nlmsghdr* nlh, const Route& r) {
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    const IpPrefix net = r.dst.network();
    rtm->rtm_family = net.v6 ? AF_INET6 : AF_INET;
    rtm->rtm_dst_len = net.len;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_scope = r.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    put_addr(nlh, RTA_DST, net);
    if (r.ifindex) mnl_attr_put_u32(nlh, RTA_OIF, r.ifindex);
    if (r.gateway) put_addr(nlh, RTA_GATEWAY, *r.gateway);
    if (r.metric) mnl_attr_put_u32(nlh, RTA_PRIORITY, r.metric);
}

std::string route_add(const Route& r) {
    alignas(nlmsghdr) char buf[kRequestBytes];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWROUTE;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
    route_message(nlh, r);
    return transact(nlh, ("add route " + to_string(r.dst.network())).c_str());
}

std::string route_del(const Route& r) {
    alignas(nlmsghdr) char buf[kRequestBytes];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_DELROUTE;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    route_message(nlh, r);
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_get_payload(nlh));
    rtm->rtm_scope = RT_SCOPE_NOWHERE;   // match any scope
    return transact(nlh, ("delete route " + to_string(r.dst.network())).c_str());
}

namespace {
struct GetRouteResult {
    Route route;
    bool found = false;
};

int route_attr_cb(const nlattr* attr, void* data) {
    auto* res = static_cast<GetRouteResult*>(data);
    const auto type = mnl_attr_get_type(attr);
    const auto len = mnl_attr_get_payload_len(attr);
    const void* payload = mnl_attr_get_payload(attr);
    if (type == RTA_OIF && len == 4) {
        res->route.ifindex = mnl_attr_get_u32(attr);
    } else if (type == RTA_GATEWAY && (len == 4 || len == 16)) {
        IpPrefix g;
        g.v6 = len == 16;
        g.len = g.v6 ? 128 : 32;
        std::memcpy(g.addr.data(), payload, len);
        res->route.gateway = g;
    }
    return MNL_CB_OK;
}

int route_msg_cb(const nlmsghdr* nlh, void* data) {
    auto* res = static_cast<GetRouteResult*>(data);
    if (nlh->nlmsg_type != RTM_NEWROUTE) return MNL_CB_OK;
    res->found = true;
    mnl_attr_parse(nlh, sizeof(rtmsg), route_attr_cb, data);
    return MNL_CB_OK;
}
}  // namespace

std::optional<Route> route_get(const IpPrefix& dst, std::string& error) {
    alignas(nlmsghdr) char buf[kRequestBytes];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETROUTE;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = dst.v6 ? AF_INET6 : AF_INET;
    rtm->rtm_dst_len = dst.v6 ? 128 : 32;
    put_addr(nlh, RTA_DST, dst);
    GetRouteResult res;
    res.route.dst = dst;
    res.route.dst.len = dst.v6 ? 128 : 32;
    error = transact(nlh, "get route", route_msg_cb, &res);
    if (!error.empty()) return std::nullopt;
    if (!res.found) {
        error = "no route to " + to_string(dst, false);
        return std::nullopt;
    }
    return res.route;
}

}  // namespace udpvpn::app::host_network
