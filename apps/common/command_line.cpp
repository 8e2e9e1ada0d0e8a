// SPDX-License-Identifier: GPL-3.0-or-later
#include "command_line.hpp"

#include <cstdio>

namespace udpvpn::app {

static void usage(const ProgramInfo& p, std::FILE* to) {
    std::fprintf(to, "usage: %s [--config FILE] [--check-config]%s\n", p.name, p.commands.empty() ? "" : " [COMMAND]");
    std::fprintf(to, "  --config FILE    configuration (default %s)\n", p.default_config.c_str());
    std::fprintf(to, "  --check-config   parse the configuration and exit\n");
    std::fprintf(to, "  --version        print the version and exit\n");
    for (const auto& [word, help] : p.commands) std::fprintf(to, "  %-16s %s\n", word.c_str(), help.c_str());
}

std::optional<int> parse_command_line(int argc, char** argv, const ProgramInfo& program, CommandLine& out) {
    out.config_path = program.default_config;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--config" || a == "-c") && i + 1 < argc) {
            out.config_path = argv[++i];
        } else if (a == "--check-config") {
            out.check_config = true;
        } else if (a == "--version") {
            std::printf("%s 0.1.0\n", program.name);
            return 0;
        } else if (a == "--help" || a == "-h") {
            usage(program, stdout);
            return 0;
        } else {
            bool known = false;
            for (const auto& c : program.commands) known = known || c.first == a;
            if (!known || !out.command.empty()) {
                usage(program, stderr);
                return 2;
            }
            out.command = a;
        }
    }
    return std::nullopt;
}

}  // namespace udpvpn::app
