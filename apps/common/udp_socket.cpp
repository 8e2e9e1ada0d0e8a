// SPDX-License-Identifier: GPL-3.0-or-later
#include "udp_socket.hpp"

#include <asio/ip/v6_only.hpp>

namespace udpvpn::app {

std::optional<UdpSocket> open_udp_socket(asio::io_context& io, const std::string& bind_address, std::uint16_t port,
                                         int buffer_bytes, std::string& error, bool share_port) {
    asio::error_code ec;
    asio::ip::address addr;
    if (!bind_address.empty()) {
        addr = asio::ip::make_address(bind_address, ec);
        if (ec) {
            error = "bad bind address " + bind_address;
            return std::nullopt;
        }
    }
    auto try_open = [&](bool v6) -> std::optional<UdpSocket> {
        UdpSocket u{asio::ip::udp::socket(io), v6};
        u.socket.open(v6 ? asio::ip::udp::v6() : asio::ip::udp::v4(), ec);
        if (ec) return std::nullopt;
        if (v6 && (bind_address.empty() || addr.to_v6().is_unspecified()))
            u.socket.set_option(asio::ip::v6_only(false), ec);
        if (share_port) {
            if (std::string problem = share_udp_port(u.socket); !problem.empty()) {
                error = problem;
                return std::nullopt;
            }
        }
        asio::ip::address a = bind_address.empty() ? (v6 ? asio::ip::address(asio::ip::address_v6::any())
                                                         : asio::ip::address(asio::ip::address_v4::any()))
                                                    : addr;
        u.socket.bind({a, port}, ec);
        if (ec) {
            error = "bind " + (bind_address.empty() ? std::string("*") : bind_address) + ":" + std::to_string(port) +
                    ": " + ec.message();
            return std::nullopt;
        }
        u.socket.non_blocking(true, ec);
        tune_udp_socket(u.socket, buffer_bytes);
        return u;
    };
    if (!bind_address.empty()) return try_open(addr.is_v6());
    if (auto s = try_open(true)) return s;
    error.clear();
    return try_open(false);   // no IPv6 on this host
}

}  // namespace udpvpn::app
