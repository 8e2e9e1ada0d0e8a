// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-server [--config FILE] [--check-config]
#include "command_line.hpp"
#include "log.hpp"
#include "server.hpp"
#include "server_checks.hpp"
#include "stop_signals.hpp"

using namespace udpvpn::app;

int main(int argc, char** argv) {
    const ProgramInfo program{"udpvpn-server", "/etc/udpvpn/server.toml", {}};
    CommandLine cl;
    if (auto code = parse_command_line(argc, argv, program, cl)) return *code;
    log_init(program.name, LogLevel::info);
    ServerConfig cfg;
    if (auto code = load_configuration(cl, load_server_config, check_server_startup, cfg)) return *code;
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
