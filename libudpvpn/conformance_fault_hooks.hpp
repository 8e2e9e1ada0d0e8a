// SPDX-License-Identifier: GPL-3.0-or-later
// TEST BUILDS ONLY (-Dconformance_faults=true): the deliberate faults that take more than one line
// at their site (include/udpvpn/conformance_fault.hpp). Not compiled in any other build.
#pragma once
#ifdef UDPVPN_CONFORMANCE_FAULTS
#include <udpvpn/config.hpp>
#include <udpvpn/types.hpp>

namespace udpvpn {

// version_unchecked: an INITIAL whose admission MAC verifies is rewritten to version 1 (and
// sealed again), so that the rest of the server takes it whatever version it claimed.
void fault_any_version_is_1(const CommonConfig& config, MutableByteView datagram) noexcept;

}  // namespace udpvpn
#endif
