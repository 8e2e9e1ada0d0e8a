// SPDX-License-Identifier: GPL-3.0-or-later
// Batched UDP I/O over loopback (no root): every datagram queued arrives once, whole and in order,
// whatever the kernel offers (GSO, GRO) and whatever the settings turn off; GSO puts a run of
// datagrams to one peer into one system call, and GRO buffers are split back into datagrams.
#include "udp_batch.hpp"

#include <doctest/doctest.h>

#include <asio/io_context.hpp>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

using namespace udpvpn;
using namespace udpvpn::app;

namespace {

using Bytes = std::vector<std::uint8_t>;

UdpSocket open(asio::io_context& io, const std::string& addr) {
    std::string err;
    auto s = open_udp_socket(io, addr, 0, 4 << 20, err);
    REQUIRE_MESSAGE(s, err);
    return std::move(*s);
}

asio::ip::udp::endpoint loopback_of(const UdpSocket& s) {
    return {asio::ip::make_address("127.0.0.1"), s.socket.local_endpoint().port()};
}

// Datagram i: its index in the first 4 bytes, then a pattern; `size` bytes.
void fill(MutableByteView out, std::uint32_t i, std::size_t size) {
    std::memcpy(out.data(), &i, 4);
    for (std::size_t k = 4; k < size; ++k) out.data()[k] = static_cast<std::uint8_t>(i + k);
}
bool intact(ByteView d, std::uint32_t i, std::size_t size) {
    if (d.size() != size) return false;
    std::uint32_t got;
    std::memcpy(&got, d.data(), 4);
    if (got != i) return false;
    for (std::size_t k = 4; k < size; ++k)
        if (d.data()[k] != static_cast<std::uint8_t>(i + k)) return false;
    return true;
}

struct Got {
    std::vector<Bytes> datagrams;
    std::vector<std::uint16_t> ports;
};
// Receives until `want` datagrams are in (or two seconds pass).
Got receive_all(UdpBatch& rx, std::size_t want) {
    Got g;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (g.datagrams.size() < want && std::chrono::steady_clock::now() < until) {
        const auto batch = rx.receive();
        if (batch.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        for (const auto& d : batch) {
            g.datagrams.emplace_back(d.data.data(), d.data.data() + d.data.size());
            g.ports.push_back(d.from->port());
        }
    }
    return g;
}

std::size_t size_of(std::uint32_t i, std::size_t n) { return i + 1 == n ? 333 : 1400; }

}  // namespace

TEST_CASE("a run of datagrams to one peer arrives whole and in order, with and without offloads") {
    struct Case {
        UdpOffloadSettings tx, rx;
    };
    const Case cases[] = {
        {{}, {}},
        {{}, {true, true, false}},                    // GSO sender, receiver without GRO: the kernel splits
        {{true, false, false}, {}},                   // batches without GSO
        {{false, false, false}, {false, false, false}},   // everything off
    };
    for (const Case& c : cases) {
        CAPTURE(c.tx.gso);
        CAPTURE(c.rx.gro);
        CAPTURE(c.tx.batch);
        asio::io_context io;
        UdpSocket a = open(io, "127.0.0.1"), b = open(io, "");   // b: dual-stack when the host has IPv6
        UdpBatch tx(a, c.tx), rx(b, c.rx);
        if (!c.tx.gso) CHECK_FALSE(tx.gso());
        if (!c.rx.gro) CHECK_FALSE(rx.gro());
        if (!c.tx.batch) CHECK_FALSE(tx.batching());
        const std::size_t n = 150;   // more than one GSO group and one receive batch
        const auto to = loopback_of(b);
        for (std::uint32_t i = 0; i < n; ++i) {
            const MutableByteView buf = tx.send_buffer();
            REQUIRE(buf.size() >= 65535);
            fill(buf, i, size_of(i, n));
            tx.commit(size_of(i, n), to);
        }
        CHECK(tx.flush().datagrams == 0);
        CHECK_FALSE(tx.pending());
        if (tx.gso()) CHECK(tx.stats().send_calls < 10);   // 150 datagrams in a few GSO buffers
        const Got got = receive_all(rx, n);
        REQUIRE(got.datagrams.size() == n);
        for (std::uint32_t i = 0; i < n; ++i) {
            CAPTURE(i);
            CHECK(intact(ByteView(got.datagrams[i].data(), got.datagrams[i].size()), i, size_of(i, n)));
            CHECK(got.ports[i] == a.socket.local_endpoint().port());
        }
        if (rx.gro() && tx.gso()) CHECK(rx.stats().receive_calls < 10);
        CHECK(tx.stats().send_errors == 0);
        CHECK(tx.stats().sent_datagrams == n);
        CHECK(tx.stats().sent_bytes == (n - 1) * 1400 + 333);
        CHECK(rx.stats().truncated == 0);
    }
}

TEST_CASE("one receive() takes a bounded batch however much waits; the rest comes in the next ones") {
    // The driver delivers a whole batch before its event loop turns to the other direction, so a
    // batch's size is the latency it adds to everything else (ACKs, pings) under load.
    struct Case {
        bool gso, gro;
    };
    for (const Case c : {Case{true, true}, Case{true, false}, Case{false, true}}) {
        CAPTURE(c.gso);
        CAPTURE(c.gro);
        asio::io_context io;
        UdpSocket a = open(io, "127.0.0.1"), b = open(io, "127.0.0.1");
        UdpBatch tx(a, {true, c.gso, true}), rx(b, {true, true, c.gro});
        const std::size_t n = 600;   // 840 KB: more than three GRO batches, many plain ones
        for (std::uint32_t i = 0; i < n; ++i) {
            fill(tx.send_buffer(), i, 1400);
            tx.commit(1400, loopback_of(b));
        }
        REQUIRE(tx.flush().datagrams == 0);   // over loopback all of it now waits in b's buffer
        std::size_t got = 0, batches = 0;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (got < n && std::chrono::steady_clock::now() < until) {
            const auto batch = rx.receive();
            if (batch.empty()) continue;
            ++batches;
            std::size_t bytes = 0;
            for (const auto& d : batch) {
                CHECK(intact(d.data, static_cast<std::uint32_t>(got), 1400));
                bytes += d.data.size();
                ++got;
            }
            CHECK(bytes <= UdpBatch::kMaxGroReceiveBytes);
            if (!rx.gro()) CHECK(batch.size() <= 32);
        }
        CHECK(got == n);
        CHECK(batches >= (n * 1400 + UdpBatch::kMaxGroReceiveBytes - 1) / UdpBatch::kMaxGroReceiveBytes);
        // Datagrams that arrive one by one on a GRO socket still come 32 to a call, not 4.
        if (!tx.gso()) CHECK(rx.stats().receive_calls <= 4 + n / 32);   // 20 here; 150 at 4 a call
    }
}

TEST_CASE("drained(): a receive() that found the socket empty before its batch was full says so") {
    // The driver then skips the read that would only return EAGAIN: a lone datagram's packet
    // leaves one system call sooner. A full batch may have left more behind: not drained.
    for (const bool gro : {true, false}) {
        CAPTURE(gro);
        asio::io_context io;
        UdpSocket a = open(io, "127.0.0.1"), b = open(io, "127.0.0.1");
        UdpBatch tx(a, {true, false, true}), rx(b, {true, true, gro});
        fill(tx.send_buffer(), 0, 100);
        tx.commit(100, loopback_of(b));
        REQUIRE(tx.flush().datagrams == 0);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        std::size_t got = 0;
        while (got == 0 && std::chrono::steady_clock::now() < until) got = rx.receive().size();
        REQUIRE(got == 1);
        CHECK(rx.drained());
        // 40 small datagrams (no GSO), more than one batch (32 on Linux, 16 on Windows): every
        // receive() but the one that takes the last of them stops at a full batch.
        for (std::uint32_t i = 0; i < 40; ++i) {
            fill(tx.send_buffer(), i, 100);
            tx.commit(100, loopback_of(b));
        }
        REQUIRE(tx.flush().datagrams == 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));   // loopback delivers at once; be sure
        std::size_t total = 0, calls = 0;
        while (total < 40 && calls < 40) {
            const std::size_t n = rx.receive().size();
            REQUIRE(n > 0);
            total += n;
            ++calls;
            CHECK(rx.drained() == (total == 40));
        }
        CHECK(total == 40);
        CHECK(calls >= 2);
    }
}

TEST_CASE("datagrams to several peers, of mixed sizes, each arrive in the order sent") {
    asio::io_context io;
    UdpSocket a = open(io, "127.0.0.1"), b = open(io, "127.0.0.1"), c = open(io, "127.0.0.1");
    UdpBatch tx(a, {}), rb(b, {}), rc(c, {});
    // Sizes that break GSO runs: growing sizes, a short one in the middle, peers alternating.
    const std::size_t sizes[] = {100, 200, 200, 50, 200, 1400, 1400, 1400, 7, 1400, 60000, 1400, 1400};
    std::size_t to_b = 0, to_c = 0;
    std::uint32_t i = 0;
    std::vector<std::pair<std::uint32_t, std::size_t>> want_b, want_c;
    for (int round = 0; round < 20; ++round)
        for (const std::size_t s : sizes) {
            const bool for_b = (i % 3) != 0;
            fill(tx.send_buffer(), i, s);
            tx.commit(s, loopback_of(for_b ? b : c));
            (for_b ? want_b : want_c).emplace_back(i, s);
            (for_b ? to_b : to_c) += 1;
            ++i;
        }
    // 260 datagrams, ~1.5 MB: the queue flushes itself when full; the socket buffers hold it all.
    tx.flush();
    CHECK(tx.stats().send_errors == 0);
    const Got gb = receive_all(rb, to_b), gc = receive_all(rc, to_c);
    REQUIRE(gb.datagrams.size() == to_b);
    REQUIRE(gc.datagrams.size() == to_c);
    for (std::size_t k = 0; k < to_b; ++k)
        CHECK(intact(ByteView(gb.datagrams[k].data(), gb.datagrams[k].size()), want_b[k].first, want_b[k].second));
    for (std::size_t k = 0; k < to_c; ++k)
        CHECK(intact(ByteView(gc.datagrams[k].data(), gc.datagrams[k].size()), want_c[k].first, want_c[k].second));
}

TEST_CASE("nothing waiting: receive() is empty at once, and an empty flush sends nothing") {
    asio::io_context io;
    UdpSocket a = open(io, "127.0.0.1");
    UdpBatch u(a, {});
    CHECK(u.receive().empty());
    CHECK(u.flush().datagrams == 0);
    CHECK(u.stats().send_calls == 0);
}

TEST_CASE("a datagram to an unreachable destination is counted lost; the rest still leave") {
    asio::io_context io;
    UdpSocket a = open(io, "127.0.0.1"), b = open(io, "127.0.0.1");
    UdpBatch tx(a, {}), rx(b, {});
    fill(tx.send_buffer(), 0, 100);
    tx.commit(100, loopback_of(b));
    fill(tx.send_buffer(), 1, 100);
    tx.commit(100, asio::ip::udp::endpoint(asio::ip::make_address("::1"), 9));   // a v6 address on a v4 socket
    fill(tx.send_buffer(), 2, 100);
    tx.commit(100, loopback_of(b));
    const UdpBatch::Lost lost = tx.flush();
    CHECK(lost.datagrams == 1);
    CHECK(lost.bytes == 100);
    CHECK(tx.stats().sent_datagrams == 2);
    CHECK(tx.stats().send_errors == 1);
    const Got g = receive_all(rx, 2);
    REQUIRE(g.datagrams.size() == 2);
    CHECK(intact(ByteView(g.datagrams[0].data(), 100), 0, 100));
    CHECK(intact(ByteView(g.datagrams[1].data(), 100), 2, 100));
}
