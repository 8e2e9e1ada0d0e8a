// SPDX-License-Identifier: GPL-3.0-or-later
// Credential files: what scan_credential recognises, DER turned into PEM, and the messages
// pki_files gives for files an admin gets wrong (issue 16). The e2e scripts crl_mistakes.sh and
// config_mistakes.sh show the same through the real binaries.
#include "config_files.hpp"
#include "credential_format.hpp"
#include "pki_files.hpp"
#include "toml_reader.hpp"

#include "test_pki.hpp"

#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace udpvpn;
using namespace udpvpn::app;
using udpvpn::test::read_pki_file;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/pki_files_test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& contents, unsigned mode = 0600) const {
        const auto p = path / name;
        std::ofstream(p, std::ios::binary) << contents;
        std::filesystem::permissions(p, static_cast<std::filesystem::perms>(mode));
        return p.string();
    }
};

std::string crl_der(const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(crl != nullptr);
    unsigned char* der = nullptr;
    const int n = i2d_X509_CRL(crl, &der);
    X509_CRL_free(crl);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
}

std::string error_of(auto&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("scan_credential tells certificates, CRLs, keys, passphrase-protected keys and garbage apart") {
    using F = CredentialScan::Format;
    CHECK(scan_credential("").format == F::empty);
    CHECK(scan_credential(" \n\n").format == F::empty);
    CHECK(scan_credential("hello, world\n").format == F::unknown);
    const auto ca = scan_credential(read_pki_file("ca.crt"));
    CHECK(ca.format == F::pem);
    CHECK(ca.count(CredentialKind::certificate) == 1);
    const auto crl = scan_credential(read_pki_file("crl.pem"));
    CHECK(crl.count(CredentialKind::crl) == 1);
    CHECK(crl.count(CredentialKind::certificate) == 0);
    CHECK(scan_credential(read_pki_file("client.key")).count(CredentialKind::private_key) == 1);
    CHECK(scan_credential("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
              .count(CredentialKind::encrypted_private_key) == 1);
    CHECK(scan_credential("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nAA\n"
                          "-----END EC PRIVATE KEY-----\n")
              .count(CredentialKind::encrypted_private_key) == 1);
    const auto der = scan_credential(crl_der(read_pki_file("crl.pem")));
    CHECK(der.format == F::der);
    REQUIRE(der.objects.size() == 1);
    CHECK(der.objects[0] == CredentialKind::crl);
    std::string junk(300, '\x30');
    CHECK(scan_credential(junk).format == F::unknown);
}

TEST_CASE("a DER CRL becomes the same CRL in PEM") {
    const std::string pem = der_to_pem(crl_der(read_pki_file("crl.pem")), CredentialKind::crl);
    REQUIRE_FALSE(pem.empty());
    CHECK(crl_der(pem) == crl_der(read_pki_file("crl.pem")));
    CHECK(der_to_pem("garbage", CredentialKind::crl).empty());
}

TEST_CASE("a CRL file that holds no CRL is refused with a message naming pki.crl and the file") {
    TempDir d;
    const std::string ca = d.write("ca.crt", read_pki_file("ca.crt"));
    auto crl_error = [&](const std::string& name, const std::string& contents) {
        const std::string f = d.write(name, contents);
        return error_of([&] { load_verifier(ca, f, false); });
    };
    CHECK(contains(crl_error("ca_as.crl", read_pki_file("ca.crt")), "pki.crl: " + (d.path / "ca_as.crl").string() +
                                                                        " holds a certificate, not a CRL"));
    CHECK(contains(crl_error("garbage.crl", "not a CRL at all\n"), "holds neither PEM nor DER"));
    CHECK(contains(crl_error("empty.crl", ""), "is empty"));
    CHECK(contains(crl_error("other.crl", read_pki_file("long_crls.pem")), "is not from a CA in pki.ca"));
    CHECK(contains(error_of([&] { load_verifier(ca, (d.path / "missing.crl").string(), false); }),
                   "pki.crl: cannot read"));
    CHECK(contains(error_of([&] { load_verifier(ca, d.path.string(), false); }), "pki.crl: " + d.path.string() +
                                                                                   " is a directory"));
    CHECK(contains(error_of([&] { load_verifier(ca, "", true); }), "pki.require_crl"));
}

TEST_CASE("a DER CRL loads and its revocations apply") {
    TempDir d;
    const std::string ca = d.write("ca.crt", read_pki_file("ca.crt"));
    const std::string crl = d.write("crl.der", crl_der(read_pki_file("crl.pem")));
    const auto loaded = load_verifier_files(ca, crl, false);
    CHECK(loaded.crl.crls == 1);
    CHECK(loaded.crl.next_update_unix > 0);
    // The verifier runs on the wall clock; the test PKI's CRL may have expired by now, which also
    // refuses the revoked client (crl_expired): either way it is never accepted.
    const Error e = loaded.verifier->verify(udpvpn::test::pki_chain("client_revoked"), Role::client, "").error;
    CHECK((e == Error::cert_revoked || e == Error::crl_expired));
}

TEST_CASE("the CA, certificate and key files: distinct messages for distinct mistakes") {
    TempDir d;
    const std::string ca = d.write("ca.crt", read_pki_file("ca.crt"));
    const std::string cert = d.write("server.crt", read_pki_file("server.crt"));
    const std::string key = d.write("server.key", read_pki_file("server.key"));
    const std::string other_key = d.write("client.key", read_pki_file("client.key"));
    CHECK(contains(error_of([&] { load_identity(cert, other_key); }), "does not match the certificate in pki.cert"));
    CHECK(contains(error_of([&] { load_identity(key, key); }), "pki.cert: " + key + " holds a private key"));
    CHECK(contains(error_of([&] { load_identity(cert, cert); }), "pki.key: " + cert + " holds a certificate"));
    const std::string locked = d.write("locked.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
    CHECK(contains(error_of([&] { load_identity(cert, locked); }), "is protected by a passphrase"));
    CHECK(contains(error_of([&] { load_verifier(d.write("empty", ""), "", false); }), "pki.ca: "));
    CHECK(contains(error_of([&] { load_verifier(d.path.string(), "", false); }), "pki.ca: " + d.path.string() +
                                                                                  " is a directory"));
    CHECK(contains(error_of([&] { load_verifier(d.write("junk", "junk\n"), "", false); }), "pki.ca: "));
    CHECK(error_of([&] { load_identity(cert, key); }).empty());
    CHECK(error_of([&] { load_verifier(ca, "", false); }).empty());
}

TEST_CASE("a key readable by others: accepted with a warning, refused when strict") {
    TempDir d;
    const std::string cert = d.write("server.crt", read_pki_file("server.crt"), 0644);
    const std::string key = d.write("server.key", read_pki_file("server.key"), 0644);
    CHECK(secret_file_exposure(key) == "mode 0644: accessible to its group and others");
    CHECK(error_of([&] { load_identity(cert, key, KeyPermissions::warn); }).empty());
    CHECK(contains(error_of([&] { load_identity(cert, key, KeyPermissions::refuse); }), "chmod 600"));
    std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    CHECK(secret_file_exposure(key).empty());
    CHECK(error_of([&] { load_identity(cert, key, KeyPermissions::refuse); }).empty());
}

TEST_CASE("files are read whole; a secret's buffer is wiped when it goes") {
    TempDir d;
    const std::string f = d.write("secret", "0123456789abcdef");
    SecretText s = read_secret_file(f, "pki.key", "the private key");
    CHECK(s.str() == "0123456789abcdef");
    const char* data = s.str().data();
    const std::size_t cap = s.str().capacity();
    s.wipe();
    CHECK(s.str().empty());
    CHECK(s.str().data() == data);   // same buffer, now zero
    for (std::size_t i = 0; i < cap; ++i) CHECK(data[i] == '\0');
    CHECK(contains(error_of([&] { read_config_file(d.path.string(), "pki.ca", "the CA"); }), "is a directory"));
    CHECK(contains(error_of([&] { TomlReader::from_file(d.path.string()); }), "is a directory"));
}

TEST_CASE("the cluster key file: read, checked like the other key files, refused when unreadable") {
    TempDir d;
    const std::string hex = d.write("cluster.key", std::string(64, 'a') + "\n");
    auto key = load_cluster_key(hex, KeyPermissions::refuse);
    REQUIRE(key);
    CHECK(key->expose()[0] == 0xAA);
    CHECK(key->expose()[31] == 0xAA);
    CHECK_FALSE(load_cluster_key("", KeyPermissions::refuse));   // none configured
    const std::string open = d.write("open.key", std::string(32, 'x'), 0644);
    CHECK(error_of([&] { load_cluster_key(open, KeyPermissions::warn); }).empty());
    const std::string refused = error_of([&] { load_cluster_key(open, KeyPermissions::refuse); });
    CHECK(contains(refused, "cluster.key"));
    CHECK(contains(refused, "chmod 600"));
    CHECK(contains(error_of([&] { load_cluster_key(d.write("short.key", "abcd"), KeyPermissions::refuse); }),
                   "must hold 32 raw bytes or 64 hex digits"));
    CHECK(contains(error_of([&] { load_cluster_key((d.path / "missing.key").string(), KeyPermissions::refuse); }),
                   "cluster.key"));
    if (::geteuid() != 0) {   // root reads anything: the mode does not stop it
        const std::string unreadable = d.write("unreadable.key", std::string(64, 'b'), 0000);
        CHECK(contains(error_of([&] { load_cluster_key(unreadable, KeyPermissions::refuse); }), "cluster.key"));
    }
}
