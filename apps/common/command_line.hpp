// SPDX-License-Identifier: GPL-3.0-or-later
// The command line every udpvpn daemon shares: [--config FILE] [--check-config] [--version]
// [--help], plus the program's own commands (udpvpn-client.exe install-service, ...).
#pragma once
#include "log.hpp"
#include "toml_reader.hpp"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace udpvpn::app {

struct ProgramInfo {
    const char* name;                                         // "udpvpn-client"
    std::string default_config;
    std::vector<std::pair<std::string, std::string>> commands;   // word, one-line help
};

struct CommandLine {
    std::string config_path;
    bool check_config = false;
    std::string command;   // one of ProgramInfo::commands, or ""
};

// Returns the exit code when the program should end here (--help: 0, --version: 0, a usage
// error: 2, after printing what is right), std::nullopt to go on with `out`.
std::optional<int> parse_command_line(int argc, char** argv, const ProgramInfo& program, CommandLine& out);

// Loads the configuration named on the command line into `out` with `load` (load_client_config,
// load_server_config), logging an error, and answers --check-config by running `check`
// (check_client_startup, check_server_startup: every start-up check without side effects).
// Returns the exit code when the program ends here, std::nullopt to run with `out` (whose log
// level is then in force).
template <typename Config, typename Load, typename Check>
std::optional<int> load_configuration(const CommandLine& cl, Load load, Check check, Config& out) {
    try {
        out = load(cl.config_path);
        if (cl.check_config) check(out);
    } catch (const std::exception& e) {
        UVLOG_ERROR("%s", e.what());
        return 1;
    }
    if (cl.check_config) {
        std::printf("%s: ok\n", cl.config_path.c_str());
        return 0;
    }
    log_set_level(out.log_level);
    return std::nullopt;
}

}  // namespace udpvpn::app
