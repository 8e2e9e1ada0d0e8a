// SPDX-License-Identifier: GPL-3.0-or-later
// Reach probes: counters a test reads to show that some code ran, here that the fuzz targets reach
// the REKEY codec the session uses (fuzz/replay_main.cpp, test fuzz_corpus_replay). Only objects
// compiled with UDPVPN_REACH_PROBES count: fuzz/meson.build compiles the files that carry a probe
// once more with it, into fuzz_replay alone. Everywhere else UDPVPN_REACHED is nothing.
#pragma once

#ifdef UDPVPN_REACH_PROBES
#include <cstdint>

namespace udpvpn::reach {

extern std::uint64_t rekey_encoded;   // encode_rekey() calls (control_messages.cpp)
extern std::uint64_t rekey_decoded;   // decode_rekey() calls

}  // namespace udpvpn::reach

#define UDPVPN_REACHED(counter) (++::udpvpn::reach::counter)
#else
#define UDPVPN_REACHED(counter) static_cast<void>(0)
#endif
