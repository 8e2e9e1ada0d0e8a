// SPDX-License-Identifier: GPL-3.0-or-later
// TUN offloads (apps/platform/linux/tun_offload.hpp, tun_coalesce.hpp) the way the data path runs
// them: frames read from the device are split (VnetSplitter), what arrives from the tunnel is
// queued for the device and joined into super-packets (TunCoalescer). The tunnel in between only
// moves packets, so here the splitter's output goes straight into the coalescer, next to raw and
// synthesized packets.
// Input: records len (2, big-endian) | bytes, at most 256 of them (and 4,096 packets given);
// bytes[0] % 3 says what the rest is:
//   0 a raw IP packet for the coalescer
//   1 a TCP segment the harness builds: bytes[1] bits 0-1 flow (two IPv4, two IPv6, one of them
//     with IP options), bit 2 PSH, bit 3 a sequence gap, bit 4 another ACK number, bit 5 a bad
//     checksum, bit 6 one more flag from bytes[2], bit 7 trailing padding; bytes[3] * 4 payload
//     bytes, cycled from bytes[4..]; bytes[0] / 3 bit 0: the next segment repeats this one's
//     sequence numbers (a retransmission), bit 1: a bad IPv4 header checksum
//   2 a frame read from the device (virtio_net_hdr + packet) for the splitter; bytes[1] picks the
//     size of the caller's buffer
// Invariants: no crash or sanitizer report; the splitter writes within the caller's buffer, at most
// count() packets, and for a super-packet: the segments' payloads put together are the frame's,
// each segment's lengths and checksums are right. The frames the coalescer hands out split back
// into the packets it was given, each flow's in the order given, identical but for what a
// receiver does not read from a joined segment (IPv4 ID, checksums recomputed, urgent pointer
// without URG); every joined segment had checksums that verify.
#include "harness.hpp"
#include "harness_support.hpp"

#include "tun_coalesce.hpp"
#include "tun_offload.hpp"

#include <algorithm>
#include <map>
#include <vector>

using udpvpn::fuzz::check;
using namespace udpvpn;
using namespace udpvpn::app;

namespace {

using Packet = std::vector<std::uint8_t>;

std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
    put16(p, static_cast<std::uint16_t>(v >> 16));
    put16(p + 2, static_cast<std::uint16_t>(v));
}

// RFC 1071 two bytes at a time, independent of ones_complement_sum() under test.
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t s = 0) {
    for (std::size_t i = 0; i < n; i += 2) s += (std::uint32_t{p[i]} << 8) | (i + 1 < n ? p[i + 1] : 0);
    return s;
}
std::uint16_t fold(std::uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<std::uint16_t>(s);
}
std::uint32_t pseudo(const std::uint8_t* ip, bool v6, std::uint8_t proto, std::size_t l4_len) {
    return (v6 ? sum16(ip + 8, 32) : sum16(ip + 12, 8)) + proto + static_cast<std::uint32_t>(l4_len >> 16) +
           static_cast<std::uint32_t>(l4_len & 0xffff);
}
bool l4_ok(const Packet& p, bool v6, std::uint8_t proto, std::size_t l4) {
    return fold(sum16(p.data() + l4, p.size() - l4, pseudo(p.data(), v6, proto, p.size() - l4))) == 0xffff;
}
bool ipv4_header_ok(const Packet& p) { return fold(sum16(p.data(), (p[0] & 15) * 4u)) == 0xffff; }

// Where a packet's TCP header is, if it is TCP over IPv4 or IPv6 (no extension headers) with its
// ports readable: then it belongs to a flow (addresses and ports) whose order must hold.
std::optional<std::size_t> tcp_at(const Packet& p) {
    if (p.size() >= 20 && (p[0] >> 4) == 4 && p[9] == 6) {
        const std::size_t l4 = (p[0] & 15) * 4u;
        if (l4 >= 20 && p.size() >= l4 + 4) return l4;
    }
    if (p.size() >= 44 && (p[0] >> 4) == 6 && p[6] == 6) return 40;
    return std::nullopt;
}
Packet flow_of(const Packet& p, std::size_t l4) {
    Packet f(p.begin(), p.begin() + ((p[0] >> 4) == 6 ? 40 : 20));
    f.erase(f.begin(), f.begin() + ((p[0] >> 4) == 6 ? 8 : 12));
    f.insert(f.end(), p.begin() + static_cast<std::ptrdiff_t>(l4), p.begin() + static_cast<std::ptrdiff_t>(l4 + 4));
    return f;
}
// What a receiver reads from a TCP segment: without the fields a super-packet renumbers or recomputes.
Packet normalized(Packet p) {
    const auto l4 = tcp_at(p);
    if (!l4 || p.size() < *l4 + 20) return p;
    if ((p[0] >> 4) == 4) {
        put16(&p[4], 0);    // ID
        put16(&p[10], 0);   // header checksum
    }
    put16(&p[*l4 + 16], 0);                              // checksum
    if (!(p[*l4 + 13] & 0x20)) put16(&p[*l4 + 18], 0);   // urgent pointer, unread without URG
    return p;
}

struct Flow {
    bool v6, options;
    std::uint32_t seq = 1000, ack = 5000;
};

// A TCP segment of one of four flows, built right (lengths, checksums) unless told otherwise.
Packet build_segment(std::array<Flow, 4>& flows, ByteView b) {
    const std::uint8_t d = b.size() > 1 ? b[1] : 0;
    Flow& f = flows[d & 3];
    const std::size_t ip = f.v6 ? 40 : (f.options ? 24 : 20), tcp = 32;
    const std::size_t n = (b.size() > 3 ? b[3] : 0) * 4u;
    Packet p(ip + tcp + n + ((d & 0x80) ? 6 : 0));
    if (f.v6) {
        p[0] = 0x60;
        put16(&p[4], static_cast<std::uint16_t>(tcp + n));
        p[6] = 6;
        p[7] = 64;
        for (int i = 0; i < 16; ++i) p[8 + i] = static_cast<std::uint8_t>(0xfd + i), p[24 + i] = static_cast<std::uint8_t>(d & 3);
    } else {
        p[0] = f.options ? 0x46 : 0x45;
        put16(&p[2], static_cast<std::uint16_t>(ip + tcp + n));
        put16(&p[4], static_cast<std::uint16_t>(f.seq));
        put16(&p[6], 0x4000);
        p[8] = 64;
        p[9] = 6;
        p[12] = 10, p[13] = 77, p[14] = 0, p[15] = 2;
        p[16] = 10, p[17] = 77, p[18] = 0, p[19] = static_cast<std::uint8_t>(d & 3);
        if (f.options) p[20] = 1, p[21] = 1, p[22] = 1, p[23] = 0;   // NOPs, end of options
    }
    std::uint8_t* t = &p[ip];
    put16(t, 40000);
    put16(t + 2, 5201);
    if (d & 8) f.seq += 1;
    if (d & 16) f.ack += 1;
    put32(t + 4, f.seq);
    put32(t + 8, f.ack);
    t[12] = 8 << 4;
    t[13] = static_cast<std::uint8_t>(0x10 | ((d & 4) ? 0x08 : 0) | ((d & 0x40) && b.size() > 2 ? b[2] : 0));
    put16(t + 14, 512);
    t[20] = 1, t[21] = 1, t[22] = 8, t[23] = 10;   // NOP NOP timestamps
    for (std::size_t i = 0; i < n; ++i) p[ip + tcp + i] = b.size() > 4 ? b[4 + i % (b.size() - 4)] : 0;
    const std::uint8_t more = static_cast<std::uint8_t>(b[0] / 3);
    if (!(more & 1)) f.seq += static_cast<std::uint32_t>(n);
    if (!f.v6) put16(&p[10], static_cast<std::uint16_t>(~fold(sum16(p.data(), ip)) ^ ((more & 2) ? 0x100 : 0)));
    const std::size_t l4_len = tcp + n;
    put16(t + 16, static_cast<std::uint16_t>(~fold(sum16(t, l4_len, pseudo(p.data(), f.v6, 6, l4_len)))));
    if (d & 0x20) t[16] ^= 0x40;
    return p;
}

// Splits one frame; checks the splitter's promises and returns its packets.
std::vector<Packet> split(const Packet& frame, std::size_t out_size) {
    Packet copy = frame;
    VnetSplitter s;
    if (!s.start(copy)) return {};
    const VnetHeader h = read_vnet_header(frame.data());
    const bool gso = (h.gso_type & ~kVnetGsoEcn) != kVnetGsoNone;
    std::vector<Packet> out;
    Packet buf(out_size);
    while (const std::size_t n = s.next(buf)) {
        check(n <= buf.size(), "splitter wrote past the caller's buffer");
        out.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
        check(out.size() <= s.count(), "splitter produced more packets than count()");
    }
    if (!gso || out.size() != s.count()) return out;
    // A super-packet: every segment is a packet a receiver accepts, and their payloads are the frame's.
    const std::uint8_t* ip = frame.data() + kVnetHeaderSize;
    const bool v6 = (ip[0] >> 4) == 6;
    const bool tcp = (h.gso_type & ~kVnetGsoEcn) != kVnetGsoUdpL4;
    const std::size_t l4 = v6 ? 40 : (ip[0] & 15) * 4u;
    const std::size_t headers = l4 + (tcp ? (ip[l4 + 12] >> 4) * 4u : 8u);
    Packet payload;
    for (const Packet& p : out) {
        check(p.size() >= headers, "segment shorter than the frame's headers");
        if (v6) check(get16(&p[4]) + 40u == p.size(), "IPv6 payload length of a segment");
        else check(get16(&p[2]) == p.size() && ipv4_header_ok(p), "IPv4 length or header checksum of a segment");
        if (!tcp) check(get16(&p[l4 + 4]) == p.size() - l4, "UDP length of a datagram");
        check(l4_ok(p, v6, tcp ? 6 : 17, l4), "transport checksum of a segment does not verify");
        payload.insert(payload.end(), p.begin() + static_cast<std::ptrdiff_t>(headers), p.end());
    }
    check(std::equal(payload.begin(), payload.end(), frame.begin() + static_cast<std::ptrdiff_t>(kVnetHeaderSize + headers),
                     frame.end()),
          "segments' payloads are not the super-packet's");
    return out;
}

bool checksums_ok(const Packet& p) {
    const auto l4 = tcp_at(p);
    if (!l4 || p.size() < *l4 + 20) return false;
    const bool v6 = (p[0] >> 4) == 6;
    return (v6 || ipv4_header_ok(p)) && l4_ok(p, v6, 6, *l4);
}

struct Harness {
    struct Seen {
        Packet packet;
        bool flag;   // given: its checksums verify; written: it came out of a super-packet
    };
    TunCoalescer coalescer;
    std::vector<Seen> given, written;

    // A super-packet as Linux takes it (CHECKSUM_PARTIAL, GSO): the pseudo-header sum in the
    // checksum field, and headers that say where the segments are.
    void check_super_packet(const Packet& f, const VnetHeader& h) {
        const std::uint8_t* ip = f.data() + kVnetHeaderSize;
        const bool v6 = (ip[0] >> 4) == 6;
        check(h.gso_type == (v6 ? kVnetGsoTcpV6 : kVnetGsoTcpV4) && h.flags == kVnetNeedsCsum,
              "super-packet's GSO type or flags");
        const std::size_t l4 = v6 ? 40 : 20, len = f.size() - kVnetHeaderSize;
        // Two segments of at least one byte behind an IP and a TCP header.
        check(len >= l4 + 20 + 2, "super-packet too short for its headers");
        check(h.csum_start == l4 && h.csum_offset == 16 && h.hdr_len == l4 + (ip[l4 + 12] >> 4) * 4u,
              "super-packet's checksum start, offset or header length");
        check(get16(ip + l4 + 16) == fold(pseudo(ip, v6, 6, len - l4)),
              "super-packet's checksum field is not the pseudo-header sum");
    }

    void flush() {
        coalescer.flush([&](ByteView frame) {
            check(frame.size() >= kVnetHeaderSize, "coalescer frame without a virtio_net_hdr");
            const Packet f(frame.begin(), frame.end());
            const VnetHeader h = read_vnet_header(f.data());
            if (h.gso_type == kVnetGsoNone && h.flags == 0) {   // one packet, as it came
                written.push_back({Packet(f.begin() + kVnetHeaderSize, f.end()), false});
                return;
            }
            check(f.size() > kVnetHeaderSize, "super-packet without a packet");
            check_super_packet(f, h);
            const std::vector<Packet> parts = split(f, 70000);
            check(parts.size() > 1, "a super-packet the splitter (our model of the kernel) refuses");
            for (const Packet& p : parts) written.push_back({p, true});
        });
    }

    void give(Packet p) {
        if (p.empty() || p.size() > 65535) return;   // add() drops what no TUN device would take
        if (!coalescer.add(p)) {
            flush();
            check(coalescer.add(p), "add() refuses a packet right after flush()");
        }
        const bool ok = checksums_ok(p);
        given.push_back({std::move(p), ok});
    }

    // Every packet given comes out once, each flow's in the order given; only segments whose
    // checksums verify were joined.
    // (GCC 12 takes the memcmp inside std::map<std::vector<std::uint8_t>, ...>'s key comparison for
    // a read of 2^63 bytes once it is inlined here: a false -Wstringop-overread.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif
    void compare() {
        flush();
        check(written.size() == given.size(), "coalescer lost or invented packets");
        using Flows = std::map<Packet, std::vector<Seen>>;
        auto by_flow = [](const std::vector<Seen>& seen) {
            Flows m;
            for (const Seen& s : seen) {
                const auto l4 = tcp_at(s.packet);
                m[l4 ? flow_of(s.packet, *l4) : Packet{0}].push_back({normalized(s.packet), s.flag});
            }
            // Packets of no flow keep no order among themselves: compared as a multiset.
            auto& none = m[Packet{0}];
            std::sort(none.begin(), none.end(), [](const Seen& a, const Seen& b) { return a.packet < b.packet; });
            return m;
        };
        const Flows in = by_flow(given), out = by_flow(written);
        check(in.size() == out.size(), "coalescer moved a packet to another flow");
        for (auto i = in.begin(), o = out.begin(); i != in.end(); ++i, ++o) {
            check(i->first == o->first && i->second.size() == o->second.size(), "a flow lost or gained packets");
            for (std::size_t k = 0; k < i->second.size(); ++k) {
                check(i->second[k].packet == o->second[k].packet, "a packet changed, or overtook another of its flow");
                check(!o->second[k].flag || i->second[k].flag, "a segment whose checksum fails was joined");
            }
        }
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
};

}  // namespace

int run_tun_offload(const std::uint8_t* data, std::size_t size) {
    Harness h;
    std::array<Flow, 4> flows{{{false, false}, {false, true}, {true, false}, {true, false}}};
    std::size_t pos = 0;
    // At most 4,096 packets per input: a frame with a 1-byte gso_size stands for thousands of
    // segments, and inputs that multiply them would slow every execution without new paths.
    for (int records = 0; records < 256 && pos + 2 <= size && h.given.size() < 4096; ++records) {
        const std::size_t len = std::min<std::size_t>(get16(data + pos), size - pos - 2);
        const ByteView b(data + pos + 2, len);
        pos += 2 + len;
        if (b.empty()) continue;
        switch (b[0] % 3) {
        case 0: h.give(Packet(b.begin() + 1, b.end())); break;
        case 1: h.give(build_segment(flows, b)); break;
        default: {
            if (b.size() < 2) break;
            static constexpr std::size_t kOut[] = {70000, 1500, 100, 0};
            for (Packet& p : split(Packet(b.begin() + 2, b.end()), kOut[b[1] % 4])) h.give(std::move(p));
            break;
        }
        }
    }
    h.compare();
    return 0;
}
