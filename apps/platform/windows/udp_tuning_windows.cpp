// SPDX-License-Identifier: GPL-3.0-or-later
#include "udp_socket.hpp"

#include <winsock2.h>
#include <mstcpip.h>

namespace udpvpn::app {

void tune_udp_socket(asio::ip::udp::socket& s, int bytes) {
    asio::error_code ec;
    s.set_option(asio::socket_base::receive_buffer_size(bytes), ec);
    s.set_option(asio::socket_base::send_buffer_size(bytes), ec);
    // Windows reports an ICMP port unreachable for any earlier datagram as WSAECONNRESET on the
    // next receive, which would end a read batch early on a socket that talks to many peers (and
    // to a server that restarts): UDP has no connection to reset, so turn the report off.
    BOOL report = FALSE;
    DWORD returned = 0;
    WSAIoctl(s.native_handle(), SIO_UDP_CONNRESET, &report, sizeof report, nullptr, 0, &returned, nullptr, nullptr);
}

std::string share_udp_port(asio::ip::udp::socket&) {
    return "sharing a UDP port among workers needs Linux (SO_REUSEPORT)";
}

}  // namespace udpvpn::app
