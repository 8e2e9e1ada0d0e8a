// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-client [--config FILE] [--check-config] (POSIX; Windows: apps/windows/client_main.cpp)
#include "client_config.hpp"
#include "command_line.hpp"
#include "log.hpp"
#include "run_client.hpp"
#include "toml_reader.hpp"

#include <cstdio>

using namespace udpvpn::app;

int main(int argc, char** argv) {
    const ProgramInfo program{"udpvpn-client", "/etc/udpvpn/client.toml", {}};
    CommandLine cl;
    if (auto code = parse_command_line(argc, argv, program, cl)) return *code;
    log_init(program.name, LogLevel::info);
    ClientConfig cfg;
    try {
        cfg = load_client_config(cl.config_path);
    } catch (const ConfigError& e) {
        UVLOG_ERROR("%s", e.what());
        return 1;
    }
    if (cl.check_config) {
        std::printf("%s: ok\n", cl.config_path.c_str());
        return 0;
    }
    log_set_level(cfg.log_level);
    return run_client(cfg);
}
