// SPDX-License-Identifier: GPL-3.0-or-later
// The libFuzzer entry point of one target: meson defines UDPVPN_FUZZ_RUN as its run_<target>.
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return UDPVPN_FUZZ_RUN(data, size);
}
