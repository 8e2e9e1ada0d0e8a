// SPDX-License-Identifier: GPL-3.0-or-later
#include "admission.hpp"

#include <sodium.h>

namespace udpvpn {

ByteView admission_key_bytes(const SharedKey& key) noexcept {
    static constexpr std::array<std::uint8_t, PresharedKey::kSize> kNoKey{};
    return key ? key->expose() : ByteView(kNoKey);
}

void admission_mac(ByteView key32, ByteView msg, std::uint8_t out[kAdmissionMacSize]) noexcept {
    crypto_generichash(out, kAdmissionMacSize, msg.data(), msg.size(), key32.data(), key32.size());
}

void admission_seal(ByteView key32, MutableByteView datagram) noexcept {
    if (datagram.size() <= kAdmissionMacSize) return;
    const std::size_t n = datagram.size() - kAdmissionMacSize;
    admission_mac(key32, datagram.first(n), datagram.data() + n);
}

bool admission_verify(ByteView key32, ByteView datagram) noexcept {
    if (datagram.size() <= kAdmissionMacSize || key32.size() != 32) return false;
    const std::size_t n = datagram.size() - kAdmissionMacSize;
    std::uint8_t mac[kAdmissionMacSize];
    admission_mac(key32, datagram.first(n), mac);
    const bool ok = crypto_verify_16(mac, datagram.data() + n) == 0;
    sodium_memzero(mac, sizeof mac);
    return ok;
}

}  // namespace udpvpn
