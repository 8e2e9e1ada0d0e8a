// SPDX-License-Identifier: GPL-3.0-or-later
// CertificateVerify keys (docs/rfc-draft.txt, "CERTIFICATE_VERIFY"): Ed25519 through libsodium,
// ECDSA P-256 with SHA-256 through OpenSSL (DER signatures, as TLS 1.3 sends them).
#pragma once
#include <udpvpn/certificate.hpp>

#include <openssl/evp.h>

#include <memory>

namespace udpvpn {

// Largest DER ECDSA P-256 signature: SEQUENCE { INTEGER r (<= 33), INTEGER s (<= 33) } = 72 bytes.
inline constexpr std::size_t kMaxEcdsaP256SignatureSize = 72;
inline constexpr std::size_t kEd25519SignatureSize = 64;

// The verifying key for a certificate's public key. Does not take ownership of `pub`.
// Error::cert_invalid for any key type other than Ed25519 or EC P-256.
Result<std::shared_ptr<const PeerKey>> make_peer_key(EVP_PKEY* pub) noexcept;

// The signer for a private key. Does not take ownership of `priv`; an Ed25519 key is copied out as a
// libsodium secret key (wiped on destruction). Error::invalid_argument for an unsupported key type.
Result<std::shared_ptr<const Signer>> make_signer(EVP_PKEY* priv) noexcept;

}  // namespace udpvpn
