// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target for X509Verifier::verify: arbitrary DER chains must never crash or leak, must
// leave no OpenSSL error queued, and a chain that verifies must yield a usable peer key.
// Input: flags (1: bit 0 = peer is a server, bit 1 = check the name vpn.example.test), then up to
// five certificates as len (2, big-endian) | DER. Trust: the test PKI's Ed25519 and RSA roots plus
// their CRLs, read from $UDPVPN_TEST_PKI (default: the source tree's tests/pki).
#include "harness.hpp"

#include <udpvpn/certificate.hpp>

#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace udpvpn;

namespace {

std::shared_ptr<X509Verifier> g_verifier;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "fuzz_certificate: cannot read %s (set UDPVPN_TEST_PKI)\n", path.c_str());
        std::abort();
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

static int initialize() {   // once, on the first input
    const char* env = std::getenv("UDPVPN_TEST_PKI");
    const std::string dir = env && *env ? env : UDPVPN_SOURCE_PKI;
    auto v = X509Verifier::create(read_file(dir + "/ca.crt") + read_file(dir + "/long_ca.crt"),
                                  read_file(dir + "/crl.pem") + read_file(dir + "/long_crls.pem"), {},
                                  [] { return std::int64_t{1780272000}; });  // kTestTime, 2026-06-01
    if (!v) std::abort();
    g_verifier = v.value;
    return 0;
}

int run_certificate(const std::uint8_t* data, std::size_t size) {
    static const int initialized = initialize();
    (void)initialized;
    if (size < 1) return 0;
    const Role role = (data[0] & 1) ? Role::server : Role::client;
    const std::string_view name = (data[0] & 2) ? "vpn.example.test" : "";
    std::vector<Bytes> chain;
    std::size_t off = 1;
    while (chain.size() < 5 && off + 2 <= size) {
        const std::size_t len = (std::size_t{data[off]} << 8) | data[off + 1];
        off += 2;
        const std::size_t take = len < size - off ? len : size - off;
        chain.emplace_back(data + off, data + off + take);
        off += take;
    }
    auto r = g_verifier->verify(chain, role, name);
    if (r.ok()) {
        if (!r.value.key) std::abort();
        // The whole input as a "signature": it must be checked and refused, not crash.
        const Bytes msg = {'m'};
        if (r.value.key->verify(msg, ByteView(data, size)) == Error::ok) std::abort();
    }
    if (ERR_peek_error() != 0) std::abort();
    return 0;
}
