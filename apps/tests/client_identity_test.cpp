// SPDX-License-Identifier: GPL-3.0-or-later
// server.identity: what makes two certificates the same client, and what the client is called.
#include "client_identity.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::app;

namespace {

PeerIdentity alice(const std::string& issuer, const std::string& fingerprint) {
    PeerIdentity p;
    p.common_name = "alice";
    p.subject = "O=example,CN=alice";
    p.issuer = issuer;
    p.fingerprint_sha256 = fingerprint;
    p.email_names = {"alice@example.test", "a@example.test"};
    p.uri_names = {"urn:example:alice"};
    return p;
}

}  // namespace

TEST_CASE("the same subject from two CAs is two clients with the same name") {
    const auto a = client_identity(alice("CN=CA one", "aa"), IdentityMode::subject);
    const auto b = client_identity(alice("CN=CA two", "bb"), IdentityMode::subject);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->name == "alice");
    CHECK(b->name == "alice");
    CHECK(a->key != b->key);
    // A renewed certificate (new fingerprint) from the same CA is the same client.
    CHECK(client_identity(alice("CN=CA one", "cc"), IdentityMode::subject)->key == a->key);
}

TEST_CASE("the identity can be a subjectAltName (bound to its issuer) or the fingerprint") {
    const auto e = client_identity(alice("CN=CA one", "aa"), IdentityMode::san_email);
    REQUIRE(e);
    CHECK(e->name == "alice@example.test");   // the first one
    CHECK(e->key != client_identity(alice("CN=CA two", "aa"), IdentityMode::san_email)->key);
    CHECK(client_identity(alice("CN=CA one", "aa"), IdentityMode::san_uri)->name == "urn:example:alice");
    CHECK_FALSE(client_identity(alice("CN=CA one", "aa"), IdentityMode::san_dns));   // it has none
    const auto f1 = client_identity(alice("CN=CA one", "aa"), IdentityMode::fingerprint);
    const auto f2 = client_identity(alice("CN=CA one", "cc"), IdentityMode::fingerprint);
    REQUIRE(f1);
    CHECK(f1->name == "alice");
    CHECK(f1->key != f2->key);
    PeerIdentity nameless;
    nameless.fingerprint_sha256 = "0123";
    CHECK(client_identity(nameless, IdentityMode::subject)->name == "0123");
}

TEST_CASE("identity modes parse from their configuration names and back") {
    IdentityMode m{};
    for (const char* name : {"subject", "san-dns", "san-email", "san-uri", "fingerprint"}) {
        CAPTURE(name);
        REQUIRE(parse_identity_mode(name, m));
        CHECK(std::string(identity_mode_name(m)) == name);
    }
    CHECK_FALSE(parse_identity_mode("cn", m));
    CHECK_FALSE(parse_identity_mode("", m));
}
