// SPDX-License-Identifier: GPL-3.0-or-later
// PresharedKey: the admission and cluster keys live once, cannot be copied, and a configuration's
// copies share them instead of copying the bytes.
#include <udpvpn/config.hpp>
#include <udpvpn/preshared_key.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <type_traits>

using namespace udpvpn;

static_assert(!std::is_copy_constructible_v<PresharedKey> && !std::is_copy_assignable_v<PresharedKey>);
static_assert(std::is_nothrow_move_constructible_v<PresharedKey>);

namespace {

bool all_zero(ByteView b) { return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; }); }

}  // namespace

TEST_CASE("copies of a configuration share one key") {
    std::array<std::uint8_t, 32> bytes{};
    bytes.fill(0x42);
    ResponderConfig a;
    a.admission_key = make_shared_key(bytes);
    a.cluster_key = make_shared_key(bytes);
    const ResponderConfig b = a;   // what the library does with the configuration it is given
    const CommonConfig c = b;
    CHECK(b.admission_key.get() == a.admission_key.get());
    CHECK(c.admission_key.get() == a.admission_key.get());
    CHECK(b.cluster_key.get() == a.cluster_key.get());
    CHECK(a.admission_key.use_count() == 3);
    CHECK(std::equal(bytes.begin(), bytes.end(), c.admission_key->expose().begin()));
}

TEST_CASE("a key moved from is wiped, and a short input is padded with zeros") {
    std::array<std::uint8_t, 32> bytes{};
    bytes.fill(0x5A);
    PresharedKey k(bytes);
    PresharedKey moved(std::move(k));
    CHECK(all_zero(k.expose()));   // NOLINT(bugprone-use-after-move): the point of the test
    CHECK(std::equal(bytes.begin(), bytes.end(), moved.expose().begin()));
    PresharedKey other(ByteView{});
    other = std::move(moved);
    CHECK(all_zero(moved.expose()));   // NOLINT(bugprone-use-after-move)
    CHECK(std::equal(bytes.begin(), bytes.end(), other.expose().begin()));

    const PresharedKey shorter(ByteView(bytes).first(4));
    CHECK(std::equal(bytes.begin(), bytes.begin() + 4, shorter.expose().begin()));
    CHECK(all_zero(shorter.expose().subspan(4)));
}
