// SPDX-License-Identifier: GPL-3.0-or-later
#include "key_schedule.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using udpvpn::test::to_hex;

TEST_CASE("HKDF-SHA-256 matches RFC 5869 test cases 1-3") {
    const auto cases = test::load_vectors("hkdf_sha256.vec");
    CHECK(cases.size() == 3);
    for (const auto& v : cases) {
        CAPTURE(v.name());
        const Secret32 prk = hkdf_extract(v.hex("salt"), v.hex("ikm"));
        CHECK(to_hex(prk.expose()) == v.text("prk"));
        Bytes okm(v.uint("length"));
        hkdf_expand(prk, v.hex("info"), okm);
        CHECK(to_hex(okm) == v.text("okm"));
    }
}

TEST_CASE("HKDF-Expand output is a prefix of any longer output") {
    const Secret32 prk = hkdf_extract({}, {});
    Bytes long_out(100), short_out(33);
    hkdf_expand(prk, {}, long_out);
    hkdf_expand(prk, {}, short_out);
    CHECK(Bytes(long_out.begin(), long_out.begin() + 33) == short_out);
}

TEST_CASE("Expand-Label binds the output length, the label and the context") {
    Secret32 s;
    s.expose_mut()[0] = 1;
    Bytes a(32), b(16), c(32), d(32);
    const std::uint8_t ctx[1] = {0};
    expand_label(s, "key", {}, a);
    expand_label(s, "key", {}, b);
    expand_label(s, "iv", {}, c);
    expand_label(s, "key", ctx, d);
    CHECK(Bytes(a.begin(), a.begin() + 16) != b);   // L is part of the info, unlike plain HKDF
    CHECK(a != c);
    CHECK(a != d);
    CHECK(to_hex(expand_label32(s, "key", {}).expose()) == to_hex(a));
}
