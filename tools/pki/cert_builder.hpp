// SPDX-License-Identifier: GPL-3.0-or-later
// Builds keys, certificates and CRLs with the OpenSSL 3 API. Plain X.509 (RFC 5280) profiles with
// nothing udpvpn-specific in them: a certificate from any other CA works the same way, and ours work
// with any other X.509 software.
#pragma once
#include "openssl_util.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace udpvpn::pki {

enum class KeyType { ed25519, ecdsa_p256 };
enum class LeafKind { server, client };

std::optional<KeyType> parse_key_type(std::string_view s);
const char* to_string(KeyType t);
const char* to_string(LeafKind k);

PkeyPtr generate_key(KeyType type);

// PEM in and out. Private keys are unencrypted PKCS#8 ("BEGIN PRIVATE KEY").
std::string private_key_pem(EVP_PKEY* key);
std::string public_key_pem(EVP_PKEY* key);
std::string cert_pem(X509* cert);
std::string crl_pem(X509_CRL* crl);
PkeyPtr private_key_from_pem(const std::string& pem, const std::string& what);
PkeyPtr public_key_from_pem(const std::string& pem, const std::string& what);
X509Ptr cert_from_pem(const std::string& pem, const std::string& what);

// A fresh positive 127-bit random serial (RFC 5280 4.1.2.2: at most 20 octets, unpredictable).
BnPtr random_serial();
// Uppercase hex without separators, as in OpenSSL's index.txt.
std::string serial_hex(const ASN1_INTEGER* serial);

struct Validity {
    std::int64_t not_before_unix = 0;
    std::int64_t not_after_unix = 0;
};

// Self-signed root: basicConstraints CA:TRUE, pathlen 0 (it signs leaves only), keyCertSign + cRLSign.
X509Ptr make_ca_cert(EVP_PKEY* key, const std::string& common_name, const Validity& validity,
                     const BIGNUM* serial);

// An end-entity certificate for `subject_key` signed by the CA: CA:FALSE, digitalSignature,
// EKU serverAuth (servers) or clientAuth (clients), subject CN = common_name, and subjectAltName
// entries given as OpenSSL GENERAL_NAME strings ("DNS:vpn.example.com", "IP:192.0.2.1"); the caller
// validates them (names.hpp).
X509Ptr make_leaf_cert(X509* ca, EVP_PKEY* ca_key, EVP_PKEY* subject_key, LeafKind kind,
                       const std::string& common_name, const std::vector<std::string>& san,
                       const Validity& validity, const BIGNUM* serial);

// CRLReason codes (RFC 5280 5.3.1) accepted by `revoke --reason`.
std::optional<int> parse_crl_reason(std::string_view s);  // -1 = unspecified (no extension)
const char* crl_reason_name(int reason);

struct RevokedEntry {
    std::string serial_hex;
    std::int64_t revoked_at_unix = 0;
    int reason = -1;  // -1: no reasonCode extension
};

// A v2 CRL with cRLNumber and authorityKeyIdentifier, entries sorted by serial.
CrlPtr make_crl(X509* ca, EVP_PKEY* ca_key, const std::vector<RevokedEntry>& revoked,
                std::int64_t this_update_unix, std::int64_t next_update_unix, std::uint64_t crl_number);

// Unix seconds of an ASN1_TIME; throws on a malformed time.
std::int64_t asn1_time_unix(const ASN1_TIME* t);

}  // namespace udpvpn::pki
