// SPDX-License-Identifier: GPL-3.0-or-later
// X.509 identities and the certificate verifier (OpenSSL 3 behind this interface only).
#pragma once
#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace udpvpn {

// Signature schemes for CertificateVerify (docs/rfc-draft.txt): TLS code points.
enum class SignatureScheme : std::uint16_t { ed25519 = 0x0807, ecdsa_p256_sha256 = 0x0403 };

// The public key of a verified leaf certificate; verifies CertificateVerify signatures.
class PeerKey {
public:
    virtual ~PeerKey() = default;
    virtual SignatureScheme scheme() const noexcept = 0;
    // Error::ok, or Error::bad_signature.
    virtual Error verify(ByteView message, ByteView signature) const noexcept = 0;
};

// What the handshake learns about a peer whose chain verified.
struct PeerIdentity {
    std::string common_name;              // subject CN of the leaf ("" if none)
    std::vector<std::string> dns_names;   // subjectAltName dNSName entries
    std::string fingerprint_sha256;       // hex of SHA-256 over the leaf DER
    std::int64_t not_after_unix = 0;
    std::shared_ptr<const PeerKey> key;
};

// Checks a peer's chain for a role. Injected into endpoints, so tests control time and policy.
class CertificateVerifier {
public:
    virtual ~CertificateVerifier() = default;
    // chain: DER certificates, leaf first (intermediates follow, the root may be omitted).
    // role: what the peer claims to be (EKU serverAuth for Role::server, clientAuth for Role::client).
    // expected_name: for servers, the name the client was told to expect ("" = no name check).
    // Returns the identity, or one of the cert_* / crl_expired errors naming the reason.
    virtual Result<PeerIdentity> verify(std::span<const Bytes> chain, Role role,
                                        std::string_view expected_name) const = 0;
};

struct VerifierPolicy {
    bool require_crl = false;             // every CA in the chain must have a CRL loaded
    bool reject_expired_crl = true;       // a CRL past nextUpdate fails with crl_expired
};

// The OpenSSL implementation. `wall_clock` returns Unix seconds (the verifier never reads a clock
// itself: the application passes one that does, tests pass a fixed one).
class X509Verifier final : public CertificateVerifier {
public:
    // ca_pem: one or more PEM CA certificates (trust anchors). crl_pem: zero or more PEM CRLs.
    static Result<std::shared_ptr<X509Verifier>> create(std::string_view ca_pem, std::string_view crl_pem,
                                                        VerifierPolicy policy,
                                                        std::function<std::int64_t()> wall_clock);
    ~X509Verifier() override;
    Result<PeerIdentity> verify(std::span<const Bytes> chain, Role role,
                                std::string_view expected_name) const override;

    struct Impl;
private:
    explicit X509Verifier(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Our own private key: signs CertificateVerify.
class Signer {
public:
    virtual ~Signer() = default;
    virtual SignatureScheme scheme() const noexcept = 0;
    // Appends nothing on failure. Error::ok or Error::internal.
    virtual Error sign(ByteView message, Bytes& signature_out) const noexcept = 0;
};

// Our certificate chain (DER, leaf first) and the matching key.
struct Identity {
    std::vector<Bytes> chain;
    std::shared_ptr<const Signer> signer;
};

// Loads a PEM chain (leaf first) and a PEM private key (PKCS#8 Ed25519 or EC P-256). Fails with
// invalid_argument if the key does not match the leaf or the key type is unsupported.
Result<Identity> load_identity_pem(std::string_view chain_pem, std::string_view key_pem);

}  // namespace udpvpn
