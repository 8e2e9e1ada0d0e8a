// SPDX-License-Identifier: GPL-3.0-or-later
// The status socket answers one request line with one reply line, on a Unix socket of mode 0660;
// its bounds (connection limit, deadline) are bounded_listener_test.cpp's.
#include "control_socket.hpp"

#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace udpvpn::app;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/uvt-ctl-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        ::unlink((path + "/s.sock").c_str());
        ::rmdir(path.c_str());
    }
};

int connect_to(const std::string& path) {
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

// Reads until end of file; "" if nothing came within the guard (a hang, not a timing check).
std::string read_all(int fd, int guard_ms = 5000) {
    std::string out;
    char b[256];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, guard_ms) <= 0) return out + "<no end of file>";
        const ssize_t n = ::read(fd, b, sizeof b);
        if (n <= 0) return out;
        out.append(b, static_cast<std::size_t>(n));
    }
}

// One request; "" when the server closed the connection without answering (over the limit).
std::string request(const std::string& path, const std::string& line) {
    const int fd = connect_to(path);
    if (fd < 0) return "";
    (void)!::send(fd, line.data(), line.size(), MSG_NOSIGNAL);   // may be closed already: no SIGPIPE
    std::string r = read_all(fd);
    ::close(fd);
    return r;
}

struct Server {
    asio::io_context io;
    std::unique_ptr<ControlSocket> socket;
    std::thread thread;
    Server(const std::string& path, std::chrono::milliseconds timeout) {
        std::string error;
        socket = ControlSocket::open(io, path, "", [](const std::string& l) { return "echo " + l; }, error, timeout);
        REQUIRE_MESSAGE(socket, error);
        thread = std::thread([this] {
            auto guard = asio::make_work_guard(io);
            io.run();
        });
    }
    ~Server() {
        asio::post(io, [this] { socket.reset(); io.stop(); });
        thread.join();
    }
};

}  // namespace

TEST_CASE("a request is answered with one line") {
    TempDir d;
    Server s(d.path + "/s.sock", std::chrono::milliseconds(500));
    CHECK(request(d.path + "/s.sock", "{\"command\":\"status\"}\n") == "echo {\"command\":\"status\"}\n");
}

TEST_CASE("a request without the final newline is answered; the socket is mode 0660") {
    TempDir d;
    const std::string path = d.path + "/s.sock";
    Server s(path, std::chrono::milliseconds(500));
    struct stat st{};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0660);
    const int fd = connect_to(path);
    REQUIRE(fd >= 0);
    (void)!::send(fd, "status", 6, MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    CHECK(read_all(fd) == "echo status\n");
    ::close(fd);
}
