// SPDX-License-Identifier: GPL-3.0-or-later
// Every start-up check of udpvpn-client that changes nothing (credentials and trust files, the
// device name): Client::start loads the same files the same way, --check-config runs exactly these.
#pragma once
#include "client_config.hpp"

namespace udpvpn::app {

// Throws ConfigError with the message for the log.
void check_client_startup(const ClientConfig& cfg);

}  // namespace udpvpn::app
