// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-server [--config FILE] [--check-config]
#include "log.hpp"
#include "server.hpp"
#include "toml_reader.hpp"

#include <asio/signal_set.hpp>

#include <cstdio>
#include <cstring>
#include <string>

using namespace udpvpn::app;

static void usage() {
    std::fputs("usage: udpvpn-server [--config FILE] [--check-config]\n"
               "  --config FILE    configuration (default /etc/udpvpn/server.toml)\n"
               "  --check-config   parse the configuration and exit\n",
               stderr);
}

int main(int argc, char** argv) {
    std::string path = "/etc/udpvpn/server.toml";
    bool check = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--config" || a == "-c") && i + 1 < argc) path = argv[++i];
        else if (a == "--check-config") check = true;
        else if (a == "--version") { std::puts("udpvpn-server 0.1.0"); return 0; }
        else { usage(); return a == "--help" || a == "-h" ? 0 : 2; }
    }
    log_init("udpvpn-server", LogLevel::info);
    ServerConfig cfg;
    try {
        cfg = load_server_config(path);
    } catch (const ConfigError& e) {
        UVLOG_ERROR("%s", e.what());
        return 1;
    }
    if (check) {
        std::printf("%s: ok\n", path.c_str());
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
    asio::signal_set signals(io, SIGHUP, SIGTERM, SIGINT);
    std::function<void(const asio::error_code&, int)> on_signal = [&](const asio::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
            server.reload();
            signals.async_wait(on_signal);
            return;
        }
        UVLOG_NOTICE("%s received", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        server.shutdown([&] { io.stop(); });
    };
    signals.async_wait(on_signal);
    io.run();
    UVLOG_NOTICE("stopped");
    return 0;
}
