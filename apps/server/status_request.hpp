// SPDX-License-Identifier: GPL-3.0-or-later
// The request side of the status socket protocol (apps/server/status_protocol.md): which command
// a request line asks for. Pure, so that the fuzz target status_socket runs the server's own rule.
#pragma once
#include <string>

namespace udpvpn::app {

enum class StatusCommand { status, unknown };

// `{"command":"status"}` (any line naming "status" as a JSON string) or the bare word `status`.
inline StatusCommand parse_status_request(const std::string& line) {
    if (line == "status" || line.find("\"status\"") != std::string::npos) return StatusCommand::status;
    return StatusCommand::unknown;
}

inline constexpr const char* kUnknownCommandReply = R"({"version":1,"error":"unknown command"})";

}  // namespace udpvpn::app
