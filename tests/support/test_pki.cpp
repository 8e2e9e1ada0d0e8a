// SPDX-License-Identifier: GPL-3.0-or-later
#include "test_pki.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace udpvpn::test {
namespace {

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "test PKI: %s\n", what.c_str());
    std::abort();
}

std::string pki_dir() {
    const char* dir = std::getenv("UDPVPN_TEST_PKI");
    return dir && *dir ? std::string(dir) : std::string("tests/pki");
}

}  // namespace

std::string read_pki_file(std::string_view file) {
    const std::string path = pki_dir() + "/" + std::string(file);
    std::ifstream in(path, std::ios::binary);
    if (!in) die("cannot read " + path + " (set UDPVPN_TEST_PKI to tests/pki)");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<Bytes> pki_chain(std::string_view name) {
    // load_identity_pem does the PEM -> DER work; the key is the matching one from the same PKI.
    return load_identity(name).chain;
}

Identity load_identity(std::string_view name) {
    const std::string n(name);
    auto id = load_identity_pem(read_pki_file(n + ".crt"), read_pki_file(n + ".key"));
    if (!id) die("cannot load identity " + n + ": " + to_string(id.error));
    return id.value;
}

std::shared_ptr<X509Verifier> make_verifier(std::string_view ca, std::vector<std::string> crls,
                                            VerifierPolicy policy, std::int64_t now) {
    std::string crl_pem;
    for (const auto& f : crls) crl_pem += read_pki_file(f);
    auto v = X509Verifier::create(read_pki_file(std::string(ca) + ".crt"), crl_pem, policy,
                                  [now] { return now; });
    if (!v) die("cannot create verifier for " + std::string(ca) + ": " + to_string(v.error));
    return v.value;
}

}  // namespace udpvpn::test
