// SPDX-License-Identifier: GPL-3.0-or-later
// Cipher suite names as configuration files, logs and the status socket spell them.
#pragma once
#include <udpvpn/types.hpp>

#include <string_view>

namespace udpvpn::app {

inline const char* suite_name(Suite s) noexcept {
    switch (s) {
    case Suite::chacha20_poly1305: return "chacha20-poly1305";
    case Suite::aes256_gcm: return "aes-256-gcm";
    }
    return "unknown";
}

inline bool parse_suite(std::string_view n, Suite& out) noexcept {
    if (n == "chacha20-poly1305") { out = Suite::chacha20_poly1305; return true; }
    if (n == "aes-256-gcm") { out = Suite::aes256_gcm; return true; }
    return false;
}

}  // namespace udpvpn::app
