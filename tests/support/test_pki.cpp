// SPDX-License-Identifier: GPL-3.0-or-later
#include "test_pki.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

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
    // Read directly (not through load_identity_pem), so chains with keys the library refuses load too.
    const std::string pem = read_pki_file(std::string(name) + ".crt");
    ERR_set_mark();   // the end of the PEM input queues an error: drop ours, keep the caller's
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!bio) die("out of memory");
    std::vector<Bytes> chain;
    while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        const int len = i2d_X509(x, nullptr);
        Bytes der(len > 0 ? static_cast<std::size_t>(len) : 0);
        unsigned char* p = der.data();
        if (len <= 0 || i2d_X509(x, &p) != len) die("cannot encode " + std::string(name) + ".crt");
        chain.push_back(std::move(der));
        X509_free(x);
    }
    BIO_free(bio);
    ERR_pop_to_mark();
    if (chain.empty()) die("no certificate in " + std::string(name) + ".crt");
    return chain;
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
