// SPDX-License-Identifier: GPL-3.0-or-later
// The command line every udpvpn daemon shares: [--config FILE] [--check-config] [--version]
// [--help], plus the program's own commands (udpvpn-client.exe install-service, ...).
#pragma once
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

}  // namespace udpvpn::app
