// SPDX-License-Identifier: GPL-3.0-or-later
// Who a client is, from its verified certificate (server.identity, udpvpn.conf(5)):
//   - key:  what makes two sessions "the same client" (one session per identity, clashes). It
//           always includes the issuer, so two CAs that each issue a "CN=alice" are two clients.
//   - name: what logs, the status output, pppd and [clients.<name>] entries call it.
#pragma once
#include <udpvpn/certificate.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace udpvpn::app {

enum class IdentityMode {
    subject,      // issuer + subject DN (default); name: the subject CN (or the fingerprint)
    san_dns,      // issuer + the first subjectAltName dNSName; name: that DNS name
    san_email,    // issuer + the first rfc822Name; name: that address
    san_uri,      // issuer + the first URI; name: that URI
    fingerprint,  // SHA-256 of the certificate: a new certificate is a new client; name: the CN
};

// "subject", "san-dns", "san-email", "san-uri", "fingerprint". False for anything else.
bool parse_identity_mode(std::string_view text, IdentityMode& out);
const char* identity_mode_name(IdentityMode m) noexcept;

struct ClientIdentity {
    std::string key;
    std::string name;
};

// nullopt when the certificate has no subjectAltName of the kind the mode needs.
std::optional<ClientIdentity> client_identity(const PeerIdentity& peer, IdentityMode mode);

}  // namespace udpvpn::app
