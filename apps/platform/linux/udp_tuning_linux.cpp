// SPDX-License-Identifier: GPL-3.0-or-later
#include "udp_socket.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/socket.h>

namespace udpvpn::app {

void tune_udp_socket(asio::ip::udp::socket& s, int bytes) {
    const int fd = s.native_handle();
    // *BUFFORCE passes the rmem_max limit when we have CAP_NET_ADMIN; the plain call is the fallback.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

std::string share_udp_port(asio::ip::udp::socket& s) {
    const int on = 1;
    if (setsockopt(s.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        return std::string("SO_REUSEPORT: ") + std::strerror(errno);
    return "";
}

}  // namespace udpvpn::app
