// SPDX-License-Identifier: GPL-3.0-or-later
// CertificateVerify signing and verification keys: Ed25519 via libsodium, ECDSA P-256 and RSA-PSS
// via OpenSSL.
#include "signature_keys.hpp"

#include "fuzzing_seam.hpp"
#include "openssl_util.hpp"
#include "secret.hpp"

#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <new>

namespace udpvpn {
namespace {

// EVP_DigestSign/Verify may be handed an empty message: never pass them a null pointer.
const unsigned char kEmpty[1] = {0};
const unsigned char* data_or_empty(ByteView b) noexcept { return b.empty() ? kEmpty : b.data(); }

// Appends a finished signature; allocation failure is an internal error, never an exception.
Error append_signature(const unsigned char* sig, std::size_t len, Bytes& out) noexcept {
    try {
        out.insert(out.end(), sig, sig + len);
    } catch (...) {
        return Error::internal;
    }
    return Error::ok;
}

bool is_p256(EVP_PKEY* key) noexcept {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1 || len >= sizeof group) return false;
    return std::strcmp(group, SN_X9_62_prime256v1) == 0;
}

// rsaEncryption keys of 2048..4096 bits. RSASSA-PSS-restricted keys (EVP_PKEY_RSA_PSS) are not
// accepted: their parameters could contradict the one PSS profile the scheme fixes.
bool is_supported_rsa(EVP_PKEY* key) noexcept {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return false;
    const int bits = EVP_PKEY_get_bits(key);
    return bits >= static_cast<int>(kMinRsaBits) && bits <= static_cast<int>(kMaxRsaBits);
}

// TLS 1.3 rsa_pss_rsae_sha256: SHA-256, MGF1 with SHA-256, salt length = 32 (the digest length).
// With RSA_PSS_SALTLEN_DIGEST a verifier also refuses any other salt length.
bool set_pss(EVP_PKEY_CTX* pctx) noexcept {
    return pctx != nullptr && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
}

ossl::Ptr<EVP_PKEY> up_ref(EVP_PKEY* key) noexcept {
    if (EVP_PKEY_up_ref(key) != 1) return nullptr;
    return ossl::Ptr<EVP_PKEY>(key);
}

class Ed25519PeerKey final : public PeerKey {
public:
    explicit Ed25519PeerKey(const std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES>& pk) noexcept
        : pk_(pk) {}
    SignatureScheme scheme() const noexcept override { return SignatureScheme::ed25519; }
    Error verify(ByteView message, ByteView signature) const noexcept override {
        if (signature.size() != crypto_sign_BYTES) return Error::bad_signature;
        // libsodium rejects non-canonical S and small-order public keys.
        return crypto_sign_verify_detached(signature.data(), data_or_empty(message), message.size(),
                                           pk_.data()) == 0
                   ? Error::ok
                   : Error::bad_signature;
    }

private:
    std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> pk_;
};

class EcdsaP256PeerKey final : public PeerKey {
public:
    explicit EcdsaP256PeerKey(ossl::Ptr<EVP_PKEY> key) noexcept : key_(std::move(key)) {}
    SignatureScheme scheme() const noexcept override { return SignatureScheme::ecdsa_p256_sha256; }
    Error verify(ByteView message, ByteView signature) const noexcept override {
        if (signature.empty() || signature.size() > kMaxEcdsaP256SignatureSize) return Error::bad_signature;
        ossl::ErrorGuard guard;
        ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
        if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1)
            return Error::bad_signature;
        // OpenSSL re-encodes the parsed (r, s) and rejects non-DER or trailing bytes.
        return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data_or_empty(message),
                                message.size()) == 1
                   ? Error::ok
                   : Error::bad_signature;
    }

private:
    ossl::Ptr<EVP_PKEY> key_;
};

class RsaPssPeerKey final : public PeerKey {
public:
    explicit RsaPssPeerKey(ossl::Ptr<EVP_PKEY> key) noexcept
        : key_(std::move(key)), size_(static_cast<std::size_t>(EVP_PKEY_get_size(key_.get()))) {}
    SignatureScheme scheme() const noexcept override { return SignatureScheme::rsa_pss_rsae_sha256; }
    Error verify(ByteView message, ByteView signature) const noexcept override {
        // An RSA signature is exactly as long as the modulus.
        if (signature.size() != size_) return Error::bad_signature;
        ossl::ErrorGuard guard;
        ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
        EVP_PKEY_CTX* pctx = nullptr;   // owned by ctx
        if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_.get()) != 1 ||
            !set_pss(pctx))
            return Error::bad_signature;
        return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data_or_empty(message),
                                message.size()) == 1
                   ? Error::ok
                   : Error::bad_signature;
    }

private:
    ossl::Ptr<EVP_PKEY> key_;
    std::size_t size_;
};

class Ed25519Signer final : public Signer {
public:
    explicit Ed25519Signer(const Secret<crypto_sign_SECRETKEYBYTES>& sk) noexcept : sk_(sk) {}
    SignatureScheme scheme() const noexcept override { return SignatureScheme::ed25519; }
    std::size_t max_signature_size() const noexcept override { return kEd25519SignatureSize; }
    Error sign(ByteView message, Bytes& signature_out) const noexcept override {
        std::array<std::uint8_t, crypto_sign_BYTES> sig{};
        if (crypto_sign_detached(sig.data(), nullptr, data_or_empty(message), message.size(), sk_.data()) != 0)
            return Error::internal;
        return append_signature(sig.data(), sig.size(), signature_out);
    }

private:
    Secret<crypto_sign_SECRETKEYBYTES> sk_;  // seed || public key, libsodium layout
};

class EcdsaP256Signer final : public Signer {
public:
    explicit EcdsaP256Signer(ossl::Ptr<EVP_PKEY> key) noexcept : key_(std::move(key)) {}
    SignatureScheme scheme() const noexcept override { return SignatureScheme::ecdsa_p256_sha256; }
    std::size_t max_signature_size() const noexcept override { return kMaxEcdsaP256SignatureSize; }
    // The nonce comes from OpenSSL's DRBG (deterministic RFC 6979 nonces need OpenSSL 3.2).
    Error sign(ByteView message, Bytes& signature_out) const noexcept override {
        ossl::ErrorGuard guard;
        ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
        if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1)
            return Error::internal;
        std::array<unsigned char, kMaxEcdsaP256SignatureSize> sig{};
        std::size_t len = sig.size();
        if (EVP_DigestSign(ctx.get(), sig.data(), &len, data_or_empty(message), message.size()) != 1 ||
            len == 0 || len > sig.size())
            return Error::internal;
        return append_signature(sig.data(), len, signature_out);
    }

private:
    ossl::Ptr<EVP_PKEY> key_;
};

class RsaPssSigner final : public Signer {
public:
    explicit RsaPssSigner(ossl::Ptr<EVP_PKEY> key) noexcept
        : key_(std::move(key)), size_(static_cast<std::size_t>(EVP_PKEY_get_size(key_.get()))) {}
    SignatureScheme scheme() const noexcept override { return SignatureScheme::rsa_pss_rsae_sha256; }
    std::size_t max_signature_size() const noexcept override { return size_; }
    // PSS is randomized: the salt comes from OpenSSL's DRBG.
    Error sign(ByteView message, Bytes& signature_out) const noexcept override {
        ossl::ErrorGuard guard;
        ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
        EVP_PKEY_CTX* pctx = nullptr;   // owned by ctx
        if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_.get()) != 1 ||
            !set_pss(pctx))
            return Error::internal;
        std::array<unsigned char, kMaxRsaBits / 8> sig{};
        std::size_t len = sig.size();
        if (EVP_DigestSign(ctx.get(), sig.data(), &len, data_or_empty(message), message.size()) != 1 ||
            len != size_)
            return Error::internal;
        return append_signature(sig.data(), len, signature_out);
    }

private:
    ossl::Ptr<EVP_PKEY> key_;
    std::size_t size_;
};

#ifdef UDPVPN_FUZZING_BUILD
// The fuzzing-build seam (fuzzing_seam.hpp): stand-ins for a real key's signer and verifier, of
// the same scheme and signature length. Never compiled outside sanitizer fuzz builds.
std::size_t stand_in_size(SignatureScheme scheme, EVP_PKEY* key) noexcept {
    if (scheme == SignatureScheme::rsa_pss_rsae_sha256) return static_cast<std::size_t>(EVP_PKEY_get_size(key));
    return kEd25519SignatureSize;   // Ed25519, and a 64-byte "DER" for ECDSA
}

class StandInPeerKey final : public PeerKey {
public:
    StandInPeerKey(SignatureScheme scheme, std::size_t size) noexcept : scheme_(scheme), size_(size) {}
    SignatureScheme scheme() const noexcept override { return scheme_; }
    Error verify(ByteView, ByteView signature) const noexcept override {
        const bool length_ok = scheme_ == SignatureScheme::ecdsa_p256_sha256
                                   ? signature.size() >= fuzzing::kStandInSignature.size() &&
                                         signature.size() <= kMaxEcdsaP256SignatureSize
                                   : signature.size() == size_;
        // memcmp, so that libFuzzer's comparison hooks teach the fuzzer the expected bytes.
        if (!length_ok || std::memcmp(signature.data(), fuzzing::kStandInSignature.data(),
                                      fuzzing::kStandInSignature.size()) != 0)
            return Error::bad_signature;
        return Error::ok;
    }

private:
    SignatureScheme scheme_;
    std::size_t size_;
};

class StandInSigner final : public Signer {
public:
    StandInSigner(SignatureScheme scheme, std::size_t size) noexcept : scheme_(scheme), size_(size) {}
    SignatureScheme scheme() const noexcept override { return scheme_; }
    std::size_t max_signature_size() const noexcept override { return size_; }
    Error sign(ByteView, Bytes& signature_out) const noexcept override {
        std::array<std::uint8_t, kMaxRsaBits / 8> sig{};
        std::memcpy(sig.data(), fuzzing::kStandInSignature.data(), fuzzing::kStandInSignature.size());
        return append_signature(sig.data(), size_, signature_out);
    }

private:
    SignatureScheme scheme_;
    std::size_t size_;
};
#endif

}  // namespace

std::string describe_key(EVP_PKEY* key) {
    if (key == nullptr) return "no key";
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_ED448: return "Ed448";
    case EVP_PKEY_RSA: return "RSA-" + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_RSA_PSS: return "RSASSA-PSS (id-RSASSA-PSS) " + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_DSA: return "DSA-" + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_EC: {
        char group[64] = {};
        std::size_t len = 0;
        if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1 && len < sizeof group)
            return std::string("EC ") + group;
        return "EC (unknown curve)";
    }
    default: {
        const char* name = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
        return name ? name : "unknown key type";
    }
    }
}

std::string unsupported_key_text(EVP_PKEY* key) {
    return "unsupported key " + describe_key(key) + ": " + kSupportedKeysText;
}

namespace {

Result<std::shared_ptr<const PeerKey>> make_real_peer_key(EVP_PKEY* pub) noexcept {
    if (pub == nullptr) return {{}, Error::cert_invalid};
    ossl::ErrorGuard guard;
    try {
        if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_ED25519) {
            std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
            std::size_t len = pk.size();
            if (EVP_PKEY_get_raw_public_key(pub, pk.data(), &len) != 1 || len != pk.size())
                return {{}, Error::cert_invalid};
            return {std::make_shared<const Ed25519PeerKey>(pk), Error::ok};
        }
        if (is_p256(pub)) {
            auto key = up_ref(pub);
            if (!key) return {{}, Error::internal};
            return {std::make_shared<const EcdsaP256PeerKey>(std::move(key)), Error::ok};
        }
        if (is_supported_rsa(pub)) {
            auto key = up_ref(pub);
            if (!key) return {{}, Error::internal};
            return {std::make_shared<const RsaPssPeerKey>(std::move(key)), Error::ok};
        }
    } catch (...) {
        return {{}, Error::internal};
    }
    return {{}, Error::cert_unsupported_key};
}

Result<std::shared_ptr<const Signer>> make_real_signer(EVP_PKEY* priv) noexcept {
    if (priv == nullptr) return {{}, Error::invalid_argument};
    ossl::ErrorGuard guard;
    try {
        if (EVP_PKEY_get_base_id(priv) == EVP_PKEY_ED25519) {
            Secret<crypto_sign_SEEDBYTES> seed;
            std::size_t len = seed.size();
            if (EVP_PKEY_get_raw_private_key(priv, seed.data(), &len) != 1 || len != seed.size())
                return {{}, Error::invalid_argument};
            Secret<crypto_sign_SECRETKEYBYTES> sk;
            std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
            if (crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data()) != 0) return {{}, Error::internal};
            // The derived public key must be the one OpenSSL holds for this private key.
            std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> ossl_pk{};
            std::size_t pk_len = ossl_pk.size();
            if (EVP_PKEY_get_raw_public_key(priv, ossl_pk.data(), &pk_len) != 1 || pk_len != ossl_pk.size() ||
                !ct_equal(pk, ossl_pk))
                return {{}, Error::invalid_argument};
            return {std::make_shared<const Ed25519Signer>(sk), Error::ok};
        }
        if (is_p256(priv)) {
            auto key = up_ref(priv);
            if (!key) return {{}, Error::internal};
            return {std::make_shared<const EcdsaP256Signer>(std::move(key)), Error::ok};
        }
        if (is_supported_rsa(priv)) {
            auto key = up_ref(priv);
            if (!key) return {{}, Error::internal};
            return {std::make_shared<const RsaPssSigner>(std::move(key)), Error::ok};
        }
    } catch (...) {
        return {{}, Error::internal};
    }
    return {{}, Error::cert_unsupported_key};
}

}  // namespace

Result<std::shared_ptr<const PeerKey>> make_peer_key(EVP_PKEY* pub) noexcept {
    auto key = make_real_peer_key(pub);
#ifdef UDPVPN_FUZZING_BUILD
    if (key) {
        try {
            const SignatureScheme scheme = key.value->scheme();
            return {std::make_shared<const StandInPeerKey>(scheme, stand_in_size(scheme, pub)), Error::ok};
        } catch (...) {
            return {{}, Error::internal};
        }
    }
#endif
    return key;
}

Result<std::shared_ptr<const Signer>> make_signer(EVP_PKEY* priv) noexcept {
    auto signer = make_real_signer(priv);
#ifdef UDPVPN_FUZZING_BUILD
    if (signer) {
        try {
            const SignatureScheme scheme = signer.value->scheme();
            return {std::make_shared<const StandInSigner>(scheme, stand_in_size(scheme, priv)), Error::ok};
        } catch (...) {
            return {{}, Error::internal};
        }
    }
#endif
    return signer;
}

}  // namespace udpvpn
