// SPDX-License-Identifier: GPL-3.0-or-later
// `udpvpn-pki show`: what an admin needs to know about a certificate or CRL, from any CA.
#pragma once
#include "openssl_util.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace udpvpn::pki {

struct CertInfo {
    std::string subject;                  // RFC 2253 ("CN=alice")
    std::string issuer;
    std::string serial_hex;
    std::string key_type;                 // "Ed25519", "ECDSA P-256", "RSA 2048", ...
    std::int64_t not_before_unix = 0;
    std::int64_t not_after_unix = 0;
    bool is_ca = false;
    bool self_signed = false;
    std::vector<std::string> key_usage;   // "digitalSignature", ...
    std::vector<std::string> ext_key_usage;  // "serverAuth", "clientAuth", or a dotted OID
    std::vector<std::string> san;         // "DNS:x", "IP:x", "email:x", "URI:x"
    std::string fingerprint_sha256;       // lowercase hex of SHA-256 over the DER, as udpvpn logs it
};

struct CrlEntryInfo {
    std::string serial_hex;
    std::int64_t revoked_at_unix = 0;
    std::string reason;                   // "" if none given
};

struct CrlInfo {
    std::string issuer;
    std::int64_t this_update_unix = 0;
    std::int64_t next_update_unix = 0;    // 0 if absent
    std::string crl_number;               // decimal, "" if absent
    std::vector<CrlEntryInfo> revoked;
};

CertInfo describe_cert(X509* cert);
CrlInfo describe_crl(X509_CRL* crl);

// Human-readable, one "field: value" per line; `now_unix` decides "valid" / "expired" / "not yet valid".
std::string format_cert_text(const CertInfo& info, std::int64_t now_unix);
std::string format_crl_text(const CrlInfo& info, std::int64_t now_unix);

// "2026-01-31 12:00:00 UTC"
std::string format_utc(std::int64_t unix_seconds);

// Every certificate and CRL in a PEM file (several blocks allowed) or a single DER certificate or CRL.
struct PkiObjects {
    std::vector<X509Ptr> certs;
    std::vector<CrlPtr> crls;
};
PkiObjects load_pki_objects(const std::string& data, const std::string& what);

}  // namespace udpvpn::pki
