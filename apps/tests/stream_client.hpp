// SPDX-License-Identifier: GPL-3.0-or-later
// The client side of the tests of the server's stream listeners (status socket, metrics, the
// bounded listener under both): connect, send one request, read until end of file.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace udpvpn::app::test {

// A TCP connection to 127.0.0.1:port; -1 if refused.
inline int connect_tcp(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// A connection to the Unix stream socket at `path`; -1 if refused.
inline int connect_unix(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads until end of file; a marker if nothing came within the guard (a hang, not a timing check).
inline std::string read_all(int fd, int guard_ms = 5000) {
    std::string out;
    char b[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, guard_ms) <= 0) return out + "<no end of file>";
        const ssize_t n = ::read(fd, b, sizeof b);
        if (n <= 0) return out;
        out.append(b, static_cast<std::size_t>(n));
    }
}

// Sends `text` on `fd` (then end of file if asked), reads the reply, closes. "" when the listener
// closed the connection without answering, or `fd` is -1.
inline std::string exchange(int fd, const std::string& text, bool end_of_file = false) {
    if (fd < 0) return "";
    (void)!::send(fd, text.data(), text.size(), MSG_NOSIGNAL);   // may be closed already: no SIGPIPE
    if (end_of_file) ::shutdown(fd, SHUT_WR);
    std::string r = read_all(fd);
    ::close(fd);
    return r;
}

}  // namespace udpvpn::app::test
