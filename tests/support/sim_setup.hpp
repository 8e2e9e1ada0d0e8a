// SPDX-License-Identifier: GPL-3.0-or-later
// Builds client and server endpoints from the test PKI (tests/pki) for in-process tests.
#pragma once
#include "sim_world.hpp"

#include <udpvpn/certificate.hpp>
#include <udpvpn/endpoint.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace udpvpn::sim {

inline constexpr std::int64_t kPkiTime = 1780272000;   // 2026-06-01T00:00:00Z, inside every test cert's window

inline std::string pki_file(const std::string& name) {
    const char* dir = std::getenv("UDPVPN_TEST_PKI");
    std::ifstream f(std::string(dir ? dir : "tests/pki") + "/" + name);
    if (!f) throw std::runtime_error("missing test PKI file " + name);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

inline Identity pki_identity(const std::string& cert, const std::string& key) {
    Result<Identity> id = load_identity_pem(pki_file(cert), pki_file(key));
    if (!id) throw std::runtime_error("cannot load identity " + cert + ": " + to_string(id.error));
    return id.value;
}

inline std::shared_ptr<const CertificateVerifier> pki_verifier(const std::string& ca = "ca.crt",
                                                               const std::string& crl = "",
                                                               std::int64_t at = kPkiTime) {
    auto v = X509Verifier::create(pki_file(ca), crl.empty() ? std::string() : pki_file(crl), VerifierPolicy{},
                                  [at] { return at; });
    if (!v) throw std::runtime_error(std::string("verifier: ") + to_string(v.error));
    return v.value;
}

inline std::unique_ptr<Endpoint> make_server(ServerEndpointConfig c, std::uint64_t seed,
                                             std::shared_ptr<const CertificateVerifier> v = nullptr) {
    auto ep = Endpoint::make_server(std::move(c), pki_identity("server.crt", "server.key"),
                                       v ? v : pki_verifier(), std::make_shared<DeterministicRng>(seed));
    if (!ep) throw std::runtime_error("make_server failed");
    return std::move(ep.value);
}

inline std::unique_ptr<Endpoint> make_client(ClientEndpointConfig c, std::uint64_t seed,
                                             const std::string& cert = "client.crt",
                                             const std::string& key = "client.key",
                                             std::shared_ptr<const CertificateVerifier> v = nullptr) {
    if (c.expected_server_name.empty()) c.expected_server_name = "vpn.example.test";
    auto ep = Endpoint::make_client(std::move(c), pki_identity(cert, key), v ? v : pki_verifier(),
                                       std::make_shared<DeterministicRng>(seed));
    if (!ep) throw std::runtime_error("make_client failed");
    return std::move(ep.value);
}

}  // namespace udpvpn::sim
