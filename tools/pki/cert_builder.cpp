// SPDX-License-Identifier: GPL-3.0-or-later
#include "cert_builder.hpp"

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <ctime>

namespace udpvpn::pki {
namespace {

// Ed25519 signs the message itself (no separate digest); ECDSA P-256 pairs with SHA-256.
const EVP_MD* signing_digest(EVP_PKEY* key) {
    return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
}

Asn1TimePtr unix_to_asn1(std::int64_t t) {
    // ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime after, as RFC 5280 4.1.2.5 asks.
    Asn1TimePtr a(ASN1_TIME_set(nullptr, static_cast<time_t>(t)));
    if (!a) throw_openssl("cannot encode a time");
    return a;
}

void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
        throw_openssl(std::string("cannot add extension ") + OBJ_nid2sn(nid) + " = " + value);
}

X509_NAME* cn_name(const std::string& cn) {
    X509_NAME* name = X509_NAME_new();
    if (!name || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                            reinterpret_cast<const unsigned char*>(cn.c_str()),
                                            static_cast<int>(cn.size()), -1, 0) != 1) {
        X509_NAME_free(name);
        throw_openssl("cannot encode the name '" + cn + "'");
    }
    return name;
}

X509Ptr new_cert(EVP_PKEY* subject_key, const std::string& cn, const Validity& v, const BIGNUM* serial) {
    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) throw_openssl("cannot create a certificate");
    if (!BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()))) throw_openssl("cannot set the serial");
    auto nb = unix_to_asn1(v.not_before_unix);
    auto na = unix_to_asn1(v.not_after_unix);
    if (X509_set1_notBefore(cert.get(), nb.get()) != 1 || X509_set1_notAfter(cert.get(), na.get()) != 1)
        throw_openssl("cannot set the validity");
    X509_NAME* name = cn_name(cn);
    const int ok = X509_set_subject_name(cert.get(), name);
    X509_NAME_free(name);
    if (ok != 1) throw_openssl("cannot set the subject");
    if (X509_set_pubkey(cert.get(), subject_key) != 1) throw_openssl("cannot set the public key");
    return cert;
}

}  // namespace

std::optional<KeyType> parse_key_type(std::string_view s) {
    if (s == "ed25519") return KeyType::ed25519;
    if (s == "ecdsa-p256") return KeyType::ecdsa_p256;
    return std::nullopt;
}

const char* to_string(KeyType t) { return t == KeyType::ed25519 ? "ed25519" : "ecdsa-p256"; }
const char* to_string(LeafKind k) { return k == LeafKind::server ? "server" : "client"; }

PkeyPtr generate_key(KeyType type) {
    PkeyPtr key(type == KeyType::ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                         : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) throw_openssl(std::string("cannot generate an ") + to_string(type) + " key");
    return key;
}

namespace {
template <typename F>
std::string to_pem(F&& write, const char* what) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1) throw_openssl(std::string("cannot encode ") + what);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    // The memory BIO is freed (not wiped) by OpenSSL; private keys pass through it briefly either way.
    return std::string(data, static_cast<std::size_t>(n));
}
BioPtr read_bio(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throw_openssl("out of memory");
    return bio;
}
}  // namespace

std::string private_key_pem(EVP_PKEY* key) {
    return to_pem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); },
                  "a private key");
}
std::string public_key_pem(EVP_PKEY* key) {
    return to_pem([&](BIO* b) { return PEM_write_bio_PUBKEY(b, key); }, "a public key");
}
std::string cert_pem(X509* cert) {
    return to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert); }, "a certificate");
}
std::string crl_pem(X509_CRL* crl) {
    return to_pem([&](BIO* b) { return PEM_write_bio_X509_CRL(b, crl); }, "a CRL");
}

PkeyPtr private_key_from_pem(const std::string& pem, const std::string& what) {
    auto bio = read_bio(pem);
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) throw_openssl(what + ": not a PEM private key");
    return key;
}
PkeyPtr public_key_from_pem(const std::string& pem, const std::string& what) {
    auto bio = read_bio(pem);
    PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) throw_openssl(what + ": not a PEM public key (BEGIN PUBLIC KEY)");
    return key;
}
X509Ptr cert_from_pem(const std::string& pem, const std::string& what) {
    auto bio = read_bio(pem);
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) throw_openssl(what + ": not a PEM certificate");
    return cert;
}

BnPtr random_serial() {
    unsigned char bytes[16];
    do {
        if (RAND_bytes(bytes, sizeof bytes) != 1) throw_openssl("no randomness for a serial number");
        bytes[0] &= 0x7f;  // positive
    } while (bytes[0] == 0);  // keep the full length, never zero
    BnPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
    if (!bn) throw_openssl("out of memory");
    return bn;
}

std::string serial_hex(const ASN1_INTEGER* serial) {
    BnPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
    if (!bn) throw_openssl("bad serial number");
    char* hex = BN_bn2hex(bn.get());
    if (!hex) throw_openssl("out of memory");
    std::string s(hex);
    OPENSSL_free(hex);
    return s;
}

X509Ptr make_ca_cert(EVP_PKEY* key, const std::string& common_name, const Validity& validity,
                     const BIGNUM* serial) {
    X509Ptr cert = new_cert(key, common_name, validity, serial);
    if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1)
        throw_openssl("cannot set the issuer");
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    if (X509_sign(cert.get(), key, signing_digest(key)) <= 0) throw_openssl("cannot sign the CA certificate");
    return cert;
}

X509Ptr make_leaf_cert(X509* ca, EVP_PKEY* ca_key, EVP_PKEY* subject_key, LeafKind kind,
                       const std::string& common_name, const std::vector<std::string>& san,
                       const Validity& validity, const BIGNUM* serial) {
    if (X509_check_private_key(ca, ca_key) != 1) throw_openssl("the CA key does not match the CA certificate");
    X509Ptr cert = new_cert(subject_key, common_name, validity, serial);
    if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca)) != 1) throw_openssl("cannot set the issuer");
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca, cert.get(), nullptr, nullptr, 0);
    add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), &ctx, NID_ext_key_usage, kind == LeafKind::server ? "serverAuth" : "clientAuth");
    add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    if (!san.empty()) {
        std::string joined;
        for (const auto& s : san) joined += (joined.empty() ? "" : ",") + s;
        add_ext(cert.get(), &ctx, NID_subject_alt_name, joined);
    }
    if (X509_sign(cert.get(), ca_key, signing_digest(ca_key)) <= 0) throw_openssl("cannot sign the certificate");
    return cert;
}

namespace {
// RFC 5280 5.3.1 CRLReason names as OpenSSL spells them (value 7 is unused).
constexpr const char* kReasons[] = {"unspecified", "keyCompromise", "CACompromise", "affiliationChanged",
                                    "superseded", "cessationOfOperation", "certificateHold", nullptr,
                                    "removeFromCRL", "privilegeWithdrawn", "AACompromise"};
}  // namespace

std::optional<int> parse_crl_reason(std::string_view s) {
    if (s.empty() || s == "unspecified") return -1;
    for (int i = 1; i < static_cast<int>(std::size(kReasons)); ++i) {
        // certificateHold and removeFromCRL describe suspension, which this tool does not do.
        if (i == 6 || i == 8) continue;
        if (kReasons[i] && s == kReasons[i]) return i;
    }
    return std::nullopt;
}

const char* crl_reason_name(int reason) {
    if (reason < 0 || reason >= static_cast<int>(std::size(kReasons)) || !kReasons[reason]) return "unspecified";
    return kReasons[reason];
}

CrlPtr make_crl(X509* ca, EVP_PKEY* ca_key, const std::vector<RevokedEntry>& revoked,
                std::int64_t this_update_unix, std::int64_t next_update_unix, std::uint64_t crl_number) {
    if (X509_check_private_key(ca, ca_key) != 1) throw_openssl("the CA key does not match the CA certificate");
    CrlPtr crl(X509_CRL_new());
    if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca)) != 1)
        throw_openssl("cannot create a CRL");
    auto tu = unix_to_asn1(this_update_unix);
    auto nu = unix_to_asn1(next_update_unix);
    if (X509_CRL_set1_lastUpdate(crl.get(), tu.get()) != 1 || X509_CRL_set1_nextUpdate(crl.get(), nu.get()) != 1)
        throw_openssl("cannot set the CRL dates");

    for (const auto& r : revoked) {
        X509_REVOKED* rev = X509_REVOKED_new();
        if (!rev) throw_openssl("out of memory");
        BIGNUM* bn = nullptr;
        Asn1IntPtr serial;
        if (BN_hex2bn(&bn, r.serial_hex.c_str()) == 0) {
            X509_REVOKED_free(rev);
            throw PkiError("bad serial in the index: " + r.serial_hex);
        }
        serial.reset(BN_to_ASN1_INTEGER(bn, nullptr));
        BN_free(bn);
        auto when = unix_to_asn1(r.revoked_at_unix);
        bool ok = serial && X509_REVOKED_set_serialNumber(rev, serial.get()) == 1 &&
                  X509_REVOKED_set_revocationDate(rev, when.get()) == 1;
        if (ok && r.reason >= 0) {
            ASN1_ENUMERATED* e = ASN1_ENUMERATED_new();
            ok = e && ASN1_ENUMERATED_set(e, r.reason) == 1 &&
                 X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, e, 0, 0) == 1;
            ASN1_ENUMERATED_free(e);
        }
        if (!ok || X509_CRL_add0_revoked(crl.get(), rev) != 1) {
            X509_REVOKED_free(rev);
            throw_openssl("cannot add serial " + r.serial_hex + " to the CRL");
        }
    }
    X509_CRL_sort(crl.get());

    Asn1IntPtr number(ASN1_INTEGER_new());
    if (!number || ASN1_INTEGER_set_uint64(number.get(), crl_number) != 1 ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1)
        throw_openssl("cannot set the CRL number");
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca, nullptr, nullptr, crl.get(), 0);
    ExtPtr aki(X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    if (!aki || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1) throw_openssl("cannot set the CRL key identifier");

    if (X509_CRL_sign(crl.get(), ca_key, signing_digest(ca_key)) <= 0) throw_openssl("cannot sign the CRL");
    return crl;
}

std::int64_t asn1_time_unix(const ASN1_TIME* t) {
    struct tm tm {};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) throw_openssl("malformed time in a certificate");
    return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace udpvpn::pki
