// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim_network.hpp"

namespace udpvpn::sim {

PeerAddress address(const std::string& name) {
    return PeerAddress::from({reinterpret_cast<const std::uint8_t*>(name.data()), name.size()});
}

void Network::enqueue(TimeNs now, const PeerAddress& from, const PeerAddress& to, Bytes bytes) {
    std::uniform_int_distribution<TimeNs> delay(imp_.min_delay, imp_.max_delay);
    Datagram d;
    d.at = now + delay(rng_);
    d.seq = seq_++;
    d.from = from;
    d.to = to;
    d.bytes = std::move(bytes);
    queue_.push(std::move(d));
}

void Network::send(TimeNs now, const PeerAddress& from, const PeerAddress& to, ByteView bytes) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    sent++;
    bytes_sent += bytes.size();
    if (u(rng_) < imp_.drop) { dropped++; return; }
    Bytes b(bytes.begin(), bytes.end());
    if (!b.empty() && u(rng_) < imp_.corrupt) {
        std::uniform_int_distribution<std::size_t> pos(0, b.size() - 1);
        std::uniform_int_distribution<int> bit(0, 7);
        b[pos(rng_)] ^= static_cast<std::uint8_t>(1u << bit(rng_));
        corrupted++;
    }
    if (u(rng_) < imp_.duplicate) {
        duplicated++;
        enqueue(now, from, to, b);
    }
    enqueue(now, from, to, std::move(b));
}

std::optional<Datagram> Network::pop_due(TimeNs now) {
    if (queue_.empty() || queue_.top().at > now) return std::nullopt;
    Datagram d = queue_.top();
    queue_.pop();
    delivered++;
    return d;
}

}  // namespace udpvpn::sim
