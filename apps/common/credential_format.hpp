// SPDX-License-Identifier: GPL-3.0-or-later
// What a certificate, CRL or key file holds, as far as OpenSSL can tell (PEM blocks or DER
// objects), and DER turned into the PEM the library takes. Lets pki_files say "this is the CA
// certificate, not a CRL" instead of "invalid argument", and accept DER wherever it is unambiguous.
#pragma once
#include "config_files.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace udpvpn::app {

enum class CredentialKind { certificate, crl, private_key, encrypted_private_key, other };

struct CredentialScan {
    enum class Format { empty, pem, der, unknown };
    Format format = Format::unknown;
    std::vector<CredentialKind> objects;   // in file order: PEM blocks, or DER objects
    std::string other;                     // what the first `other` object is ("a public key")

    std::size_t count(CredentialKind k) const noexcept;
};

// Never throws on bad input; only on allocation failure.
CredentialScan scan_credential(std::string_view text);

// "a certificate", "a CRL", "a private key", "a passphrase-protected private key".
std::string describe(CredentialKind kind, const CredentialScan& scan);

// DER objects (the format scan_credential reported as der) as PEM blocks with `label`
// ("CERTIFICATE", "X509 CRL"). Empty if they do not parse as that kind.
std::string der_to_pem(std::string_view der, CredentialKind kind);
// A DER private key (PKCS#8 or a traditional EC/RSA key) as a PKCS#8 PEM block; empty if it does
// not parse. Every intermediate copy of the key is wiped.
SecretText der_key_to_pem(std::string_view der);

}  // namespace udpvpn::app
