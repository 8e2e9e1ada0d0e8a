// SPDX-License-Identifier: GPL-3.0-or-later
// STATELESS_RESET (docs/rfc-draft.txt, Section 10.5): a server that receives DATA for a session it
// does not know answers with a datagram shaped like a small DATA packet whose last 16 bytes are the
// session's reset token (cluster_key.hpp). Only the client, which got the token encrypted in the
// handshake, recognises it; it then starts a new handshake at once instead of waiting for its
// dead-peer timeout.
//   size = min(trigger size - 1, 29): always smaller than the packet that caused it
//   byte 0 = 0x14 or 0x1C (a KEEPALIVE's type, key phase at random), then random bytes, then the token
#pragma once
#include "cluster_key.hpp"

#include <udpvpn/rng.hpp>
#include <udpvpn/types.hpp>

namespace udpvpn {

inline constexpr std::size_t kMaxResetSize = 29;   // a KEEPALIVE's size
inline constexpr std::size_t kMinResetSize = 21;   // type, 4 random bytes, token

// Writes the reset answering a trigger of `trigger_size` bytes into `out` (at least kMaxResetSize
// bytes); returns its size, 0 when the trigger is too small for a smaller reset to exist.
std::size_t write_stateless_reset(const ResetToken& token, std::size_t trigger_size, Rng& rng,
                                  MutableByteView out) noexcept;

// true if `datagram` is a reset carrying `token`: kMinResetSize..kMaxResetSize bytes, a DATA type
// byte, and the last 16 bytes equal to the token (constant-time comparison).
bool is_stateless_reset(ByteView datagram, const ResetToken& token) noexcept;

// How many resets a server sends: `rate` per second, bursts of as many (0 = none at all).
class ResetRateLimit {
public:
    explicit ResetRateLimit(std::uint32_t rate) noexcept : rate_(rate), tokens_(rate) {}
    bool take(TimeNs now) noexcept;

private:
    std::uint32_t rate_;
    std::uint64_t tokens_;   // whole tokens
    TimeNs last_ = 0;
    bool started_ = false;
};

}  // namespace udpvpn
