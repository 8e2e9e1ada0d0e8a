// SPDX-License-Identifier: GPL-3.0-or-later
// CertificateVerify keys (docs/rfc-draft.txt, "CERTIFICATE_VERIFY"): signers and verifying keys
// made from OpenSSL keys generated here, for the three schemes and the keys we refuse.
#include "signature_keys.hpp"

#include <openssl/evp.h>

#include <doctest/doctest.h>

#include <memory>
#include <string>

using namespace udpvpn;

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey generate(const char* type, const char* param = nullptr) {
    EVP_PKEY* k = nullptr;
    if (std::string(type) == "RSA") k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(std::stoul(param)));
    else if (std::string(type) == "EC") k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", param);
    else k = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    REQUIRE(k != nullptr);
    return Pkey(k);
}

const Bytes kMessage = [] {
    Bytes m(130);
    for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(i);
    return m;
}();

struct Case {
    const char* name;
    const char* type;
    const char* param;
    SignatureScheme scheme;
    std::size_t max_size;
};

}  // namespace

TEST_CASE("each supported key signs, its public key verifies, and any change fails") {
    const Case cases[] = {
        {"Ed25519", "ED25519", nullptr, SignatureScheme::ed25519, kEd25519SignatureSize},
        {"EC P-256", "EC", "P-256", SignatureScheme::ecdsa_p256_sha256, kMaxEcdsaP256SignatureSize},
        {"RSA-2048", "RSA", "2048", SignatureScheme::rsa_pss_rsae_sha256, 256},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        Pkey key = generate(c.type, c.param);
        auto signer = make_signer(key.get());
        REQUIRE(signer.ok());
        auto peer = make_peer_key(key.get());   // the public half of the same key
        REQUIRE(peer.ok());
        CHECK(signer.value->scheme() == c.scheme);
        CHECK(peer.value->scheme() == c.scheme);
        CHECK(signer.value->max_signature_size() == c.max_size);

        Bytes sig = {0xEE};   // sign() appends
        REQUIRE(signer.value->sign(kMessage, sig) == Error::ok);
        REQUIRE(sig.size() > 1);
        CHECK(sig[0] == 0xEE);
        const Bytes only(sig.begin() + 1, sig.end());
        CHECK(only.size() <= c.max_size);
        CHECK(peer.value->verify(kMessage, only) == Error::ok);

        Bytes other_msg = kMessage;
        other_msg[0] ^= 1;
        CHECK(peer.value->verify(other_msg, only) == Error::bad_signature);
        Bytes bad = only;
        bad[bad.size() / 2] ^= 0x10;
        CHECK(peer.value->verify(kMessage, bad) == Error::bad_signature);
        CHECK(peer.value->verify(kMessage, {}) == Error::bad_signature);
        CHECK(peer.value->verify(kMessage, ByteView(only).first(only.size() - 1)) == Error::bad_signature);

        // Another key of the same kind does not verify it.
        Pkey other = generate(c.type, c.param);
        auto other_peer = make_peer_key(other.get());
        REQUIRE(other_peer.ok());
        CHECK(other_peer.value->verify(kMessage, only) == Error::bad_signature);
    }
}

TEST_CASE("keys outside Ed25519, P-256 and RSA 2048..4096 are refused and named") {
    const Case refused[] = {
        {"RSA-1024", "RSA", "1024", {}, 0},
        {"EC secp384r1", "EC", "P-384", {}, 0},
        {"Ed448", "ED448", nullptr, {}, 0},
    };
    for (const Case& c : refused) {
        CAPTURE(c.name);
        Pkey key = generate(c.type, c.param);
        CHECK(make_signer(key.get()).error == Error::cert_unsupported_key);
        CHECK(make_peer_key(key.get()).error == Error::cert_unsupported_key);
        CHECK(describe_key(key.get()) == c.name);
        const std::string text = unsupported_key_text(key.get());
        CHECK(text.find(c.name) != std::string::npos);
        CHECK(text.find(kSupportedKeysText) != std::string::npos);
    }
}

TEST_CASE("supported keys are described for messages too") {
    CHECK(describe_key(generate("ED25519").get()) == "Ed25519");
    CHECK(describe_key(generate("RSA", "2048").get()) == "RSA-2048");
    CHECK(describe_key(generate("EC", "P-256").get()).find("prime256v1") != std::string::npos);
}
