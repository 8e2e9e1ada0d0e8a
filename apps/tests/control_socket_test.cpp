// SPDX-License-Identifier: GPL-3.0-or-later
// The status socket answers one request line with one reply line, on a Unix socket of mode 0660;
// its bounds (connection limit, deadline) are bounded_listener_test.cpp's.
#include "control_socket.hpp"

#include "stream_client.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace udpvpn::app;
using namespace udpvpn::app::test;

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
    CHECK(exchange(connect_unix(d.path + "/s.sock"), "{\"command\":\"status\"}\n") == "echo {\"command\":\"status\"}\n");
}

TEST_CASE("a request without the final newline is answered; the socket is mode 0660") {
    TempDir d;
    const std::string path = d.path + "/s.sock";
    Server s(path, std::chrono::milliseconds(500));
    struct stat st{};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0660);
    CHECK(exchange(connect_unix(path), "status", true) == "echo status\n");
}
