// SPDX-License-Identifier: GPL-3.0-or-later
// X.509 verification, CertificateVerify keys and identity loading, against the committed test PKI
// (tests/pki) with the wall clock fixed at kTestTime.
#include <doctest/doctest.h>

#include "signature_keys.hpp"
#include "test_pki.hpp"
#include "vectors.hpp"

#include <udpvpn/certificate.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

using namespace udpvpn;
using udpvpn::test::kTestTime;
using udpvpn::test::load_identity;
using udpvpn::test::make_verifier;
using udpvpn::test::pki_chain;
using udpvpn::test::read_pki_file;

namespace {

constexpr std::string_view kServerName = "vpn.example.test";

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

Error verify_error(const X509Verifier& v, std::string_view name, Role role,
                   std::string_view expected = kServerName) {
    auto r = v.verify(pki_chain(name), role, expected);
    return r.error;
}

}  // namespace

TEST_CASE("a valid server chain is accepted and reports the peer's identity") {
    auto v = make_verifier();
    auto r = v->verify(pki_chain("server"), Role::server, kServerName);
    REQUIRE(r.error == Error::ok);
    CHECK(r.value.common_name == "vpn.example.test");
    REQUIRE(r.value.dns_names.size() == 1);
    CHECK(r.value.dns_names[0] == "vpn.example.test");
    CHECK(r.value.fingerprint_sha256.size() == 64);
    CHECK(r.value.not_after_unix == 2366841600);  // 2045-01-01T00:00:00Z
    REQUIRE(r.value.key);
    CHECK(r.value.key->scheme() == SignatureScheme::ed25519);
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("a valid client chain is accepted with its common name") {
    auto v = make_verifier("ca", {"crl.pem"});
    auto r = v->verify(pki_chain("client"), Role::client, "");
    REQUIRE(r.error == Error::ok);
    CHECK(r.value.common_name == "alice");
    CHECK(r.value.dns_names.empty());
    // Subject and issuer in RFC 4514 form; the same CN from another CA has another issuer.
    CHECK(r.value.subject == "O=udpvpn tests,CN=alice");
    CHECK(r.value.issuer == "O=udpvpn tests,CN=udpvpn test root CA");
    auto other = make_verifier("other_ca")->verify(pki_chain("client_otherca"), Role::client, "");
    REQUIRE(other.ok());
    CHECK(other.value.subject == r.value.subject);
    CHECK(other.value.issuer == "O=udpvpn tests,CN=udpvpn unrelated CA");
}

TEST_CASE("the subject's organizational units are reported in order, as the groups rules match") {
    auto v = make_verifier();
    auto r = v->verify(pki_chain("client_groups"), Role::client, "");
    REQUIRE(r.error == Error::ok);
    CHECK(r.value.common_name == "carol");
    CHECK(r.value.subject == "O=udpvpn tests,OU=on call,OU=ops,CN=carol");
    CHECK(organizational_units(r.value) == std::vector<std::string>{"ops", "on call"});
    auto plain = v->verify(pki_chain("client"), Role::client, "");
    REQUIRE(plain.ok());
    CHECK(organizational_units(plain.value).empty());
}

TEST_CASE("organizational units are read from the RFC 4514 subject with its escapes undone") {
    PeerIdentity p;
    p.subject = R"(O=Example\, Inc.,OU=a\+b+OU=x\,OU=y,OU=\#lead,OU=ctl\0Aline,OU=caf\C3\A9,CN=OU=z)";
    CHECK(organizational_units(p) ==
          std::vector<std::string>{"caf\xC3\xA9", "ctl\nline", "#lead", "x,OU=y", "a+b"});
    p.subject = "OU=#04036f7073";   // a value OpenSSL could only dump: never equals a group name
    CHECK(organizational_units(p) == std::vector<std::string>{"#04036f7073"});
    p.subject = "OU=unterminated\\";
    CHECK(organizational_units(p) == std::vector<std::string>{"unterminated\\"});
    p.subject = "garbage";
    CHECK(organizational_units(p).empty());
}

TEST_CASE("the fingerprint is the SHA-256 of the leaf DER and differs between certificates") {
    auto v = make_verifier();
    auto a = v->verify(pki_chain("client"), Role::client, "");
    auto b = v->verify(pki_chain("client_ecdsa"), Role::client, "");
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a.value.fingerprint_sha256 != b.value.fingerprint_sha256);
    CHECK(a.value.fingerprint_sha256 == v->verify(pki_chain("client"), Role::client, "").value.fingerprint_sha256);
}

TEST_CASE("an expired certificate is rejected as expired") {
    CHECK(verify_error(*make_verifier(), "client_expired", Role::client) == Error::cert_expired);
}

TEST_CASE("a certificate whose validity has not started is rejected as not yet valid") {
    CHECK(verify_error(*make_verifier(), "client_notyet", Role::client) == Error::cert_not_yet_valid);
}

TEST_CASE("validity follows the injected wall clock, not the real time") {
    // client_notyet is valid from 2030-01-01; everything in the PKI ends on 2045-01-01.
    CHECK(verify_error(*make_verifier("ca", {}, {}, 1924992000), "client_notyet", Role::client) ==  // 2031-01-01
          Error::ok);
    CHECK(verify_error(*make_verifier("ca", {}, {}, 2398377600), "client", Role::client) ==  // 2046-01-01
          Error::cert_expired);
}

TEST_CASE("a certificate from an unrelated CA is rejected as unknown CA") {
    CHECK(verify_error(*make_verifier(), "client_otherca", Role::client) == Error::cert_unknown_ca);
    // ... and is accepted by a verifier that trusts that CA.
    CHECK(verify_error(*make_verifier("other_ca"), "client_otherca", Role::client) == Error::ok);
}

TEST_CASE("a self-signed certificate that is not a trust anchor is rejected as unknown CA") {
    auto ca_only = X509Verifier::create(read_pki_file("other_ca.crt"), "", {}, [] { return kTestTime; });
    REQUIRE(ca_only.ok());
    auto id = load_identity_pem(read_pki_file("ca.crt"), read_pki_file("ca.key"));
    REQUIRE(id.ok());
    CHECK(ca_only.value->verify(id.value.chain, Role::client, "").error == Error::cert_unknown_ca);
}

TEST_CASE("a certificate listed in the CRL is rejected as revoked") {
    CHECK(verify_error(*make_verifier("ca", {"crl.pem"}), "client_revoked", Role::client) == Error::cert_revoked);
    // Without the CRL the same certificate verifies: the CRL is what rejects it.
    CHECK(verify_error(*make_verifier(), "client_revoked", Role::client) == Error::ok);
}

TEST_CASE("an expired CRL fails verification when the policy rejects expired CRLs") {
    VerifierPolicy strict;
    strict.reject_expired_crl = true;
    CHECK(verify_error(*make_verifier("ca", {"crl_expired.pem"}, strict), "client", Role::client) ==
          Error::crl_expired);
}

TEST_CASE("an expired CRL is still applied when the policy tolerates expired CRLs") {
    VerifierPolicy lenient;
    lenient.reject_expired_crl = false;
    auto v = make_verifier("ca", {"crl_expired.pem"}, lenient);
    CHECK(verify_error(*v, "client", Role::client) == Error::ok);
    CHECK(verify_error(*v, "client_revoked", Role::client) == Error::cert_revoked);
}

TEST_CASE("require_crl rejects a chain whose CA has no CRL loaded") {
    VerifierPolicy policy;
    policy.require_crl = true;
    CHECK(verify_error(*make_verifier("ca", {}, policy), "client", Role::client) == Error::cert_invalid);
    CHECK(verify_error(*make_verifier("ca", {"crl.pem"}, policy), "client", Role::client) == Error::ok);
    // The long chain needs a CRL from each of its three CAs.
    CHECK(verify_error(*make_verifier("long_ca", {"long_crls.pem"}, policy), "long_client", Role::client) ==
          Error::ok);
}

TEST_CASE("without require_crl a CA that has no CRL loaded does not fail the chain") {
    // crl.pem is from the Ed25519 root; the long chain's CAs have none loaded.
    auto v = X509Verifier::create(read_pki_file("long_ca.crt") + read_pki_file("ca.crt"),
                                  read_pki_file("crl.pem"), {}, [] { return kTestTime; });
    REQUIRE(v.ok());
    CHECK(v.value->verify(pki_chain("long_client"), Role::client, "").error == Error::ok);
    CHECK(v.value->verify(pki_chain("client_revoked"), Role::client, "").error == Error::cert_revoked);
}

TEST_CASE("a refused chain still names the common name its leaf claims, and nothing else") {
    auto v = make_verifier("ca", {"crl.pem"});
    const auto revoked = v->verify(pki_chain("client_revoked"), Role::client, "");
    CHECK(revoked.error == Error::cert_revoked);
    CHECK(revoked.value.common_name == "eve");
    CHECK(revoked.value.fingerprint_sha256.empty());
    CHECK_FALSE(revoked.value.key);
    const auto other = v->verify(pki_chain("client_otherca"), Role::client, "");
    CHECK(other.error == Error::cert_unknown_ca);
    CHECK(other.value.common_name == "alice");
}

TEST_CASE("a CRL input that holds no CRL is refused instead of turning revocation off") {
    auto with_crl = [](const std::string& crl) {
        return X509Verifier::create(read_pki_file("ca.crt"), crl, {}, [] { return kTestTime; }).error;
    };
    CHECK(with_crl(read_pki_file("ca.crt")) == Error::invalid_argument);   // the CA given as CRL
    CHECK(with_crl("this is not a CRL\n") == Error::invalid_argument);
    CHECK(with_crl("\n") == Error::invalid_argument);
    CHECK(with_crl(read_pki_file("crl.pem")) == Error::ok);
    CHECK(with_crl("") == Error::ok);   // no CRL configured
}

TEST_CASE("a client certificate presented as a server is rejected as wrong purpose") {
    auto v = make_verifier();
    // client_as_server carries DNS:vpn.example.test but only the clientAuth EKU.
    CHECK(verify_error(*v, "client_as_server", Role::server) == Error::cert_wrong_purpose);
    CHECK(verify_error(*v, "client", Role::server) == Error::cert_wrong_purpose);
}

TEST_CASE("a server certificate presented as a client is rejected as wrong purpose") {
    CHECK(verify_error(*make_verifier(), "server", Role::client) == Error::cert_wrong_purpose);
}

TEST_CASE("a leaf without EKU is refused for both roles unless the policy allows missing EKUs") {
    auto strict = make_verifier();
    CHECK(verify_error(*strict, "noeku", Role::server) == Error::cert_wrong_purpose);
    CHECK(verify_error(*strict, "noeku", Role::client) == Error::cert_wrong_purpose);
    VerifierPolicy relaxed;
    relaxed.allow_missing_eku = true;
    auto v = make_verifier("ca", {}, relaxed);
    CHECK(verify_error(*v, "noeku", Role::server) == Error::ok);
    CHECK(verify_error(*v, "noeku", Role::client) == Error::ok);
    // Even relaxed: key usage must allow signatures, and an EKU that is present must fit the role.
    CHECK(verify_error(*v, "noeku_nosig", Role::server) == Error::cert_wrong_purpose);
    CHECK(verify_error(*v, "noeku_nosig", Role::client) == Error::cert_wrong_purpose);
    CHECK(verify_error(*v, "client_as_server", Role::server) == Error::cert_wrong_purpose);
    CHECK(verify_error(*v, "server", Role::client) == Error::cert_wrong_purpose);
}

TEST_CASE("a server certificate for another name is rejected as name mismatch") {
    auto v = make_verifier();
    CHECK(verify_error(*v, "server_othername", Role::server) == Error::cert_name_mismatch);
    CHECK(verify_error(*v, "server", Role::server, "other.example.test") == Error::cert_name_mismatch);
    CHECK(verify_error(*v, "server", Role::server, "example.test") == Error::cert_name_mismatch);
    CHECK(verify_error(*v, "server", Role::server, "192.0.2.1") == Error::cert_name_mismatch);
    // An empty expected name skips the name check.
    CHECK(verify_error(*v, "server_othername", Role::server, "") == Error::ok);
}

TEST_CASE("the server name is matched against SANs only, never the subject CN") {
    auto v = make_verifier();
    // server_cn_only: CN=vpn.example.test and no SAN at all.
    CHECK(verify_error(*v, "server_cn_only", Role::server) == Error::cert_name_mismatch);
    CHECK(verify_error(*v, "server_cn_only", Role::server, "other.example.test") == Error::cert_name_mismatch);
    // server_othername has CN=other.example.test *and* a SAN: the SAN decides.
    CHECK(verify_error(*v, "server_othername", Role::server, "vpn.example.test") == Error::cert_name_mismatch);
    CHECK(verify_error(*v, "server_othername", Role::server, "other.example.test") == Error::ok);
}

TEST_CASE("a three-certificate RSA-4096 chain to an Ed25519 leaf verifies through both intermediates") {
    auto v = make_verifier("long_ca", {"long_crls.pem"});
    auto server = pki_chain("long_server");
    REQUIRE(server.size() == 3);
    std::size_t total = 0;
    for (const auto& c : server) total += c.size();
    CHECK(total > 3000);
    auto r = v->verify(server, Role::server, kServerName);
    REQUIRE(r.error == Error::ok);
    CHECK(r.value.key->scheme() == SignatureScheme::ed25519);
    CHECK(verify_error(*v, "long_client", Role::client, "") == Error::ok);
}

TEST_CASE("a chain missing an intermediate is rejected as unknown CA") {
    auto v = make_verifier("long_ca");
    auto chain = pki_chain("long_client");
    chain.erase(chain.begin() + 1);  // drop intermediate 2
    CHECK(v->verify(chain, Role::client, "").error == Error::cert_unknown_ca);
    // The Ed25519 PKI's verifier knows none of the long chain's CAs.
    CHECK(verify_error(*make_verifier(), "long_client", Role::client, "") == Error::cert_unknown_ca);
}

TEST_CASE("a signature by a key that is not the certificate's is rejected as bad signature") {
    auto r = make_verifier()->verify(pki_chain("client"), Role::client, "");
    REQUIRE(r.ok());
    const Bytes msg = text("transcript to sign");
    Bytes sig;
    REQUIRE(load_identity("client_otherca").signer->sign(msg, sig) == Error::ok);
    CHECK(r.value.key->verify(msg, sig) == Error::bad_signature);
    Bytes good;
    REQUIRE(load_identity("client").signer->sign(msg, good) == Error::ok);
    CHECK(r.value.key->verify(msg, good) == Error::ok);
    // A good signature over another message, or a truncated one, does not verify either.
    CHECK(r.value.key->verify(text("another transcript"), good) == Error::bad_signature);
    CHECK(r.value.key->verify(msg, ByteView(good).first(63)) == Error::bad_signature);
}

TEST_CASE("Ed25519 sign/verify roundtrip through load_identity_pem and the verified peer key") {
    auto id = load_identity("server");
    REQUIRE(id.signer);
    CHECK(id.signer->scheme() == SignatureScheme::ed25519);
    auto r = make_verifier()->verify(id.chain, Role::server, kServerName);
    REQUIRE(r.ok());
    for (std::size_t len : {0u, 1u, 64u, 1000u}) {
        Bytes msg(len, 0x20), sig;
        REQUIRE(id.signer->sign(msg, sig) == Error::ok);
        CHECK(sig.size() == 64);
        CHECK(r.value.key->verify(msg, sig) == Error::ok);
    }
}

TEST_CASE("ECDSA P-256 sign/verify roundtrip with DER signatures") {
    auto id = load_identity("client_ecdsa");
    REQUIRE(id.signer);
    CHECK(id.signer->scheme() == SignatureScheme::ecdsa_p256_sha256);
    auto r = make_verifier()->verify(id.chain, Role::client, "");
    REQUIRE(r.ok());
    CHECK(r.value.common_name == "bob");
    REQUIRE(r.value.key->scheme() == SignatureScheme::ecdsa_p256_sha256);
    const Bytes msg = text("udpvpn v1 client CertificateVerify");
    Bytes sig;
    REQUIRE(id.signer->sign(msg, sig) == Error::ok);
    REQUIRE(sig.size() >= 8);
    CHECK(sig[0] == 0x30);  // DER SEQUENCE
    CHECK(r.value.key->verify(msg, sig) == Error::ok);
    Bytes flipped = sig;
    flipped.back() ^= 0x01;
    CHECK(r.value.key->verify(msg, flipped) == Error::bad_signature);
    Bytes trailing = sig;
    trailing.push_back(0);
    CHECK(r.value.key->verify(msg, trailing) == Error::bad_signature);
    CHECK(r.value.key->verify(msg, {}) == Error::bad_signature);
    // An Ed25519-sized signature is not an ECDSA one.
    CHECK(r.value.key->verify(msg, Bytes(64, 0x42)) == Error::bad_signature);
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("Signer::sign appends the signature to the output") {
    auto id = load_identity("client");
    Bytes out = {0xAA, 0xBB};
    REQUIRE(id.signer->sign(text("m"), out) == Error::ok);
    CHECK(out.size() == 66);
    CHECK(out[0] == 0xAA);
}

TEST_CASE("load_identity_pem rejects a key that does not match the leaf") {
    CHECK(load_identity_pem(read_pki_file("server.crt"), read_pki_file("client.key")).error ==
          Error::invalid_argument);
    CHECK(load_identity_pem(read_pki_file("client_ecdsa.crt"), read_pki_file("server_ecdsa.key")).error ==
          Error::invalid_argument);
    CHECK(load_identity_pem(read_pki_file("client.crt"), read_pki_file("client_ecdsa.key")).error ==
          Error::invalid_argument);
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("load_identity_pem loads a chain leaf first and rejects a chain out of order") {
    auto id = load_identity("long_server");
    REQUIRE(id.chain.size() == 3);
    const std::string pem = read_pki_file("long_server.crt");
    // Swap the two intermediates: the leaf is no longer followed by its issuer.
    const auto second = pem.find("-----BEGIN CERTIFICATE-----", 1);
    const auto third = pem.find("-----BEGIN CERTIFICATE-----", second + 1);
    const std::string swapped = pem.substr(0, second) + pem.substr(third) + pem.substr(second, third - second);
    CHECK(load_identity_pem(swapped, read_pki_file("long_server.key")).error == Error::invalid_argument);
}

namespace {

// Every PEM block of `pem` as DER, back to back (what a .der file of several objects holds).
std::string pem_to_der(const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    std::string der;
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    while (PEM_read_bio(bio, &name, &header, &data, &len) == 1) {
        der.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(len));
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_clear_free(data, static_cast<std::size_t>(len));
    }
    ERR_clear_error();   // the end of input is reported as an error
    BIO_free(bio);
    return der;
}

}  // namespace

TEST_CASE("identities, trust anchors and CRLs load from DER as from PEM") {
    // The C ABI hands DER to these loaders as it is: OpenSSL reads it, no hand-written ASN.1.
    for (const char* name : {"client", "client_ecdsa", "client_rsa", "long_server"}) {
        CAPTURE(name);
        const std::string crt = read_pki_file(std::string(name) + ".crt");
        const std::string key = read_pki_file(std::string(name) + ".key");
        const auto from_pem = load_identity_pem(crt, key);
        const auto from_der = load_identity_pem(pem_to_der(crt), pem_to_der(key));
        REQUIRE(from_pem);
        REQUIRE(from_der);
        CHECK(from_der.value.chain == from_pem.value.chain);
        CHECK(from_der.value.signer->scheme() == from_pem.value.signer->scheme());
    }
    const std::string rsa_pkcs1 = read_pki_file("client_rsa_pkcs1.der");   // traditional RSA key, DER
    CHECK(load_identity_pem(pem_to_der(read_pki_file("client_rsa.crt")), rsa_pkcs1));

    const std::string crt_der = pem_to_der(read_pki_file("client.crt"));
    const std::string key_der = pem_to_der(read_pki_file("client.key"));
    // Truncated or trailing bytes, and a key where the chain goes: refused.
    CHECK(load_identity_pem(crt_der.substr(0, crt_der.size() - 1), key_der).error == Error::invalid_argument);
    CHECK(load_identity_pem(crt_der, key_der.substr(0, key_der.size() - 1)).error == Error::invalid_argument);
    CHECK(load_identity_pem(crt_der, key_der + '\0').error == Error::invalid_argument);
    CHECK(load_identity_pem(key_der, key_der).error == Error::invalid_argument);

    auto v = X509Verifier::create(pem_to_der(read_pki_file("ca.crt")), pem_to_der(read_pki_file("crl.pem")), {},
                                  [] { return kTestTime; });
    REQUIRE(v);
    CHECK(v.value->verify(pki_chain("client"), Role::client, "").error == Error::ok);
    CHECK(v.value->verify(pki_chain("client_revoked"), Role::client, "").error == Error::cert_revoked);
    // A certificate in DER where the CRLs go does not turn revocation off: refused.
    CHECK(X509Verifier::create(pem_to_der(read_pki_file("ca.crt")), crt_der, {}, [] { return kTestTime; }).error ==
          Error::invalid_argument);
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("load_identity_pem rejects garbage and empty input") {
    CHECK(load_identity_pem("", read_pki_file("client.key")).error == Error::invalid_argument);
    CHECK(load_identity_pem(read_pki_file("client.crt"), "").error == Error::invalid_argument);
    CHECK(load_identity_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                            read_pki_file("client.key"))
              .error == Error::invalid_argument);
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("unsupported leaf keys are refused with a reason that names the key") {
    for (auto [name, what] : {std::pair{"client_rsa1024", "RSA-1024"}, std::pair{"client_p384", "EC secp384r1"}}) {
        const std::string key_name = name;   // clang 14 cannot capture a structured binding
        CAPTURE(key_name);
        std::string why;
        auto id = load_identity_pem(read_pki_file(std::string(name) + ".crt"),
                                    read_pki_file(std::string(name) + ".key"), &why);
        CHECK(id.error == Error::cert_unsupported_key);
        CHECK(why == std::string("unsupported key ") + what +
                         ": leaf keys must be Ed25519, EC P-256 or RSA of 2048 to 4096 bits");
        // A peer presenting such a certificate is refused for the same reason.
        CHECK(verify_error(*make_verifier(), name, Role::client) == Error::cert_unsupported_key);
    }
    std::string why;
    CHECK(load_identity_pem(read_pki_file("client_rsa.crt"), read_pki_file("client.key"), &why).error ==
          Error::invalid_argument);
    CHECK(why == "the private key (Ed25519) does not match the leaf certificate (RSA-2048)");
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("RSA leaves of 2048 and 4096 bits sign and verify with RSA-PSS in both roles") {
    auto v = make_verifier();
    for (auto [name, role, bytes] : {std::tuple{"client_rsa", Role::client, 256u},
                                     std::tuple{"server_rsa", Role::server, 512u}}) {
        const std::string key_name = name;   // clang 14 cannot capture a structured binding
        CAPTURE(key_name);
        auto id = load_identity(name);
        REQUIRE(id.signer);
        CHECK(id.signer->scheme() == SignatureScheme::rsa_pss_rsae_sha256);
        CHECK(id.signer->max_signature_size() == bytes);
        auto r = v->verify(id.chain, role, role == Role::server ? kServerName : "");
        REQUIRE(r.error == Error::ok);
        REQUIRE(r.value.key->scheme() == SignatureScheme::rsa_pss_rsae_sha256);
        const Bytes msg = text("udpvpn v1 client CertificateVerify");
        Bytes a, b;
        REQUIRE(id.signer->sign(msg, a) == Error::ok);
        REQUIRE(id.signer->sign(msg, b) == Error::ok);
        CHECK(a.size() == bytes);
        CHECK(a != b);   // PSS is randomized
        CHECK(r.value.key->verify(msg, a) == Error::ok);
        CHECK(r.value.key->verify(msg, b) == Error::ok);
        CHECK(r.value.key->verify(text("another message"), a) == Error::bad_signature);
        Bytes flipped = a;
        flipped[7] ^= 0x80;
        CHECK(r.value.key->verify(msg, flipped) == Error::bad_signature);
        CHECK(r.value.key->verify(msg, ByteView(a).first(bytes - 1)) == Error::bad_signature);
        Bytes longer = a;
        longer.push_back(0);
        CHECK(r.value.key->verify(msg, longer) == Error::bad_signature);
        CHECK(r.value.key->verify(msg, {}) == Error::bad_signature);
    }
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("an RSA key verifies RSA-PSS with a 32-byte salt only, never PKCS #1 v1.5") {
    // Signatures made with OpenSSL directly by client_rsa's key, with other paddings.
    const std::string pem = read_pki_file("client_rsa.key");
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    REQUIRE(bio);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(key);
    const Bytes msg = text("content");
    auto sign_with = [&](int padding, int saltlen) {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX* pctx = nullptr;
        Bytes sig(512);
        std::size_t len = sig.size();
        REQUIRE(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, key) == 1);
        REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, padding) == 1);
        if (padding == RSA_PKCS1_PSS_PADDING) REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) == 1);
        REQUIRE(EVP_DigestSign(ctx, sig.data(), &len, msg.data(), msg.size()) == 1);
        EVP_MD_CTX_free(ctx);
        sig.resize(len);
        return sig;
    };
    auto peer = make_verifier()->verify(pki_chain("client_rsa"), Role::client, "");
    REQUIRE(peer.ok());
    CHECK(peer.value.key->verify(msg, sign_with(RSA_PKCS1_PSS_PADDING, 32)) == Error::ok);
    CHECK(peer.value.key->verify(msg, sign_with(RSA_PKCS1_PSS_PADDING, 0)) == Error::bad_signature);
    CHECK(peer.value.key->verify(msg, sign_with(RSA_PKCS1_PSS_PADDING, 64)) == Error::bad_signature);
    CHECK(peer.value.key->verify(msg, sign_with(RSA_PKCS1_PADDING, 0)) == Error::bad_signature);
    EVP_PKEY_free(key);
    ERR_clear_error();
}

TEST_CASE("signature vectors: RSA-PSS verify-only cases verify or are refused as listed") {
    const auto cases = test::load_vectors("signature.vec");
    REQUIRE(cases.size() >= 2);
    for (const auto& c : cases) {
        CAPTURE(c.name());
        CHECK(c.hex("scheme") == Bytes{0x08, 0x04});
        const Bytes spki = c.hex("public_key");
        const unsigned char* p = spki.data();
        EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
        REQUIRE(pub);
        auto key = make_peer_key(pub);
        EVP_PKEY_free(pub);
        REQUIRE(key.ok());
        CHECK(key.value->scheme() == SignatureScheme::rsa_pss_rsae_sha256);
        const Error want = c.expect_fail() ? Error::bad_signature : Error::ok;
        CHECK(key.value->verify(c.hex("content"), c.hex("signature")) == want);
    }
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("garbage DER is rejected as invalid without crashing") {
    auto v = make_verifier("ca", {"crl.pem"});
    CHECK(v->verify({}, Role::client, "").error == Error::cert_invalid);
    std::vector<Bytes> chain = {Bytes{}};
    CHECK(v->verify(chain, Role::client, "").error == Error::cert_invalid);
    chain = {Bytes{0x30, 0x82, 0xff, 0xff, 0x01}};
    CHECK(v->verify(chain, Role::client, "").error == Error::cert_invalid);
    chain = {Bytes(100, 0x30)};
    CHECK(v->verify(chain, Role::client, "").error == Error::cert_invalid);
    // A valid leaf followed by a garbage intermediate, and a valid leaf with trailing bytes.
    chain = pki_chain("client");
    chain.push_back(text("not a certificate"));
    CHECK(v->verify(chain, Role::client, "").error == Error::cert_invalid);
    chain = pki_chain("client");
    chain[0].push_back(0);
    CHECK(v->verify(chain, Role::client, "").error == Error::cert_invalid);
    // Every truncation of a real certificate.
    const Bytes leaf = pki_chain("server")[0];
    for (std::size_t n = 0; n < leaf.size(); ++n) {
        std::vector<Bytes> cut = {Bytes(leaf.begin(), leaf.begin() + static_cast<std::ptrdiff_t>(n))};
        CHECK(v->verify(cut, Role::server, kServerName).error == Error::cert_invalid);
    }
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("a certificate whose signature was tampered with is rejected as invalid") {
    auto chain = pki_chain("client");
    chain[0][chain[0].size() - 5] ^= 0x01;  // inside the issuer's Ed25519 signature
    CHECK(make_verifier()->verify(chain, Role::client, "").error == Error::cert_invalid);
}

TEST_CASE("more than four certificates are rejected") {
    auto chain = pki_chain("long_client");
    chain.push_back(chain.back());
    chain.push_back(chain.back());
    CHECK(make_verifier("long_ca")->verify(chain, Role::client, "").error == Error::cert_invalid);
}

TEST_CASE("X509Verifier::create rejects missing trust anchors, corrupt PEM and a missing clock") {
    auto clock = [] { return kTestTime; };
    CHECK(X509Verifier::create("", "", {}, clock).error == Error::invalid_argument);
    CHECK(X509Verifier::create("garbage", "", {}, clock).error == Error::invalid_argument);
    CHECK(X509Verifier::create(read_pki_file("ca.crt"), "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
                               {}, clock)
              .error == Error::invalid_argument);
    CHECK(X509Verifier::create(read_pki_file("ca.crt"), "", {}, nullptr).error == Error::invalid_argument);
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("the verifier leaves errors queued by the caller in place") {
    ERR_raise(ERR_LIB_USER, 42);
    const unsigned long before = ERR_peek_last_error();
    CHECK(verify_error(*make_verifier("ca", {"crl.pem"}), "client_revoked", Role::client) == Error::cert_revoked);
    CHECK(ERR_peek_last_error() == before);
    ERR_clear_error();
}
