// SPDX-License-Identifier: GPL-3.0-or-later
// Reads [access] and [[access.rule]] (udpvpn.conf(5), ACCESS RULES) into an AccessPolicy.
#pragma once
#include "access_rules.hpp"
#include "toml_reader.hpp"

namespace udpvpn::app {

// Throws ConfigError naming file, line and option. `client_to_client` is tunnel.client_to_client:
// a rule allowing traffic to other clients while it is off would never apply, so it is an error.
AccessPolicy read_access_policy(TomlReader& r, bool client_to_client);

}  // namespace udpvpn::app
