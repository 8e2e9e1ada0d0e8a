// SPDX-License-Identifier: GPL-3.0-or-later
// The one UDP socket of a server or client: dual-stack IPv6 (IPv4-mapped) where the host has IPv6,
// IPv4 otherwise; non-blocking, with large kernel buffers so bursts are not dropped.
#pragma once
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

#include <optional>
#include <string>

namespace udpvpn::app {

struct UdpSocket {
    asio::ip::udp::socket socket;
    bool v6 = false;   // dual-stack IPv6 socket: send to IPv4 peers as IPv4-mapped
};

// `bind_address` "" means every address. `buffer_bytes` for SO_RCVBUF/SO_SNDBUF (forced when root).
// `share_port`: the server's workers each open one socket on the same address and port, and the
// kernel spreads datagrams among them (SO_REUSEPORT on Linux; an error where the platform has none).
std::optional<UdpSocket> open_udp_socket(asio::io_context& io, const std::string& bind_address, std::uint16_t port,
                                         int buffer_bytes, std::string& error, bool share_port = false);

// The platform's part (udp_tuning_*.cpp): kernel buffers of `buffer_bytes` each way, and whatever
// else the platform needs for a UDP socket that serves many peers.
void tune_udp_socket(asio::ip::udp::socket& socket, int buffer_bytes);
// The platform's part of `share_port`, before bind: "" or why the port cannot be shared.
std::string share_udp_port(asio::ip::udp::socket& socket);

}  // namespace udpvpn::app
