// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-client [--config FILE] [--check-config]
#include "client.hpp"
#include "log.hpp"
#include "toml_reader.hpp"

#include <asio/signal_set.hpp>

#include <cstdio>
#include <string>

using namespace udpvpn::app;

int main(int argc, char** argv) {
    std::string path = "/etc/udpvpn/client.toml";
    bool check = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--config" || a == "-c") && i + 1 < argc) path = argv[++i];
        else if (a == "--check-config") check = true;
        else if (a == "--version") { std::puts("udpvpn-client 0.1.0"); return 0; }
        else {
            std::fputs("usage: udpvpn-client [--config FILE] [--check-config]\n", stderr);
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    log_init("udpvpn-client", LogLevel::info);
    ClientConfig cfg;
    try {
        cfg = load_client_config(path);
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
    Client client(io, cfg);
    try {
        client.start();
    } catch (const std::exception& e) {
        UVLOG_ERROR("cannot start: %s", e.what());
        return 1;
    }
    asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
    std::function<void(const asio::error_code&, int)> on_signal = [&](const asio::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {   // nothing to reload yet: a reconnect picks up a changed server address
            signals.async_wait(on_signal);
            return;
        }
        client.stop([&] { io.stop(); });
    };
    signals.async_wait(on_signal);
    io.run();
    return client.exit_code();
}
