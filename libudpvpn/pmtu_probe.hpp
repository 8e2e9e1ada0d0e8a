// SPDX-License-Identifier: GPL-3.0-or-later
// Path MTU discovery by probing (docs/rfc-draft.txt, "Control channel", PROBE; in the spirit of
// DPLPMTUD, RFC 8899). Sizes are whole UDP payloads (DATA datagrams), not inner MTUs.
//
// Algorithm:
//  - `lo` is the largest size known to work (the configured max_datagram at start, then the largest
//    acknowledged probe); `hi` is the largest size that may still work (at start the datagram that
//    carries a whole CommonConfig::inner_mtu packet, largest_datagram()).
//    result() is always `lo`, so it never exceeds a size the path actually carried (or the base the
//    caller started with).
//  - Binary search: the probe size is the midpoint lo + ceil((hi - lo) / 2). A probe acknowledged
//    raises lo to its size and the next probe goes out at once; a probe unanswered for
//    kProbeTimeout is resent, and after kTriesPerSize unanswered tries the size is taken as too big:
//    hi = size - 1. The search ends when lo == hi.
//  - Then the prober sleeps kReprobeInterval and searches again between lo and the configured upper
//    bound, so a path that grew (or a probe that was lost by chance) is picked up.
//  - A late acknowledgement of a size probed earlier in the search still raises lo: the path did
//    carry it. Acknowledgements of sizes never probed are ignored.
// The prober never shrinks lo: a path that got smaller shows up as loss; the session then calls
// start() again with its base size.
#pragma once
#include <udpvpn/types.hpp>

#include <array>
#include <cstdint>
#include <optional>

namespace udpvpn {

class PmtuProbe {
public:
    static constexpr TimeNs kProbeTimeout = 1 * kSecond;
    static constexpr TimeNs kReprobeInterval = 600 * kSecond;
    static constexpr unsigned kTriesPerSize = 3;

    // Starts (or restarts) a search between lo (known to work, e.g. CommonConfig::max_datagram) and
    // hi (largest_datagram(CommonConfig)). hi <= lo: nothing is probed.
    void start(TimeNs now, std::uint16_t lo, std::uint16_t hi) noexcept;

    // The datagram size to probe now, if any; the caller sends one PROBE of exactly that size
    // (write_probe_payload with size - kDataOverhead) and remembers its probe_id.
    std::optional<std::uint16_t> probe_due(TimeNs now) noexcept;

    // The peer acknowledged a probe of `size` bytes (the caller matched the probe_id).
    void on_ack(std::uint16_t size) noexcept;

    // The largest validated datagram size.
    std::uint16_t result() const noexcept { return lo_; }
    // When probe_due() may next return a size: 0 if one is due already, kNever if not started.
    TimeNs next_deadline() const noexcept;
    bool searching() const noexcept { return state_ == State::searching; }

private:
    enum class State { stopped, searching, idle };
    void pick_next() noexcept;
    bool was_probed(std::uint16_t size) const noexcept;

    State state_ = State::stopped;
    std::uint16_t lo_ = 0;
    std::uint16_t hi_ = 0;
    std::uint16_t max_ = 0;         // configured upper bound
    std::uint16_t cur_ = 0;         // size being probed
    unsigned tries_ = 0;
    bool outstanding_ = false;
    TimeNs sent_at_ = 0;
    TimeNs next_search_ = kNever;
    // Sizes probed in this search (a binary search over u16 takes at most 16 steps).
    std::array<std::uint16_t, 16> probed_{};
    std::size_t n_probed_ = 0;
};

}  // namespace udpvpn
