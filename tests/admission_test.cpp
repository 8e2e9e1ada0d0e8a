// SPDX-License-Identifier: GPL-3.0-or-later
// The admission MAC of INITIAL and PAD (docs/rfc-draft.txt, Section 10.1): BLAKE2b-128 keyed with
// the pre-shared key over every byte before the MAC, recomputed here with libsodium.
#include "admission.hpp"

#include <sodium.h>

#include <doctest/doctest.h>

#include <array>

using namespace udpvpn;

namespace {

std::array<std::uint8_t, 32> key_of(std::uint8_t first) {
    std::array<std::uint8_t, 32> k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(first + 3 * i);
    return k;
}

Bytes datagram_of(std::size_t size) {
    Bytes d(size);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i ^ 0x5A);
    return d;
}

}  // namespace

TEST_CASE("the MAC is BLAKE2b-128 keyed with the admission key over the bytes before it") {
    const auto key = key_of(1);
    Bytes d = datagram_of(1200);
    admission_seal(key, d);
    std::array<std::uint8_t, kAdmissionMacSize> expect{};
    crypto_generichash(expect.data(), expect.size(), d.data(), d.size() - kAdmissionMacSize, key.data(), key.size());
    CHECK(Bytes(d.end() - kAdmissionMacSize, d.end()) == Bytes(expect.begin(), expect.end()));
    // The bytes before the MAC are left alone.
    const Bytes original = datagram_of(1200);
    CHECK(std::equal(d.begin(), d.end() - kAdmissionMacSize, original.begin()));
    CHECK(admission_verify(key, d));
}

TEST_CASE("any changed byte, another key or no key refuses the datagram") {
    const auto key = key_of(1);
    Bytes sealed = datagram_of(300);
    admission_seal(key, sealed);
    for (std::size_t at : {std::size_t{0}, std::size_t{150}, sealed.size() - kAdmissionMacSize - 1,
                           sealed.size() - kAdmissionMacSize, sealed.size() - 1}) {
        CAPTURE(at);
        Bytes bad = sealed;
        bad[at] ^= 0x80;
        CHECK_FALSE(admission_verify(key, bad));
    }
    CHECK_FALSE(admission_verify(key_of(2), sealed));
    // No key configured means 32 zero bytes: a datagram sealed with a real key does not pass.
    const std::array<std::uint8_t, 32> none{};
    CHECK_FALSE(admission_verify(none, sealed));
    Bytes open = datagram_of(300);
    admission_seal(none, open);
    CHECK(admission_verify(none, open));
    CHECK_FALSE(admission_verify(key, open));
}

TEST_CASE("a datagram no longer than the MAC, or a key of the wrong size, never verifies") {
    const auto key = key_of(9);
    Bytes tiny = datagram_of(kAdmissionMacSize);
    admission_seal(key, tiny);   // too short to hold anything: left as it was
    CHECK(tiny == datagram_of(kAdmissionMacSize));
    CHECK_FALSE(admission_verify(key, tiny));
    CHECK_FALSE(admission_verify(key, {}));
    Bytes d = datagram_of(64);
    admission_seal(key, d);
    CHECK_FALSE(admission_verify(ByteView(key).first(16), d));
    // The smallest datagram that can carry a MAC: one byte before it.
    Bytes one = datagram_of(kAdmissionMacSize + 1);
    admission_seal(key, one);
    CHECK(admission_verify(key, one));
}
