// SPDX-License-Identifier: GPL-3.0-or-later
#include "address_pool.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace udpvpn::app;

TEST_CASE("the server takes the first host and clients get the next free ones") {
    AddressPool pool(parse_prefix("10.77.0.0/24"));
    CHECK(to_string(*pool.server_address()) == "10.77.0.1/24");
    auto a = pool.allocate(std::nullopt);
    auto b = pool.allocate(std::nullopt);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(to_string(*a) == "10.77.0.2/32");
    CHECK(to_string(*b) == "10.77.0.3/32");
    pool.release(*a);
    CHECK(to_string(*pool.allocate(std::nullopt)) == "10.77.0.2/32");
}

TEST_CASE("a small pool runs out without handing out network, server or broadcast") {
    AddressPool pool(parse_prefix("192.168.9.0/30"));   // .0 net, .1 server, .2 client, .3 broadcast
    auto a = pool.allocate(std::nullopt);
    REQUIRE(a);
    CHECK(to_string(*a, false) == "192.168.9.2");
    CHECK_FALSE(pool.allocate(std::nullopt));
    CHECK_FALSE(pool.allocate(parse_address("192.168.9.3")));
    CHECK_FALSE(pool.allocate(parse_address("192.168.9.1")));
}

TEST_CASE("fixed addresses are given to their owner only") {
    AddressPool pool(parse_prefix("fd00::/64"));
    pool.reserve_fixed(*parse_address("fd00::2"));
    auto dyn = pool.allocate(std::nullopt);
    REQUIRE(dyn);
    CHECK(to_string(*dyn, false) == "fd00::3");
    auto fixed = pool.allocate(parse_address("fd00::2"));
    REQUIRE(fixed);
    CHECK(to_string(*fixed) == "fd00::2/128");
    CHECK_FALSE(pool.allocate(parse_address("fd00::2")));    // taken
    CHECK_FALSE(pool.allocate(parse_address("fd01::2")));    // outside
    CHECK_FALSE(pool.allocate(parse_address("10.0.0.2")));   // wrong family
}

TEST_CASE("no pool, no addresses") {
    AddressPool pool;
    CHECK_FALSE(pool.server_address());
    CHECK_FALSE(pool.allocate(std::nullopt));
}

TEST_CASE("servers of one cluster hand out addresses from disjoint parts of the pool") {
    // Four servers share 10.66.0.0/16, cut in four /18s; each takes the first host of its part.
    std::set<std::string> seen;
    for (unsigned slice = 0; slice < 4; ++slice) {
        AddressPool pool(parse_prefix("10.66.0.0/16"), 4, slice);
        const auto part = AddressPool::slice_of(*parse_prefix("10.66.0.0/16"), 4, slice);
        REQUIRE(part);
        CHECK(part->len == 18);
        CHECK(to_string(*pool.server_address()) == "10.66." + std::to_string(slice * 64) + ".1/16");
        for (int i = 0; i < 50; ++i) {
            auto a = pool.allocate(std::nullopt);
            REQUIRE(a);
            CHECK(part->contains(*a));
            CHECK(seen.insert(to_string(*a, false)).second);   // no address twice across servers
        }
    }
    CHECK(seen.size() == 200);
    // IPv6: the part number lands in the bits right after the prefix.
    const auto v6 = AddressPool::slice_of(*parse_prefix("fd00:1::/48"), 8, 5);
    REQUIRE(v6);
    CHECK(to_string(*v6) == "fd00:1:0:a000::/51");
    AddressPool p6(parse_prefix("fd00:1::/48"), 8, 5);
    CHECK(to_string(*p6.server_address()) == "fd00:1:0:a000::1/48");
    // Refused: not a power of two, a part beyond the count, parts of fewer than 4 addresses.
    CHECK_FALSE(AddressPool::slice_of(*parse_prefix("10.66.0.0/16"), 3, 0));
    CHECK_FALSE(AddressPool::slice_of(*parse_prefix("10.66.0.0/16"), 4, 4));
    CHECK_FALSE(AddressPool::slice_of(*parse_prefix("10.66.0.0/28"), 8, 0));
    CHECK(AddressPool::slice_of(*parse_prefix("10.66.0.0/28"), 4, 3));
}

TEST_CASE("released addresses come back lowest first, before any new one") {
    AddressPool pool(parse_prefix("10.77.0.0/24"));
    for (int i = 0; i < 10; ++i) REQUIRE(pool.allocate(std::nullopt));   // .2 to .11
    pool.release(*parse_address("10.77.0.8"));
    pool.release(*parse_address("10.77.0.4"));
    pool.release(*parse_address("10.77.0.99"));   // never handed out: changes nothing
    CHECK(to_string(*pool.allocate(std::nullopt), false) == "10.77.0.4");
    CHECK(to_string(*pool.allocate(std::nullopt), false) == "10.77.0.8");
    CHECK(to_string(*pool.allocate(std::nullopt), false) == "10.77.0.12");
    CHECK(pool.used() == 11);
}

TEST_CASE("a reload that drops a reservation frees its address for anyone") {
    AddressPool pool(parse_prefix("10.77.0.0/24"));
    pool.reserve_fixed(*parse_address("10.77.0.2"));
    CHECK(to_string(*pool.allocate(std::nullopt), false) == "10.77.0.3");
    CHECK(to_string(*pool.allocate(std::nullopt), false) == "10.77.0.4");
    pool.clear_fixed();   // what a SIGHUP without that [clients.<name>] entry does
    CHECK(to_string(*pool.allocate(std::nullopt), false) == "10.77.0.2");
    CHECK(to_string(*pool.allocate(std::nullopt), false) == "10.77.0.5");
}

TEST_CASE("a /16 pool hands out each of its 65,533 client addresses once, then runs out") {
    // Linear in the pool's size: each allocation starts where the last one stopped (a server that
    // scanned from the start for each client spent minutes of CPU filling a /16).
    AddressPool pool(parse_prefix("10.200.0.0/16"));
    std::size_t n = 0;
    while (pool.allocate(std::nullopt)) ++n;
    CHECK(n == 65533);   // all but the network, the server (.0.1) and the broadcast address
    CHECK(pool.used() == 65533);
    pool.release(*parse_address("10.200.128.7"));
    pool.release(*parse_address("10.200.200.200"));
    CHECK(to_string(*pool.allocate(std::nullopt), false) == "10.200.128.7");
    CHECK(to_string(*pool.allocate(std::nullopt), false) == "10.200.200.200");
    CHECK_FALSE(pool.allocate(std::nullopt));
    // The same in one part of a cluster's pool, and for IPv6.
    AddressPool part(parse_prefix("10.66.0.0/16"), 4, 2);   // 10.66.128.0/18
    for (int i = 0; i < 100; ++i) REQUIRE(part.allocate(std::nullopt));
    part.release(*parse_address("10.66.128.50"));
    CHECK(to_string(*part.allocate(std::nullopt), false) == "10.66.128.50");
    AddressPool v6(parse_prefix("fd00::/64"));
    for (int i = 0; i < 300; ++i) REQUIRE(v6.allocate(std::nullopt));   // fd00::2 to fd00::12d
    v6.release(*parse_address("fd00::100"));
    CHECK(to_string(*v6.allocate(std::nullopt), false) == "fd00::100");
    CHECK(to_string(*v6.allocate(std::nullopt), false) == "fd00::12e");
}
