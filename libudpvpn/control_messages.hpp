// SPDX-License-Identifier: GPL-3.0-or-later
// Reliable control message types and the bodies of the small ones (docs/rfc-draft.txt,
// "Control channel"). CONFIG bodies are in <udpvpn/config_push.hpp>. The ControlChannel carries
// (msg_type, body) pairs; these helpers turn bodies into values and back, rejecting anything whose
// length is not exactly right.
#pragma once
#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace udpvpn {

// msg_type values of MSG frames (docs/rfc-draft.txt, "Control channel").
namespace ctrl_msg {
inline constexpr std::uint8_t config = 0x01;       // TLVs, see encode_config_push
inline constexpr std::uint8_t ping = 0x02;         // token (8)
inline constexpr std::uint8_t pong = 0x03;         // token (8), echoes the PING
inline constexpr std::uint8_t disconnect = 0x04;   // code (2) | text_len (2) | text
inline constexpr std::uint8_t rekey_init = 0x05;   // new epoch (4) | eph_pub (32)
inline constexpr std::uint8_t rekey_resp = 0x06;   // new epoch (4) | eph_pub (32)
}  // namespace ctrl_msg

inline constexpr std::size_t kPingBodySize = 8;
inline constexpr std::size_t kRekeyBodySize = 36;
inline constexpr std::size_t kMaxDisconnectText = 200;   // bytes of UTF-8

// PING / PONG: an opaque 8-byte token.
Bytes encode_ping_token(std::uint64_t token);
Result<std::uint64_t> decode_ping_token(ByteView body) noexcept;   // malformed unless exactly 8 bytes

// DISCONNECT: close reason code (docs/rfc-draft.txt, "Close reasons") and a human-readable text.
struct Disconnect {
    std::uint16_t code = 0;
    std::string text;   // valid UTF-8, at most kMaxDisconnectText bytes
};
// invalid_argument if the text is longer than 200 bytes or not valid UTF-8.
Result<Bytes> encode_disconnect(const Disconnect& d);
// malformed if truncated, trailing bytes, text longer than 200 bytes or not valid UTF-8.
Result<Disconnect> decode_disconnect(ByteView body);

// REKEY_INIT / REKEY_RESP (docs/rfc-draft.txt, "Rekey"). The ephemeral public key is not secret.
struct RekeyMessage {
    std::uint32_t epoch = 0;                   // the new epoch n+1
    std::array<std::uint8_t, 32> eph_pub{};    // X25519 public key
};
Bytes encode_rekey(const RekeyMessage& m);
Result<RekeyMessage> decode_rekey(ByteView body) noexcept;   // malformed unless exactly 36 bytes

// Strict UTF-8 check (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace udpvpn
