// SPDX-License-Identifier: GPL-3.0-or-later
// CertificateVerify keys (docs/rfc-draft.txt, "CERTIFICATE_VERIFY"): Ed25519 through libsodium,
// ECDSA P-256 with SHA-256 (DER signatures, as TLS 1.3 sends them) and RSA-PSS with SHA-256
// (rsaEncryption keys of 2048..4096 bits, TLS 1.3's rsa_pss_rsae_sha256) through OpenSSL.
#pragma once
#include <udpvpn/certificate.hpp>

#include <openssl/evp.h>

#include <memory>
#include <string>

namespace udpvpn {

// Largest DER ECDSA P-256 signature: SEQUENCE { INTEGER r (<= 33), INTEGER s (<= 33) } = 72 bytes.
inline constexpr std::size_t kMaxEcdsaP256SignatureSize = 72;
inline constexpr std::size_t kEd25519SignatureSize = 64;
// RSA moduli we sign and verify with: below 2048 bits is too weak, above 4096 too slow to verify
// for a server that must check every handshake (and a signature is as long as the modulus).
inline constexpr std::size_t kMinRsaBits = 2048;
inline constexpr std::size_t kMaxRsaBits = 4096;
inline constexpr const char* kSupportedKeysText = "leaf keys must be Ed25519, EC P-256 or RSA of 2048 to 4096 bits";

// The verifying key for a certificate's public key. Does not take ownership of `pub`.
// Error::cert_unsupported_key for any other key (type or RSA size).
Result<std::shared_ptr<const PeerKey>> make_peer_key(EVP_PKEY* pub) noexcept;

// The signer for a private key. Does not take ownership of `priv`; an Ed25519 key is copied out as a
// libsodium secret key (wiped on destruction). Error::cert_unsupported_key for any other key.
Result<std::shared_ptr<const Signer>> make_signer(EVP_PKEY* priv) noexcept;

// "RSA-1024", "EC secp384r1", "Ed448": what a key is, for error messages. May throw bad_alloc.
std::string describe_key(EVP_PKEY* key);
// "unsupported key RSA-1024: leaf keys must be ...". May throw bad_alloc.
std::string unsupported_key_text(EVP_PKEY* key);

}  // namespace udpvpn
