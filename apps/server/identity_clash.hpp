// SPDX-License-Identifier: GPL-3.0-or-later
// What the server does when an identity that already holds its sessions connects once more.
// The same host (another port: a restart, a NAT rebinding) replaces its stale session at once. A
// client from another address also replaces it once (a laptop that changed networks), but a move
// back within a minute is two machines sharing one certificate: the session in place is kept and
// newcomers from elsewhere are refused for a hold time that doubles with each clash (30 s up to
// 10 min) and is forgotten after 10 quiet minutes past the hold. So two holders of one certificate trade the
// session at most once per hold time instead of every second, and the admin is told why.
// Pure: the caller passes the time and addresses.
#pragma once
#include <udpvpn/types.hpp>

#include <map>
#include <string>

namespace udpvpn::app {

class IdentityClashes {
public:
    static constexpr TimeNs kMoveWindow = 60 * kSecond;    // a move back within it is a clash
    static constexpr TimeNs kFirstHold = 30 * kSecond;
    static constexpr TimeNs kMaxHold = 600 * kSecond;
    static constexpr TimeNs kForgetAfter = 600 * kSecond;  // quiet that long: a clean slate

    enum class Verdict {
        reconnect,   // same host: replace the old session
        move,        // another host, first time: replace, and say so
        clash,       // another host moving back: refuse the newcomer; warn (hold just started)
        held,        // refused again while the hold lasts (already warned)
    };
    struct Decision {
        Verdict verdict;
        TimeNs hold = 0;   // clash/held: how long newcomers are still refused
    };

    Decision decide(const std::string& identity, const PeerAddress& holder, const PeerAddress& newcomer, TimeNs now);
    // Bounded memory: entries quiet for kForgetAfter, after their hold ended, go.
    void expire(TimeNs now);
    std::size_t size() const noexcept { return state_.size(); }

private:
    struct State {
        bool moved = false;
        TimeNs last_move = 0;     // when a session of this identity last moved hosts
        TimeNs hold_until = 0;
        TimeNs hold = 0;          // the last hold time, doubled at each clash
        TimeNs last_seen = 0;
    };
    std::map<std::string, State> state_;
};

// The same host: same address family and address, whatever the port.
bool same_host(const PeerAddress& a, const PeerAddress& b) noexcept;

}  // namespace udpvpn::app
