// SPDX-License-Identifier: GPL-3.0-or-later
// In a file of its own so that no caller inlines the replacements: inlined, GCC takes the header
// arithmetic and the free() of what operator new returned for errors (-Wmismatched-new-delete).
#include "counting_alloc.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace udpvpn::test {
namespace {

// A 16-byte header before each block keeps the default new alignment and records its size.
struct alignas(16) Header {
    std::size_t size;
};
static_assert(sizeof(Header) == 16);

std::atomic<std::int64_t> g_live{0};
std::atomic<std::uint64_t> g_allocations{0};

}  // namespace

std::int64_t live_heap_bytes() noexcept { return g_live.load(); }
std::uint64_t heap_allocations() noexcept { return g_allocations.load(); }

}  // namespace udpvpn::test

using udpvpn::test::Header;

void* operator new(std::size_t n) {
    auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + (n ? n : 1)));
    if (!h) throw std::bad_alloc();
    h->size = n;
    udpvpn::test::g_live += static_cast<std::int64_t>(n);
    ++udpvpn::test::g_allocations;
    return h + 1;
}
void operator delete(void* p) noexcept {
    if (!p) return;
    Header* h = static_cast<Header*>(p) - 1;
    udpvpn::test::g_live -= static_cast<std::int64_t>(h->size);
    std::free(h);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }
