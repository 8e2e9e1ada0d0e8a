// SPDX-License-Identifier: GPL-3.0-or-later
// What udpvpn-pki issues is what the library's verifier and identity loader accept: right purpose,
// right name, CRL revocation, Ed25519 and ECDSA P-256 alike.
#include "cert_builder.hpp"
#include "cert_show.hpp"

#include <udpvpn/certificate.hpp>

#include <doctest/doctest.h>

#include <openssl/x509.h>

#include <string>
#include <vector>

using namespace udpvpn;
using namespace udpvpn::pki;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;  // fixed wall clock: the verifier never reads one

Bytes der(X509* cert) {
    unsigned char* buf = nullptr;
    const int n = i2d_X509(cert, &buf);
    REQUIRE(n > 0);
    Bytes out(buf, buf + n);
    OPENSSL_free(buf);
    return out;
}

struct TestCa {
    PkeyPtr key;
    X509Ptr cert;
    explicit TestCa(KeyType type) : key(generate_key(type)) {
        cert = make_ca_cert(key.get(), "interop CA", {kNow - 86400, kNow + 3650 * 86400LL}, random_serial().get());
    }
    struct Leaf {
        PkeyPtr key;
        X509Ptr cert;
    };
    Leaf issue(LeafKind kind, const std::string& name, KeyType type, std::vector<std::string> san = {}) {
        Leaf l{generate_key(type), nullptr};
        l.cert = make_leaf_cert(cert.get(), key.get(), l.key.get(), kind, name, san, {kNow - 300, kNow + 825 * 86400LL},
                                random_serial().get());
        return l;
    }
};

std::shared_ptr<X509Verifier> verifier(X509* ca, const std::string& crl = "") {
    auto v = X509Verifier::create(cert_pem(ca), crl, VerifierPolicy{}, [] { return kNow; });
    REQUIRE(v.ok());
    return v.value;
}

Result<PeerIdentity> check(const X509Verifier& v, X509* leaf, Role role, std::string_view name = "") {
    const std::vector<Bytes> chain{der(leaf)};
    return v.verify(chain, role, name);
}

}  // namespace

TEST_CASE("a server certificate verifies for the server role and its own name only") {
    for (KeyType type : {KeyType::ed25519, KeyType::ecdsa_p256}) {
        const std::string key_type = to_string(type);
        CAPTURE(key_type);
        TestCa ca(type);
        // As `issue server` makes it: the name itself plus --san entries as subjectAltNames.
        auto server = ca.issue(LeafKind::server, "vpn.example.com", type, {"DNS:vpn.example.com", "DNS:alt.example.com"});
        auto v = verifier(ca.cert.get());
        auto ok = check(*v, server.cert.get(), Role::server, "vpn.example.com");
        const std::string why = udpvpn::to_string(ok.error);
        CAPTURE(why);
        REQUIRE(ok.ok());
        CHECK(ok.value.common_name == "vpn.example.com");
        CHECK(check(*v, server.cert.get(), Role::server, "alt.example.com").ok());
        CHECK(check(*v, server.cert.get(), Role::server, "evil.example.com").error == Error::cert_name_mismatch);
        CHECK(check(*v, server.cert.get(), Role::client).error == Error::cert_wrong_purpose);
    }
}

TEST_CASE("a server named by its IP address verifies for that address") {
    TestCa ca(KeyType::ed25519);
    auto server = ca.issue(LeafKind::server, "192.0.2.1", KeyType::ed25519, {"IP:192.0.2.1"});
    auto v = verifier(ca.cert.get());
    CHECK(check(*v, server.cert.get(), Role::server, "192.0.2.1").ok());
    CHECK(check(*v, server.cert.get(), Role::server, "192.0.2.2").error == Error::cert_name_mismatch);
}

TEST_CASE("a client certificate verifies for the client role with its name as identity") {
    TestCa ca(KeyType::ed25519);
    auto alice = ca.issue(LeafKind::client, "alice", KeyType::ed25519);
    auto v = verifier(ca.cert.get());
    auto id = check(*v, alice.cert.get(), Role::client);
    REQUIRE(id.ok());
    CHECK(id.value.common_name == "alice");
    // `udpvpn-pki show` prints the fingerprint the server logs.
    CHECK(id.value.fingerprint_sha256 == describe_cert(alice.cert.get()).fingerprint_sha256);
    CHECK(check(*v, alice.cert.get(), Role::server, "alice").error == Error::cert_wrong_purpose);
}

TEST_CASE("a certificate of another CA is refused") {
    TestCa ours(KeyType::ed25519), theirs(KeyType::ed25519);
    auto mallory = theirs.issue(LeafKind::client, "mallory", KeyType::ed25519);
    CHECK(check(*verifier(ours.cert.get()), mallory.cert.get(), Role::client).error == Error::cert_unknown_ca);
}

TEST_CASE("the CRL udpvpn-pki publishes revokes exactly the listed serials") {
    for (KeyType type : {KeyType::ed25519, KeyType::ecdsa_p256}) {
        const std::string key_type = to_string(type);
        CAPTURE(key_type);
        TestCa ca(type);
        auto alice = ca.issue(LeafKind::client, "alice", type);
        auto bob = ca.issue(LeafKind::client, "bob", type);
        const std::vector<RevokedEntry> revoked{{serial_hex(X509_get0_serialNumber(alice.cert.get())), kNow - 60, 1}};
        auto crl = make_crl(ca.cert.get(), ca.key.get(), revoked, kNow - 60, kNow + 180 * 86400LL, 1);
        auto v = verifier(ca.cert.get(), crl_pem(crl.get()));
        CHECK(check(*v, alice.cert.get(), Role::client).error == Error::cert_revoked);
        CHECK(check(*v, bob.cert.get(), Role::client).ok());
    }
}

TEST_CASE("an expired CRL is reported as such") {
    TestCa ca(KeyType::ed25519);
    auto bob = ca.issue(LeafKind::client, "bob", KeyType::ed25519);
    auto crl = make_crl(ca.cert.get(), ca.key.get(), {}, kNow - 10 * 86400, kNow - 86400, 1);
    CHECK(check(*verifier(ca.cert.get(), crl_pem(crl.get())), bob.cert.get(), Role::client).error == Error::crl_expired);
}

TEST_CASE("issued keys and certificates load as an identity") {
    for (KeyType type : {KeyType::ed25519, KeyType::ecdsa_p256}) {
        const std::string key_type = to_string(type);
        CAPTURE(key_type);
        TestCa ca(type);
        auto leaf = ca.issue(LeafKind::client, "carol", type);
        auto id = load_identity_pem(cert_pem(leaf.cert.get()), private_key_pem(leaf.key.get()));
        REQUIRE(id.ok());
        CHECK(id.value.chain.size() == 1);
        CHECK(id.value.signer->scheme() ==
              (type == KeyType::ed25519 ? SignatureScheme::ed25519 : SignatureScheme::ecdsa_p256_sha256));
        // ... and the key of another certificate does not.
        auto other = ca.issue(LeafKind::client, "dave", type);
        CHECK_FALSE(load_identity_pem(cert_pem(leaf.cert.get()), private_key_pem(other.key.get())).ok());
    }
}
