// SPDX-License-Identifier: GPL-3.0-or-later
// TEST BUILDS ONLY, like the file it tests (libudpvpn/conformance_fault_hooks.cpp): registered in
// the -Dconformance_faults=true build, where scripts/test-all.sh runs it. version_unchecked's hook
// turns an INITIAL whose admission MAC verifies into a version 1 INITIAL, sealed again, and leaves
// everything else as it came (tests/e2e/conformance_faults.sh shows the conformance suite see it).
#include "admission.hpp"
#include "conformance_fault_hooks.hpp"
#include "wire_format.hpp"

#include <doctest/doctest.h>

#include <array>

using namespace udpvpn;

namespace {

// An INITIAL claiming `version`, sealed with `key`.
Bytes initial(std::uint16_t version, const std::array<std::uint8_t, 32>& key) {
    static const std::uint8_t suites[2] = {0x00, 0x01};
    InitialFields f;
    f.version = version;
    f.client_sid = 7;
    f.client_eph_pub.fill(9);
    f.suites = suites;
    Bytes out(1232);
    REQUIRE(encode_initial(f, key, out.size(), out).ok());
    return out;
}

std::uint16_t version_of(ByteView d) { return static_cast<std::uint16_t>(d[1] << 8 | d[2]); }

}  // namespace

TEST_CASE("version_unchecked: an INITIAL with a valid MAC becomes version 1, sealed again") {
    std::array<std::uint8_t, 32> key{};
    key.fill(0x5A);
    CommonConfig config;
    config.admission_key = make_shared_key(key);
    for (std::uint16_t v : {std::uint16_t{2}, std::uint16_t{0xFFFF}, kProtocolVersion}) {
        CAPTURE(v);
        Bytes d = initial(v, key);
        REQUIRE(version_of(d) == v);
        fault_any_version_is_1(config, d);
        CHECK(version_of(d) == kProtocolVersion);
        CHECK(admission_verify(key, d));
        Bytes expected = initial(kProtocolVersion, key);
        CHECK(d == expected);   // the rest untouched
    }
}

TEST_CASE("version_unchecked leaves alone what the server would drop anyway") {
    std::array<std::uint8_t, 32> key{}, other{};
    key.fill(0x5A);
    other.fill(0xA5);
    CommonConfig config;
    config.admission_key = make_shared_key(key);
    const Bytes wrong_mac = initial(2, other);
    Bytes d = wrong_mac;
    fault_any_version_is_1(config, d);
    CHECK(d == wrong_mac);
    Bytes pad = initial(2, key);
    pad[0] = static_cast<std::uint8_t>(PacketType::pad);
    admission_seal(key, pad);
    const Bytes pad_before = pad;
    fault_any_version_is_1(config, pad);
    CHECK(pad == pad_before);
    Bytes tiny(3 + kAdmissionMacSize - 1, static_cast<std::uint8_t>(PacketType::initial));
    const Bytes tiny_before = tiny;
    fault_any_version_is_1(config, tiny);
    CHECK(tiny == tiny_before);
}
