// SPDX-License-Identifier: GPL-3.0-or-later
// What both sides check of the other (libudpvpn/peer_authentication.cpp): the certificate and its
// verifier's verdict, CERTIFICATE_VERIFY, and FINISHED over a transcript that any downgrade breaks.
#include "handshake_harness.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::test;

TEST_CASE("downgrade: tampering the suite in SERVER_HELLO fails the handshake") {
    Harness h;
    h.network = [](Dir d, std::size_t, Bytes& dg) {
        if (d == Dir::s2c && dg[0] == 0x04) dg[74] = dg[74] == 1 ? 2 : 1;
        return true;
    };
    h.run(12 * kSecond);
    CHECK(h.client->state() == ClientHandshake::State::failed);
    CHECK(h.server->state() != ServerHandshake::State::complete);
    CHECK(h.client->failure() != Error::ok);
}

TEST_CASE("downgrade: tampering the client's suite list (MAC recomputed) fails the handshake") {
    for (int variant = 0; variant < 2; ++variant) {
        CAPTURE(variant);
        if (variant == 1 && !suite_available(Suite::aes256_gcm)) continue;
        Harness h;
        h.network = [variant](Dir d, std::size_t, Bytes& dg) {
            if (d == Dir::c2s && dg[0] == 0x01) {
                // variant 0: same suites, other order; variant 1: strip ChaCha20 to force AES-GCM.
                dg = variant == 0 ? sealed_initial_with_suites(dg, {0x00, 0x02, 0x00, 0x01})
                                  : sealed_initial_with_suites(dg, {0x00, 0x02});
            }
            return true;
        };
        h.run(12 * kSecond);
        CHECK(h.client->state() == ClientHandshake::State::failed);
        REQUIRE(h.server);
        CHECK(h.server->state() != ServerHandshake::State::complete);
    }
}

TEST_CASE("a CertificateVerify signed by a key that is not the certificate's fails with bad_signature") {
    SUBCASE("server") {
        Harness h;
        h.server_id.signer = load_identity("server_othername").signer;
        h.run();
        CHECK(h.client->failure() == Error::bad_signature);
        REQUIRE(h.server);
        CHECK(h.server->failure() == Error::peer_closed);   // the client's CLOSE reached it
        CHECK(h.server->peer_close_code() == 5);
    }
    SUBCASE("client") {
        Harness h;
        h.client_id.signer = load_identity("client_expired").signer;
        h.run();
        REQUIRE(h.server);
        CHECK(h.server->failure() == Error::bad_signature);
        CHECK(h.client->failure() == Error::peer_closed);
        CHECK(h.client->state() == ClientHandshake::State::failed);
    }
    SUBCASE("a signature scheme other than the certificate key's") {
        Harness h;
        h.server_id.signer = load_identity("server_ecdsa").signer;   // Ed25519 certificate, ECDSA signature
        h.run();
        CHECK(h.client->failure() == Error::bad_signature);
    }
    SUBCASE("an RSA certificate with a signature by another RSA key") {
        Harness h;
        h.client_id = load_identity("client_rsa");
        h.client_id.signer = load_identity("server_rsa").signer;   // RSA-PSS, but the wrong key (and size)
        h.run();
        REQUIRE(h.server);
        CHECK(h.server->failure() == Error::bad_signature);
    }
}

TEST_CASE("every certificate failure from the verifier is the handshake failure reason, on both sides") {
    for (Error e : {Error::cert_expired, Error::cert_not_yet_valid, Error::cert_unknown_ca, Error::cert_revoked,
                    Error::crl_expired, Error::cert_wrong_purpose, Error::cert_name_mismatch, Error::cert_invalid}) {
        CAPTURE(to_string(e));
        Harness hc;
        hc.client_verifier = std::make_shared<FailingVerifier>(e);
        hc.run();
        CHECK(hc.client->failure() == e);
        REQUIRE(hc.server);
        CHECK(hc.server->peer_close_code() == close_code_for(e));
        Harness hs;
        hs.server_verifier = std::make_shared<FailingVerifier>(e);
        hs.run();
        REQUIRE(hs.server);
        CHECK(hs.server->failure() == e);
        CHECK(hs.client->state() == ClientHandshake::State::failed);
    }
}

TEST_CASE("real certificate problems fail the handshake with their reason") {
    SUBCASE("expired client certificate") {
        Harness h;
        h.client_id = load_identity("client_expired");
        h.run();
        CHECK(h.server->failure() == Error::cert_expired);
    }
    SUBCASE("revoked client certificate") {
        Harness h;
        h.client_id = load_identity("client_revoked");
        h.server_verifier = make_verifier("ca", {"crl.pem"});
        h.run();
        CHECK(h.server->failure() == Error::cert_revoked);
    }
    SUBCASE("server name mismatch") {
        Harness h;
        h.ccfg.expected_server_name = "other.example.test";
        h.run();
        CHECK(h.client->failure() == Error::cert_name_mismatch);
    }
    SUBCASE("a client certificate presented as a server") {
        Harness h;
        h.server_id = load_identity("client_as_server");
        h.run();
        CHECK(h.client->failure() == Error::cert_wrong_purpose);
    }
    SUBCASE("unknown CA") {
        Harness h;
        h.client_id = load_identity("client_otherca");
        h.run();
        CHECK(h.server->failure() == Error::cert_unknown_ca);
    }
}
