// SPDX-License-Identifier: GPL-3.0-or-later
// HKDF-SHA-256 (RFC 5869) and the udpvpn key schedule (docs/rfc-draft.txt, "Key schedule").
#pragma once
#include "secret.hpp"

#include <udpvpn/types.hpp>

#include <sodium.h>

#include <array>

namespace udpvpn {

using Hash32 = std::array<std::uint8_t, 32>;   // a SHA-256 transcript hash (not secret)

Secret32 hkdf_extract(ByteView salt, ByteView ikm) noexcept;

// A PRK made ready for HKDF-Expand: HMAC-SHA-256 keyed once (its inner and outer pads hashed, two
// SHA-256 compressions), the state copied for every output block of every expansion. A secret
// that feeds several labels is keyed once instead of once per label. Wipes its state when destroyed;
// `prk` itself is not kept.
class ExpandKey {
public:
    explicit ExpandKey(const Secret32& prk) noexcept;
    ~ExpandKey();
    ExpandKey(const ExpandKey&) = delete;
    ExpandKey& operator=(const ExpandKey&) = delete;
    // HKDF-Expand(prk, info, out.size()); out.size() <= 255 * 32, more aborts (a programming error).
    void expand(ByteView info, MutableByteView out) const noexcept;

private:
    crypto_auth_hmacsha256_state keyed_;
};

// out.size() <= 255 * 32.
void hkdf_expand(const Secret32& prk, ByteView info, MutableByteView out) noexcept;
// HKDF-Expand(secret, u16(L) || u8(len("udpvpn "+label)) || "udpvpn "+label || u8(len(ctx)) || ctx, L)
// Labels are constants and contexts at most 255 bytes: anything longer aborts (a programming error).
void expand_label(const ExpandKey& secret, std::string_view label, ByteView context, MutableByteView out) noexcept;
void expand_label(const Secret32& secret, std::string_view label, ByteView context, MutableByteView out) noexcept;
Secret32 expand_label32(const ExpandKey& secret, std::string_view label, ByteView context) noexcept;
Secret32 expand_label32(const Secret32& secret, std::string_view label, ByteView context) noexcept;

// Key and IV of one direction, derived from a traffic secret with labels "key" and "iv".
struct TrafficKeys {
    Secret32 key;
    Secret<12> iv;
    static TrafficKeys derive(const Secret32& traffic_secret) noexcept;
};

// early = HKDF-Extract("udpvpn v1 early", admission key or 32 zero bytes)
Secret32 derive_early_secret(const Secret32* admission_key) noexcept;

struct HandshakeSecrets {
    Secret32 hs_secret;
    Secret32 client_hs, server_hs;            // traffic secrets ("c hs", "s hs") over th1
    Secret32 client_finished, server_finished; // "finished" keys
};
// shared = X25519 result (caller rejects all-zero), th1 = transcript hash after SERVER_HELLO.
HandshakeSecrets derive_handshake_secrets(const Secret32& early, const Secret32& shared, const Hash32& th1) noexcept;

struct DataSecrets {
    Secret32 client_data, server_data, rekey;  // epoch 0 from the master secret, later from rekeys
};
// th2 = transcript hash after the server's FINISHED.
DataSecrets derive_data_secrets(const Secret32& hs_secret, const Hash32& th2) noexcept;
// Epoch n -> n+1: r = HKDF-Extract(rekey_n, X25519 of the rekey ephemerals); labels use u32(n+1).
DataSecrets derive_rekey_secrets(const Secret32& rekey_n, const Secret32& shared, std::uint32_t next_epoch) noexcept;

// X25519 with libsodium; false if the result is all zero (small-order point) — abort then.
bool x25519(const Secret32& priv, ByteView peer_pub32, Secret32& shared_out) noexcept;
void x25519_public(const Secret32& priv, std::array<std::uint8_t, 32>& pub_out) noexcept;

}  // namespace udpvpn
