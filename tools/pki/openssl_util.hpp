// SPDX-License-Identifier: GPL-3.0-or-later
// Owning handles for OpenSSL objects and the one error type of udpvpn-pki.
#pragma once
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace udpvpn::pki {

// Every failure of the tool: a message a person can act on. main() prints it and exits non-zero.
struct PkiError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws PkiError with `what` and the most recent OpenSSL error reason (if any), clearing the queue.
[[noreturn]] inline void throw_openssl(const std::string& what) {
    std::string msg = what;
    if (unsigned long e = ERR_get_error(); e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        msg += " (" + std::string(buf) + ")";
    }
    ERR_clear_error();
    throw PkiError(msg);
}

template <typename T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const noexcept { Free(p); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using Asn1IntPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>>;

}  // namespace udpvpn::pki
