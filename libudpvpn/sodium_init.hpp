// SPDX-License-Identifier: GPL-3.0-or-later
// libsodium must be initialised before CPU-feature queries (AES-NI) and to pick its fast code paths.
#pragma once
#include <sodium.h>

namespace udpvpn {

// Idempotent and thread-safe (a function-local static); call it from constructors, not per packet.
inline bool ensure_sodium() noexcept {
    static const bool ok = sodium_init() >= 0;
    return ok;
}

}  // namespace udpvpn
