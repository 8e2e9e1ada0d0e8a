// SPDX-License-Identifier: GPL-3.0-or-later
// Bodies of PING/PONG, DISCONNECT and REKEY control messages (docs/rfc-draft.txt, "Control channel").
#include "control_messages.hpp"

#include "bytes_io.hpp"
#include "reach_probe.hpp"

namespace udpvpn {

#ifdef UDPVPN_REACH_PROBES
std::uint64_t reach::rekey_encoded = 0;
std::uint64_t reach::rekey_decoded = 0;
#endif

Bytes encode_ping_token(std::uint64_t token) {
    Bytes out(kPingBodySize);
    Writer w(out);
    w.u64(token);
    return out;
}

Result<std::uint64_t> decode_ping_token(ByteView body) noexcept {
    if (body.size() != kPingBodySize) return {0, Error::malformed};
    Reader r(body);
    return {r.u64(), Error::ok};
}

Result<Bytes> encode_disconnect(const Disconnect& d) {
    if (d.text.size() > kMaxDisconnectText || !is_valid_utf8(d.text)) return {{}, Error::invalid_argument};
    Bytes out(4 + d.text.size());
    Writer w(out);
    w.u16(d.code);
    w.u16(static_cast<std::uint16_t>(d.text.size()));
    w.bytes({reinterpret_cast<const std::uint8_t*>(d.text.data()), d.text.size()});
    return {std::move(out), Error::ok};
}

Result<Disconnect> decode_disconnect(ByteView body) {
    Reader r(body);
    Disconnect d;
    d.code = r.u16();
    const std::uint16_t len = r.u16();
    if (!r.ok() || len > kMaxDisconnectText) return {{}, Error::malformed};
    const ByteView text = r.bytes(len);
    if (!r.at_end()) return {{}, Error::malformed};
    d.text.assign(reinterpret_cast<const char*>(text.data()), text.size());
    if (!is_valid_utf8(d.text)) return {{}, Error::malformed};
    return {std::move(d), Error::ok};
}

Bytes encode_rekey(const RekeyMessage& m) {
    UDPVPN_REACHED(rekey_encoded);
    Bytes out(kRekeyBodySize);
    Writer w(out);
    w.u32(m.epoch);
    w.bytes(m.eph_pub);
    return out;
}

Result<RekeyMessage> decode_rekey(ByteView body) noexcept {
    UDPVPN_REACHED(rekey_decoded);
    if (body.size() != kRekeyBodySize) return {{}, Error::malformed};
    Reader r(body);
    RekeyMessage m;
    m.epoch = r.u32();
    const ByteView pub = r.bytes(32);
    for (std::size_t i = 0; i < 32; ++i) m.eph_pub[i] = pub[i];
    return {m, Error::ok};
}

bool is_valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<std::uint8_t>(s[i]);
        std::size_t n;
        std::uint32_t cp;
        std::uint32_t min;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (n >= s.size() - i) return false;   // needs n continuation bytes after the lead byte
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<std::uint8_t>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}

}  // namespace udpvpn
