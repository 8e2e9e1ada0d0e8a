// SPDX-License-Identifier: GPL-3.0-or-later
// The loopback test backend: what the Windows interop suite and the Linux tests rely on.
#include "tun_device.hpp"

#include <doctest/doctest.h>

#include <asio/ip/udp.hpp>

#include <chrono>
#include <string>

using namespace udpvpn;
using namespace udpvpn::app;
using asio::ip::udp;

namespace {

udp::socket bound_socket(asio::io_context& io) {
    udp::socket s(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return s;
}

std::string text(const udp::endpoint& e) { return e.address().to_string() + ":" + std::to_string(e.port()); }

// A free loopback port: bind, note, close (the device binds it right after).
std::string free_port(asio::io_context& io) {
    auto s = bound_socket(io);
    return text(s.local_endpoint());
}

}  // namespace

TEST_CASE("the loopback device carries whole packets both ways and never blocks") {
    asio::io_context io;
    auto peer = bound_socket(io);
    const std::string listen = free_port(io);
    std::string error;
    auto dev = open_loopback_tun(io, listen, text(peer.local_endpoint()), 1400, error);
    REQUIRE_MESSAGE(dev, error);
    CHECK_FALSE(dev->system_interface());
    CHECK(dev->mtu() == 1400);

    std::uint8_t buf[2000];
    CHECK(dev->read(MutableByteView(buf, sizeof buf)) == 0);   // nothing waiting

    const std::uint8_t a[3] = {1, 2, 3}, b[1300] = {4};
    const udp::endpoint dev_ep = udp::endpoint(asio::ip::make_address("127.0.0.1"),
                                               static_cast<std::uint16_t>(std::stoi(listen.substr(listen.rfind(':') + 1))));
    peer.send_to(asio::buffer(a), dev_ep);
    peer.send_to(asio::buffer(b), dev_ep);

    int calls = 0;
    std::vector<long> got;
    auto watch = dev->watch(io, [&] {
        ++calls;
        for (long n; (n = dev->read(MutableByteView(buf, sizeof buf))) > 0;) got.push_back(n);
        return false;
    });
    io.run_for(std::chrono::milliseconds(500));
    REQUIRE(got.size() == 2);
    CHECK(got[0] == 3);
    CHECK(got[1] == 1300);
    CHECK(calls >= 1);

    CHECK(dev->write(ByteView(a, sizeof a)));
    udp::endpoint from;
    CHECK(peer.receive_from(asio::buffer(buf), from) == 3);
    CHECK(from == dev_ep);
    CHECK(buf[2] == 3);
}

TEST_CASE("the loopback device takes packets only from its configured peer") {
    asio::io_context io;
    auto peer = bound_socket(io);
    auto stranger = bound_socket(io);
    const std::string listen = free_port(io);
    std::string error;
    auto dev = open_loopback_tun(io, listen, text(peer.local_endpoint()), 1400, error);
    REQUIRE_MESSAGE(dev, error);
    const auto port = static_cast<std::uint16_t>(std::stoi(listen.substr(listen.rfind(':') + 1)));
    const std::uint8_t pkt[4] = {9, 9, 9, 9};
    stranger.send_to(asio::buffer(pkt), udp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    io.run_for(std::chrono::milliseconds(100));
    std::uint8_t buf[64];
    CHECK(dev->read(MutableByteView(buf, sizeof buf)) == 0);
}

TEST_CASE("the loopback device refuses anything but loopback addresses") {
    asio::io_context io;
    std::string error;
    CHECK_FALSE(open_loopback_tun(io, "192.0.2.1:4000", "127.0.0.1:4001", 1400, error));
    CHECK(error.find("loopback") != std::string::npos);
    error.clear();
    CHECK_FALSE(open_loopback_tun(io, "127.0.0.1:4000", "192.0.2.1:4001", 1400, error));
    CHECK_FALSE(error.empty());
    CHECK_FALSE(open_loopback_tun(io, "127.0.0.1:4000", "[::1]:4001", 1400, error));   // one family
    CHECK_FALSE(open_loopback_tun(io, "127.0.0.1", "127.0.0.1:4001", 1400, error));    // no port
}
