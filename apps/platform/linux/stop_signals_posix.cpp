// SPDX-License-Identifier: GPL-3.0-or-later
#include "stop_signals.hpp"

#include <asio/signal_set.hpp>

namespace udpvpn::app {

struct StopSignals::Impl {
    Impl(asio::io_context& io, std::function<void(const char*)> stop, std::function<void()> reload)
        : signals(io, SIGTERM, SIGINT, SIGHUP), on_stop(std::move(stop)), on_reload(std::move(reload)) {
        arm();
    }
    void arm() {
        signals.async_wait([this](const asio::error_code& ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                if (on_reload) on_reload();
                arm();
                return;
            }
            arm();   // a second SIGTERM while stopping is harmless; the caller ignores repeats
            on_stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
        });
    }
    asio::signal_set signals;
    std::function<void(const char*)> on_stop;
    std::function<void()> on_reload;
};

StopSignals::StopSignals(asio::io_context& io, std::function<void(const char*)> on_stop, std::function<void()> on_reload)
    : impl_(std::make_unique<Impl>(io, std::move(on_stop), std::move(on_reload))) {}
StopSignals::~StopSignals() = default;

}  // namespace udpvpn::app
