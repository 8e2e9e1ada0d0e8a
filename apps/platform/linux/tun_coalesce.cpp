// SPDX-License-Identifier: GPL-3.0-or-later
#include "tun_coalesce.hpp"

#include "tun_offload.hpp"

#include <cstring>

namespace udpvpn::app {
namespace {

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20, kEce = 0x40,
                       kCwr = 0x80;
constexpr std::size_t kMaxSuperPacket = 65535;

std::uint16_t get16(const std::uint8_t* p) noexcept { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t get32(const std::uint8_t* p) noexcept {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
void put16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

// The pseudo-header sum of a TCP segment of `l4_len` bytes (folded, not complemented).
std::uint16_t pseudo_sum(const std::uint8_t* ip, bool v6, std::size_t l4_len) noexcept {
    std::uint32_t s = 6;
    s += v6 ? ones_complement_sum(ByteView(ip + 8, 32)) : ones_complement_sum(ByteView(ip + 12, 8));
    s += static_cast<std::uint32_t>(l4_len >> 16) + static_cast<std::uint32_t>(l4_len & 0xffff);
    return ones_complement_sum(ByteView(), s);
}

struct Segment {
    bool tcp = false;   // a TCP segment whose flow we know (addresses and ports)
    bool ok = false;    // ... that may join a super-packet
    bool v6 = false;
    std::size_t l4 = 0, headers = 0;
};

// A TCP segment that may join a super-packet: plain IPv4 (no options, not a fragment, a header
// checksum that verifies) or IPv6 without extension headers, ACK set and no flag that ends GRO in
// Linux, some payload, and a TCP checksum that verifies (a super-packet's headers and checksum are
// trusted by the kernel, so a bad one must not hide in it). Any other TCP packet whose ports can
// be read still has a flow, so that no later segment of it overtakes it.
Segment coalescable(ByteView p) noexcept {
    Segment s;
    const std::uint8_t* ip = p.data();
    if (p.size() >= 20 && (ip[0] >> 4) == 4 && ip[9] == 6) {
        s.l4 = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
        if (s.l4 < 20 || p.size() < s.l4 + 4) return s;
    } else if (p.size() >= 44 && (ip[0] >> 4) == 6 && ip[6] == 6) {
        s.v6 = true;
        s.l4 = 40;
    } else {
        return s;
    }
    s.tcp = true;
    if (s.v6 ? get16(ip + 4) + 40u != p.size()
             : ip[0] != 0x45 || get16(ip + 2) != p.size() || (get16(ip + 6) & 0x3fff) != 0 ||
                   ones_complement_sum(ByteView(ip, 20)) != 0xffff)
        return s;
    if (p.size() < s.l4 + 20) return s;
    const std::uint8_t* tcp = ip + s.l4;
    s.headers = s.l4 + static_cast<std::size_t>(tcp[12] >> 4) * 4;
    if (s.headers < s.l4 + 20 || s.headers >= p.size()) return s;   // no payload: nothing to join
    const std::uint8_t flags = tcp[13];
    if (!(flags & kAck) || (flags & (kFin | kSyn | kRst | kUrg | kEce | kCwr))) return s;
    const std::size_t l4_len = p.size() - s.l4;
    if (ones_complement_sum(ByteView(tcp, l4_len), pseudo_sum(ip, s.v6, l4_len)) != 0xffff) return s;
    s.ok = true;
    return s;
}

void flow_of(const std::uint8_t* ip, const Segment& s, std::array<std::uint8_t, 36>& out) noexcept {
    out.fill(0);
    if (s.v6) std::memcpy(out.data(), ip + 8, 32);
    else std::memcpy(out.data(), ip + 12, 8);
    std::memcpy(out.data() + 32, ip + s.l4, 4);
}

}  // namespace

TunCoalescer::TunCoalescer() : frames_(kMaxFrames) {}

bool TunCoalescer::add(ByteView p) {
    if (p.empty() || p.size() > kMaxSuperPacket) return true;   // nothing a TUN device would take: dropped
    const Segment s = coalescable(p);
    std::array<std::uint8_t, 36> flow{};
    if (s.tcp) {
        flow_of(p.data(), s, flow);
        // The newest frame of this flow, and only that one: a packet never overtakes its flow.
        for (std::size_t i = used_; i-- > 0;) {
            Frame& f = frames_[i];
            if (!f.tcp || f.v6 != s.v6 || f.flow != flow) continue;
            if (s.ok && f.l4 == s.l4 && f.headers == s.headers && join(f, p, s.l4, s.headers)) return true;
            break;
        }
    }
    if (used_ == kMaxFrames) return false;
    Frame& f = frames_[used_++];
    if (f.buf.size() < kVnetHeaderSize + kMaxSuperPacket) f.buf.resize(kVnetHeaderSize + kMaxSuperPacket);
    std::memset(f.buf.data(), 0, kVnetHeaderSize);
    std::memcpy(f.buf.data() + kVnetHeaderSize, p.data(), p.size());
    f.size = kVnetHeaderSize + p.size();
    f.count = 1;
    f.tcp = s.tcp;
    f.v6 = s.v6;
    f.flow = flow;
    f.open = false;
    if (!s.ok) return true;
    const std::uint8_t* tcp = p.data() + s.l4;
    f.open = !(tcp[13] & kPsh);
    f.headers = s.headers;
    f.l4 = s.l4;
    f.seg = f.last = p.size() - s.headers;
    f.next_seq = get32(tcp + 4) + static_cast<std::uint32_t>(f.seg);
    return true;
}

bool TunCoalescer::join(Frame& f, ByteView p, std::size_t l4, std::size_t headers) noexcept {
    if (!f.open) return false;
    const std::uint8_t* ip = p.data();
    const std::uint8_t* first = f.buf.data() + kVnetHeaderSize;
    const std::size_t payload = p.size() - headers;
    if (payload > f.seg || f.last != f.seg || f.size - kVnetHeaderSize + payload > kMaxSuperPacket) return false;
    // IP fields that must agree: version/TOS (v4) or traffic class and flow label (v6); DF,
    // TTL/hop limit and protocol. The ID may differ (a sender increments it).
    if (f.v6) {
        if (std::memcmp(ip, first, 4) != 0 || std::memcmp(ip + 6, first + 6, 2) != 0) return false;
    } else {
        if (std::memcmp(ip, first, 2) != 0 || std::memcmp(ip + 6, first + 6, 4) != 0) return false;
    }
    const std::uint8_t* tcp = ip + l4;
    const std::uint8_t* ftcp = first + l4;
    if (get32(tcp + 4) != f.next_seq) return false;
    // ACK number, data offset, flags but PSH, window; then the options (timestamps included).
    if (std::memcmp(tcp + 8, ftcp + 8, 5) != 0 || ((tcp[13] ^ ftcp[13]) & ~kPsh) != 0 ||
        std::memcmp(tcp + 14, ftcp + 14, 2) != 0 || std::memcmp(tcp + 20, ftcp + 20, headers - l4 - 20) != 0)
        return false;
    std::memcpy(f.buf.data() + f.size, ip + headers, payload);
    f.size += payload;
    f.last = payload;
    ++f.count;
    f.next_seq += static_cast<std::uint32_t>(payload);
    if (tcp[13] & kPsh) {   // the sender's "deliver now": it ends the super-packet, as in Linux GRO
        f.buf[kVnetHeaderSize + l4 + 13] |= kPsh;
        f.open = false;
    }
    return true;
}

ByteView TunCoalescer::finish(Frame& f) noexcept {
    if (f.count > 1) {
        std::uint8_t* ip = f.buf.data() + kVnetHeaderSize;
        const std::size_t len = f.size - kVnetHeaderSize;
        if (f.v6) {
            put16(ip + 4, static_cast<std::uint16_t>(len - 40));
        } else {
            put16(ip + 2, static_cast<std::uint16_t>(len));
            put16(ip + 10, 0);
            put16(ip + 10, static_cast<std::uint16_t>(~ones_complement_sum(ByteView(ip, 20))));
        }
        // CHECKSUM_PARTIAL: the pseudo-header sum in the field, the kernel trusts the rest.
        put16(ip + f.l4 + 16, pseudo_sum(ip, f.v6, len - f.l4));
        VnetHeader h;
        h.flags = kVnetNeedsCsum;
        h.gso_type = f.v6 ? kVnetGsoTcpV6 : kVnetGsoTcpV4;
        h.hdr_len = static_cast<std::uint16_t>(f.headers);
        h.gso_size = static_cast<std::uint16_t>(f.seg);
        h.csum_start = static_cast<std::uint16_t>(f.l4);
        h.csum_offset = 16;
        write_vnet_header(h, f.buf.data());
    }
    return ByteView(f.buf.data(), f.size);
}

}  // namespace udpvpn::app
