// SPDX-License-Identifier: GPL-3.0-or-later
// The secret servers behind one load balancer share (docs/rfc-draft.txt, Section 10.5). Two
// independent keys are derived from it, each with its own label:
//   cookie_secret(bucket) = BLAKE2b-256(key = cluster key, "udpvpn cookie secret" || u64(bucket))
//   reset_token(sid)      = BLAKE2b-128(key = cluster key, "udpvpn stateless reset" || u32(sid))
// so a RETRY cookie of one server is valid at the others, and any of them can tell a client that
// its session is gone (stateless reset) without knowing the session.
#pragma once
#include "secret.hpp"

#include <udpvpn/config.hpp>
#include <udpvpn/types.hpp>

namespace udpvpn {

inline constexpr std::size_t kResetTokenSize = 16;
using ResetToken = Secret<kResetTokenSize>;

// The configured cluster key in a type that wipes itself (all zero when none is configured).
Secret32 cluster_secret_of(const ServerEndpointConfig& c) noexcept;
// Wipes the key in a configuration copy we own.
void wipe_cluster_key(ServerEndpointConfig& c) noexcept;

Secret32 cluster_cookie_secret(const Secret32& cluster_key, std::uint64_t bucket) noexcept;
ResetToken stateless_reset_token(const Secret32& cluster_key, SessionId server_sid) noexcept;

}  // namespace udpvpn
