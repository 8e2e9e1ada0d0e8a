// SPDX-License-Identifier: GPL-3.0-or-later
// Loads the certificate files a configuration names into the library's objects.
#pragma once
#include <udpvpn/certificate.hpp>

#include <array>
#include <memory>
#include <optional>
#include <string>

namespace udpvpn::app {

// CA bundle + optional CRL -> verifier with the wall clock. Throws ConfigError naming the option.
std::shared_ptr<const CertificateVerifier> load_verifier(const std::string& ca_file, const std::string& crl_file,
                                                         bool require_crl);
// Certificate chain + private key. Throws ConfigError.
Identity load_identity(const std::string& cert_file, const std::string& key_file);
// 32 raw bytes or 64 hex digits (whitespace ignored). Throws ConfigError.
std::optional<std::array<std::uint8_t, 32>> load_admission_key(const std::string& file);
// Wipes a key load_admission_key returned once the endpoint has its own copy.
void wipe(std::optional<std::array<std::uint8_t, 32>>& key) noexcept;
// Reads and checks the file, keeping no copy of the key: fails early on a bad file.
void check_admission_key_file(const std::string& file);

}  // namespace udpvpn::app
