// SPDX-License-Identifier: GPL-3.0-or-later
// HKDF-SHA-256 (RFC 5869) over crypto_auth_hmacsha256 and the udpvpn key schedule
// (docs/rfc-draft.txt, "Key schedule"). Every intermediate secret is wiped before returning; a
// secret that feeds several labels is keyed into HMAC once (ExpandKey).
#include "key_schedule.hpp"

#include "fuzzing_seam.hpp"
#include "sodium_init.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace udpvpn {
namespace {

constexpr std::string_view kLabelPrefix = "udpvpn ";          // "Key schedule": Expand-Label
constexpr std::string_view kEarlySalt = "udpvpn v1 early";    // "Key schedule": early secret
constexpr std::size_t kHashLen = crypto_auth_hmacsha256_BYTES;  // 32

ByteView as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Wipes a libsodium HMAC state (it holds key-derived pads).
struct HmacState {
    crypto_auth_hmacsha256_state st;
    ~HmacState() { sodium_memzero(&st, sizeof st); }
};

// libsodium declares its pointers nonnull even with a zero length, and an empty span's data() may
// be null (UBSan reports it: the empty salt of RFC 5869 test case 3, an empty info).
const std::uint8_t kNoBytes[1] = {0};
const std::uint8_t* nonnull(ByteView b) noexcept { return b.empty() ? kNoBytes : b.data(); }

}  // namespace

Secret32 hkdf_extract(ByteView salt, ByteView ikm) noexcept {
    // PRK = HMAC-Hash(salt, IKM); RFC 5869 §2.2 (an empty salt is HashLen zeros: same HMAC result).
    Secret32 prk;
    HmacState h;
    crypto_auth_hmacsha256_init(&h.st, nonnull(salt), salt.size());
    crypto_auth_hmacsha256_update(&h.st, nonnull(ikm), ikm.size());
    crypto_auth_hmacsha256_final(&h.st, prk.data());
    return prk;
}

ExpandKey::ExpandKey(const Secret32& prk) noexcept {
    crypto_auth_hmacsha256_init(&keyed_, prk.data(), prk.size());
}

ExpandKey::~ExpandKey() { sodium_memzero(&keyed_, sizeof keyed_); }

void ExpandKey::expand(ByteView info, MutableByteView out) const noexcept {
    // T(i) = HMAC(PRK, T(i-1) || info || i); RFC 5869 §2.3. More than 255 blocks is a programming error.
    if (out.size() > 255 * kHashLen) std::abort();
    std::uint8_t t[kHashLen];
    std::size_t done = 0;
    for (std::uint8_t i = 1; done < out.size(); ++i) {
        HmacState h;
        h.st = keyed_;   // the pads hashed once, in the constructor
        if (i > 1) crypto_auth_hmacsha256_update(&h.st, t, sizeof t);
        crypto_auth_hmacsha256_update(&h.st, nonnull(info), info.size());
        crypto_auth_hmacsha256_update(&h.st, &i, 1);
        crypto_auth_hmacsha256_final(&h.st, t);
        const std::size_t n = out.size() - done < kHashLen ? out.size() - done : kHashLen;
        std::memcpy(out.data() + done, t, n);
        done += n;
    }
    sodium_memzero(t, sizeof t);
}

void hkdf_expand(const Secret32& prk, ByteView info, MutableByteView out) noexcept {
    ExpandKey(prk).expand(info, out);
}

void expand_label(const ExpandKey& secret, std::string_view label, ByteView context, MutableByteView out) noexcept {
    // info = u16(L) || u8(len("udpvpn "+label)) || "udpvpn "+label || u8(len(ctx)) || ctx.
    // Labels are constants and contexts are hashes or epochs: an oversize one is a programming error.
    const std::size_t full_label = kLabelPrefix.size() + label.size();
    if (full_label > 255 || context.size() > 255 || out.size() > 0xFFFF) std::abort();
    std::uint8_t info[2 + 1 + 255 + 1 + 255];
    std::size_t n = 0;
    info[n++] = static_cast<std::uint8_t>(out.size() >> 8);
    info[n++] = static_cast<std::uint8_t>(out.size());
    info[n++] = static_cast<std::uint8_t>(full_label);
    std::memcpy(info + n, kLabelPrefix.data(), kLabelPrefix.size());
    n += kLabelPrefix.size();
    if (!label.empty()) std::memcpy(info + n, label.data(), label.size());
    n += label.size();
    info[n++] = static_cast<std::uint8_t>(context.size());
    if (!context.empty()) std::memcpy(info + n, context.data(), context.size());
    n += context.size();
    secret.expand({info, n}, out);
    sodium_memzero(info, n);  // the context may be a transcript hash: harmless, but keep the rule simple
}

void expand_label(const Secret32& secret, std::string_view label, ByteView context, MutableByteView out) noexcept {
    expand_label(ExpandKey(secret), label, context, out);
}

Secret32 expand_label32(const ExpandKey& secret, std::string_view label, ByteView context) noexcept {
    Secret32 out;
    expand_label(secret, label, context, out.expose_mut());
    return out;
}

Secret32 expand_label32(const Secret32& secret, std::string_view label, ByteView context) noexcept {
    return expand_label32(ExpandKey(secret), label, context);
}

TrafficKeys TrafficKeys::derive(const Secret32& traffic_secret) noexcept {
    TrafficKeys k;
    const ExpandKey secret(traffic_secret);
    expand_label(secret, "key", {}, k.key.expose_mut());
    expand_label(secret, "iv", {}, k.iv.expose_mut());
    return k;
}

Secret32 derive_early_secret(const Secret32* admission_key) noexcept {
    const Secret32 zero;
    const Secret32& ikm = admission_key ? *admission_key : zero;
    return hkdf_extract(as_bytes(kEarlySalt), ikm.expose());
}

HandshakeSecrets derive_handshake_secrets(const Secret32& early, const Secret32& shared, const Hash32& th1) noexcept {
    HandshakeSecrets s;
    s.hs_secret = hkdf_extract(early.expose(), shared.expose());
    const ExpandKey hs(s.hs_secret);
    s.client_hs = expand_label32(hs, "c hs", th1);
    s.server_hs = expand_label32(hs, "s hs", th1);
    s.client_finished = expand_label32(s.client_hs, "finished", {});
    s.server_finished = expand_label32(s.server_hs, "finished", {});
    return s;
}

DataSecrets derive_data_secrets(const Secret32& hs_secret, const Hash32& th2) noexcept {
    // master = HKDF-Extract(salt = Expand-Label(hs_secret, "derived", "", 32), IKM = 32 zero bytes)
    const Secret32 derived = expand_label32(hs_secret, "derived", {});
    const Secret32 zero;
    const Secret32 master = hkdf_extract(derived.expose(), zero.expose());
    DataSecrets d;
    const ExpandKey m(master);
    d.client_data = expand_label32(m, "c data", th2);
    d.server_data = expand_label32(m, "s data", th2);
    d.rekey = expand_label32(m, "rekey", th2);
    return d;  // derived and master wipe themselves
}

DataSecrets derive_rekey_secrets(const Secret32& rekey_n, const Secret32& shared, std::uint32_t next_epoch) noexcept {
    const Secret32 r = hkdf_extract(rekey_n.expose(), shared.expose());
    const std::uint8_t epoch[4] = {static_cast<std::uint8_t>(next_epoch >> 24), static_cast<std::uint8_t>(next_epoch >> 16),
                                   static_cast<std::uint8_t>(next_epoch >> 8), static_cast<std::uint8_t>(next_epoch)};
    DataSecrets d;
    const ExpandKey rk(r);
    d.client_data = expand_label32(rk, "c data", epoch);
    d.server_data = expand_label32(rk, "s data", epoch);
    d.rekey = expand_label32(rk, "rekey", epoch);
    return d;
}

bool x25519(const Secret32& priv, ByteView peer_pub32, Secret32& shared_out) noexcept {
    ensure_sodium();
    if (peer_pub32.size() != crypto_scalarmult_BYTES) {
        shared_out.wipe();
        return false;
    }
#ifdef UDPVPN_FUZZING_BUILD
    // The fuzzing-build seam (fuzzing_seam.hpp): public key = private key, shared = their XOR.
    for (std::size_t i = 0; i < shared_out.size(); ++i) shared_out.data()[i] = priv.data()[i] ^ peer_pub32[i];
    if (shared_out.is_zero()) {
        shared_out.wipe();
        return false;
    }
    return true;
#else
    // libsodium already fails on an all-zero result; check again so the rule does not depend on it.
    if (crypto_scalarmult(shared_out.data(), priv.data(), peer_pub32.data()) != 0 || shared_out.is_zero()) {
        shared_out.wipe();
        return false;
    }
    return true;
#endif
}

void x25519_public(const Secret32& priv, std::array<std::uint8_t, 32>& pub_out) noexcept {
    ensure_sodium();
#ifdef UDPVPN_FUZZING_BUILD
    std::copy(priv.data(), priv.data() + pub_out.size(), pub_out.begin());   // the seam, see x25519()
#else
    crypto_scalarmult_base(pub_out.data(), priv.data());
#endif
}

}  // namespace udpvpn
