// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-server's workers each count on their own; the status socket and the metrics show sums.
#pragma once
#include "endpoint_driver.hpp"

#include <udpvpn/endpoint.hpp>

namespace udpvpn::app {

// Adds every counter of `from` to `into` (gauges such as sessions and half_open too: they sum).
void add_stats(EndpointStats& into, const EndpointStats& from) noexcept;
void add_traffic(EndpointDriver::Traffic& into, const EndpointDriver::Traffic& from) noexcept;

}  // namespace udpvpn::app
