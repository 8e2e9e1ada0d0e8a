// SPDX-License-Identifier: GPL-3.0-or-later
#include "tunnel_backend.hpp"

#include <algorithm>

namespace udpvpn::app {

static bool loopback_host_port(const std::string& text) {
    const auto hp = parse_host_port(text, 0);
    if (!hp || hp->port == 0) return false;
    const auto a = parse_address(hp->host);
    if (!a) return false;
    static const std::uint8_t v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return a->v6 ? std::equal(a->addr.begin(), a->addr.end(), v6_loopback) : a->addr[0] == 127;
}

void read_test_tunnel(TomlReader& r, TestTunnelConfig& out) {
    out.listen = r.string("test_tunnel.listen", "");
    out.peer = r.string("test_tunnel.peer", "");
    if (out.listen.empty() != out.peer.empty())
        r.fail(out.listen.empty() ? "test_tunnel.listen" : "test_tunnel.peer", "test_tunnel needs both listen and peer");
    // Inner packets cross this socket unencrypted: it must not reach beyond this machine.
    auto check = [&r](const char* key, const std::string& v) {
        if (!v.empty() && !loopback_host_port(v))
            r.fail(key, "expected a loopback address and port (\"127.0.0.1:40001\" or \"[::1]:40001\")");
    };
    check("test_tunnel.listen", out.listen);
    check("test_tunnel.peer", out.peer);
}

std::unique_ptr<TunDevice> open_tunnel_device(asio::io_context& io, const TestTunnelConfig& test, const std::string& device,
                                              std::uint16_t mtu, std::string& error) {
    if (test.enabled()) return open_loopback_tun(io, test.listen, test.peer, mtu, error);
    return open_system_tun(device, mtu, error);
}

}  // namespace udpvpn::app
