// SPDX-License-Identifier: GPL-3.0-or-later
// check() of harness_support.hpp on its own, for harnesses that need nothing else from it.
#include "harness_support.hpp"

#include <cstdio>
#include <cstdlib>

namespace udpvpn::fuzz {

void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
}

}  // namespace udpvpn::fuzz
