// SPDX-License-Identifier: GPL-3.0-or-later
// DATA packets (docs/rfc-draft.txt, "DATA"): 13-byte cleartext header used as AAD, then
// ciphertext || tag. Sealing and opening work in place in the caller's buffer.
#include "data_packet.hpp"

#include "bytes_io.hpp"

#include <cstring>

namespace udpvpn {
namespace {
constexpr std::uint8_t kPayloadMask = 0x07;   // type bits 2..0
constexpr std::uint8_t kKeyPhaseBit = 0x08;   // type bit 3
constexpr std::uint8_t kMaxPayload = static_cast<std::uint8_t>(PayloadType::keepalive);   // 5..7 reserved
}  // namespace

Result<DataHeader> parse_data_header(ByteView datagram) noexcept {
    Result<DataHeader> r;
    // Shorter than header + tag cannot authenticate: reject before looking further.
    if (datagram.size() < kDataHeaderSize + kAeadTagSize) return {{}, Error::malformed};
    Reader rd(datagram);
    const std::uint8_t type = rd.u8();
    r.value.dst_sid = rd.u32();
    r.value.counter = rd.u64();
    if (!rd.ok() || !is_data_type(type)) return {{}, Error::malformed};
    const std::uint8_t payload = type & kPayloadMask;
    if (payload > kMaxPayload) return {{}, Error::malformed};
    r.value.key_phase = (type & kKeyPhaseBit) ? 1 : 0;
    r.value.payload = static_cast<PayloadType>(payload);
    return r;
}

Result<std::size_t> seal_data(const AeadKey& key, const DataHeader& h, ByteView plaintext, MutableByteView out) noexcept {
    const auto payload = static_cast<std::uint8_t>(h.payload);
    if (h.key_phase > 1 || payload > kMaxPayload) return {0, Error::invalid_argument};
    if (out.size() < kDataHeaderSize + kAeadTagSize ||
        out.size() - kDataHeaderSize - kAeadTagSize < plaintext.size())
        return {0, Error::buffer_too_small};
    // Move the plaintext first: it may overlap the header bytes only if the caller misplaced it,
    // and memmove handles any overlap (a no-op when it already sits at out + 13).
    std::uint8_t* body = out.data() + kDataHeaderSize;
    if (!plaintext.empty() && plaintext.data() != body) std::memmove(body, plaintext.data(), plaintext.size());
    Writer w(out.first(kDataHeaderSize));
    w.u8(static_cast<std::uint8_t>(kDataTypeBase | (h.key_phase << 3) | payload));
    w.u32(h.dst_sid);
    w.u64(h.counter);
    key.seal(h.counter, out.first(kDataHeaderSize), {body, plaintext.size()}, body + plaintext.size());
    return {kDataHeaderSize + plaintext.size() + kAeadTagSize, Error::ok};
}

Result<ByteView> open_data(const AeadKey& key, const DataHeader& h, MutableByteView datagram) noexcept {
    if (datagram.size() < kDataHeaderSize + kAeadTagSize) return {{}, Error::malformed};
    const std::size_t body_len = datagram.size() - kDataHeaderSize - kAeadTagSize;
    MutableByteView body = datagram.subspan(kDataHeaderSize, body_len);
    // The header bytes themselves are the AAD, so a header `h` that disagrees with them fails the tag.
    const Error e = key.open(h.counter, datagram.first(kDataHeaderSize), body, datagram.data() + kDataHeaderSize + body_len);
    if (e != Error::ok) return {{}, e};
    return {ByteView(body.data(), body.size()), Error::ok};
}

}  // namespace udpvpn
