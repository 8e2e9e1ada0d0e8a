// SPDX-License-Identifier: GPL-3.0-or-later
// How a pppd ended: what PppdLink reports and the client and server act on.
#pragma once
#include <string>

namespace udpvpn::app {

struct PppdExit {
    bool requested = false;   // stop() was called (or the link was never started)
    bool exited = false;      // pppd exited with `status`
    int status = 0;           // pppd's exit code (see pppd(8) EXIT STATUS)
    int signal = 0;           // or the signal that killed it
    std::string reason;       // human-readable, for logs and the session's close reason
};

}  // namespace udpvpn::app
