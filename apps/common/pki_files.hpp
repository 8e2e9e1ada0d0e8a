// SPDX-License-Identifier: GPL-3.0-or-later
// Loads the certificate files a configuration names into the library's objects: completely, or a
// ConfigError that names the option and the file, says what is wrong with it and what to do.
// PEM and DER are both accepted. A CRL file that holds no usable CRL is an error, never "no CRL".
#pragma once
#include <udpvpn/certificate.hpp>
#include <udpvpn/preshared_key.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace udpvpn::app {

// What a CRL file said when it was loaded; a reload compares it with the running one.
struct CrlFacts {
    std::size_t crls = 0;
    std::int64_t next_update_unix = 0;   // the earliest nextUpdate of the CRLs (0: none)
};

struct LoadedVerifier {
    std::shared_ptr<const CertificateVerifier> verifier;
    CrlFacts crl;
};

// CA bundle + optional CRL -> verifier with the wall clock. Throws ConfigError. An expired CRL is
// an error under require_crl and a warning otherwise (every client checked against it is refused).
// allow_missing_eku: pki.allow_missing_eku (VerifierPolicy::allow_missing_eku).
LoadedVerifier load_verifier_files(const std::string& ca_file, const std::string& crl_file, bool require_crl,
                                   bool allow_missing_eku = false);
std::shared_ptr<const CertificateVerifier> load_verifier(const std::string& ca_file, const std::string& crl_file,
                                                         bool require_crl, bool allow_missing_eku = false);

// How a private key file readable by others than its owner is treated (`checked`: not looked at
// again, for a file read once more after start-up checked it).
enum class KeyPermissions { warn, refuse, checked };

// Certificate chain + private key. Throws ConfigError.
Identity load_identity(const std::string& cert_file, const std::string& key_file,
                       KeyPermissions permissions = KeyPermissions::warn);
// 32 raw bytes or 64 hex digits (whitespace ignored). Throws ConfigError.
// "" = none (nullptr).
SharedKey load_admission_key(const std::string& file, KeyPermissions permissions = KeyPermissions::warn);
// The key servers behind one load balancer share ([cluster] key, docs/rfc-draft.txt Section 10.5):
// the same format and checks as the admission key.
SharedKey load_cluster_key(const std::string& file, KeyPermissions permissions = KeyPermissions::warn);
// Reads and checks the file, keeping no copy of the key: fails early on a bad file.
void check_admission_key_file(const std::string& file, KeyPermissions permissions = KeyPermissions::warn);
void check_cluster_key_file(const std::string& file, KeyPermissions permissions = KeyPermissions::warn);

}  // namespace udpvpn::app
