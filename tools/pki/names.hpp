// SPDX-License-Identifier: GPL-3.0-or-later
// What a certificate name may be. Names become file names in the CA directory and identities in the
// server's logs and status, so the alphabet is small and checked before anything is written.
#pragma once
#include <string>
#include <string_view>

namespace udpvpn::pki {

// 1..64 characters of [A-Za-z0-9._@+-], starting with a letter or digit. Throws PkiError otherwise.
void validate_identity_name(std::string_view name);

// RFC 1123 host name: dot-separated labels of 1..63 [A-Za-z0-9-] not starting or ending with '-',
// at most 253 characters in all.
bool is_dns_name(std::string_view s);

// One subjectAltName from the command line: "DNS:name", "IP:address", or a bare name or address.
// Returns the OpenSSL form ("DNS:vpn.example.com", "IP:2001:db8::1"); throws PkiError if invalid.
std::string san_entry(std::string_view s);

}  // namespace udpvpn::pki
