// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn.h is valid, warning-free C++ (built with -Werror at warning_level 3) and links as C.
#include "udpvpn.h"

#include <cstdio>

static_assert(UDPVPN_ABI_VERSION >= 1, "ABI version is positive");

int main() {
    udpvpn_config config;
    if (udpvpn_config_init(&config) != UDPVPN_OK || config.size != sizeof config) return 1;
    if (udpvpn_abi_version() != UDPVPN_ABI_VERSION) return 1;
    udpvpn_endpoint_free(nullptr);
    std::printf("%s\n", udpvpn_strerror(UDPVPN_ERR_BUFFER_TOO_SMALL));
    return 0;
}
