// SPDX-License-Identifier: GPL-3.0-or-later
// Inner IPv4/IPv6 packets for the access-rule tests (headers only as far as the parser reads).
#pragma once
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace udpvpn::test_packets {

using Packet = std::vector<std::uint8_t>;

inline void put16(Packet& p, std::size_t at, unsigned v) {
    p[at] = static_cast<std::uint8_t>(v >> 8);
    p[at + 1] = static_cast<std::uint8_t>(v);
}

// IPv4 a.b.c.d -> e.f.g.h, protocol, with `l4` bytes of transport header/payload after it.
inline Packet v4(std::initializer_list<std::uint8_t> src, std::initializer_list<std::uint8_t> dst, std::uint8_t proto,
                 Packet l4) {
    Packet p(20 + l4.size(), 0);
    std::copy(l4.begin(), l4.end(), p.begin() + 20);
    p[0] = 0x45;
    put16(p, 2, static_cast<unsigned>(20 + l4.size()));
    p[8] = 64;
    p[9] = proto;
    std::copy(src.begin(), src.end(), p.begin() + 12);
    std::copy(dst.begin(), dst.end(), p.begin() + 16);
    return p;
}

// fd77::<src_last> -> fd77::<dst_last>, first next header `next`, then `rest` (extension headers + l4).
inline Packet v6(std::uint8_t src_last, std::uint8_t dst_last, std::uint8_t next, Packet rest) {
    Packet p(40 + rest.size(), 0);
    std::copy(rest.begin(), rest.end(), p.begin() + 40);
    p[0] = 0x60;
    put16(p, 4, static_cast<unsigned>(rest.size()));
    p[6] = next;
    p[7] = 64;
    p[8] = p[24] = 0xfd;
    p[9] = p[25] = 0x77;
    p[23] = src_last;
    p[39] = dst_last;
    return p;
}

// A TCP (20 bytes) or UDP (8) header with these ports; `header` may cut it short.
inline Packet ports(unsigned sport, unsigned dport, std::size_t header = 20) {
    Packet l4(header < 4 ? 4 : header, 0);
    put16(l4, 0, sport);
    put16(l4, 2, dport);
    l4.resize(header);
    return l4;
}

inline Packet echo(std::uint8_t type, unsigned id) {
    Packet l4(8, 0);
    l4[0] = type;
    put16(l4, 4, id);
    return l4;
}

}  // namespace udpvpn::test_packets
