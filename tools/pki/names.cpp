// SPDX-License-Identifier: GPL-3.0-or-later
#include "names.hpp"

#include "openssl_util.hpp"

#include <arpa/inet.h>

#include <cctype>

namespace udpvpn::pki {
namespace {
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool is_ip(std::string_view s) {
    const std::string z(s);
    unsigned char buf[16];
    return inet_pton(AF_INET, z.c_str(), buf) == 1 || inet_pton(AF_INET6, z.c_str(), buf) == 1;
}
}  // namespace

void validate_identity_name(std::string_view name) {
    auto fail = [&](const char* why) {
        throw PkiError("invalid name '" + std::string(name) + "': " + why +
                       " (use 1 to 64 of A-Z a-z 0-9 . _ @ + -, starting with a letter or digit)");
    };
    if (name.empty()) fail("empty");
    if (name.size() > 64) fail("longer than 64 characters");
    if (!is_alnum(name.front())) fail("must start with a letter or digit");
    for (char c : name)
        if (!is_alnum(c) && c != '.' && c != '_' && c != '@' && c != '+' && c != '-') fail("bad character");
}

bool is_dns_name(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = s.find('.', start);
        const std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (char c : label)
            if (!is_alnum(c) && c != '-') return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

std::string san_entry(std::string_view s) {
    if (s.substr(0, 4) == "DNS:") {
        if (!is_dns_name(s.substr(4))) throw PkiError("invalid DNS name in --san: '" + std::string(s.substr(4)) + "'");
        return std::string(s);
    }
    if (s.substr(0, 3) == "IP:") {
        if (!is_ip(s.substr(3))) throw PkiError("invalid IP address in --san: '" + std::string(s.substr(3)) + "'");
        return std::string(s);
    }
    if (is_ip(s)) return "IP:" + std::string(s);
    if (is_dns_name(s)) return "DNS:" + std::string(s);
    throw PkiError("invalid --san '" + std::string(s) + "': expected a DNS name or an IP address");
}

}  // namespace udpvpn::pki
