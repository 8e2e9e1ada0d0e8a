// SPDX-License-Identifier: GPL-3.0-or-later
// X.509 identities and the certificate verifier (OpenSSL 3 behind this interface only).
#pragma once
#include <udpvpn/conformance_fault.hpp>
#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace udpvpn {

// Signature schemes for CertificateVerify (docs/rfc-draft.txt, Section 5.3): TLS 1.3 code points.
// rsa_pss_rsae_sha256: RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt, by an rsaEncryption key.
enum class SignatureScheme : std::uint16_t {
    ed25519 = 0x0807,
    ecdsa_p256_sha256 = 0x0403,
    rsa_pss_rsae_sha256 = 0x0804,
};

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
    // The leaf's subject and issuer names, RFC 4514 strings ("CN=alice,O=example"). Together they
    // name the certificate's holder as its CA does: two CAs may both issue a "CN=alice".
    std::string subject;
    std::string issuer;
    std::vector<std::string> dns_names;   // subjectAltName dNSName entries
    std::vector<std::string> email_names; // subjectAltName rfc822Name entries
    std::vector<std::string> uri_names;   // subjectAltName uniformResourceIdentifier entries
    std::string fingerprint_sha256;       // hex of SHA-256 over the leaf DER
    std::int64_t not_after_unix = 0;
    std::shared_ptr<const PeerKey> key;
};

// The organizationalUnitName (OU) values of the peer's subject, in certificate order: the groups
// a CA puts its holders in (udpvpn-server's access rules match them; udpvpn.conf(5)). Read from
// `subject` (RFC 4514, escapes undone) rather than kept in PeerIdentity, whose size every
// half-open handshake pays for. A value OpenSSL could only hex-dump stays "#<hex>".
std::vector<std::string> organizational_units(const PeerIdentity& peer);

// Checks a peer's chain for a role. Injected into endpoints, so tests control time and policy.
class CertificateVerifier {
public:
    virtual ~CertificateVerifier() = default;
    // chain: DER certificates, leaf first (intermediates follow, the root may be omitted).
    // role: what the peer claims to be (EKU serverAuth for Role::server, clientAuth for Role::client).
    // expected_name: for servers, the name the client was told to expect ("" = no name check; the
    // endpoint passes "" only when ClientEndpointConfig::allow_any_server_name says so).
    // Returns the identity, or one of the cert_* / crl_expired errors naming the reason; a chain
    // whose leaf parsed but failed verification also carries the subject CN the leaf claims in
    // value.common_name (unverified: for log lines only, everything else empty).
    // Implementations must be safe to call from several threads at once.
    virtual Result<PeerIdentity> verify(std::span<const Bytes> chain, Role role,
                                        std::string_view expected_name) const = 0;
};

struct VerifierPolicy {
    bool require_crl = false;             // every CA in the chain must have a CRL loaded
    bool reject_expired_crl = true;       // a CRL past nextUpdate fails with crl_expired
    // A leaf without extendedKeyUsage is refused by default (cert_wrong_purpose). true accepts it for
    // either role if its keyUsage includes digitalSignature: for old PKIs that issue no EKU, where
    // any certificate of the CA may then act as server or client.
    bool allow_missing_eku = false;
#ifdef UDPVPN_CONFORMANCE_FAULTS
    ConformanceFault conformance_fault = ConformanceFault::none;   // test builds only: conformance_fault.hpp
#endif
};

// The OpenSSL implementation. `wall_clock` returns Unix seconds (the verifier never reads a clock
// itself: the application passes one that does, tests pass a fixed one).
// verify() errors: cert_expired, cert_not_yet_valid (any certificate of the chain at wall_clock()),
// cert_unknown_ca (no path to a trust anchor), cert_revoked, crl_expired (policy.reject_expired_crl),
// cert_wrong_purpose (EKU of the leaf, see below), cert_name_mismatch (Role::server only: SAN dNSName,
// or iPAddress for an IP literal; never the subject CN), cert_invalid
// (anything else: unparsable DER, bad signature in the chain, more than 4 certificates, a CRL
// missing under policy.require_crl, ...), cert_unsupported_key (a leaf key that is not Ed25519,
// EC P-256 or RSA of 2048..4096 bits), internal.
// Purpose: the leaf's extendedKeyUsage must list serverAuth (Role::server) / clientAuth
// (Role::client); a leaf without extendedKeyUsage is refused unless policy.allow_missing_eku, and
// then accepted for either role only if it has a keyUsage extension that includes
// digitalSignature; a keyUsage without digitalSignature is always refused.
// CRLs: when any CRL is loaded, every certificate of the chain is checked against its issuer's CRL;
// an issuer without a CRL is tolerated unless policy.require_crl. Thread-safe (X509_STORE is shared
// read-only; wall_clock must be thread-safe too). No OpenSSL error is left queued.
class X509Verifier final : public CertificateVerifier {
public:
    // ca_pem: one or more CA certificates (trust anchors). crl_pem: zero or more CRLs. Each input is
    // PEM (text with BEGIN lines) or DER (objects back to back). invalid_argument if there is no
    // CA, a PEM block or DER object does not parse, crl_pem is not empty but holds no CRL (so a
    // wrong file never turns revocation off), or wall_clock is empty.
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
    // The longest signature sign() can produce (Ed25519 64, ECDSA 72, RSA the modulus size).
    virtual std::size_t max_signature_size() const noexcept = 0;
    // Appends the signature to signature_out (Ed25519: 64 bytes; ECDSA: DER, at most 72 bytes;
    // RSA-PSS: exactly the modulus size).
    // Appends nothing on failure. Error::ok or Error::internal. Thread-safe.
    virtual Error sign(ByteView message, Bytes& signature_out) const noexcept = 0;
};

// Our certificate chain (DER, leaf first) and the matching key.
struct Identity {
    std::vector<Bytes> chain;
    std::shared_ptr<const Signer> signer;
};

// Loads a chain (leaf first, each certificate issued by the next, at most 4) and a private key
// (unencrypted; PKCS#8 Ed25519, EC P-256 or RSA of 2048..4096 bits, or a traditional RSA / EC
// key), each in PEM (text with BEGIN lines) or DER (certificates back to back; one key). Fails
// with cert_unsupported_key if the leaf's key is of another type or size, and with
// invalid_argument if the key does not match the leaf, the chain is out of order or the input
// does not parse. `why` (optional) receives one sentence naming the problem ("unsupported key RSA-1024:
// leaf keys must be Ed25519, EC P-256 or RSA of 2048 to 4096 bits"). Nothing is validated against
// a CA or a clock here: that is the peer's verifier's job.
// The key bytes copied out of OpenSSL are wiped; key_pem itself belongs to the caller, who should
// wipe it (sodium_memzero) once this returns.
Result<Identity> load_identity_pem(std::string_view chain_pem, std::string_view key_pem,
                                   std::string* why = nullptr);

}  // namespace udpvpn
