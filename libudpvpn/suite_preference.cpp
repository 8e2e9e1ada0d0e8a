// SPDX-License-Identifier: GPL-3.0-or-later
// The default cipher suite preference (docs/rfc-draft.txt 9.2, [HS-21]): the faster suite on this
// CPU first. With AES-NI and PCLMUL, AES-256-GCM seals and opens faster than ChaCha20-Poly1305;
// without them libsodium cannot run AES-256-GCM at all (and it is then never offered).
#include "aead.hpp"

#include <udpvpn/config.hpp>

namespace udpvpn {

std::vector<Suite> default_suites() {
    if (suite_available(Suite::aes256_gcm)) return {Suite::aes256_gcm, Suite::chacha20_poly1305};
    return {Suite::chacha20_poly1305, Suite::aes256_gcm};
}

}  // namespace udpvpn
