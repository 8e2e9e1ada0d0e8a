// SPDX-License-Identifier: GPL-3.0-or-later
// The only clock the runtime feeds the library: monotonic nanoseconds.
#pragma once
#include <udpvpn/types.hpp>

#include <chrono>

namespace udpvpn::app {

inline TimeNs monotonic_now() noexcept {
    return static_cast<TimeNs>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Wall-clock time minus monotonic time, in nanoseconds: added to monotonic time where servers must
// agree on the time (the cookie buckets of servers sharing a cluster key).
inline TimeNs wall_clock_offset() noexcept {
    const auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
    return static_cast<TimeNs>(wall) - monotonic_now();
}

inline std::chrono::steady_clock::time_point to_time_point(TimeNs t) noexcept {
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::nanoseconds(t)));
}

}  // namespace udpvpn::app
