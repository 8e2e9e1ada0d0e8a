// SPDX-License-Identifier: GPL-3.0-or-later
#include "timer_rules.hpp"

namespace udpvpn {

TimeNs handshake_deadline(const Timers& t, TimeNs start) noexcept { return start + t.handshake_timeout; }

TimeNs handshake_tail_end(const Timers& t, TimeNs complete) noexcept { return complete + t.handshake_timeout; }

TimeNs rekey_time(const Timers& t, Role role, TimeNs key_created) noexcept {
    return key_created + t.rekey_after_time + (role == Role::server ? kServerRekeyDelay : 0);
}

bool rekey_due(const Timers& t, Role role, TimeNs key_created, std::uint64_t sent, std::uint64_t rekey_after_packets,
               TimeNs now) noexcept {
    if (sent >= rekey_after_packets) return true;
    // The key's age, not `now >= rekey_time()`: the same comparison as the seal path's limits.
    return now - key_created >= t.rekey_after_time + (role == Role::server ? kServerRekeyDelay : 0);
}

TimeNs key_expiry(const Timers& t, TimeNs key_created) noexcept { return key_created + t.reject_after_time; }

bool key_exhausted(const Timers& t, TimeNs key_created, std::uint64_t sent, std::uint64_t reject_after_packets,
                   TimeNs now) noexcept {
    return sent >= reject_after_packets || key_expired(t, key_created, now);
}

bool key_expired(const Timers& t, TimeNs key_created, TimeNs now) noexcept {
    return now - key_created >= t.reject_after_time;
}

TimeNs previous_key_expiry(const Timers& t, TimeNs now) noexcept { return now + t.rekey_grace; }

TimeNs keepalive_time(const Timers& t, TimeNs last_sent) noexcept { return last_sent + t.keepalive_interval; }

bool keepalive_due(const Timers& t, TimeNs last_sent, TimeNs now) noexcept {
    return now - last_sent >= t.keepalive_interval;
}

TimeNs dead_peer_time(const Timers& t, TimeNs last_received) noexcept {
    return last_received + t.dead_peer_timeout;
}

bool peer_dead(const Timers& t, TimeNs last_received, TimeNs now) noexcept {
    return now - last_received >= t.dead_peer_timeout;
}

TimeNs next_reverify_time(const Timers& t, TimeNs now) noexcept { return now + t.reverify_interval; }

TimeNs close_deadline(TimeNs now) noexcept { return now + kCloseLinger; }

TimeNs next_path_challenge(const Timers& t, TimeNs now, std::uint8_t tries) noexcept {
    return now + (t.control_rto << tries);
}

}  // namespace udpvpn
