// SPDX-License-Identifier: GPL-3.0-or-later
#include "credential_format.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <cstring>

namespace udpvpn::app {
namespace {

// Leaves no OpenSSL error behind for whoever reads the queue next.
struct ErrorMark {
    ErrorMark() { ERR_set_mark(); }
    ~ErrorMark() { ERR_pop_to_mark(); }
};

CredentialKind kind_of_label(std::string_view label, std::string& other) {
    if (label == "CERTIFICATE" || label == "TRUSTED CERTIFICATE" || label == "X509 CERTIFICATE")
        return CredentialKind::certificate;
    if (label == "X509 CRL") return CredentialKind::crl;
    if (label == "ENCRYPTED PRIVATE KEY") return CredentialKind::encrypted_private_key;
    if (label == "PRIVATE KEY" || label == "EC PRIVATE KEY" || label == "RSA PRIVATE KEY" ||
        label == "DSA PRIVATE KEY")
        return CredentialKind::private_key;
    if (other.empty()) {
        if (label == "OPENSSH PRIVATE KEY") other = "an OpenSSH private key (not PEM PKCS#8)";
        else if (label == "PUBLIC KEY") other = "a public key";
        else if (label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST") other = "a certificate request";
        else other = "a PEM block \"" + std::string(label) + "\"";
    }
    return CredentialKind::other;
}

bool scan_pem(std::string_view text, CredentialScan& out) {
    constexpr std::string_view begin = "-----BEGIN ";
    std::size_t pos = 0;
    while ((pos = text.find(begin, pos)) != std::string_view::npos) {
        const std::size_t start = pos + begin.size();
        const std::size_t end = text.find("-----", start);
        const std::size_t eol = text.find('\n', start);
        if (end == std::string_view::npos || (eol != std::string_view::npos && end > eol)) {
            pos = start;
            continue;
        }
        const std::string_view label = text.substr(start, end - start);
        CredentialKind k = kind_of_label(label, out.other);
        // Traditional ("BEGIN EC PRIVATE KEY") keys say they are encrypted in a header.
        const std::size_t block_end = text.find("-----END ", end);
        const std::string_view block = text.substr(end, block_end == std::string_view::npos ? std::string_view::npos
                                                                                          : block_end - end);
        if (k == CredentialKind::private_key && block.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos)
            k = CredentialKind::encrypted_private_key;
        out.objects.push_back(k);
        pos = end;
    }
    return !out.objects.empty();
}

template <typename T, typename Free>
bool parses_whole(const unsigned char*& p, long n, T* (*d2i)(T**, const unsigned char**, long), Free free_fn) {
    const unsigned char* q = p;
    T* obj = d2i(nullptr, &q, n);
    if (obj == nullptr) return false;
    free_fn(obj);
    p = q;
    return true;
}

// One DER object at `p` (advanced past it), or false.
bool scan_der_object(const unsigned char*& p, long n, CredentialKind& kind) {
    if (parses_whole(p, n, d2i_X509, X509_free)) { kind = CredentialKind::certificate; return true; }
    if (parses_whole(p, n, d2i_X509_CRL, X509_CRL_free)) { kind = CredentialKind::crl; return true; }
    if (parses_whole(p, n, d2i_PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free)) {
        kind = CredentialKind::private_key;
        return true;
    }
    if (parses_whole(p, n, d2i_X509_SIG, X509_SIG_free)) { kind = CredentialKind::encrypted_private_key; return true; }
    if (parses_whole(p, n, d2i_AutoPrivateKey, EVP_PKEY_free)) { kind = CredentialKind::private_key; return true; }
    return false;
}

bool scan_der(std::string_view text, CredentialScan& out) {
    if (text.empty() || static_cast<unsigned char>(text[0]) != 0x30) return false;   // a SEQUENCE
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* const end = p + text.size();
    std::vector<CredentialKind> found;
    while (p < end) {
        CredentialKind k{};
        if (!scan_der_object(p, static_cast<long>(end - p), k)) return false;
        found.push_back(k);
    }
    out.objects = std::move(found);
    return true;
}

void append_pem(std::string& out, const char* label, const unsigned char* der, std::size_t n) {
    const std::size_t b64_len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    SecretText b64(std::string(b64_len, '\0'));
    sodium_bin2base64(b64.str().data(), b64_len, der, n, sodium_base64_VARIANT_ORIGINAL);
    const std::size_t len = std::strlen(b64.str().c_str());
    out += "-----BEGIN ";
    out += label;
    out += "-----\n";
    for (std::size_t i = 0; i < len; i += 64) {
        out.append(b64.str(), i, std::min<std::size_t>(64, len - i));
        out += '\n';
    }
    out += "-----END ";
    out += label;
    out += "-----\n";
}

}  // namespace

std::size_t CredentialScan::count(CredentialKind k) const noexcept {
    std::size_t n = 0;
    for (CredentialKind o : objects) n += o == k;
    return n;
}

CredentialScan scan_credential(std::string_view text) {
    ErrorMark mark;
    CredentialScan s;
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        s.format = CredentialScan::Format::empty;
    } else if (scan_pem(text, s)) {
        s.format = CredentialScan::Format::pem;
    } else if (scan_der(text, s)) {
        s.format = CredentialScan::Format::der;
    } else {
        s.format = CredentialScan::Format::unknown;
        s.objects.clear();
    }
    return s;
}

std::string describe(CredentialKind kind, const CredentialScan& scan) {
    switch (kind) {
    case CredentialKind::certificate: return "a certificate";
    case CredentialKind::crl: return "a CRL";
    case CredentialKind::private_key: return "a private key";
    case CredentialKind::encrypted_private_key: return "a passphrase-protected private key";
    case CredentialKind::other: return scan.other.empty() ? "something else" : scan.other;
    }
    return "something else";
}

std::string der_to_pem(std::string_view der, CredentialKind kind) {
    ErrorMark mark;
    const char* label = kind == CredentialKind::certificate ? "CERTIFICATE" : kind == CredentialKind::crl ? "X509 CRL" : nullptr;
    if (label == nullptr) return {};
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    const auto* const end = p + der.size();
    std::string out;
    while (p < end) {
        const unsigned char* start = p;
        const bool ok = kind == CredentialKind::certificate
                            ? parses_whole(p, static_cast<long>(end - p), d2i_X509, X509_free)
                            : parses_whole(p, static_cast<long>(end - p), d2i_X509_CRL, X509_CRL_free);
        if (!ok) return {};
        append_pem(out, label, start, static_cast<std::size_t>(p - start));
    }
    return out;
}

SecretText der_key_to_pem(std::string_view der) {
    ErrorMark mark;
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
    if (key == nullptr) return {};
    PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key);
    EVP_PKEY_free(key);
    if (info == nullptr) return {};
    unsigned char* pkcs8 = nullptr;
    const int n = i2d_PKCS8_PRIV_KEY_INFO(info, &pkcs8);
    PKCS8_PRIV_KEY_INFO_free(info);
    if (n <= 0) return {};
    SecretText out;
    out.str().reserve(static_cast<std::size_t>(n) * 2 + 128);   // no reallocation while appending
    append_pem(out.str(), "PRIVATE KEY", pkcs8, static_cast<std::size_t>(n));
    OPENSSL_clear_free(pkcs8, static_cast<std::size_t>(n));
    return out;
}

}  // namespace udpvpn::app
