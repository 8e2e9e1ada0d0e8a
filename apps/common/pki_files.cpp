// SPDX-License-Identifier: GPL-3.0-or-later
#include "pki_files.hpp"

#include "toml_reader.hpp"

#include <sodium.h>

#include <ctime>

namespace udpvpn::app {

std::shared_ptr<const CertificateVerifier> load_verifier(const std::string& ca_file, const std::string& crl_file,
                                                         bool require_crl) {
    const std::string ca = read_text_file(ca_file, "pki.ca");
    const std::string crl = crl_file.empty() ? std::string() : read_text_file(crl_file, "pki.crl");
    VerifierPolicy policy;
    policy.require_crl = require_crl;
    auto v = X509Verifier::create(ca, crl, policy, [] { return static_cast<std::int64_t>(std::time(nullptr)); });
    if (!v) throw ConfigError("pki.ca/pki.crl: cannot load " + ca_file + (crl_file.empty() ? "" : " and " + crl_file) +
                              ": " + to_string(v.error));
    return v.value;
}

Identity load_identity(const std::string& cert_file, const std::string& key_file) {
    const std::string chain = read_text_file(cert_file, "pki.cert");
    std::string key = read_text_file(key_file, "pki.key");
    auto id = load_identity_pem(chain, key);
    sodium_memzero(key.data(), key.size());
    if (!id) throw ConfigError("pki.cert/pki.key: cannot load " + cert_file + " with " + key_file + ": " + to_string(id.error));
    return id.value;
}

std::optional<std::array<std::uint8_t, 32>> load_admission_key(const std::string& file) {
    if (file.empty()) return std::nullopt;
    std::string text = read_text_file(file, "pki.admission_key");
    std::array<std::uint8_t, 32> key{};
    bool ok = false;
    if (text.size() == 32) {
        std::copy(text.begin(), text.end(), key.begin());
        ok = true;
    } else {
        std::size_t bin_len = 0;
        ok = sodium_hex2bin(key.data(), key.size(), text.data(), text.size(), " \t\r\n", &bin_len, nullptr) == 0 &&
             bin_len == 32;
    }
    sodium_memzero(text.data(), text.size());
    std::optional<std::array<std::uint8_t, 32>> out;
    if (ok) out = key;
    sodium_memzero(key.data(), key.size());
    if (!ok) throw ConfigError("pki.admission_key: " + file + " must hold 32 raw bytes or 64 hex digits");
    return out;
}

void wipe(std::optional<std::array<std::uint8_t, 32>>& key) noexcept {
    if (key) sodium_memzero(key->data(), key->size());
    key.reset();
}

void check_admission_key_file(const std::string& file) {
    auto key = load_admission_key(file);
    wipe(key);
}

}  // namespace udpvpn::app
