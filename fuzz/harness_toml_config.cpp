// SPDX-License-Identifier: GPL-3.0-or-later
// The configuration readers: the input is the text of a TOML file, read as udpvpn-server's and as
// udpvpn-client's configuration (apps/common/toml_reader.*, apps/server/server_config.cpp,
// apps/client/client_config.cpp, and the shared protocol, PPP and tunnel sections).
// Invariants: no crash or sanitizer report; the only exception is ConfigError, and its message
// starts with the file's name (an administrator must learn where the problem is); a text that
// parsed once parses again to the same listen port / server address (no hidden state).
#include "harness.hpp"
#include "harness_support.hpp"

#include "client_config.hpp"
#include "server_config.hpp"
#include "toml_reader.hpp"

#include <string>
#include <string_view>

using udpvpn::fuzz::check;
using namespace udpvpn::app;

namespace {

constexpr const char* kName = "fuzz.toml";

bool names_the_file(const ConfigError& e) { return std::string_view(e.what()).rfind(kName, 0) == 0; }

}  // namespace

int run_toml_config(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const ServerConfig a = parse_server_config(text, kName);
        const ServerConfig b = parse_server_config(text, kName);
        check(a.port == b.port && a.listen_address == b.listen_address, "server config parses differently twice");
    } catch (const ConfigError& e) {
        check(names_the_file(e), "server config error does not start with the file name");
    }
    try {
        const ClientConfig a = parse_client_config(text, kName);
        const ClientConfig b = parse_client_config(text, kName);
        check(a.server_host == b.server_host && a.server_port == b.server_port, "client config parses differently twice");
    } catch (const ConfigError& e) {
        check(names_the_file(e), "client config error does not start with the file name");
    }
    return 0;
}
