// SPDX-License-Identifier: GPL-3.0-or-later
// X.509 chain verification (OpenSSL 3) and loading our own identity from PEM.
//
// Purpose policy (for the leaf, on top of OpenSSL's SSL client/server purpose check):
//   - it must have an extendedKeyUsage extension listing serverAuth for Role::server peers and
//     clientAuth for Role::client peers: a CA that signs both kinds cannot have a client pass as
//     the server, or a server certificate used as a client;
//   - only under policy.allow_missing_eku is a leaf with no extendedKeyUsage at all accepted for
//     either role, and then only with a keyUsage extension that includes digitalSignature (the
//     peer proves possession of the key by a signature, CertificateVerify);
//   - a keyUsage extension without digitalSignature is always refused.
// Every violation is Error::cert_wrong_purpose.
#include <udpvpn/certificate.hpp>

#include "fuzzing_seam.hpp"
#include "openssl_util.hpp"
#include "signature_keys.hpp"

#include <openssl/pem.h>
#include <sodium.h>

#include <climits>
#include <ctime>
#ifdef UDPVPN_FUZZING_BUILD
#include <map>
#include <mutex>
#endif

namespace udpvpn {
namespace {

// docs/rfc-draft.txt, Section 8.3 CERTIFICATE: 1..4 certificates, at most 32768 bytes of stream.
constexpr std::size_t kMaxChainCerts = 4;
constexpr std::size_t kMaxCertDer = 32768;
// Trust anchors and CRL files are configuration, but still bounded (PEM or DER).
constexpr std::size_t kMaxCredentialInput = 16u << 20;

Result<PeerIdentity> fail(Error e) { return {{}, e}; }

// Cert and CRL PEM reading: a clean end of input (no further BEGIN line) is fine; any other parse
// error fails the whole input, so a corrupt trust anchor or CRL is never silently skipped.
// Reading always ends with an error queued by us, so the newest one is ours.
bool pem_ended_cleanly() noexcept {
    const unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

ossl::Ptr<BIO> pem_bio(std::string_view pem) noexcept {
    if (pem.size() > kMaxCredentialInput) return nullptr;
    return ossl::Ptr<BIO>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Credentials come as PEM (text with BEGIN lines) or as DER (binary, objects back to back).
bool is_pem(std::string_view in) noexcept { return in.find("-----BEGIN ") != std::string_view::npos; }

// DER objects back to back, each read by `d2i` (d2i_X509, d2i_X509_CRL): false unless every byte
// belongs to one of them.
template <typename T, typename D2i>
bool read_der_list(std::string_view der, D2i d2i, std::vector<ossl::Ptr<T>>& out) {
    if (der.size() > kMaxCredentialInput) return false;
    auto p = reinterpret_cast<const unsigned char*>(der.data());
    const auto* end = p + der.size();
    while (p < end) {
        T* x = d2i(nullptr, &p, static_cast<long>(end - p));
        if (!x) return false;
        out.emplace_back(x);
    }
    return true;
}

bool read_certs(std::string_view in, std::vector<ossl::Ptr<X509>>& out) {
    if (in.empty()) return true;
    if (!is_pem(in)) return read_der_list<X509>(in, d2i_X509, out);
    auto bio = pem_bio(in);
    if (!bio) return false;
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
    return pem_ended_cleanly();
}

bool read_crls(std::string_view in, std::vector<ossl::Ptr<X509_CRL>>& out) {
    if (in.empty()) return true;
    if (!is_pem(in)) return read_der_list<X509_CRL>(in, d2i_X509_CRL, out);
    auto bio = pem_bio(in);
    if (!bio) return false;
    while (X509_CRL* c = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(c);
    return pem_ended_cleanly();
}

// Never prompt on a terminal for a passphrase: encrypted keys are refused.
int no_passphrase(char*, int, int, void*) { return -1; }

// An unencrypted private key, PEM or DER (PKCS#8, SEC1 EC or PKCS#1 RSA: OpenSSL tells which).
ossl::Ptr<EVP_PKEY> read_private_key(std::string_view in) noexcept {
    if (in.empty() || in.size() > kMaxCredentialInput) return nullptr;
    if (is_pem(in)) {
        auto bio = pem_bio(in);
        if (!bio) return nullptr;
        return ossl::Ptr<EVP_PKEY>(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    }
    auto p = reinterpret_cast<const unsigned char*>(in.data());
    const auto* end = p + in.size();
    ossl::Ptr<EVP_PKEY> key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(in.size())));
    if (key && p != end) return nullptr;   // trailing bytes
    return key;
}

ossl::Ptr<X509> parse_der(const Bytes& der) noexcept {
    if (der.empty() || der.size() > kMaxCertDer) return nullptr;
    const unsigned char* p = der.data();
    ossl::Ptr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (x && p != der.data() + der.size()) return nullptr;  // trailing bytes
    return x;
}

Bytes to_der(X509* x) {
    const int len = i2d_X509(x, nullptr);
    if (len <= 0) return {};
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    if (i2d_X509(x, &p) != len) return {};
    return der;
}

Error map_verify_error(int err) noexcept {
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return Error::cert_expired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return Error::cert_not_yet_valid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
        return Error::cert_unknown_ca;
    case X509_V_ERR_CERT_REVOKED: return Error::cert_revoked;
    case X509_V_ERR_CRL_HAS_EXPIRED: return Error::crl_expired;
    case X509_V_ERR_INVALID_PURPOSE: return Error::cert_wrong_purpose;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return Error::cert_name_mismatch;
    default: return Error::cert_invalid;
    }
}

// Errors the policy may waive; the CRL flags are only set when CRLs are loaded or required.
int verify_callback(int ok, X509_STORE_CTX* ctx) {
    if (ok == 1) return 1;
    const auto* policy = static_cast<const VerifierPolicy*>(X509_STORE_CTX_get_app_data(ctx));
    if (policy == nullptr) return 0;
    const int err = X509_STORE_CTX_get_error(ctx);
    if (err == X509_V_ERR_UNABLE_TO_GET_CRL && !policy->require_crl) return 1;
    if (err == X509_V_ERR_CRL_HAS_EXPIRED && !policy->reject_expired_crl) return 1;
    return 0;
}

Error check_leaf_purpose(X509* leaf, Role role, bool allow_missing_eku) noexcept {
    const std::uint32_t flags = X509_get_extension_flags(leaf);
    if (flags & EXFLAG_INVALID) return Error::cert_invalid;
    const bool has_ku = (flags & EXFLAG_KUSAGE) != 0;
    const bool has_eku = (flags & EXFLAG_XKUSAGE) != 0;
    if (has_ku && (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) == 0) return Error::cert_wrong_purpose;
    if (!has_eku) return allow_missing_eku && has_ku ? Error::ok : Error::cert_wrong_purpose;
    const std::uint32_t wanted = role == Role::server ? XKU_SSL_SERVER : XKU_SSL_CLIENT;
    return (X509_get_extended_key_usage(leaf) & wanted) != 0 ? Error::ok : Error::cert_wrong_purpose;
}

// SAN dNSName (or iPAddress for an IP literal), never the subject CN (RFC 9525): a CN is free text
// that a CA may copy from any request, and with a CN fallback a certificate without DNS SANs
// would match by its CN. No partial wildcards ("a*.example").
Error check_name(X509* leaf, std::string_view name) noexcept {
    if (name.empty()) return Error::ok;
    if (name.find('\0') != std::string_view::npos) return Error::cert_name_mismatch;
    std::string z;
    try {
        z.assign(name);
    } catch (...) {
        return Error::internal;
    }
    if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(z.c_str())) {
        ASN1_OCTET_STRING_free(ip);
        return X509_check_ip_asc(leaf, z.c_str(), 0) == 1 ? Error::ok : Error::cert_name_mismatch;
    }
    return X509_check_host(leaf, z.data(), z.size(),
                           X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 1
               ? Error::ok
               : Error::cert_name_mismatch;
}

// Identity strings feed authorization decisions: an embedded NUL ("alice\0.evil") is refused.
bool has_nul(const std::string& s) noexcept { return s.find('\0') != std::string::npos; }

bool common_name(X509* leaf, std::string& out) {
    X509_NAME* subject = X509_get_subject_name(leaf);
    const int idx = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
    if (idx < 0) return true;  // no CN: ""
    ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
    unsigned char* utf8 = nullptr;
    const int len = value ? ASN1_STRING_to_UTF8(&utf8, value) : -1;
    if (len < 0) return false;
    out.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return !has_nul(out);
}

// subjectAltName dNSName, rfc822Name and URI entries (all IA5Strings).
bool alt_names(X509* leaf, PeerIdentity& id) {
    int crit = 0;
    ossl::Ptr<GENERAL_NAMES> names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, nullptr)));
    if (!names) return crit == -1;  // -1: absent; anything else: duplicated or unparsable
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn == nullptr) continue;
        std::vector<std::string>* out = gn->type == GEN_DNS     ? &id.dns_names
                                        : gn->type == GEN_EMAIL ? &id.email_names
                                        : gn->type == GEN_URI   ? &id.uri_names
                                                                : nullptr;
        if (out == nullptr) continue;
        const ASN1_IA5STRING* s = gn->d.ia5;   // dNSName, rfc822Name and URI share the IA5String arm
        const int len = ASN1_STRING_length(s);
        if (len < 0) return false;
        out->emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(len));
        if (has_nul(out->back())) return false;
    }
    return true;
}

// A refusal that still says which name the leaf claims (unverified: for the logs only).
Result<PeerIdentity> fail_claiming(Error e, X509* leaf) {
    PeerIdentity id;
    if (!common_name(leaf, id.common_name)) id.common_name.clear();
    return {std::move(id), e};
}

// RFC 4514 form (the most specific RDN first, special characters and control bytes escaped, UTF-8).
bool name_string(X509_NAME* name, std::string& out) {
    ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || name == nullptr) return false;
    if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) return false;
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    if (len < 0 || (len > 0 && data == nullptr)) return false;
    out.assign(data, static_cast<std::size_t>(len));
    return !has_nul(out);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool to_unix(const ASN1_TIME* t, std::int64_t& out) noexcept {
    std::tm tm{};
    if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return false;
    out = days_from_civil(std::int64_t{tm.tm_year} + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
          tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    return true;
}

std::string sha256_hex(const Bytes& der) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, der.data(), der.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return std::string(hex);
}

}  // namespace

struct X509Verifier::Impl {
    ossl::Ptr<X509_STORE> store;
    VerifierPolicy policy;
    std::function<std::int64_t()> wall_clock;
    bool crl_check = false;

    Result<PeerIdentity> verify(std::span<const Bytes> chain, Role role, std::string_view expected_name) const;

#ifdef UDPVPN_FUZZING_BUILD
    // The fuzzing-build seam (fuzzing_seam.hpp): the last results, by chain, role, name and time.
    static constexpr std::size_t kMemoSize = 64;
    mutable std::mutex memo_mutex;
    mutable std::map<std::string, Result<PeerIdentity>> memo;
    Result<PeerIdentity> memoized_verify(std::span<const Bytes> chain, Role role, std::string_view expected_name) const {
        std::string key = std::to_string(static_cast<int>(role)) + '/' + std::to_string(wall_clock()) + '/' +
                          std::to_string(expected_name.size()) + '/' + std::string(expected_name);
        for (const Bytes& der : chain) key += '/' + std::to_string(der.size()) + '/' + std::string(der.begin(), der.end());
        {
            std::lock_guard<std::mutex> lock(memo_mutex);
            if (auto it = memo.find(key); it != memo.end()) return it->second;
        }
        Result<PeerIdentity> r = verify(chain, role, expected_name);
        std::lock_guard<std::mutex> lock(memo_mutex);
        if (memo.size() >= kMemoSize) memo.clear();
        memo.emplace(std::move(key), r);
        return r;
    }
#endif
};

X509Verifier::X509Verifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
X509Verifier::~X509Verifier() = default;

Result<std::shared_ptr<X509Verifier>> X509Verifier::create(std::string_view ca_pem, std::string_view crl_pem,
                                                          VerifierPolicy policy,
                                                          std::function<std::int64_t()> wall_clock) {
    if (!wall_clock) return {{}, Error::invalid_argument};
    ossl::ErrorGuard guard;
    try {
        std::vector<ossl::Ptr<X509>> cas;
        std::vector<ossl::Ptr<X509_CRL>> crls;
        if (!read_certs(ca_pem, cas) || cas.empty()) return {{}, Error::invalid_argument};
        if (!read_crls(crl_pem, crls)) return {{}, Error::invalid_argument};
        // A CRL input that holds no CRL (garbage, DER, a certificate given by mistake) must not
        // quietly turn revocation off: PEM reading skips blocks of other types without an error.
        if (!crl_pem.empty() && crls.empty()) return {{}, Error::invalid_argument};

        auto impl = std::make_unique<Impl>();
        impl->store.reset(X509_STORE_new());
        if (!impl->store) return {{}, Error::internal};
        for (auto& ca : cas)
            if (X509_STORE_add_cert(impl->store.get(), ca.get()) != 1) return {{}, Error::invalid_argument};
        for (auto& crl : crls)
            if (X509_STORE_add_crl(impl->store.get(), crl.get()) != 1) return {{}, Error::invalid_argument};
        impl->policy = policy;
        impl->wall_clock = std::move(wall_clock);
        impl->crl_check = (!crls.empty() || policy.require_crl) && !UDPVPN_FAULT(policy, crl_ignored);
        return {std::shared_ptr<X509Verifier>(new X509Verifier(std::move(impl))), Error::ok};
    } catch (...) {
        return {{}, Error::internal};
    }
}

Result<PeerIdentity> X509Verifier::verify(std::span<const Bytes> chain, Role role,
                                          std::string_view expected_name) const {
    try {
#ifdef UDPVPN_FUZZING_BUILD
        return impl_->memoized_verify(chain, role, expected_name);
#else
        return impl_->verify(chain, role, expected_name);
#endif
    } catch (...) {
        return fail(Error::internal);
    }
}

Result<PeerIdentity> X509Verifier::Impl::verify(std::span<const Bytes> chain, Role role,
                                                std::string_view expected_name) const {
    ossl::ErrorGuard guard;
    if (chain.empty() || chain.size() > kMaxChainCerts) return fail(Error::cert_invalid);
    std::vector<ossl::Ptr<X509>> certs;
    for (const Bytes& der : chain) {
        certs.push_back(parse_der(der));
        if (!certs.back()) return fail(Error::cert_invalid);
    }
    X509* leaf = certs.front().get();

    ossl::Ptr<STACK_OF(X509)> untrusted(sk_X509_new_null());
    ossl::Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
    if (!untrusted || !ctx) return fail(Error::internal);
    for (std::size_t i = 1; i < certs.size(); ++i)
        if (sk_X509_push(untrusted.get(), certs[i].get()) <= 0) return fail(Error::internal);
    if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) return fail(Error::internal);

    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(wall_clock()));
    X509_VERIFY_PARAM_set_depth(param, static_cast<int>(kMaxChainCerts));
    unsigned long flags = X509_V_FLAG_X509_STRICT;
    if (crl_check) flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
    X509_VERIFY_PARAM_set_flags(param, flags);
    if (X509_STORE_CTX_set_purpose(ctx.get(), role == Role::server ? X509_PURPOSE_SSL_SERVER
                                                                   : X509_PURPOSE_SSL_CLIENT) != 1)
        return fail(Error::internal);
    X509_STORE_CTX_set_app_data(ctx.get(), const_cast<VerifierPolicy*>(&policy));
    X509_STORE_CTX_set_verify_cb(ctx.get(), verify_callback);

    if (X509_verify_cert(ctx.get()) != 1)
        return fail_claiming(map_verify_error(X509_STORE_CTX_get_error(ctx.get())), leaf);

    if (Error e = check_leaf_purpose(leaf, role, policy.allow_missing_eku); e != Error::ok)
        return fail_claiming(e, leaf);
    if (role == Role::server)
        if (Error e = check_name(leaf, expected_name); e != Error::ok) return fail_claiming(e, leaf);

    PeerIdentity id;
    auto key = make_peer_key(X509_get0_pubkey(leaf));
    if (!key) return fail_claiming(key.error, leaf);
    id.key = std::move(key.value);
    if (!common_name(leaf, id.common_name) || !alt_names(leaf, id) ||
        !name_string(X509_get_subject_name(leaf), id.subject) ||
        !name_string(X509_get_issuer_name(leaf), id.issuer) || !to_unix(X509_get0_notAfter(leaf), id.not_after_unix))
        return fail(Error::cert_invalid);
    id.fingerprint_sha256 = sha256_hex(chain.front());
    return {std::move(id), Error::ok};
}

// name_string() writes RFC 4514 with the most specific RDN first, ',' between RDNs and '+' inside
// one, "OU" for organizationalUnitName, and escapes ',', '+', '"', '\\', '<', '>', ';', a leading
// '#' or space and a trailing space with a backslash, control bytes as \XX. Undone here.
std::vector<std::string> organizational_units(const PeerIdentity& peer) {
    const std::string_view dn = peer.subject;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < dn.size()) {
        const std::size_t eq = dn.find('=', i);
        if (eq == std::string_view::npos) break;   // not name_string() output: nothing more
        const std::string_view type = dn.substr(i, eq - i);
        std::string value;
        for (i = eq + 1; i < dn.size() && dn[i] != ',' && dn[i] != '+'; ++i) {
            if (dn[i] != '\\' || i + 1 >= dn.size()) {
                value += dn[i];
            } else if (i + 2 < dn.size() && hex(dn[i + 1]) >= 0 && hex(dn[i + 2]) >= 0) {
                value += static_cast<char>(hex(dn[i + 1]) * 16 + hex(dn[i + 2]));
                i += 2;
            } else {
                value += dn[++i];
            }
        }
        if (type == "OU") out.push_back(std::move(value));
        ++i;   // past the separator
    }
    return {out.rbegin(), out.rend()};   // certificate order
}

Result<Identity> load_identity_pem(std::string_view chain_pem, std::string_view key_pem, std::string* why) {
    ossl::ErrorGuard guard;
    try {
        auto refuse = [&](Error e, std::string text) -> Result<Identity> {
            if (why) *why = std::move(text);
            return {{}, e};
        };
        std::vector<ossl::Ptr<X509>> certs;
        if (!read_certs(chain_pem, certs))
            return refuse(Error::invalid_argument, "the certificate chain is not valid PEM or DER");
        if (certs.empty()) return refuse(Error::invalid_argument, "no certificate found");
        if (certs.size() > kMaxChainCerts)
            return refuse(Error::invalid_argument, "more than 4 certificates in the chain");
        // Leaf first: each certificate must be issued by the next one.
        for (std::size_t i = 0; i + 1 < certs.size(); ++i)
            if (X509_check_issued(certs[i + 1].get(), certs[i].get()) != X509_V_OK)
                return refuse(Error::invalid_argument, "certificate " + std::to_string(i + 2) +
                                                           " of the chain did not issue certificate " +
                                                           std::to_string(i + 1) + " (leaf first, then its issuer)");

        EVP_PKEY* leaf_pub = X509_get0_pubkey(certs.front().get());
        if (!leaf_pub) return refuse(Error::invalid_argument, "the leaf certificate's public key does not parse");
        // The peer must be able to verify what we sign: same key types on both sides.
        if (!make_peer_key(leaf_pub)) return refuse(Error::cert_unsupported_key, unsupported_key_text(leaf_pub));

        if (key_pem.empty() || key_pem.size() > kMaxCredentialInput)
            return refuse(Error::invalid_argument, "the private key is empty or too large");
        ossl::Ptr<EVP_PKEY> key = read_private_key(key_pem);
        if (!key) return refuse(Error::invalid_argument, "the private key is not an unencrypted PEM or DER key");
        if (EVP_PKEY_eq(leaf_pub, key.get()) != 1)
            return refuse(Error::invalid_argument, "the private key (" + describe_key(key.get()) +
                                                       ") does not match the leaf certificate (" +
                                                       describe_key(leaf_pub) + ")");
        auto signer = make_signer(key.get());
        if (!signer)
            return refuse(signer.error, signer.error == Error::cert_unsupported_key ? unsupported_key_text(key.get())
                                                                                    : to_string(signer.error));

        Identity id;
        for (auto& c : certs) {
            id.chain.push_back(to_der(c.get()));
            if (id.chain.back().empty()) return refuse(Error::internal, "cannot encode the chain as DER");
        }
        id.signer = std::move(signer.value);
        return {std::move(id), Error::ok};
    } catch (...) {
        return {{}, Error::internal};
    }
}

}  // namespace udpvpn
