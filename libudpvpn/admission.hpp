// SPDX-License-Identifier: GPL-3.0-or-later
// Admission MAC of INITIAL and PAD (docs/rfc-draft.txt, Section 10.1): BLAKE2b-128 keyed with the
// pre-shared admission key (32 zero bytes when none is configured) over every byte before the MAC.
// Without the key a server answers nothing at all: the port stays dark.
#pragma once
#include <udpvpn/preshared_key.hpp>
#include <udpvpn/types.hpp>

namespace udpvpn {

inline constexpr std::size_t kAdmissionMacSize = 16;   // §1.1: BLAKE2b-128, the last bytes of INITIAL and PAD

// The configured key's 32 bytes (valid while `key` holds it), or 32 zero bytes when there is none.
ByteView admission_key_bytes(const SharedKey& key) noexcept;

// out = BLAKE2b-128(key32, msg). key32 must be 32 bytes.
void admission_mac(ByteView key32, ByteView msg, std::uint8_t out[kAdmissionMacSize]) noexcept;

// Writes the MAC over datagram[0 .. size-16) into its last 16 bytes (datagram.size() > 16).
void admission_seal(ByteView key32, MutableByteView datagram) noexcept;

// true if the last 16 bytes are the MAC of the rest (crypto_verify_16); false if too short.
bool admission_verify(ByteView key32, ByteView datagram) noexcept;

}  // namespace udpvpn
