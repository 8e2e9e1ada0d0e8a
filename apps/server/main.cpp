// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-server [--config FILE] [--check-config]
#include "command_line.hpp"
#include "log.hpp"
#include "server.hpp"
#include "stop_signals.hpp"
#include "toml_reader.hpp"

#include <cstdio>

using namespace udpvpn::app;

int main(int argc, char** argv) {
    const ProgramInfo program{"udpvpn-server", "/etc/udpvpn/server.toml", {}};
    CommandLine cl;
    if (auto code = parse_command_line(argc, argv, program, cl)) return *code;
    log_init(program.name, LogLevel::info);
    ServerConfig cfg;
    try {
        cfg = load_server_config(cl.config_path);
    } catch (const ConfigError& e) {
        UVLOG_ERROR("%s", e.what());
        return 1;
    }
    if (cl.check_config) {
        std::printf("%s: ok\n", cl.config_path.c_str());
        return 0;
    }
    log_set_level(cfg.log_level);
    asio::io_context io(1);
    Server server(io, cfg);
    try {
        server.start();
    } catch (const std::exception& e) {
        UVLOG_ERROR("cannot start: %s", e.what());
        return 1;
    }
    bool stopping = false;
    StopSignals signals(
        io,
        [&](const char* what) {
            if (stopping) return;
            stopping = true;
            UVLOG_NOTICE("%s received", what);
            server.shutdown([&] { io.stop(); });
        },
        [&] { server.reload(); });
    io.run();
    UVLOG_NOTICE("stopped");
    return 0;
}
