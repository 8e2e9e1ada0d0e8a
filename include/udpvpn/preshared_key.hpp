// SPDX-License-Identifier: GPL-3.0-or-later
// The pre-shared keys of a configuration (the admission key, the cluster key). Their bytes live
// once, in a PresharedKey that cannot be copied and wipes itself when it goes. A configuration holds
// it through a shared pointer, so copying a configuration (the library keeps copies) shares the
// key instead of copying it: nobody wipes a key by hand.
#pragma once
#include <udpvpn/types.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace udpvpn {

class PresharedKey {
public:
    static constexpr std::size_t kSize = 32;

    // Copies the first 32 bytes of `key` (zeros after a shorter one); wiping `key` is the caller's.
    explicit PresharedKey(ByteView key) noexcept;
    PresharedKey(const PresharedKey&) = delete;
    PresharedKey& operator=(const PresharedKey&) = delete;
    PresharedKey(PresharedKey&& other) noexcept;              // `other` is wiped
    PresharedKey& operator=(PresharedKey&& other) noexcept;   // `other` is wiped
    ~PresharedKey();

    // The only accessors: grep for `.expose(` to audit every read. expose_mut() fills a key in
    // place (a key file parsed straight into it): a shared key is const.
    ByteView expose() const noexcept { return {bytes_.data(), kSize}; }
    MutableByteView expose_mut() noexcept { return {bytes_.data(), kSize}; }

private:
    std::array<std::uint8_t, kSize> bytes_{};
};

// What a configuration holds: no key (nullptr) or one key that its copies share.
using SharedKey = std::shared_ptr<const PresharedKey>;

// A SharedKey holding the first 32 bytes of `key`.
inline SharedKey make_shared_key(ByteView key) { return std::make_shared<const PresharedKey>(key); }

}  // namespace udpvpn
