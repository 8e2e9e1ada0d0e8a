// SPDX-License-Identifier: GPL-3.0-or-later
// One request/reply exchange over the server's Unix status socket.
#pragma once
#include <string>

namespace udpvpn::ctl {

// Connects to `socket_path`, sends `request` (one line), returns the reply line without its newline.
// Gives up after `timeout_ms` in all. Throws CtlError with a hint the admin can act on
// (no server running, permission denied, timeout, reply too long).
std::string exchange(const std::string& socket_path, const std::string& request, int timeout_ms);

}  // namespace udpvpn::ctl
