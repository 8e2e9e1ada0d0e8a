// SPDX-License-Identifier: GPL-3.0-or-later
// The committed test PKI (tests/pki, see its README.md): file access, identities and verifiers
// with a fixed wall clock. Failures to read the PKI abort the test with a clear message.
#pragma once
#include <udpvpn/certificate.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace udpvpn::test {

// 2026-06-01T00:00:00Z: every "valid" certificate and CRL of the test PKI is valid then.
inline constexpr std::int64_t kTestTime = 1780272000;

// Contents of $UDPVPN_TEST_PKI/<file> (falls back to tests/pki relative to the working directory).
std::string read_pki_file(std::string_view file);

// The DER chain (leaf first) of <name>.crt, e.g. "server", "long_client".
std::vector<Bytes> pki_chain(std::string_view name);

// <name>.crt + <name>.key as an Identity, e.g. load_identity("server"), load_identity("client_ecdsa").
Identity load_identity(std::string_view name);

// A verifier trusting <ca>.crt ("ca", "long_ca", "other_ca"), loading the CRL files named in `crls`
// (e.g. "crl.pem"; empty: no CRL), with the wall clock fixed at `now`.
std::shared_ptr<X509Verifier> make_verifier(std::string_view ca = "ca", std::vector<std::string> crls = {},
                                            VerifierPolicy policy = {}, std::int64_t now = kTestTime);

}  // namespace udpvpn::test
