// SPDX-License-Identifier: GPL-3.0-or-later
#include "pki_files.hpp"

#include "config_files.hpp"
#include "conformance_fault_env.hpp"
#include "credential_format.hpp"
#include "log.hpp"
#include "toml_reader.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include <ctime>
#include <memory>
#include <vector>

namespace udpvpn::app {
namespace {

// The key types load_identity_pem takes; named in the "unsupported key type" message.
constexpr const char* kSupportedKeyTypes = "Ed25519, EC P-256 and RSA of 2048 to 4096 bits";
constexpr std::size_t kMaxChain = 4;   // docs/rfc-draft.txt 8.3: the leaf and up to 3 CAs

struct ErrorMark {
    ErrorMark() { ERR_set_mark(); }
    ~ErrorMark() { ERR_pop_to_mark(); }
};

struct X509Free { void operator()(X509* p) const noexcept { X509_free(p); } };
struct CrlFree { void operator()(X509_CRL* p) const noexcept { X509_CRL_free(p); } };
struct KeyFree { void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); } };
struct BioFree { void operator()(BIO* p) const noexcept { BIO_free(p); } };
using X509Ptr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

[[noreturn]] void fail(const std::string& option, const std::string& what) { throw ConfigError(option + ": " + what); }

BioPtr mem_bio(const std::string& s) { return BioPtr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size()))); }

std::string name_of(X509_NAME* n) {
    if (n == nullptr) return "?";
    char buf[256];
    X509_NAME_oneline(n, buf, sizeof buf);
    std::string s = buf;
    return s.empty() ? "(empty name)" : s;
}

std::string utc(std::int64_t t) {
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return b;
}

bool to_unix(const ASN1_TIME* t, std::int64_t& out) {
    if (t == nullptr) return false;
    int days = 0, secs = 0;
    ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
    const bool ok = epoch != nullptr && ASN1_TIME_diff(&days, &secs, epoch, t) == 1;
    ASN1_TIME_free(epoch);
    if (ok) out = std::int64_t{days} * 86400 + secs;
    return ok;
}

// The PEM text of a certificate or CRL file, or a ConfigError saying what the file holds instead.
// `expected` is the kind the option needs; `hint` tells what to do when the file holds another kind.
std::string credential_pem(const std::string& text, const std::string& option, const std::string& path,
                           CredentialKind expected, const std::string& holds) {
    const CredentialScan scan = scan_credential(text);
    using F = CredentialScan::Format;
    if (scan.format == F::empty) fail(option, path + " is empty; it must hold " + holds + " (PEM or DER)");
    if (scan.format == F::unknown)
        fail(option, path + " holds neither PEM nor DER data; it must hold " + holds + " (is it the right file?)");
    if (scan.count(expected) == 0) {
        const CredentialKind first = scan.objects.front();
        std::string why = path + " holds " + describe(first, scan) + (scan.format == F::der ? " (DER)" : "") +
                          ", not " + holds;
        if (option == "pki.crl" && first == CredentialKind::certificate)
            why += " (the CA certificate by mistake?); make the CRL with `udpvpn-pki crl` or `openssl ca -gencrl`, "
                   "or remove pki.crl to run without revocation checks";
        else if (option == "pki.ca" && first == CredentialKind::crl)
            why += " (pki.ca and pki.crl swapped?)";
        else if (option == "pki.cert" && (first == CredentialKind::private_key ||
                                          first == CredentialKind::encrypted_private_key))
            why += " (pki.cert names the key file?); give the certificate file";
        else if (first == CredentialKind::private_key || first == CredentialKind::encrypted_private_key)
            why += "; give the certificate file, not a key";
        fail(option, why);
    }
    for (CredentialKind k : scan.objects) {
        if (k == CredentialKind::private_key || k == CredentialKind::encrypted_private_key)
            fail(option, path + " holds a private key besides " + holds + "; keep private keys out of it");
        if (k != expected)
            fail(option, path + " holds " + describe(k, scan) + " besides " + holds + "; give a file with " + holds +
                             " only");
    }
    if (scan.format == F::pem) return text;
    std::string pem = der_to_pem(text, expected);
    if (pem.empty()) fail(option, path + ": the DER data does not parse");
    return pem;
}

template <typename T, typename Read>
std::vector<std::unique_ptr<T, std::conditional_t<std::is_same_v<T, X509>, X509Free, CrlFree>>>
read_all(const std::string& pem, Read read, const std::string& option, const std::string& path) {
    ErrorMark mark;
    std::vector<std::unique_ptr<T, std::conditional_t<std::is_same_v<T, X509>, X509Free, CrlFree>>> out;
    auto bio = mem_bio(pem);
    while (T* x = read(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
    const unsigned long e = ERR_peek_last_error();
    if (!(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
        fail(option, path + ": PEM block " + std::to_string(out.size() + 1) + " does not parse (damaged file?)");
    return out;
}

std::vector<X509Ptr> read_certs(const std::string& pem, const std::string& option, const std::string& path) {
    return read_all<X509>(pem, PEM_read_bio_X509, option, path);
}
std::vector<CrlPtr> read_crls(const std::string& pem, const std::string& option, const std::string& path) {
    return read_all<X509_CRL>(pem, PEM_read_bio_X509_CRL, option, path);
}

// Every CRL must come from a CA of pki.ca and carry its signature: a CRL of another CA would
// leave our CA without one, which without require_crl means no revocation checks at all.
CrlFacts check_crls(const std::vector<CrlPtr>& crls, const std::vector<X509Ptr>& cas, const std::string& crl_path,
                    const std::string& ca_path, bool require_crl) {
    ErrorMark mark;
    CrlFacts facts;
    facts.crls = crls.size();
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    for (const auto& crl : crls) {
        X509_NAME* issuer = X509_CRL_get_issuer(crl.get());
        X509* ca = nullptr;
        for (const auto& c : cas)
            if (X509_NAME_cmp(X509_get_subject_name(c.get()), issuer) == 0) ca = c.get();
        if (ca == nullptr)
            fail("pki.crl", crl_path + ": the CRL of " + name_of(issuer) + " is not from a CA in pki.ca (" + ca_path +
                                "); give the CRL of the CA that issues the clients' certificates");
        if (X509_CRL_verify(crl.get(), X509_get0_pubkey(ca)) != 1)
            fail("pki.crl", crl_path + ": the signature of the CRL of " + name_of(issuer) +
                                " does not verify with that CA's key (damaged file, or a CA of the same name?)");
        std::int64_t next = 0;
        if (to_unix(X509_CRL_get0_nextUpdate(crl.get()), next)) {
            if (facts.next_update_unix == 0 || next < facts.next_update_unix) facts.next_update_unix = next;
        }
    }
    if (facts.next_update_unix != 0 && facts.next_update_unix < now) {
        const std::string when = crl_path + " expired at " + utc(facts.next_update_unix) + " (its nextUpdate)";
        if (require_crl)
            fail("pki.crl", when + "; with pki.require_crl every client would be refused: publish a fresh CRL "
                                   "(udpvpn-pki crl) and try again");
        UVLOG_WARN("pki.crl: %s: every client certificate checked against it is refused until a fresh CRL is "
                   "loaded (SIGHUP)", when.c_str());
    }
    return facts;
}

// The PEM a key file holds (DER converted), or a ConfigError naming what is wrong.
SecretText key_pem(SecretText text, const std::string& path) {
    const CredentialScan scan = scan_credential(text.str());
    using F = CredentialScan::Format;
    const std::string decrypt = "; udpvpn runs unattended and cannot ask for a passphrase: store the key "
                                "decrypted (openssl pkey -in " + path + " -out NEW.key) readable by root only";
    if (scan.format == F::empty) fail("pki.key", path + " is empty; it must hold the private key (PEM or DER)");
    if (scan.format == F::unknown)
        fail("pki.key", path + " holds neither PEM nor DER data; it must hold the private key (is it the right file?)");
    if (scan.count(CredentialKind::encrypted_private_key) > 0)
        fail("pki.key", path + " is protected by a passphrase" + decrypt);
    if (scan.count(CredentialKind::private_key) == 0) {
        const CredentialKind first = scan.objects.front();
        std::string why = path + " holds " + describe(first, scan) + ", not a private key";
        if (first == CredentialKind::certificate) why += " (pki.cert and pki.key swapped?)";
        fail("pki.key", why);
    }
    if (scan.count(CredentialKind::private_key) > 1)
        fail("pki.key", path + " holds " + std::to_string(scan.count(CredentialKind::private_key)) +
                            " private keys; give the one file with the key of pki.cert");
    if (scan.format == F::pem) return text;
    SecretText pem = der_key_to_pem(text.str());
    if (pem.str().empty()) fail("pki.key", path + ": the DER private key does not parse");
    return pem;
}

int no_passphrase(char*, int, int, void*) { return -1; }

std::string key_type(EVP_PKEY* key) {
    std::string t = EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown";
    char group[64];
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1) t += std::string(" ") + group;
    else if (EVP_PKEY_get_bits(key) > 0 && t != "ED25519" && t != "ED448") t += "-" + std::to_string(EVP_PKEY_get_bits(key));
    return t;
}

void check_exposure(const std::string& option, const std::string& path, KeyPermissions permissions) {
    if (permissions == KeyPermissions::checked) return;
    const std::string exposure = secret_file_exposure(path);
    if (exposure.empty()) return;
    if (permissions == KeyPermissions::refuse)
        fail(option, path + " is " + exposure + "; make it private (chmod 600 " + path +
                         "), or set pki.strict_key_permissions = false");
    UVLOG_WARN("%s: %s is %s; make it private (chmod 600 %s); pki.strict_key_permissions = true refuses such keys",
               option.c_str(), path.c_str(), exposure.c_str(), path.c_str());
}

}  // namespace

LoadedVerifier load_verifier_files(const std::string& ca_file, const std::string& crl_file, bool require_crl,
                                   bool allow_missing_eku) {
    const std::string ca_text = read_config_file(ca_file, "pki.ca", "the CA certificate(s)");
    const std::string ca_pem = credential_pem(ca_text, "pki.ca", ca_file, CredentialKind::certificate, "a CA certificate");
    const auto cas = read_certs(ca_pem, "pki.ca", ca_file);
    if (cas.empty()) fail("pki.ca", ca_file + " holds no certificate");
    std::string crl_pem;
    LoadedVerifier out;
    if (!crl_file.empty()) {
        const std::string crl_text = read_config_file(crl_file, "pki.crl", "the CRL");
        crl_pem = credential_pem(crl_text, "pki.crl", crl_file, CredentialKind::crl, "a CRL");
        const auto crls = read_crls(crl_pem, "pki.crl", crl_file);
        if (crls.empty()) fail("pki.crl", crl_file + " holds no CRL");
        out.crl = check_crls(crls, cas, crl_file, ca_file, require_crl);
    } else if (require_crl) {
        fail("pki.require_crl", "is true but pki.crl names no file; give the CA's CRL in pki.crl");
    }
    VerifierPolicy policy;
    policy.require_crl = require_crl;
    policy.allow_missing_eku = allow_missing_eku;
#ifdef UDPVPN_CONFORMANCE_FAULTS
    policy.conformance_fault = conformance_fault_from_env();   // test builds only
#endif
    auto v = X509Verifier::create(ca_pem, crl_pem, policy, [] { return static_cast<std::int64_t>(std::time(nullptr)); });
    if (!v) fail("pki.ca", "cannot use " + ca_file + (crl_file.empty() ? "" : " with " + crl_file) + ": " + to_string(v.error));
    out.verifier = v.value;
    return out;
}

std::shared_ptr<const CertificateVerifier> load_verifier(const std::string& ca_file, const std::string& crl_file,
                                                         bool require_crl, bool allow_missing_eku) {
    return load_verifier_files(ca_file, crl_file, require_crl, allow_missing_eku).verifier;
}

Identity load_identity(const std::string& cert_file, const std::string& key_file, KeyPermissions permissions) {
    const std::string cert_text = read_config_file(cert_file, "pki.cert", "the certificate (and its chain)");
    const std::string chain_pem = credential_pem(cert_text, "pki.cert", cert_file, CredentialKind::certificate,
                                                 "a certificate");
    const auto certs = read_certs(chain_pem, "pki.cert", cert_file);
    if (certs.empty()) fail("pki.cert", cert_file + " holds no certificate");
    if (certs.size() > kMaxChain)
        fail("pki.cert", cert_file + " holds " + std::to_string(certs.size()) +
                             " certificates; at most 4 (the certificate, then up to 3 CAs)");
    for (std::size_t i = 0; i + 1 < certs.size(); ++i)
        if (X509_check_issued(certs[i + 1].get(), certs[i].get()) != X509_V_OK)
            fail("pki.cert", cert_file + ": certificate " + std::to_string(i + 2) + " (" +
                                 name_of(X509_get_subject_name(certs[i + 1].get())) + ") did not issue certificate " +
                                 std::to_string(i + 1) + " (" + name_of(X509_get_subject_name(certs[i].get())) +
                                 "); list our certificate first, then each CA that issued the one before");

    SecretText key_text = read_secret_file(key_file, "pki.key", "the private key");
    check_exposure("pki.key", key_file, permissions);
    const SecretText key = key_pem(std::move(key_text), key_file);
    {
        ErrorMark mark;
        auto bio = mem_bio(key.str());
        KeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
        if (!pkey) fail("pki.key", key_file + ": the private key does not parse (damaged file?)");
        EVP_PKEY* leaf_pub = X509_get0_pubkey(certs.front().get());
        if (leaf_pub == nullptr || EVP_PKEY_eq(leaf_pub, pkey.get()) != 1)
            fail("pki.key", key_file + " does not match the certificate in pki.cert (" + cert_file + ", " +
                                name_of(X509_get_subject_name(certs.front().get())) +
                                "); give the key that certificate was issued for");
        std::string why;
        auto id = load_identity_pem(chain_pem, key.str(), &why);
        if (!id) {
            if (id.error == Error::cert_unsupported_key || id.error == Error::invalid_argument)
                fail("pki.key", key_file + ": unsupported key type " + key_type(pkey.get()) + " (udpvpn takes " +
                                    kSupportedKeyTypes + ")");
            fail("pki.cert", "cannot load " + cert_file + " with " + key_file + ": " +
                                 (why.empty() ? std::string(to_string(id.error)) : why));
        }
        return id.value;
    }
}

namespace {

// A 32-byte secret key file: 32 raw bytes or 64 hex digits (whitespace ignored), read into memory
// that is wiped; a file that cannot be read or parsed is an error naming `option`.
// The key is parsed straight into the PresharedKey the configuration will share: no other copy.
SharedKey load_key32(const std::string& file, const std::string& option, const char* what,
                     KeyPermissions permissions) {
    if (file.empty()) return nullptr;
    SecretText text = read_secret_file(file, option, what);
    check_exposure(option, file, permissions);
    auto key = std::make_shared<PresharedKey>(ByteView{});
    const MutableByteView k = key->expose_mut();
    bool ok = false;
    if (text.str().size() == k.size()) {
        std::copy(text.str().begin(), text.str().end(), k.begin());
        ok = true;
    } else {
        std::size_t bin_len = 0;
        ok = sodium_hex2bin(k.data(), k.size(), text.str().data(), text.str().size(), " \t\r\n", &bin_len,
                            nullptr) == 0 &&
             bin_len == k.size();
    }
    text.wipe();
    if (!ok) fail(option, file + " must hold 32 raw bytes or 64 hex digits");
    return key;
}

}  // namespace

SharedKey load_admission_key(const std::string& file, KeyPermissions permissions) {
    return load_key32(file, "pki.admission_key", "the admission key", permissions);
}

SharedKey load_cluster_key(const std::string& file, KeyPermissions permissions) {
    return load_key32(file, "cluster.key", "the cluster key", permissions);
}

void check_admission_key_file(const std::string& file, KeyPermissions permissions) {
    (void)load_admission_key(file, permissions);   // the key wipes itself as it goes
}

void check_cluster_key_file(const std::string& file, KeyPermissions permissions) {
    (void)load_cluster_key(file, permissions);
}

}  // namespace udpvpn::app
