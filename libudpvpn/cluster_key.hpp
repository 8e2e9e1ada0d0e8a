// SPDX-License-Identifier: GPL-3.0-or-later
// The secret servers behind one load balancer share (docs/rfc-draft.txt, Section 10.5). Two
// independent keys are derived from it, each with its own label:
//   cookie_secret(bucket) = BLAKE2b-256(key = cluster key, "udpvpn cookie secret" || u64(bucket))
//   reset_token(sid)      = BLAKE2b-128(key = cluster key, "udpvpn stateless reset" || u32(sid))
// so a RETRY cookie of one server is valid at the others, and any of them can tell a client that
// its session is gone (stateless reset) without knowing the session.
#pragma once
#include "secret.hpp"

#include <udpvpn/preshared_key.hpp>
#include <udpvpn/types.hpp>

namespace udpvpn {

inline constexpr std::size_t kResetTokenSize = 16;
using ResetToken = Secret<kResetTokenSize>;

Secret32 cluster_cookie_secret(const PresharedKey& cluster_key, std::uint64_t bucket) noexcept;
ResetToken stateless_reset_token(const PresharedKey& cluster_key, SessionId server_sid) noexcept;

}  // namespace udpvpn
