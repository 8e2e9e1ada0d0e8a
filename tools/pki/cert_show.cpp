// SPDX-License-Identifier: GPL-3.0-or-later
#include "cert_show.hpp"

#include "cert_builder.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>

#include <cstring>
#include <ctime>

namespace udpvpn::pki {
namespace {

std::string name_string(const X509_NAME* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
        throw_openssl("cannot print a name");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string asn1_string(const ASN1_STRING* s) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::string ip_string(const ASN1_OCTET_STRING* ip) {
    char buf[INET6_ADDRSTRLEN] = "?";
    const int len = ASN1_STRING_length(ip);
    if (len == 4) inet_ntop(AF_INET, ASN1_STRING_get0_data(ip), buf, sizeof buf);
    if (len == 16) inet_ntop(AF_INET6, ASN1_STRING_get0_data(ip), buf, sizeof buf);
    return buf;
}

std::string key_type(X509* cert) {
    EVP_PKEY* key = X509_get0_pubkey(cert);
    if (!key) return "unknown";
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_ED448: return "Ed448";
    case EVP_PKEY_RSA: return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_EC: {
        char group[64] = "";
        std::size_t len = 0;
        EVP_PKEY_get_group_name(key, group, sizeof group, &len);
        if (std::strcmp(group, "prime256v1") == 0) return "ECDSA P-256";
        return std::string("ECDSA ") + group;
    }
    default: return OBJ_nid2sn(EVP_PKEY_get_base_id(key));
    }
}

std::string hex_lower(const unsigned char* p, std::size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += digits[p[i] >> 4];
        s += digits[p[i] & 15];
    }
    return s;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? "(none)" : s;
}

std::string line(const char* key, const std::string& value) {
    std::string s = std::string(key) + ":";
    s.resize(std::max<std::size_t>(s.size() + 1, 22), ' ');
    return s + value + "\n";
}

}  // namespace

std::string format_utc(std::int64_t t) {
    const time_t tt = static_cast<time_t>(t);
    struct tm tm {};
    gmtime_r(&tt, &tm);
    char buf[40];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

CertInfo describe_cert(X509* cert) {
    CertInfo info;
    info.subject = name_string(X509_get_subject_name(cert));
    info.issuer = name_string(X509_get_issuer_name(cert));
    info.serial_hex = serial_hex(X509_get0_serialNumber(cert));
    info.key_type = key_type(cert);
    info.not_before_unix = asn1_time_unix(X509_get0_notBefore(cert));
    info.not_after_unix = asn1_time_unix(X509_get0_notAfter(cert));
    // X509_get_extension_flags caches the decoded extensions (and flags a malformed one).
    const std::uint32_t flags = X509_get_extension_flags(cert);
    info.is_ca = (flags & EXFLAG_CA) != 0;
    info.self_signed = (flags & EXFLAG_SS) != 0;

    if (flags & EXFLAG_KUSAGE) {
        static const std::pair<std::uint32_t, const char*> kus[] = {
            {KU_DIGITAL_SIGNATURE, "digitalSignature"}, {KU_NON_REPUDIATION, "nonRepudiation"},
            {KU_KEY_ENCIPHERMENT, "keyEncipherment"},   {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
            {KU_KEY_AGREEMENT, "keyAgreement"},         {KU_KEY_CERT_SIGN, "keyCertSign"},
            {KU_CRL_SIGN, "cRLSign"},                   {KU_ENCIPHER_ONLY, "encipherOnly"},
            {KU_DECIPHER_ONLY, "decipherOnly"}};
        const std::uint32_t ku = X509_get_key_usage(cert);
        for (const auto& [bit, name] : kus)
            if (ku & bit) info.key_usage.emplace_back(name);
    }

    if (auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr))) {
        for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
            const ASN1_OBJECT* obj = sk_ASN1_OBJECT_value(eku, i);
            const int nid = OBJ_obj2nid(obj);
            if (nid != NID_undef) {
                info.ext_key_usage.emplace_back(OBJ_nid2sn(nid));
            } else {
                char buf[128];
                OBJ_obj2txt(buf, sizeof buf, obj, 1);
                info.ext_key_usage.emplace_back(buf);
            }
        }
        EXTENDED_KEY_USAGE_free(eku);
    }

    if (auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))) {
        for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
            const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
            switch (gn->type) {
            case GEN_DNS: info.san.push_back("DNS:" + asn1_string(gn->d.dNSName)); break;
            case GEN_IPADD: info.san.push_back("IP:" + ip_string(gn->d.iPAddress)); break;
            case GEN_EMAIL: info.san.push_back("email:" + asn1_string(gn->d.rfc822Name)); break;
            case GEN_URI: info.san.push_back("URI:" + asn1_string(gn->d.uniformResourceIdentifier)); break;
            default: info.san.emplace_back("other"); break;
            }
        }
        GENERAL_NAMES_free(names);
    }

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (X509_digest(cert, EVP_sha256(), md, &md_len) != 1) throw_openssl("cannot hash the certificate");
    info.fingerprint_sha256 = hex_lower(md, md_len);
    return info;
}

CrlInfo describe_crl(X509_CRL* crl) {
    CrlInfo info;
    info.issuer = name_string(X509_CRL_get_issuer(crl));
    info.this_update_unix = asn1_time_unix(X509_CRL_get0_lastUpdate(crl));
    if (const ASN1_TIME* nu = X509_CRL_get0_nextUpdate(crl)) info.next_update_unix = asn1_time_unix(nu);
    if (auto* num = static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr))) {
        BnPtr bn(ASN1_INTEGER_to_BN(num, nullptr));
        if (bn) {
            char* dec = BN_bn2dec(bn.get());
            if (dec) info.crl_number = dec;
            OPENSSL_free(dec);
        }
        ASN1_INTEGER_free(num);
    }
    STACK_OF(X509_REVOKED)* revs = X509_CRL_get_REVOKED(crl);
    for (int i = 0; i < sk_X509_REVOKED_num(revs); ++i) {
        const X509_REVOKED* r = sk_X509_REVOKED_value(revs, i);
        CrlEntryInfo e;
        e.serial_hex = serial_hex(X509_REVOKED_get0_serialNumber(r));
        e.revoked_at_unix = asn1_time_unix(X509_REVOKED_get0_revocationDate(r));
        if (auto* reason = static_cast<ASN1_ENUMERATED*>(
                X509_REVOKED_get_ext_d2i(r, NID_crl_reason, nullptr, nullptr))) {
            e.reason = crl_reason_name(static_cast<int>(ASN1_ENUMERATED_get(reason)));
            ASN1_ENUMERATED_free(reason);
        }
        info.revoked.push_back(std::move(e));
    }
    return info;
}

std::string format_cert_text(const CertInfo& c, std::int64_t now) {
    std::string status;
    if (now < c.not_before_unix) {
        status = "not yet valid";
    } else if (now > c.not_after_unix) {
        status = "EXPIRED";
    } else {
        status = "valid, " + std::to_string((c.not_after_unix - now) / 86400) + " days left";
    }
    std::string s;
    s += line("subject", c.subject);
    s += line("issuer", c.issuer + (c.self_signed ? " (self-signed)" : ""));
    s += line("serial", c.serial_hex);
    s += line("key", c.key_type);
    s += line("valid from", format_utc(c.not_before_unix));
    s += line("valid until", format_utc(c.not_after_unix) + " (" + status + ")");
    s += line("CA", c.is_ca ? "yes" : "no");
    s += line("key usage", join(c.key_usage));
    s += line("extended key usage", join(c.ext_key_usage));
    s += line("subject alt names", join(c.san));
    s += line("fingerprint SHA-256", c.fingerprint_sha256);
    return s;
}

std::string format_crl_text(const CrlInfo& c, std::int64_t now) {
    std::string s;
    s += line("CRL issuer", c.issuer);
    s += line("CRL number", c.crl_number.empty() ? "(none)" : c.crl_number);
    s += line("this update", format_utc(c.this_update_unix));
    if (c.next_update_unix == 0) {
        s += line("next update", "(none)");
    } else {
        s += line("next update", format_utc(c.next_update_unix) + (now > c.next_update_unix ? " (EXPIRED)" : ""));
    }
    s += line("revoked", std::to_string(c.revoked.size()));
    for (const auto& r : c.revoked)
        s += "  " + r.serial_hex + "  " + format_utc(r.revoked_at_unix) + (r.reason.empty() ? "" : "  " + r.reason) +
             "\n";
    return s;
}

PkiObjects load_pki_objects(const std::string& data, const std::string& what) {
    PkiObjects out;
    if (data.find("-----BEGIN ") != std::string::npos) {
        BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
        if (!bio) throw_openssl("out of memory");
        while (true) {
            char* name = nullptr;
            char* header = nullptr;
            unsigned char* der = nullptr;
            long len = 0;
            if (PEM_read_bio(bio.get(), &name, &header, &der, &len) != 1) {
                ERR_clear_error();  // end of input
                break;
            }
            const std::string block(name);
            const unsigned char* p = der;
            if (block == "CERTIFICATE" || block == "TRUSTED CERTIFICATE") {
                X509Ptr c(d2i_X509(nullptr, &p, len));
                if (!c) {
                    OPENSSL_free(name), OPENSSL_free(header), OPENSSL_free(der);
                    throw_openssl(what + ": malformed certificate");
                }
                out.certs.push_back(std::move(c));
            } else if (block == "X509 CRL") {
                CrlPtr c(d2i_X509_CRL(nullptr, &p, len));
                if (!c) {
                    OPENSSL_free(name), OPENSSL_free(header), OPENSSL_free(der);
                    throw_openssl(what + ": malformed CRL");
                }
                out.crls.push_back(std::move(c));
            } else if (block.find("PRIVATE KEY") != std::string::npos) {
                OPENSSL_free(name), OPENSSL_free(header), OPENSSL_free(der);
                throw PkiError(what + ": this is a private key; `show` prints certificates and CRLs only");
            }
            OPENSSL_free(name), OPENSSL_free(header), OPENSSL_free(der);
        }
    } else {
        const unsigned char* p = reinterpret_cast<const unsigned char*>(data.data());
        if (X509Ptr c{d2i_X509(nullptr, &p, static_cast<long>(data.size()))}) {
            out.certs.push_back(std::move(c));
        } else {
            p = reinterpret_cast<const unsigned char*>(data.data());
            if (CrlPtr crl{d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size()))}) out.crls.push_back(std::move(crl));
        }
        ERR_clear_error();
    }
    if (out.certs.empty() && out.crls.empty())
        throw PkiError(what + ": no certificate or CRL found (expected PEM or DER)");
    return out;
}

}  // namespace udpvpn::pki
