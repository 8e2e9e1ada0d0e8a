// SPDX-License-Identifier: GPL-3.0-or-later
#include "client_identity.hpp"

#include <vector>

namespace udpvpn::app {
namespace {

struct ModeName {
    IdentityMode mode;
    const char* name;
};
constexpr ModeName kModes[] = {{IdentityMode::subject, "subject"},     {IdentityMode::san_dns, "san-dns"},
                               {IdentityMode::san_email, "san-email"}, {IdentityMode::san_uri, "san-uri"},
                               {IdentityMode::fingerprint, "fingerprint"}};

std::string cn_or_fingerprint(const PeerIdentity& p) {
    return p.common_name.empty() ? p.fingerprint_sha256 : p.common_name;
}

// Newlines cannot occur in RFC 4514 strings (control bytes are escaped), so the parts stay apart.
std::optional<ClientIdentity> by_san(const PeerIdentity& p, const std::vector<std::string>& names, const char* kind) {
    if (names.empty()) return std::nullopt;
    return ClientIdentity{"issuer " + p.issuer + "\n" + kind + " " + names.front(), names.front()};
}

}  // namespace

bool parse_identity_mode(std::string_view text, IdentityMode& out) {
    for (const ModeName& m : kModes)
        if (text == m.name) {
            out = m.mode;
            return true;
        }
    return false;
}

const char* identity_mode_name(IdentityMode mode) noexcept {
    for (const ModeName& m : kModes)
        if (m.mode == mode) return m.name;
    return "?";
}

std::optional<ClientIdentity> client_identity(const PeerIdentity& p, IdentityMode mode) {
    switch (mode) {
    case IdentityMode::subject:
        return ClientIdentity{"issuer " + p.issuer + "\nsubject " + p.subject, cn_or_fingerprint(p)};
    case IdentityMode::san_dns: return by_san(p, p.dns_names, "dns");
    case IdentityMode::san_email: return by_san(p, p.email_names, "email");
    case IdentityMode::san_uri: return by_san(p, p.uri_names, "uri");
    case IdentityMode::fingerprint: return ClientIdentity{"sha256 " + p.fingerprint_sha256, cn_or_fingerprint(p)};
    }
    return std::nullopt;
}

}  // namespace udpvpn::app
