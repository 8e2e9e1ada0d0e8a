// SPDX-License-Identifier: GPL-3.0-or-later
// Which tunnel device a server or client runs on: the system's (TUN, Wintun) or, when the
// configuration has a [test_tunnel] table, the loopback test backend (tun_device.hpp). Tests and
// the Windows interop suite use the latter: no driver, no privileges, packets a script can see.
#pragma once
#include "toml_reader.hpp"
#include "tun_device.hpp"

#include <asio/io_context.hpp>

#include <memory>
#include <string>

namespace udpvpn::app {

struct TestTunnelConfig {
    std::string listen;   // loopback host:port this end receives inner packets on
    std::string peer;     // loopback host:port inner packets are sent to
    bool enabled() const noexcept { return !listen.empty(); }
};

// [test_tunnel] listen = "127.0.0.1:40001", peer = "127.0.0.1:40002"; both or neither, loopback only.
void read_test_tunnel(TomlReader& r, TestTunnelConfig& out);

// `offloads`: the system device's segmentation offloads (open_system_tun), where it has them.
std::unique_ptr<TunDevice> open_tunnel_device(asio::io_context& io, const TestTunnelConfig& test, const std::string& device,
                                              std::uint16_t mtu, std::string& error, bool offloads = false);

}  // namespace udpvpn::app
