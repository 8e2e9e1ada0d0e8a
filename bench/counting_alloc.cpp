// SPDX-License-Identifier: GPL-3.0-or-later
#include "counting_alloc.hpp"

#include <cstdlib>
#include <new>

namespace udpvpn::bench {
namespace {

// A 16-byte header before each block keeps the default new alignment and records size and owner.
struct alignas(16) Header {
    std::size_t size;
    Owner owner;
};
static_assert(sizeof(Header) == 16);

std::int64_t g_live[kOwners] = {};
Owner g_current = Owner::other;   // the benchmarks run on one thread

void* counted_alloc(std::size_t n) noexcept {
    auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + (n ? n : 1)));
    if (!h) return nullptr;
    h->size = n;
    h->owner = g_current;
    g_live[static_cast<int>(g_current)] += static_cast<std::int64_t>(n);
    return h + 1;
}

void counted_free(void* p) noexcept {
    if (!p) return;
    Header* h = static_cast<Header*>(p) - 1;
    g_live[static_cast<int>(h->owner)] -= static_cast<std::int64_t>(h->size);
    std::free(h);
}

}  // namespace

std::int64_t live_bytes(Owner o) noexcept { return g_live[static_cast<int>(o)]; }

ChargeTo::ChargeTo(Owner o) noexcept : saved_(g_current) { g_current = o; }
ChargeTo::~ChargeTo() { g_current = saved_; }

}  // namespace udpvpn::bench

using udpvpn::bench::counted_alloc;
using udpvpn::bench::counted_free;

void* operator new(std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
