// SPDX-License-Identifier: GPL-3.0-or-later
// A counting global operator new/delete for the tests that bound the library's heap use. Linked
// only into those test programs (tests/meson.build); every operator new of the program is counted.
#pragma once
#include <cstdint>

namespace udpvpn::test {

// Bytes requested through operator new and not yet given back.
std::int64_t live_heap_bytes() noexcept;

// Calls of operator new so far.
std::uint64_t heap_allocations() noexcept;

}  // namespace udpvpn::test
