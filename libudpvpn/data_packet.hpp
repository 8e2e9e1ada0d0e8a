// SPDX-License-Identifier: GPL-3.0-or-later
// DATA packets (docs/rfc-draft.txt, "DATA"): header, sealing and opening in place. No allocation.
//   type (1) = 0x10 | key_phase << 3 | payload_type | dst_sid (4) | counter (8) | ciphertext | tag (16)
#pragma once
#include "aead.hpp"

#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

namespace udpvpn {

inline constexpr std::uint8_t kDataTypeBase = 0x10;
static_assert(kDataHeaderSize + kAeadTagSize == kDataOverhead, "<udpvpn/types.hpp> owns the DATA sizes");

enum class PayloadType : std::uint8_t { ipv4 = 0, ipv6 = 1, ppp = 2, control = 3, keepalive = 4 };

struct DataHeader {
    std::uint8_t key_phase = 0;   // 0 or 1
    PayloadType payload = PayloadType::ipv4;
    SessionId dst_sid = 0;
    std::uint64_t counter = 0;
};

inline bool is_data_type(std::uint8_t first_byte) noexcept { return (first_byte & 0xF0) == kDataTypeBase; }

// Parses the cleartext header; malformed if shorter than header + tag (29 bytes), if the first byte is
// not 0x10..0x1F, or if the payload type is reserved (5..7).
Result<DataHeader> parse_data_header(ByteView datagram) noexcept;

// Writes header || E(plaintext) || tag into out. out.size() >= plaintext.size() + 29, else
// buffer_too_small; invalid_argument if key_phase > 1 or the payload type is reserved.
// plaintext may alias out.subspan(13) (in-place sealing). Returns bytes written.
Result<std::size_t> seal_data(const AeadKey& key, const DataHeader& h, ByteView plaintext, MutableByteView out) noexcept;

// Opens `datagram` in place; on success returns the plaintext as a view into datagram.
// malformed if shorter than 29 bytes; bad_tag if the tag does not verify (the header bytes of `datagram`
// are the AAD and h.counter builds the nonce, so an `h` that disagrees with them fails too).
// Does not check replay: the caller checks before and commits only after success.
Result<ByteView> open_data(const AeadKey& key, const DataHeader& h, MutableByteView datagram) noexcept;

}  // namespace udpvpn
