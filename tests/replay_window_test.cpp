// SPDX-License-Identifier: GPL-3.0-or-later
#include "replay_window.hpp"

#include <udpvpn/rng.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <set>

using namespace udpvpn;

namespace {
constexpr std::uint64_t W = ReplayWindow::kWindowSize;
constexpr std::uint64_t kMax = ~std::uint64_t{0};

// The rule the window implements, written the slow way: a counter is accepted if it was never
// committed and is at most W-1 behind the highest committed counter.
struct Model {
    std::set<std::uint64_t> seen;
    std::uint64_t top = 0;   // highest + 1
    bool accepts(std::uint64_t c) const { return c != kMax && !seen.count(c) && !(c < top && top - c > W); }
    bool commit(std::uint64_t c) {
        if (!accepts(c)) return false;
        seen.insert(c);
        if (c >= top) top = c + 1;
        return true;
    }
};
}  // namespace

TEST_CASE("replay window accepts and rejects counters as in the table") {
    // (counter, expected result of commit) applied in order, like WireGuard's replay self-test.
    struct Row { std::uint64_t counter; bool expected; };
    const Row rows[] = {
        {0, true}, {1, true}, {1, false}, {9, true}, {8, true}, {7, true}, {7, false},
        {W, true},              // window now [1, W]
        {W - 1, true}, {W - 1, false}, {W - 2, true}, {2, true}, {2, false},
        {0, false},             // committed earlier and by now left of the window
        {W + 16, true},         // window now [17, W + 16]
        {16, false},            // one left of the window, never committed
        {17, true},             // left edge, never committed
        {17, false},
        {3, false}, {W + 16, false},
        {4 * W, true},          // far jump: window now [3W + 1, 4W]
        {3 * W + 1, true},      // left edge
        {3 * W, false},         // one past the left edge
        {3 * W + 1, false},
        {4 * W - 1, true}, {4 * W + 1, true}, {4 * W, false}, {4 * W + 1, false},
        {kMax, false},          // would wrap the window to zero
        {kMax - 1, true}, {kMax - 1, false}, {kMax - W, true}, {kMax - W - 1, false}, {kMax, false},
    };
    ReplayWindow w;
    for (const Row& r : rows) {
        CAPTURE(r.counter);
        CHECK(w.check(r.counter) == r.expected);
        CHECK(w.commit(r.counter) == r.expected);
    }
}

TEST_CASE("replay window rejects every counter a second time within the window") {
    ReplayWindow w;
    for (std::uint64_t i = 0; i < W; ++i) REQUIRE(w.commit(i));
    CHECK(w.next_expected() == W);
    for (std::uint64_t i = 0; i < W; ++i) CHECK_FALSE(w.check(i));
    CHECK(w.commit(W));
    CHECK_FALSE(w.check(0));   // slid out
}

TEST_CASE("replay window accepts out-of-order counters back to the left edge") {
    ReplayWindow w;
    REQUIRE(w.commit(W));                          // window [1, W]
    for (std::uint64_t i = W - 1; i >= 1; --i) REQUIRE(w.commit(i));
    CHECK_FALSE(w.commit(0));                      // W behind the top: too old
    for (std::uint64_t i = 1; i <= W; ++i) CHECK_FALSE(w.check(i));
}

TEST_CASE("replay window edge: a counter exactly W-1 behind the top is the oldest accepted") {
    for (std::uint64_t top : {W - 1, W, W + 1, 5 * W + 63, 5 * W + 64, std::uint64_t{1'000'000'007}}) {
        CAPTURE(top);
        ReplayWindow w;
        REQUIRE(w.commit(top));
        CHECK(w.check(top - (W - 1)));
        if (top >= W) CHECK_FALSE(w.check(top - W));
        for (std::uint64_t back = 1; back < W && back <= top; ++back) REQUIRE(w.check(top - back));
    }
}

TEST_CASE("replay window forgets old bits when it slides over ring blocks") {
    // Fill the whole window, then jump by less than, exactly, and more than the ring size: counters
    // that alias old ring positions must read as unseen.
    for (std::uint64_t jump : {std::uint64_t{1}, std::uint64_t{63}, std::uint64_t{64}, std::uint64_t{65},
                               W - 1, W, W + 64, 2 * W + 5}) {
        CAPTURE(jump);
        ReplayWindow w;
        for (std::uint64_t i = 0; i < W; ++i) REQUIRE(w.commit(i));
        const std::uint64_t top = W - 1 + jump;
        REQUIRE(w.commit(top));
        for (std::uint64_t c = top - (W - 1); c < top; ++c) {
            const bool was_committed = c < W;
            if (w.check(c) == was_committed) FAIL_CHECK("counter " << c << " misread after a jump of " << jump);
        }
    }
}

TEST_CASE("replay window check alone never changes state") {
    ReplayWindow w;
    REQUIRE(w.commit(10));
    // A packet whose tag fails is only checked: the genuine packet with that counter must still pass.
    CHECK(w.check(11));
    CHECK(w.check(11));
    CHECK(w.check(1'000'000'000));   // far-future forgery: checked, never committed
    CHECK(w.check(9));               // so the window did not slide
    CHECK(w.next_expected() == 11);
    CHECK(w.commit(11));
    CHECK_FALSE(w.check(11));
}

TEST_CASE("replay window reset forgets everything") {
    ReplayWindow w;
    REQUIRE(w.commit(5 * W));
    w.reset();
    CHECK(w.next_expected() == 0);
    CHECK(w.commit(0));
    CHECK(w.commit(5 * W));
}

TEST_CASE("replay window agrees with a simple model on random sequences") {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        CAPTURE(seed);
        DeterministicRng rng(seed);
        ReplayWindow w;
        Model m;
        std::uint64_t base = 0;
        for (int i = 0; i < 20000; ++i) {
            std::uint8_t r[8];
            rng.fill(r);
            const std::uint32_t x = std::uint32_t(r[0]) | std::uint32_t(r[1]) << 8 | std::uint32_t(r[2]) << 16;
            std::uint64_t c;
            switch (r[3] % 8) {
            case 0: base += x % (3 * W); c = base; break;            // jumps, sometimes past the window
            case 1: c = base + (x % 4); break;                        // duplicates around the top
            default: c = base > (x % (W + 200)) ? base - (x % (W + 200)) : 0;   // reordering, edges
            }
            if (r[4] % 4 == 0) {   // checked only, as for a packet whose tag then fails
                if (w.check(c) != m.accepts(c)) FAIL("check disagrees with the model at counter " << c);
                continue;
            }
            const bool expected = m.commit(c);
            if (w.commit(c) != expected) FAIL("commit disagrees with the model at counter " << c);
        }
    }
}
