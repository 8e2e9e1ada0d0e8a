// SPDX-License-Identifier: GPL-3.0-or-later
// Owning pointers for OpenSSL objects and a guard that leaves the caller's OpenSSL error queue as it
// found it. Internal to the library: only certificate.cpp and signature_keys.cpp include OpenSSL.
#pragma once
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace udpvpn::ossl {

struct Free {
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(X509_CRL* p) const noexcept { X509_CRL_free(p); }
    void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
    void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
    void operator()(BIO* p) const noexcept { BIO_free(p); }
    void operator()(GENERAL_NAMES* p) const noexcept { GENERAL_NAMES_free(p); }
    // Frees the stack only: the certificates it points to are owned elsewhere.
    void operator()(STACK_OF(X509)* p) const noexcept { sk_X509_free(p); }
};

template <typename T>
using Ptr = std::unique_ptr<T, Free>;

// Every OpenSSL error raised while a guard lives is dropped when it goes out of scope; errors that
// were queued before it (the caller's) stay. Our results are udpvpn::Error values, never the queue.
class ErrorGuard {
public:
    ErrorGuard() noexcept { ERR_set_mark(); }
    ~ErrorGuard() { ERR_pop_to_mark(); }
    ErrorGuard(const ErrorGuard&) = delete;
    ErrorGuard& operator=(const ErrorGuard&) = delete;
};

}  // namespace udpvpn::ossl
