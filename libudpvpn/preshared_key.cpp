// SPDX-License-Identifier: GPL-3.0-or-later
#include <udpvpn/preshared_key.hpp>

#include <sodium.h>

#include <algorithm>

namespace udpvpn {

PresharedKey::PresharedKey(ByteView key) noexcept {
    std::copy_n(key.begin(), std::min(key.size(), kSize), bytes_.begin());
}

PresharedKey::PresharedKey(PresharedKey&& other) noexcept : bytes_(other.bytes_) {
    sodium_memzero(other.bytes_.data(), kSize);
}

PresharedKey& PresharedKey::operator=(PresharedKey&& other) noexcept {
    if (this != &other) {
        bytes_ = other.bytes_;
        sodium_memzero(other.bytes_.data(), kSize);
    }
    return *this;
}

PresharedKey::~PresharedKey() { sodium_memzero(bytes_.data(), kSize); }

}  // namespace udpvpn
