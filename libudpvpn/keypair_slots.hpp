// SPDX-License-Identifier: GPL-3.0-or-later
// The data keys of one session (docs/rfc-draft.txt, "Rekey"): one send key and two receive slots,
// `current` and `other` (the previous epoch during its grace period, or the next epoch the peer
// has not confirmed yet). The key phase bit (epoch & 1) in each DATA header picks the slot.
#pragma once
#include "aead.hpp"
#include "replay_window.hpp"

#include <udpvpn/types.hpp>

namespace udpvpn {

struct ReceiveKey {
    AeadKey aead;
    ReplayWindow window;
    std::uint32_t epoch = 0;
    std::uint64_t failed_opens = 0;   // integrity limit bookkeeping
    TimeNs expires = kNever;          // grace end for a previous key
    bool valid = false;

    void install(Suite suite, const Secret32& traffic, std::uint32_t e, TimeNs expiry) noexcept {
        aead = AeadKey(suite, TrafficKeys::derive(traffic));
        window.reset();
        epoch = e;
        failed_opens = 0;
        expires = expiry;
        valid = true;
    }
    void discard() noexcept {
        aead.wipe();
        window.reset();
        valid = false;
        expires = kNever;
    }
};

struct SendKey {
    AeadKey aead;
    std::uint32_t epoch = 0;
    std::uint64_t next_counter = 0;
    TimeNs created = 0;
    bool valid = false;

    void install(Suite suite, const Secret32& traffic, std::uint32_t e, TimeNs now) noexcept {
        aead = AeadKey(suite, TrafficKeys::derive(traffic));
        epoch = e;
        next_counter = 0;
        created = now;
        valid = true;
    }
    void discard() noexcept {
        aead.wipe();
        valid = false;
    }
};

}  // namespace udpvpn
