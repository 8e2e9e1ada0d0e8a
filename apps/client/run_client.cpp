// SPDX-License-Identifier: GPL-3.0-or-later
#include "run_client.hpp"

#include "client.hpp"
#include "log.hpp"
#include "stop_signals.hpp"

#include <asio/post.hpp>

namespace udpvpn::app {

int run_client(const ClientConfig& cfg, const StopRegistrar& on_stop_ready) {
    // Shared: a stop posted from another thread just as we return lands in a live (stopped)
    // io_context and is destroyed unrun.
    auto io = std::make_shared<asio::io_context>(1);
    Client client(*io, cfg);
    try {
        client.start();
    } catch (const std::exception& e) {
        UVLOG_ERROR("cannot start: %s", e.what());
        return 1;
    }
    bool stopping = false;
    auto stop = [&](const char* what) {
        if (stopping) return;
        stopping = true;
        UVLOG_NOTICE("%s: disconnecting", what);
        client.stop([&] { io->stop(); });
    };
    StopSignals signals(*io, stop, [&client] { client.reload(); });
    if (on_stop_ready) on_stop_ready([io, &stop] { asio::post(*io, [&stop] { stop("service stop"); }); });
    io->run();
    if (on_stop_ready) on_stop_ready(nullptr);
    return client.exit_code();
}

}  // namespace udpvpn::app
