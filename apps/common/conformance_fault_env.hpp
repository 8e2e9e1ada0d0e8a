// SPDX-License-Identifier: GPL-3.0-or-later
// TEST BUILDS ONLY (-Dconformance_faults=true): the deliberately broken behaviour named by
// $UDPVPN_CONFORMANCE_FAULT (include/udpvpn/conformance_fault.hpp), for the conformance suite's
// proof that it can fail (tests/conformance/broken_servers.sh). Not compiled in any other build.
#pragma once
#ifdef UDPVPN_CONFORMANCE_FAULTS
#include <udpvpn/conformance_fault.hpp>

namespace udpvpn::app {

// none when the variable is unset or empty; a name that is not a fault throws ConfigError (a typo
// must not turn into a test of a correct server). The first call logs a warning naming the fault.
ConformanceFault conformance_fault_from_env();

}  // namespace udpvpn::app
#endif
