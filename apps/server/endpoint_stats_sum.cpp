// SPDX-License-Identifier: GPL-3.0-or-later
#include "endpoint_stats_sum.hpp"

#include <cstddef>

namespace udpvpn::app {

void add_stats(EndpointStats& into, const EndpointStats& from) noexcept {
    for (std::size_t i = 0; i < std::size(into.dropped); ++i) into.dropped[i] += from.dropped[i];
    UnvalidatedRefusals& u = into.unvalidated;
    const UnvalidatedRefusals& f = from.unvalidated;
    u.oversized += f.oversized;
    u.bad_cookie += f.bad_cookie;
    u.replayed_cookie += f.replayed_cookie;
    u.wrong_address += f.wrong_address;
    u.source_half_open += f.source_half_open;
    u.prefix_half_open += f.prefix_half_open;
    u.source_rate += f.source_rate;
    u.prefix_rate += f.prefix_rate;
    u.table_full += f.table_full;
    u.no_session_id += f.no_session_id;
    u.over_budget += f.over_budget;
    into.sessions += from.sessions;
    into.half_open += from.half_open;
    into.retries_sent += from.retries_sent;
    into.handshakes_completed += from.handshakes_completed;
    into.inner_dropped.early_refused += from.inner_dropped.early_refused;
    into.inner_dropped.early_unopened += from.inner_dropped.early_unopened;
    into.inner_dropped.queue_full += from.inner_dropped.queue_full;
    into.resets_sent += from.resets_sent;
    into.resets_rate_limited += from.resets_rate_limited;
    into.resets_received += from.resets_received;
    // A field added to EndpointStats must be added here: the sizes below catch a forgotten one.
    static_assert(sizeof(UnvalidatedRefusals) == 11 * sizeof(std::uint64_t));
    static_assert(sizeof(InnerDropStats) == 3 * sizeof(std::uint64_t));
    static_assert(sizeof(EndpointStats) ==
                  sizeof(into.dropped) + sizeof(UnvalidatedRefusals) + sizeof(InnerDropStats) + 7 * sizeof(std::uint64_t));
}

void add_traffic(EndpointDriver::Traffic& into, const EndpointDriver::Traffic& from) noexcept {
    into.udp_in_datagrams += from.udp_in_datagrams;
    into.udp_in_bytes += from.udp_in_bytes;
    into.udp_out_datagrams += from.udp_out_datagrams;
    into.udp_out_bytes += from.udp_out_bytes;
    into.inner_in_packets += from.inner_in_packets;
    into.inner_in_bytes += from.inner_in_bytes;
    into.inner_out_packets += from.inner_out_packets;
    into.inner_out_bytes += from.inner_out_bytes;
    static_assert(sizeof(EndpointDriver::Traffic) == 8 * sizeof(std::uint64_t));
}

}  // namespace udpvpn::app
