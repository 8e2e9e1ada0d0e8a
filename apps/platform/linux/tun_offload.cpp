// SPDX-License-Identifier: GPL-3.0-or-later
#include "tun_offload.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace udpvpn::app {
namespace {

std::uint16_t get16(const std::uint8_t* p) noexcept { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
void put16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
std::uint32_t get32(const std::uint8_t* p) noexcept {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
void put32(std::uint8_t* p, std::uint32_t v) noexcept {
    put16(p, static_cast<std::uint16_t>(v >> 16));
    put16(p + 2, static_cast<std::uint16_t>(v));
}
std::uint16_t fold(std::uint64_t s) noexcept {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<std::uint16_t>(s);
}

constexpr std::uint8_t kTcp = 6, kUdp = 17;

// The pseudo-header's share of a TCP/UDP checksum (RFC 793, RFC 8200 Section 8.1).
std::uint32_t pseudo_header_sum(const std::uint8_t* ip, bool v6, std::uint8_t proto, std::size_t l4_len) noexcept {
    std::uint32_t s = proto;
    if (v6) {
        s += ones_complement_sum(ByteView(ip + 8, 32));
        s += static_cast<std::uint32_t>(l4_len >> 16) + static_cast<std::uint32_t>(l4_len & 0xffff);
    } else {
        s += ones_complement_sum(ByteView(ip + 12, 8));
        s += static_cast<std::uint32_t>(l4_len);
    }
    return s;
}

// Writes the complete transport checksum of the packet `ip` (of `size` bytes, transport at `l4`).
void fill_l4_checksum(std::uint8_t* ip, std::size_t size, std::size_t l4, bool v6, bool tcp) noexcept {
    std::uint8_t* field = ip + l4 + (tcp ? 16 : 6);
    put16(field, 0);
    const std::size_t l4_len = size - l4;
    const std::uint16_t sum = ones_complement_sum(ByteView(ip + l4, l4_len),
                                                  pseudo_header_sum(ip, v6, tcp ? kTcp : kUdp, l4_len));
    const std::uint16_t c = static_cast<std::uint16_t>(~sum);
    put16(field, (!tcp && c == 0) ? 0xffff : c);   // UDP: 0 means "no checksum"
}

}  // namespace

VnetHeader read_vnet_header(const std::uint8_t* p) noexcept {
    VnetHeader h;
    h.flags = p[0];
    h.gso_type = p[1];
    std::memcpy(&h.hdr_len, p + 2, 2);
    std::memcpy(&h.gso_size, p + 4, 2);
    std::memcpy(&h.csum_start, p + 6, 2);
    std::memcpy(&h.csum_offset, p + 8, 2);
    return h;
}

void write_vnet_header(const VnetHeader& h, std::uint8_t* p) noexcept {
    p[0] = h.flags;
    p[1] = h.gso_type;
    std::memcpy(p + 2, &h.hdr_len, 2);
    std::memcpy(p + 4, &h.gso_size, 2);
    std::memcpy(p + 6, &h.csum_start, 2);
    std::memcpy(p + 8, &h.csum_offset, 2);
}

std::uint16_t ones_complement_sum(ByteView data, std::uint32_t initial) noexcept {
    // Summed in the host's byte order, 8 bytes at a time, and swapped once at the end: the
    // ones'-complement sum is independent of byte order (RFC 1071, Section 2(B)).
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    std::uint64_t acc = 0;
    auto add = [&acc](std::uint64_t w) {
        acc += w;
        if (acc < w) ++acc;   // end-around carry
    };
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        add(w);
    }
    if (n >= 4) {
        std::uint32_t w;
        std::memcpy(&w, p, 4);
        add(w);
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        std::uint16_t w;
        std::memcpy(&w, p, 2);
        add(w);
        p += 2;
        n -= 2;
    }
    if (n == 1) {
        std::uint8_t pad[2] = {p[0], 0};   // an odd last byte is the high byte of a zero-padded word
        std::uint16_t w;
        std::memcpy(&w, pad, 2);
        add(w);
    }
    std::uint16_t s = fold(acc);
    if constexpr (std::endian::native == std::endian::little) s = static_cast<std::uint16_t>(s << 8 | s >> 8);
    return fold(std::uint64_t{s} + initial);
}

bool VnetSplitter::start(MutableByteView frame) noexcept {
    count_ = done_ = 0;
    if (frame.size() < kVnetHeaderSize + 20) return false;
    const VnetHeader h = read_vnet_header(frame.data());
    packet_ = MutableByteView(frame.data() + kVnetHeaderSize, frame.size() - kVnetHeaderSize);
    std::uint8_t* ip = packet_.data();
    const std::size_t len = packet_.size();
    const std::uint8_t version = ip[0] >> 4;
    if (version != 4 && (version != 6 || len < 40)) return false;
    v6_ = version == 6;
    const std::uint8_t gso = h.gso_type & static_cast<std::uint8_t>(~kVnetGsoEcn);

    if (gso == kVnetGsoNone) {
        seg_ = 0;
        if (h.flags & kVnetNeedsCsum) {
            // The kernel left the pseudo-header sum in the field: add the rest and complement it.
            const std::size_t start = h.csum_start, field = start + h.csum_offset;
            if (start >= len || field + 2 > len) return false;
            const std::uint16_t c = static_cast<std::uint16_t>(~ones_complement_sum(ByteView(ip + start, len - start)));
            put16(ip + field, c == 0 ? 0xffff : c);
        }
        count_ = 1;
        return true;
    }

    if (gso == kVnetGsoTcpV4 || gso == kVnetGsoTcpV6) tcp_ = true;
    else if (gso == kVnetGsoUdpL4) tcp_ = false;
    else return false;   // UFO and anything newer: never enabled by us
    if ((gso == kVnetGsoTcpV4 && v6_) || (gso == kVnetGsoTcpV6 && !v6_)) return false;
    const std::uint8_t want = tcp_ ? kTcp : kUdp;
    if (v6_) {
        if (ip[6] != want) return false;   // extension headers: not something the kernel segments for us
        l4_ = 40;
    } else {
        l4_ = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
        if (l4_ < 20 || ip[9] != want) return false;
        if ((get16(ip + 6) & 0x3fff) != 0) return false;   // a fragment cannot be segmented
    }
    if (l4_ + (tcp_ ? 20 : 8) > len) return false;
    headers_ = l4_ + (tcp_ ? static_cast<std::size_t>(ip[l4_ + 12] >> 4) * 4 : 8);
    if (headers_ < l4_ + (tcp_ ? 20 : 8) || headers_ > len) return false;
    seg_ = h.gso_size;
    if (seg_ == 0) return false;
    const std::size_t payload = len - headers_;
    count_ = payload == 0 ? 1 : (payload + seg_ - 1) / seg_;
    return true;
}

std::size_t VnetSplitter::next(MutableByteView out) noexcept {
    if (done_ >= count_) return 0;
    const std::uint8_t* ip = packet_.data();
    if (seg_ == 0) {
        done_ = count_;
        if (out.size() < packet_.size()) return 0;
        std::memcpy(out.data(), ip, packet_.size());
        return packet_.size();
    }
    const std::size_t offset = done_ * seg_;
    const std::size_t chunk = std::min(seg_, packet_.size() - headers_ - offset);
    const std::size_t size = headers_ + chunk;
    if (out.size() < size) {
        done_ = count_;
        return 0;
    }
    std::uint8_t* o = out.data();
    std::memcpy(o, ip, headers_);
    std::memcpy(o + headers_, ip + headers_ + offset, chunk);
    const bool first = done_ == 0, last = done_ + 1 == count_;
    if (v6_) {
        put16(o + 4, static_cast<std::uint16_t>(size - 40));
    } else {
        put16(o + 2, static_cast<std::uint16_t>(size));
        put16(o + 4, static_cast<std::uint16_t>(get16(ip + 4) + done_));   // as the kernel's TSO does
        put16(o + 10, 0);
        put16(o + 10, static_cast<std::uint16_t>(~ones_complement_sum(ByteView(o, l4_))));
    }
    std::uint8_t* l4 = o + l4_;
    if (tcp_) {
        put32(l4 + 4, get32(ip + l4_ + 4) + static_cast<std::uint32_t>(offset));
        if (!last) l4[13] &= static_cast<std::uint8_t>(~0x09);   // FIN and PSH only on the last
        if (!first) l4[13] &= static_cast<std::uint8_t>(~0x80);  // CWR only on the first
    } else {
        put16(l4 + 4, static_cast<std::uint16_t>(8 + chunk));
    }
    fill_l4_checksum(o, size, l4_, v6_, tcp_);
    ++done_;
    return size;
}

}  // namespace udpvpn::app
