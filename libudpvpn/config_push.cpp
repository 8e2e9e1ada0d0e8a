// SPDX-License-Identifier: GPL-3.0-or-later
// CONFIG message body (docs/rfc-draft.txt, "Control channel", CONFIG): a sequence of TLVs
//   type (1) | len (2) | value (len bytes)
// Known types have fixed value sizes; any other size is malformed. Unknown types are skipped so a
// newer server can add fields. Singletons (address, MTU) may appear at most once.
#include <udpvpn/config_push.hpp>

#include "bytes_io.hpp"

namespace udpvpn {
namespace {

// CONFIG TLV types (docs/rfc-draft.txt, "Control channel", CONFIG).
constexpr std::uint8_t kTlvIpv4Addr = 0x01;    // addr (4) | prefix (1)
constexpr std::uint8_t kTlvIpv6Addr = 0x02;    // addr (16) | prefix (1)
constexpr std::uint8_t kTlvIpv4Route = 0x03;   // addr (4) | prefix (1)
constexpr std::uint8_t kTlvIpv6Route = 0x04;   // addr (16) | prefix (1)
constexpr std::uint8_t kTlvDns4 = 0x05;        // addr (4)
constexpr std::uint8_t kTlvDns6 = 0x06;        // addr (16)
constexpr std::uint8_t kTlvMtu = 0x07;         // u16

// A CONFIG body travels in one control message, whose body is at most 1100 bytes.
constexpr std::size_t kMaxConfigBody = 1100;
// Smallest MTU an IPv4 host must accept (RFC 791) and the IPv6 minimum (RFC 8200): an interface
// below 1280 silently loses IPv6, so a config carrying an IPv6 address must allow it.
constexpr std::uint16_t kMinMtu = 576;
constexpr std::uint16_t kMinMtuIpv6 = 1280;

void put_tlv(Bytes& out, std::uint8_t type, ByteView value) {
    out.push_back(type);
    out.push_back(static_cast<std::uint8_t>(value.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(value.size()));
    out.insert(out.end(), value.begin(), value.end());
}

template <std::size_t N>
void put_prefix(Bytes& out, std::uint8_t type, const std::array<std::uint8_t, N>& addr, std::uint8_t prefix) {
    std::array<std::uint8_t, N + 1> v{};
    for (std::size_t i = 0; i < N; ++i) v[i] = addr[i];
    v[N] = prefix;
    put_tlv(out, type, v);
}

template <std::size_t N>
std::array<std::uint8_t, N> to_array(ByteView v) noexcept {
    std::array<std::uint8_t, N> a{};
    for (std::size_t i = 0; i < N; ++i) a[i] = v[i];
    return a;
}

// Parses addr (N) | prefix (1) with prefix <= 8 * N.
template <typename P, std::size_t N>
bool get_prefix(ByteView v, P& out) noexcept {
    if (v.size() != N + 1 || v[N] > 8 * N) return false;
    out.addr = to_array<N>(v.first(N));
    out.prefix = v[N];
    return true;
}

}  // namespace

Bytes encode_config_push(const ConfigPush& c) {
    Bytes out;
    if (c.ipv4) put_prefix(out, kTlvIpv4Addr, c.ipv4->addr, c.ipv4->prefix);
    if (c.ipv6) put_prefix(out, kTlvIpv6Addr, c.ipv6->addr, c.ipv6->prefix);
    for (const auto& r : c.routes4) put_prefix(out, kTlvIpv4Route, r.addr, r.prefix);
    for (const auto& r : c.routes6) put_prefix(out, kTlvIpv6Route, r.addr, r.prefix);
    for (const auto& d : c.dns4) put_tlv(out, kTlvDns4, d);
    for (const auto& d : c.dns6) put_tlv(out, kTlvDns6, d);
    if (c.mtu) {
        const std::array<std::uint8_t, 2> m{static_cast<std::uint8_t>(*c.mtu >> 8), static_cast<std::uint8_t>(*c.mtu)};
        put_tlv(out, kTlvMtu, m);
    }
    return out;
}

Result<ConfigPush> decode_config_push(ByteView body) {
    // On failure nothing partially decoded leaks out.
    const Result<ConfigPush> bad{ConfigPush{}, Error::malformed};
    if (body.size() > kMaxConfigBody) return bad;
    Result<ConfigPush> r;
    ConfigPush& c = r.value;
    Reader rd(body);
    while (rd.ok() && !rd.at_end()) {
        const std::uint8_t type = rd.u8();
        const std::uint16_t len = rd.u16();
        const ByteView v = rd.bytes(len);
        if (!rd.ok()) return bad;   // truncated header or value
        bool ok = true;
        switch (type) {
        case kTlvIpv4Addr:
            ok = !c.ipv4 && get_prefix<Ipv4Prefix, 4>(v, c.ipv4.emplace());
            break;
        case kTlvIpv6Addr:
            ok = !c.ipv6 && get_prefix<Ipv6Prefix, 16>(v, c.ipv6.emplace());
            break;
        case kTlvIpv4Route:
            ok = get_prefix<Ipv4Prefix, 4>(v, c.routes4.emplace_back());
            break;
        case kTlvIpv6Route:
            ok = get_prefix<Ipv6Prefix, 16>(v, c.routes6.emplace_back());
            break;
        case kTlvDns4:
            ok = v.size() == 4;
            if (ok) c.dns4.push_back(to_array<4>(v));
            break;
        case kTlvDns6:
            ok = v.size() == 16;
            if (ok) c.dns6.push_back(to_array<16>(v));
            break;
        case kTlvMtu:
            ok = !c.mtu && v.size() == 2;
            if (ok) c.mtu = static_cast<std::uint16_t>((v[0] << 8) | v[1]);
            ok = ok && *c.mtu >= kMinMtu;
            break;
        default:
            break;   // unknown TLV: skipped (forward compatibility)
        }
        if (!ok) return bad;
    }
    if (!rd.ok()) return bad;
    if (c.ipv6 && c.mtu && *c.mtu < kMinMtuIpv6) return bad;
    return r;
}

}  // namespace udpvpn
