// SPDX-License-Identifier: GPL-3.0-or-later
// An in-memory network on a virtual clock: drops, duplicates, corrupts, reorders and delays
// datagrams, deterministically from a seed. Hosts are found by the destination address, so a host
// can change its own address (roaming) while packets to the old one still arrive.
#pragma once
#include <udpvpn/types.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace udpvpn::sim {

struct Impairments {
    double drop = 0.0;        // probability a datagram is lost
    double duplicate = 0.0;   // probability it is delivered twice
    double corrupt = 0.0;     // probability one byte is flipped
    TimeNs min_delay = 1 * kMillisecond;
    TimeNs max_delay = 1 * kMillisecond;   // uniform in [min, max]: a spread reorders
};

PeerAddress address(const std::string& name);

struct Datagram {
    TimeNs at = 0;
    std::uint64_t seq = 0;    // tie-breaker: equal times keep send order
    PeerAddress from, to;
    Bytes bytes;
};

class Network {
public:
    explicit Network(std::uint64_t seed, Impairments imp = {}) : rng_(seed), imp_(imp) {}
    void set_impairments(const Impairments& imp) { imp_ = imp; }
    const Impairments& impairments() const { return imp_; }

    void send(TimeNs now, const PeerAddress& from, const PeerAddress& to, ByteView bytes);
    TimeNs next_arrival() const { return queue_.empty() ? kNever : queue_.top().at; }
    // The next datagram due at or before `now`.
    std::optional<Datagram> pop_due(TimeNs now);

    std::uint64_t sent = 0, dropped = 0, duplicated = 0, corrupted = 0, delivered = 0;
    std::uint64_t bytes_sent = 0;

private:
    struct Later {
        bool operator()(const Datagram& a, const Datagram& b) const {
            return a.at != b.at ? a.at > b.at : a.seq > b.seq;
        }
    };
    void enqueue(TimeNs now, const PeerAddress& from, const PeerAddress& to, Bytes bytes);
    std::mt19937_64 rng_;
    Impairments imp_;
    std::uint64_t seq_ = 0;
    std::priority_queue<Datagram, std::vector<Datagram>, Later> queue_;
};

}  // namespace udpvpn::sim
