// SPDX-License-Identifier: GPL-3.0-or-later
#include "handshake_stream.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace udpvpn;

namespace {

Bytes pattern(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
    return b;
}

// Collects all FRAG frames SendStream writes into datagrams of `room` bytes.
std::vector<Frame> drain(SendStream& s, std::size_t room, std::vector<Bytes>& storage) {
    std::vector<Frame> out;
    while (s.has_pending()) {
        storage.emplace_back(room);
        Writer w(storage.back());
        REQUIRE(s.write_frag(w, room));
        CHECK(w.size() <= room);
        FrameReader fr(w.written());
        auto f = fr.next();
        REQUIRE(f.ok());
        out.push_back(f.value);
    }
    return out;
}

}  // namespace

TEST_CASE("range set merges overlapping and adjacent ranges and caps at 16 disjoint ranges") {
    RangeSet s;
    CHECK(s.add(10, 20));
    CHECK(s.add(30, 40));
    CHECK(s.add(20, 30));   // adjacent on both sides: one range
    REQUIRE(s.size() == 1);
    CHECK(s.ranges()[0] == ByteRange{10, 40});
    CHECK(s.add(0, 5));
    CHECK(s.prefix_end() == 5);
    CHECK(s.add(3, 12));
    CHECK(s.prefix_end() == 40);
    RangeSet m;
    for (std::uint32_t i = 0; i < 16; ++i) CHECK(m.add(i * 10, i * 10 + 5));
    CHECK_FALSE(m.add(1000, 1001));       // a 17th disjoint range is refused
    CHECK(m.size() == 16);
    CHECK(m.add(5, 10));                   // merging still works at the cap
    CHECK(m.size() == 15);
    CHECK(m.contains(0, 15));
    CHECK_FALSE(m.contains(0, 16));
    CHECK(m.next_gap(0, 200) == ByteRange{15, 20});
}

TEST_CASE("the sender cuts its stream into FRAGs that fit the room and the receiver reassembles it") {
    const Bytes data = pattern(5000);
    SendStream s;
    REQUIRE(s.append(data) == Error::ok);
    std::vector<Bytes> storage;
    auto frags = drain(s, 1100, storage);
    CHECK(frags.size() == 5);   // 1093 bytes of data per 1100-byte frame
    RecvStream r;
    for (auto it = frags.rbegin(); it != frags.rend(); ++it) REQUIRE(r.on_frag(it->offset, it->data) == Error::ok);
    CHECK(Bytes(r.contiguous().begin(), r.contiguous().end()) == data);
    REQUIRE(r.ack_ranges().size() == 1);
    CHECK(s.on_ack(r.ack_ranges()));
    CHECK(s.all_acked());
    CHECK_FALSE(s.has_pending());
}

TEST_CASE("after a PTO only the unacknowledged ranges are sent again") {
    const Bytes data = pattern(3000);
    SendStream s;
    REQUIRE(s.append(data) == Error::ok);
    std::vector<Bytes> storage;
    auto frags = drain(s, 1007, storage);   // 1000 data bytes per frame
    REQUIRE(frags.size() == 3);
    RecvStream r;
    r.on_frag(frags[0].offset, frags[0].data);   // frag 1 lost
    r.on_frag(frags[2].offset, frags[2].data);
    CHECK(r.ack_ranges().size() == 2);
    CHECK(s.on_ack(r.ack_ranges()));
    CHECK_FALSE(s.all_acked());
    CHECK(s.in_flight());
    s.requeue_unacked();
    auto again = drain(s, 1007, storage);
    REQUIRE(again.size() == 1);
    CHECK(again[0].offset == 1000);
    CHECK(again[0].data.size() == 1000);
    r.on_frag(again[0].offset, again[0].data);
    CHECK(Bytes(r.contiguous().begin(), r.contiguous().end()) == data);
    s.on_ack(r.ack_ranges());
    CHECK(s.all_acked());
    CHECK_FALSE(s.on_ack(r.ack_ranges()));   // a duplicate ACK is no progress
}

TEST_CASE("a FRAG smaller than its overhead plus one byte is never written") {
    SendStream s;
    const Bytes data = pattern(10);
    REQUIRE(s.append(data) == Error::ok);
    Bytes b(100);
    Writer w(b);
    CHECK_FALSE(s.write_frag(w, kFragOverhead));
    CHECK(w.size() == 0);
    CHECK(s.write_frag(w, kFragOverhead + 1));
    CHECK(w.size() == kFragOverhead + 1);
}

TEST_CASE("stream bounds: 32768 bytes per direction") {
    SendStream s;
    CHECK(s.append(Bytes(kMaxStreamSize)) == Error::ok);
    CHECK(s.append(Bytes(1)) == Error::invalid_argument);
    RecvStream r;
    const Bytes one(1);
    CHECK(r.on_frag(kMaxStreamSize - 1, one) == Error::ok);
    CHECK(r.on_frag(kMaxStreamSize, one) == Error::protocol_violation);
    CHECK(r.on_frag(0xFFFFFFFF, one) == Error::protocol_violation);
}

TEST_CASE("a 17th disjoint received range is dropped unacknowledged, and accepted once gaps fill") {
    RecvStream r;
    const Bytes d(5, 0xAB);
    for (std::uint32_t i = 0; i < 16; ++i) REQUIRE(r.on_frag(100 + i * 10, d) == Error::ok);
    CHECK(r.on_frag(1000, d) == Error::ok);
    CHECK(r.ack_ranges().size() == 8);   // ACK frames carry at most 8 ranges
    CHECK(r.contiguous().empty());
    const Bytes fill(105, 0xCD);
    REQUIRE(r.on_frag(0, fill) == Error::ok);   // merges the first range into the prefix
    CHECK(r.contiguous().size() == 105);
    CHECK(r.on_frag(1000, d) == Error::ok);     // now fits: 16 ranges
    CHECK(r.ack_ranges()[0] == ByteRange{0, 105});
}

TEST_CASE("bytes already received never change, even if a retransmission differs") {
    RecvStream r;
    const Bytes a(10, 1), b(20, 2);
    r.on_frag(0, a);
    r.on_frag(0, b);
    auto c = r.contiguous();
    REQUIRE(c.size() == 20);
    CHECK(c[9] == 1);
    CHECK(c[10] == 2);
}

TEST_CASE("retransmit timer doubles on each expiry and resets on progress") {
    RetransmitTimer t(300 * kMillisecond);
    t.arm(1000);
    CHECK(t.deadline() == 1000 + 300 * kMillisecond);
    t.arm(2000);   // already armed: unchanged
    CHECK(t.deadline() == 1000 + 300 * kMillisecond);
    t.backoff();
    CHECK(t.deadline() == kNever);
    t.arm(0);
    CHECK(t.deadline() == 600 * kMillisecond);
    t.backoff();
    t.rearm(0);
    CHECK(t.deadline() == 1200 * kMillisecond);
    t.reset_backoff();
    t.rearm(0);
    CHECK(t.deadline() == 300 * kMillisecond);
}
