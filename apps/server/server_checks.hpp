// SPDX-License-Identifier: GPL-3.0-or-later
// Every start-up check of udpvpn-server that changes nothing: credentials and trust files, the
// device name, the listen address, the user and group. Server::start runs them first, and
// --check-config runs exactly them, so both refuse a configuration with the same message.
#pragma once
#include "server_config.hpp"

namespace udpvpn::app {

// Throws ConfigError / std::runtime_error with the message for the log.
void check_server_startup(const ServerConfig& cfg);

}  // namespace udpvpn::app
