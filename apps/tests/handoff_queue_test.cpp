// SPDX-License-Identifier: GPL-3.0-or-later
// The queue between udpvpn-server's workers: order kept per producer, every packet taken once and
// whole, a bound on what waits, one wake-up per batch, and no allocation once warm.
#include "handoff_queue.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <thread>
#include <vector>

using namespace udpvpn;
using namespace udpvpn::app;

namespace {
// Packet n: its number in the first 4 bytes (`size` >= 4).
std::vector<std::uint8_t> packet(std::uint32_t n, std::size_t size) {
    std::vector<std::uint8_t> b(size < 4 ? 4 : size, static_cast<std::uint8_t>(n));
    std::memcpy(b.data(), &n, sizeof n);
    return b;
}
}  // namespace

TEST_CASE("packets come out whole and in order, and the first push of a batch asks for a wake-up") {
    HandoffQueue q;
    CHECK(q.push(1, InnerProtocol::ipv4, HandoffQueue::Origin::tunnel, packet(0, 100)) == HandoffQueue::Pushed::queued_first);
    CHECK(q.push(2, InnerProtocol::ipv6, HandoffQueue::Origin::client, packet(1, 1500)) == HandoffQueue::Pushed::queued);
    std::vector<std::uint32_t> seen;
    CHECK(q.take([&](const HandoffQueue::Packet& p) {
        std::uint32_t n;
        std::memcpy(&n, p.bytes.data(), sizeof n);
        CHECK(p.bytes.size() == (n == 0 ? 100u : 1500u));
        CHECK(p.session == n + 1);
        CHECK(p.protocol == (n == 0 ? InnerProtocol::ipv4 : InnerProtocol::ipv6));
        CHECK(p.origin == (n == 0 ? HandoffQueue::Origin::tunnel : HandoffQueue::Origin::client));
        seen.push_back(n);
    }) == 2);
    CHECK(seen == std::vector<std::uint32_t>{0, 1});
    CHECK(q.take([](const HandoffQueue::Packet&) { FAIL("nothing is queued"); }) == 0);
    // Emptied by take(): the next push wakes the owner again.
    CHECK(q.push(1, InnerProtocol::ipv4, HandoffQueue::Origin::tunnel, packet(2, 60)) == HandoffQueue::Pushed::queued_first);
}

TEST_CASE("a full queue refuses packets until the owner takes them") {
    HandoffQueue q(3000);
    CHECK(q.push(1, InnerProtocol::ipv4, HandoffQueue::Origin::tunnel, packet(0, 1500)) != HandoffQueue::Pushed::full);
    CHECK(q.push(1, InnerProtocol::ipv4, HandoffQueue::Origin::tunnel, packet(1, 1500)) != HandoffQueue::Pushed::full);
    CHECK(q.push(1, InnerProtocol::ipv4, HandoffQueue::Origin::tunnel, packet(2, 4)) == HandoffQueue::Pushed::full);
    CHECK(q.take([](const HandoffQueue::Packet&) {}) == 2);
    CHECK(q.push(1, InnerProtocol::ipv4, HandoffQueue::Origin::tunnel, packet(3, 1500)) == HandoffQueue::Pushed::queued_first);
}

TEST_CASE("two producers and one consumer: each producer's packets arrive once each, in order") {
    HandoffQueue q(1u << 30);
    constexpr std::uint32_t kPerProducer = 20000;
    auto produce = [&q](SessionId sid) {
        for (std::uint32_t i = 0; i < kPerProducer; ++i)
            q.push(sid, InnerProtocol::ipv4, HandoffQueue::Origin::tunnel, packet(i, 20 + i % 1400));
    };
    std::thread a(produce, 1), b(produce, 2);
    std::uint32_t next[3] = {0, 0, 0};
    std::size_t total = 0;
    bool in_order = true, whole = true;
    while (total < 2 * kPerProducer) {
        total += q.take([&](const HandoffQueue::Packet& p) {
            std::uint32_t n;
            std::memcpy(&n, p.bytes.data(), sizeof n);
            in_order = in_order && n == next[p.session]++;
            whole = whole && p.bytes.size() == 20 + n % 1400;
        });
    }
    a.join();
    b.join();
    CHECK(in_order);
    CHECK(whole);
    CHECK(next[1] == kPerProducer);
    CHECK(next[2] == kPerProducer);
}

TEST_CASE("once warm, a batch moves without growing the buffers") {
    HandoffQueue q;
    auto round = [&q] {
        for (std::uint32_t i = 0; i < 64; ++i)
            q.push(1, InnerProtocol::ipv4, HandoffQueue::Origin::tunnel, packet(i, 1400));
        const std::uint8_t* first = nullptr;
        q.take([&first](const HandoffQueue::Packet& p) {
            if (!first) first = p.bytes.data();
        });
        return first;
    };
    // Two buffers swap: after two rounds each has its size, and the rounds reuse them in turn.
    round();
    round();
    const std::uint8_t* a = round();
    const std::uint8_t* b = round();
    CHECK(round() == a);
    CHECK(round() == b);
}
