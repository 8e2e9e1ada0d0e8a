// SPDX-License-Identifier: GPL-3.0-or-later
// Path MTU probing; the algorithm is described in pmtu_probe.hpp.
#include "pmtu_probe.hpp"

#include <algorithm>

namespace udpvpn {

void PmtuProbe::start(TimeNs now, std::uint16_t lo, std::uint16_t hi) noexcept {
    lo_ = lo;
    max_ = std::max(lo, hi);
    hi_ = max_;
    n_probed_ = 0;
    outstanding_ = false;
    state_ = State::searching;
    pick_next();
    if (lo_ >= hi_) {
        state_ = State::idle;
        next_search_ = now + kReprobeInterval;
    }
}

void PmtuProbe::pick_next() noexcept {
    cur_ = static_cast<std::uint16_t>(lo_ + (hi_ - lo_ + 1) / 2);
    tries_ = 0;
    outstanding_ = false;
}

bool PmtuProbe::was_probed(std::uint16_t size) const noexcept {
    return std::find(probed_.begin(), probed_.begin() + static_cast<std::ptrdiff_t>(n_probed_), size) !=
           probed_.begin() + static_cast<std::ptrdiff_t>(n_probed_);
}

std::optional<std::uint16_t> PmtuProbe::probe_due(TimeNs now) noexcept {
    if (state_ == State::stopped) return std::nullopt;
    if (state_ == State::idle) {
        if (now < next_search_ || lo_ >= max_) {
            if (now >= next_search_) next_search_ = now + kReprobeInterval;
            return std::nullopt;
        }
        state_ = State::searching;
        hi_ = max_;
        n_probed_ = 0;
        pick_next();
    }
    if (outstanding_) {
        if (now < sent_at_ + kProbeTimeout) return std::nullopt;
        outstanding_ = false;
        if (tries_ >= kTriesPerSize) {   // this size does not get through: too big
            hi_ = static_cast<std::uint16_t>(cur_ - 1);
            pick_next();
        }
    }
    if (lo_ >= hi_) {   // search done
        state_ = State::idle;
        next_search_ = now + kReprobeInterval;
        return std::nullopt;
    }
    ++tries_;
    outstanding_ = true;
    sent_at_ = now;
    if (!was_probed(cur_) && n_probed_ < probed_.size()) probed_[n_probed_++] = cur_;
    return cur_;
}

void PmtuProbe::on_ack(std::uint16_t size) noexcept {
    if (state_ == State::stopped || size <= lo_ || size > max_ || !was_probed(size)) return;
    lo_ = size;
    hi_ = std::max(hi_, lo_);
    if (state_ == State::searching && cur_ <= lo_) pick_next();   // next probe goes out at once
}

TimeNs PmtuProbe::next_deadline() const noexcept {
    switch (state_) {
    case State::stopped: return kNever;
    case State::idle: return lo_ >= max_ ? kNever : next_search_;   // nothing left to find
    case State::searching: return outstanding_ ? sent_at_ + kProbeTimeout : 0;
    }
    return kNever;
}

}  // namespace udpvpn
