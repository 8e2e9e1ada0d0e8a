// SPDX-License-Identifier: GPL-3.0-or-later
// The workers' steering program, run by the kernel itself over loopback (no root): sockets that
// share a port with SO_REUSEPORT, crafted datagrams from chosen source addresses, and which socket
// each one reached. DATA and HANDSHAKE follow the route byte; INITIAL and PAD follow the source's
// prefix, as initial_worker() predicts, so a PAD reaches its INITIAL's worker.
#include "udp_socket.hpp"
#include "worker_steering.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <vector>

using namespace udpvpn;
using namespace udpvpn::app;

namespace {

using Bytes = std::vector<std::uint8_t>;

struct Group {
    asio::io_context io;
    std::vector<UdpSocket> sockets;
    std::uint16_t port = 0;
};

// `workers` sockets on 127.0.0.1, one port, the program attached as the server does.
std::unique_ptr<Group> open_group(unsigned workers, std::uint8_t first_route_byte) {
    auto g = std::make_unique<Group>();
    for (unsigned i = 0; i < workers; ++i) {
        std::string err;
        auto s = open_udp_socket(g->io, "127.0.0.1", g->port, 1 << 20, err, true);
        REQUIRE_MESSAGE(s, err);
        if (i == 0) {
            g->port = s->socket.local_endpoint().port();
            const std::string problem =
                attach_steering(s->socket.native_handle(), steering_program(first_route_byte, workers));
            REQUIRE_MESSAGE(problem.empty(), problem);
        }
        g->sockets.push_back(std::move(*s));
    }
    return g;
}

// Sends `payload` from `source` (an IPv4 loopback address) and returns the index of the socket
// that got it, or nullopt if none did within a second.
std::optional<unsigned> steer(Group& g, const char* source, const Bytes& payload) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(g.port);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    REQUIRE(::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
            static_cast<ssize_t>(payload.size()));
    ::close(fd);
    std::vector<pollfd> fds;
    for (auto& s : g.sockets) fds.push_back({s.socket.native_handle(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 1000) <= 0) return std::nullopt;
    std::optional<unsigned> got;
    for (unsigned i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & POLLIN)) continue;
        std::uint8_t buf[2048];
        while (::recv(fds[i].fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
            CHECK_MESSAGE(!got, "a datagram reached two sockets");
            got = i;
        }
    }
    return got;
}

// A datagram of `type` with server session ID `route << 24 | 0x123456` at offset 1.
Bytes with_route(std::uint8_t type, std::uint8_t route) {
    Bytes b(64, 0xab);
    b[0] = type;
    b[1] = route;
    b[2] = 0x12;
    b[3] = 0x34;
    b[4] = 0x56;
    return b;
}

Bytes initial() {
    Bytes b(1200, 0);
    b[0] = 0x01;
    return b;
}

Bytes pad() {
    Bytes b(1200, 0);
    b[0] = 0x02;
    return b;
}

}  // namespace

TEST_CASE("DATA and HANDSHAKE reach the worker their route byte names, wherever they come from") {
    auto g = open_group(3, 10);
    for (const char* source : {"127.0.0.1", "127.0.7.1", "127.9.0.3"}) {
        CHECK(steer(*g, source, with_route(0x10, 10)) == 0u);
        CHECK(steer(*g, source, with_route(0x1f, 11)) == 1u);
        CHECK(steer(*g, source, with_route(0x14, 12)) == 2u);
        CHECK(steer(*g, source, with_route(0x05, 11)) == 1u);
        CHECK(steer(*g, source, with_route(0x05, 12)) == 2u);
    }
    // Route bytes of no worker, and unknown types, still reach one socket (the kernel's choice).
    CHECK(steer(*g, "127.0.0.1", with_route(0x10, 13)).has_value());
    CHECK(steer(*g, "127.0.0.1", with_route(0x10, 9)).has_value());
    CHECK(steer(*g, "127.0.0.1", with_route(0x42, 10)).has_value());
    CHECK(steer(*g, "127.0.0.1", Bytes{0x10}).has_value());   // too short to hold a route byte
}

TEST_CASE("route bytes wrap around 255 to 0") {
    auto g = open_group(2, 255);
    CHECK(steer(*g, "127.0.0.1", with_route(0x10, 255)) == 0u);
    CHECK(steer(*g, "127.0.0.1", with_route(0x10, 0)) == 1u);
}

TEST_CASE("INITIAL and PAD go by the source's /24, as initial_worker() predicts") {
    auto g = open_group(2, 0);
    unsigned seen[2] = {0, 0};
    for (unsigned net = 1; net <= 16; ++net) {
        const std::string host = "127.0." + std::to_string(net) + ".1";
        const std::string neighbour = "127.0." + std::to_string(net) + ".77";   // same /24
        const unsigned expected =
            initial_worker({127, 0, static_cast<std::uint8_t>(net), 1}, 2);
        CHECK(steer(*g, host.c_str(), initial()) == expected);
        CHECK(steer(*g, host.c_str(), pad()) == expected);
        CHECK(steer(*g, neighbour.c_str(), initial()) == expected);
        ++seen[expected];
    }
    CHECK(seen[0] > 0);   // 16 prefixes are spread over both workers
    CHECK(seen[1] > 0);
}

TEST_CASE("initial_worker: one worker per IPv4 /24 and IPv6 /56") {
    for (unsigned n : {1u, 2u, 3u, 8u}) {
        CHECK(initial_worker({10, 1, 2, 3}, n) == initial_worker({10, 1, 2, 200}, n));
        CHECK(initial_worker({10, 1, 2, 3}, n) < n);
        Bytes a(16, 0), b(16, 0);
        a[0] = b[0] = 0x20;
        a[1] = b[1] = 0x01;
        a[6] = b[6] = 0x42;
        a[7] = 0x01;   // within the /56: the 8th byte and everything after may differ
        b[7] = 0xfe;
        b[15] = 9;
        CHECK(initial_worker(a, n) == initial_worker(b, n));
    }
}

TEST_CASE("worker_of: the route byte minus the first, only for our workers") {
    CHECK(worker_of(0x00abcdef, 0, 1) == 0u);
    CHECK(worker_of(0x01abcdef, 0, 1) == std::nullopt);
    CHECK(worker_of(0x05abcdef, 4, 2) == 1u);
    CHECK(worker_of(0x06abcdef, 4, 2) == std::nullopt);
    CHECK(worker_of(0x03abcdef, 4, 2) == std::nullopt);
    CHECK(worker_of(0x00abcdef, 255, 2) == 1u);
}
