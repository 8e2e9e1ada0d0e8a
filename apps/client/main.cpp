// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-client [--config FILE] [--check-config] (POSIX; Windows: main_windows.cpp)
#include "client_checks.hpp"
#include "client_config.hpp"
#include "command_line.hpp"
#include "log.hpp"
#include "run_client.hpp"

using namespace udpvpn::app;

int main(int argc, char** argv) {
    const ProgramInfo program{"udpvpn-client", "/etc/udpvpn/client.toml", {}};
    CommandLine cl;
    if (auto code = parse_command_line(argc, argv, program, cl)) return *code;
    log_init(program.name, LogLevel::info);
    ClientConfig cfg;
    if (auto code = load_configuration(cl, load_client_config, check_client_startup, cfg)) return *code;
    return run_client(cfg);
}
