// SPDX-License-Identifier: GPL-3.0-or-later
// TUN offloads: a super-packet the kernel hands us (TSO/USO, partial checksum) becomes exactly the
// packets the kernel would have sent: right lengths, IDs, sequence numbers, flags, and checksums
// that a receiver accepts (checked here with a plain RFC 1071 sum, independent of the code under test).
// And the other way: segments we write back are joined into super-packets that split again into
// exactly those segments, never across flows, gaps, bad checksums or flags that end a run.
#include "tun_coalesce.hpp"
#include "tun_offload.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

using namespace udpvpn;
using namespace udpvpn::app;

namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}
std::uint16_t get16(const Bytes& b, std::size_t at) { return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]); }
std::uint32_t get32(const Bytes& b, std::size_t at) {
    return std::uint32_t{get16(b, at)} << 16 | get16(b, at + 2);
}

// RFC 1071, two bytes at a time: the reference the tests check against.
std::uint32_t slow_sum(const Bytes& b, std::size_t from, std::size_t to, std::uint32_t s = 0) {
    for (std::size_t i = from; i < to; i += 2) s += (std::uint32_t{b[i]} << 8) | (i + 1 < to ? b[i + 1] : 0);
    return s;
}
std::uint16_t slow_fold(std::uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<std::uint16_t>(s);
}
std::uint32_t pseudo(const Bytes& p, bool v6, std::uint8_t proto, std::size_t l4) {
    const std::size_t len = p.size() - l4;
    std::uint32_t s = v6 ? slow_sum(p, 8, 40) : slow_sum(p, 12, 20);
    return s + proto + static_cast<std::uint32_t>(len);
}
// A packet's transport checksum verifies: the sum over pseudo-header and segment is all ones.
bool l4_checksum_ok(const Bytes& p, bool v6, std::uint8_t proto, std::size_t l4) {
    return slow_fold(slow_sum(p, l4, p.size(), pseudo(p, v6, proto, l4))) == 0xffff;
}
bool ipv4_checksum_ok(const Bytes& p) { return slow_fold(slow_sum(p, 0, (p[0] & 15) * 4u)) == 0xffff; }

Bytes payload(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
    return b;
}

// IP + TCP (20 bytes + 12 bytes of options) or UDP, then the payload.
Bytes ip_packet(bool v6, std::uint8_t proto, const Bytes& data, std::uint8_t tcp_flags = 0x18) {
    const std::size_t ip = v6 ? 40 : 20, l4 = proto == 6 ? 32 : 8;
    Bytes p(ip + l4);
    if (v6) {
        p[0] = 0x60;
        put16(p, 4, static_cast<std::uint16_t>(l4 + data.size()));
        p[6] = proto;
        p[7] = 64;
        for (int i = 0; i < 16; ++i) p[8 + i] = static_cast<std::uint8_t>(0xfd + i), p[24 + i] = static_cast<std::uint8_t>(0x20 + i);
    } else {
        p[0] = 0x45;
        put16(p, 2, static_cast<std::uint16_t>(ip + l4 + data.size()));
        put16(p, 4, 0x1234);
        put16(p, 6, 0x4000);   // DF
        p[8] = 64;
        p[9] = proto;
        p[12] = 10, p[13] = 77, p[14] = 0, p[15] = 2;
        p[16] = 10, p[17] = 77, p[18] = 0, p[19] = 1;
    }
    put16(p, ip, 40000);
    put16(p, ip + 2, 5201);
    if (proto == 6) {
        put16(p, ip + 4, 0xfffe), put16(p, ip + 6, 0xff00);   // sequence number near wrap-around
        p[ip + 12] = 8 << 4;                                   // data offset: 32 bytes
        p[ip + 13] = tcp_flags;
        put16(p, ip + 14, 512);
        p[ip + 20] = 1, p[ip + 21] = 1, p[ip + 22] = 8, p[ip + 23] = 10;   // NOP NOP timestamps
    } else {
        put16(p, ip + 4, static_cast<std::uint16_t>(8 + data.size()));
    }
    p.insert(p.end(), data.begin(), data.end());
    return p;
}

// What the kernel hands over with offloads: the vnet header, and the pseudo-header sum (not
// complemented) in the transport checksum field.
Bytes frame(const Bytes& packet, bool v6, std::uint8_t proto, std::uint8_t gso_type, std::uint16_t gso_size) {
    Bytes p = packet;
    const std::size_t l4 = v6 ? 40 : 20;
    const std::size_t field = l4 + (proto == 6 ? 16 : 6);
    put16(p, field, slow_fold(pseudo(p, v6, proto, l4)));
    if (!v6) put16(p, 10, static_cast<std::uint16_t>(~slow_fold(slow_sum(p, 0, 20))));
    VnetHeader h;
    h.flags = kVnetNeedsCsum;
    h.gso_type = gso_type;
    h.gso_size = gso_size;
    h.hdr_len = static_cast<std::uint16_t>(l4 + (proto == 6 ? 32 : 8));
    h.csum_start = static_cast<std::uint16_t>(l4);
    h.csum_offset = proto == 6 ? 16 : 6;
    Bytes f(kVnetHeaderSize);
    write_vnet_header(h, f.data());
    f.insert(f.end(), p.begin(), p.end());
    return f;
}

std::vector<Bytes> split(Bytes f, bool* ok = nullptr) {
    VnetSplitter s;
    std::vector<Bytes> out;
    const bool started = s.start(MutableByteView(f.data(), f.size()));
    if (ok) *ok = started;
    if (!started) return out;
    Bytes buf(65536);
    for (;;) {
        // pending(): the next read() of the device hands out a segment without a system call.
        CHECK(s.pending() == (out.size() < s.count()));
        const std::size_t n = s.next(MutableByteView(buf.data(), buf.size()));
        if (n == 0) break;
        out.emplace_back(buf.begin(), buf.begin() + n);
    }
    CHECK(out.size() == s.count());
    CHECK_FALSE(s.pending());
    return out;
}

}  // namespace

TEST_CASE("ones_complement_sum agrees with RFC 1071 for every length and offset") {
    const Bytes d = payload(301);
    for (std::size_t from = 0; from < 9; ++from)
        for (std::size_t to = from; to <= d.size(); to += 7) {
            const std::uint16_t got = ones_complement_sum(ByteView(d.data() + from, to - from), 0x1fffe);
            CHECK(got == slow_fold(slow_sum(d, from, to, 0x1fffe)));
        }
}

TEST_CASE("a TCP/IPv4 super-packet becomes MSS-sized segments with correct headers and checksums") {
    const Bytes data = payload(3 * 1368 + 100);
    const Bytes orig = ip_packet(false, 6, data, 0x80 | 0x18 | 0x01);   // CWR PSH ACK FIN
    const auto segs = split(frame(orig, false, 6, kVnetGsoTcpV4, 1368));
    REQUIRE(segs.size() == 4);
    Bytes joined;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const Bytes& s = segs[i];
        CAPTURE(i);
        CHECK(s.size() == 52 + (i < 3 ? 1368 : 100));
        CHECK(get16(s, 2) == s.size());
        CHECK(get16(s, 4) == 0x1234 + i);
        CHECK(get16(s, 6) == 0x4000);
        CHECK(ipv4_checksum_ok(s));
        CHECK(get32(s, 24) == 0xfffeff00u + static_cast<std::uint32_t>(i * 1368));   // wraps around
        CHECK(((s[33] & 0x80) != 0) == (i == 0));    // CWR on the first only
        CHECK(((s[33] & 0x09) != 0) == (i == 3));    // PSH, FIN on the last only
        CHECK((s[33] & 0x10) != 0);                  // ACK on every one
        CHECK(std::equal(s.begin() + 40, s.begin() + 52, orig.begin() + 40));   // options copied
        CHECK(l4_checksum_ok(s, false, 6, 20));
        joined.insert(joined.end(), s.begin() + 52, s.end());
    }
    CHECK(joined == data);
}

TEST_CASE("a TCP/IPv6 super-packet becomes segments with payload lengths and checksums") {
    const Bytes data = payload(2 * 1348);
    const Bytes orig = ip_packet(true, 6, data);
    const auto segs = split(frame(orig, true, 6, kVnetGsoTcpV6 | kVnetGsoEcn, 1348));
    REQUIRE(segs.size() == 2);
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const Bytes& s = segs[i];
        CHECK(s.size() == 72 + 1348);
        CHECK(get16(s, 4) == 32 + 1348);
        CHECK(std::equal(s.begin() + 8, s.begin() + 40, orig.begin() + 8));
        CHECK(l4_checksum_ok(s, true, 6, 40));
        CHECK(std::equal(s.begin() + 72, s.end(), data.begin() + static_cast<long>(i * 1348)));
    }
}

TEST_CASE("a UDP super-packet (USO) becomes datagrams with their own lengths and checksums") {
    for (const bool v6 : {false, true}) {
        CAPTURE(v6);
        const Bytes data = payload(5 * 1200 + 1);
        const auto segs = split(frame(ip_packet(v6, 17, data), v6, 17, kVnetGsoUdpL4, 1200));
        REQUIRE(segs.size() == 6);
        const std::size_t l4 = v6 ? 40 : 20;
        Bytes joined;
        for (const Bytes& s : segs) {
            CHECK(get16(s, l4 + 4) == s.size() - l4);
            if (!v6) CHECK(ipv4_checksum_ok(s));
            CHECK(l4_checksum_ok(s, v6, 17, l4));
            joined.insert(joined.end(), s.begin() + static_cast<long>(l4 + 8), s.end());
        }
        CHECK(segs.back().size() == l4 + 8 + 1);
        CHECK(joined == data);
    }
}

TEST_CASE("a packet without GSO gets its partial checksum completed, or passes unchanged") {
    const Bytes orig = ip_packet(false, 6, payload(777));
    const auto one = split(frame(orig, false, 6, kVnetGsoNone, 0));
    REQUIRE(one.size() == 1);
    CHECK(one[0].size() == orig.size());
    CHECK(l4_checksum_ok(one[0], false, 6, 20));

    Bytes plain(kVnetHeaderSize, 0);
    plain.insert(plain.end(), orig.begin(), orig.end());
    const auto same = split(plain);
    REQUIRE(same.size() == 1);
    CHECK(same[0] == orig);
}

TEST_CASE("a super-packet whose headers all fit in one segment is one packet") {
    const Bytes orig = ip_packet(false, 6, payload(0), 0x10);   // a bare ACK
    const auto segs = split(frame(orig, false, 6, kVnetGsoTcpV4, 1368));
    REQUIRE(segs.size() == 1);
    CHECK(segs[0].size() == orig.size());
    CHECK(l4_checksum_ok(segs[0], false, 6, 20));
}

TEST_CASE("malformed or unexpected frames are refused, never read past") {
    const Bytes v4 = ip_packet(false, 6, payload(3000));
    const Bytes v6 = ip_packet(true, 6, payload(3000));
    bool ok = true;
    SUBCASE("TCPv4 GSO on an IPv6 packet") { split(frame(v6, true, 6, kVnetGsoTcpV4, 1000), &ok); }
    SUBCASE("TCPv6 GSO on an IPv4 packet") { split(frame(v4, false, 6, kVnetGsoTcpV6, 1000), &ok); }
    SUBCASE("gso_size 0") { split(frame(v4, false, 6, kVnetGsoTcpV4, 0), &ok); }
    SUBCASE("UFO, which we never enable") { split(frame(v4, false, 6, 3, 1000), &ok); }
    SUBCASE("TCP GSO on a UDP packet") { split(frame(ip_packet(false, 17, payload(3000)), false, 17, kVnetGsoTcpV4, 1000), &ok); }
    SUBCASE("TCP data offset beyond the packet") {
        Bytes f = frame(ip_packet(false, 6, payload(0)), false, 6, kVnetGsoTcpV4, 1000);
        f[kVnetHeaderSize + 32] = 0xf0;   // 60-byte TCP header in a 52-byte packet
        split(f, &ok);
    }
    SUBCASE("checksum field beyond the packet") {
        Bytes f = frame(v4, false, 6, kVnetGsoNone, 0);
        VnetHeader h = read_vnet_header(f.data());
        h.csum_offset = 0xfff0;
        write_vnet_header(h, f.data());
        split(f, &ok);
    }
    SUBCASE("shorter than a vnet header and an IP header") { split(Bytes(kVnetHeaderSize + 19, 0x45), &ok); }
    SUBCASE("not IP") {
        Bytes f = frame(v4, false, 6, kVnetGsoNone, 0);
        f[kVnetHeaderSize] = 0x75;
        split(f, &ok);
    }
    CHECK_FALSE(ok);
}

TEST_CASE("a segment that does not fit the caller's buffer ends the frame") {
    Bytes f = frame(ip_packet(false, 6, payload(4000)), false, 6, kVnetGsoTcpV4, 1368);
    VnetSplitter s;
    REQUIRE(s.start(MutableByteView(f.data(), f.size())));
    Bytes small(100);
    CHECK(s.pending());
    CHECK(s.next(MutableByteView(small.data(), small.size())) == 0);
    CHECK_FALSE(s.pending());   // the rest of the frame is dropped: the next read goes to the device
    Bytes big(2000);
    CHECK(s.next(MutableByteView(big.data(), big.size())) == 0);
}

namespace {

// The segments of a super-packet, as the peer's tunnel would send them.
std::vector<Bytes> segments(bool v6, std::size_t bytes, std::uint16_t mss, std::uint16_t port = 40000) {
    Bytes p = ip_packet(v6, 6, payload(bytes), 0x10);
    put16(p, v6 ? 40 : 20, port);
    return split(frame(p, v6, 6, v6 ? kVnetGsoTcpV6 : kVnetGsoTcpV4, mss));
}

std::vector<Bytes> coalesce(const std::vector<Bytes>& packets) {
    TunCoalescer c;
    for (const Bytes& p : packets) REQUIRE(c.add(ByteView(p.data(), p.size())));
    std::vector<Bytes> frames;
    c.flush([&](ByteView f) { frames.emplace_back(f.begin(), f.end()); });
    CHECK(c.empty());
    return frames;
}

// A frame without GSO: a zero virtio_net_hdr and the packet unchanged.
bool plain(const Bytes& f, const Bytes& packet) {
    return f.size() == kVnetHeaderSize + packet.size() && std::all_of(f.begin(), f.begin() + 10, [](auto b) { return b == 0; }) &&
           std::equal(packet.begin(), packet.end(), f.begin() + kVnetHeaderSize);
}

}  // namespace

TEST_CASE("consecutive segments of one flow become one super-packet that splits back into them") {
    for (const bool v6 : {false, true}) {
        CAPTURE(v6);
        const auto segs = segments(v6, 40 * 1360 + 77, 1360);
        REQUIRE(segs.size() == 41);
        const auto frames = coalesce(segs);
        REQUIRE(frames.size() == 1);
        const VnetHeader h = read_vnet_header(frames[0].data());
        CHECK(h.gso_type == (v6 ? kVnetGsoTcpV6 : kVnetGsoTcpV4));
        CHECK(h.gso_size == 1360);
        CHECK(h.flags == kVnetNeedsCsum);
        CHECK(h.csum_start == (v6 ? 40 : 20));
        if (!v6) CHECK(ipv4_checksum_ok(Bytes(frames[0].begin() + kVnetHeaderSize, frames[0].end())));
        CHECK(split(frames[0]) == segs);
    }
}

TEST_CASE("interleaved flows are joined each on its own, in order") {
    const auto a = segments(false, 3 * 1000, 1000, 40000), b = segments(false, 3 * 1000, 1000, 40001);
    const auto frames = coalesce({a[0], b[0], a[1], b[1], a[2], b[2]});
    REQUIRE(frames.size() == 2);
    CHECK(split(frames[0]) == a);
    CHECK(split(frames[1]) == b);
}

TEST_CASE("a gap, a bad checksum, a bare ACK or a short segment ends a run without reordering") {
    const auto s = segments(false, 5 * 1000, 1000);
    SUBCASE("a gap in the sequence numbers") {
        const auto f = coalesce({s[0], s[1], s[3], s[4]});
        REQUIRE(f.size() == 2);
        CHECK(split(f[0]) == std::vector<Bytes>{s[0], s[1]});
        CHECK(split(f[1]) == std::vector<Bytes>{s[3], s[4]});
    }
    SUBCASE("a segment whose checksum fails stays as it is, and nothing after it joins before it") {
        Bytes bad = s[1];
        bad.back() ^= 1;
        const auto f = coalesce({s[0], bad, s[2], s[3]});
        REQUIRE(f.size() == 3);
        CHECK(plain(f[0], s[0]));
        CHECK(plain(f[1], bad));
        CHECK(split(f[2]) == std::vector<Bytes>{s[2], s[3]});
    }
    SUBCASE("a bare ACK of the same flow in between") {
        Bytes ack = ip_packet(false, 6, payload(0), 0x10);
        put16(ack, 22, 5201), put16(ack, 20, 40000);
        const auto acked = split(frame(ack, false, 6, kVnetGsoNone, 0));
        const auto f = coalesce({s[0], s[1], acked[0], s[2], s[3]});
        REQUIRE(f.size() == 3);
        CHECK(split(f[0]) == std::vector<Bytes>{s[0], s[1]});
        CHECK(plain(f[1], acked[0]));
        CHECK(split(f[2]) == std::vector<Bytes>{s[2], s[3]});
    }
    SUBCASE("a segment whose IPv4 header checksum fails stays as it is (found by fuzz_tun_offload)") {
        // Joined, it would have come out of the super-packet with a new, valid header checksum:
        // a packet the kernel drops would have been delivered.
        Bytes bad = s[1];
        bad[10] ^= 0x01;
        const auto f = coalesce({s[0], bad, s[2], s[3]});
        REQUIRE(f.size() == 3);
        CHECK(plain(f[0], s[0]));
        CHECK(plain(f[1], bad));
        CHECK(split(f[2]) == std::vector<Bytes>{s[2], s[3]});
    }
    SUBCASE("a TCP packet that cannot join (padded) is not overtaken by its flow (found by fuzz_tun_offload)") {
        // s[1] with 6 bytes after its IP total length, then s[1] again (its retransmission): the
        // retransmission follows on from s[0], but must not join it and so pass the padded copy.
        Bytes padded = s[1];
        padded.resize(padded.size() + 6);
        const auto f = coalesce({s[0], padded, s[1], s[2]});
        REQUIRE(f.size() == 3);
        CHECK(plain(f[0], s[0]));
        CHECK(plain(f[1], padded));
        CHECK(split(f[2]) == std::vector<Bytes>{s[1], s[2]});
    }
    SUBCASE("a shorter segment is the last of its run") {
        const auto t = segments(false, 2 * 1000 + 10, 1000);   // 1000, 1000, 10
        const auto f = coalesce({t[0], t[1], t[2]});
        REQUIRE(f.size() == 1);
        CHECK(split(f[0]) == t);
    }
}

TEST_CASE("PSH ends a super-packet; other protocols pass unchanged") {
    const auto s = segments(false, 3 * 1000, 1000);
    Bytes psh = s[1];
    psh[33] |= 0x08;   // and its checksum again
    put16(psh, 36, 0);
    put16(psh, 36, static_cast<std::uint16_t>(~slow_fold(slow_sum(psh, 20, psh.size(), pseudo(psh, false, 6, 20)))));
    const Bytes udp = split(frame(ip_packet(false, 17, payload(500)), false, 17, kVnetGsoNone, 0))[0];
    const auto f = coalesce({s[0], psh, s[2], udp});
    REQUIRE(f.size() == 3);
    CHECK(split(f[0]) == std::vector<Bytes>{s[0], psh});
    CHECK(plain(f[1], s[2]));
    CHECK(plain(f[2], udp));
}

TEST_CASE("the queue takes a bounded number of frames") {
    TunCoalescer c;
    const Bytes udp = split(frame(ip_packet(false, 17, payload(100)), false, 17, kVnetGsoNone, 0))[0];
    for (std::size_t i = 0; i < TunCoalescer::kMaxFrames; ++i) CHECK(c.add(ByteView(udp.data(), udp.size())));
    CHECK_FALSE(c.add(ByteView(udp.data(), udp.size())));
    std::size_t n = 0;
    c.flush([&](ByteView) { ++n; });
    CHECK(n == TunCoalescer::kMaxFrames);
    CHECK(c.add(ByteView(udp.data(), udp.size())));
}
