// SPDX-License-Identifier: GPL-3.0-or-later
#include "tun_device.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

using namespace udpvpn;
using namespace udpvpn::app;

TEST_CASE("the pipe device keeps packet boundaries in both directions") {
    auto p = open_pipe_tun("test0", 1400);
    REQUIRE(p.device);
    CHECK(p.device->name() == "test0");
    CHECK(p.device->mtu() == 1400);
    std::uint8_t buf[2000];
    CHECK(p.device->read(MutableByteView(buf, sizeof buf)) == 0);   // nothing waiting, no block

    const std::uint8_t a[3] = {1, 2, 3}, b[5] = {4, 5, 6, 7, 8};
    REQUIRE(::send(p.far_fd, a, sizeof a, 0) == 3);
    REQUIRE(::send(p.far_fd, b, sizeof b, 0) == 5);
    CHECK(p.device->read(MutableByteView(buf, sizeof buf)) == 3);
    CHECK(p.device->read(MutableByteView(buf, sizeof buf)) == 5);
    CHECK(buf[4] == 8);

    CHECK(p.device->write(ByteView(a, sizeof a)));
    CHECK(::recv(p.far_fd, buf, sizeof buf, 0) == 3);
    ::close(p.far_fd);
    CHECK(p.device->read(MutableByteView(buf, sizeof buf)) == -1);   // far end gone
}
