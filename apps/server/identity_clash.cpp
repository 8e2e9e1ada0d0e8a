// SPDX-License-Identifier: GPL-3.0-or-later
#include "identity_clash.hpp"

#include <algorithm>
#include <cstring>

namespace udpvpn::app {

bool same_host(const PeerAddress& a, const PeerAddress& b) noexcept {
    // peer_from_udp's layout: family (4 or 6), port (2 bytes), then the address.
    if (a.len != b.len || a.len < 3 || a.bytes[0] != b.bytes[0]) return false;
    return std::memcmp(a.bytes.data() + 3, b.bytes.data() + 3, a.len - 3u) == 0;
}

IdentityClashes::Decision IdentityClashes::decide(const std::string& identity, const PeerAddress& holder,
                                                  const PeerAddress& newcomer, TimeNs now) {
    expire(now);
    if (same_host(holder, newcomer)) return {Verdict::reconnect, 0};
    State& s = state_[identity];
    s.last_seen = now;
    if (now < s.hold_until) return {Verdict::held, s.hold_until - now};
    // A move back soon after a move is a clash; the first move after a hold ended is not (the hold
    // already kept the holder for its time: now the newcomer may take over once).
    if (s.moved && now - s.last_move < kMoveWindow && s.last_move >= s.hold_until) {
        s.hold = s.hold == 0 ? kFirstHold : std::min(kMaxHold, s.hold * 2);
        s.hold_until = now + s.hold;
        return {Verdict::clash, s.hold};
    }
    s.moved = true;
    s.last_move = now;
    return {Verdict::move, 0};
}

void IdentityClashes::expire(TimeNs now) {
    std::erase_if(state_, [now](const auto& kv) {
        return now - kv.second.last_seen >= kForgetAfter && now - kv.second.hold_until >= kForgetAfter;
    });
}

}  // namespace udpvpn::app
