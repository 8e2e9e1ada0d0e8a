// SPDX-License-Identifier: GPL-3.0-or-later
#include "tunnel_backend.hpp"

namespace udpvpn::app {

void read_test_tunnel(TomlReader& r, TestTunnelConfig& out) {
    out.listen = r.string("test_tunnel.listen", "");
    out.peer = r.string("test_tunnel.peer", "");
    if (out.listen.empty() != out.peer.empty())
        r.fail(out.listen.empty() ? "test_tunnel.listen" : "test_tunnel.peer", "test_tunnel needs both listen and peer");
    // Inner packets cross this socket unencrypted: it must not reach beyond this machine.
    auto check = [&r](const char* key, const std::string& v) {
        if (!v.empty() && !parse_loopback_endpoint(v))
            r.fail(key, "expected a loopback address and port (\"127.0.0.1:40001\" or \"[::1]:40001\")");
    };
    check("test_tunnel.listen", out.listen);
    check("test_tunnel.peer", out.peer);
}

std::unique_ptr<TunDevice> open_tunnel_device(asio::io_context& io, const TestTunnelConfig& test, const std::string& device,
                                              std::uint16_t mtu, std::string& error, bool offloads) {
    if (test.enabled()) return open_loopback_tun(io, test.listen, test.peer, mtu, error);
    return open_system_tun(device, mtu, offloads, error);
}

}  // namespace udpvpn::app
