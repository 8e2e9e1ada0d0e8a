// SPDX-License-Identifier: GPL-3.0-or-later
// What the operating system says to end or reload a running server or client, delivered into the
// event loop: SIGTERM and SIGINT (stop), SIGHUP (reload) on POSIX; Ctrl-C, Ctrl-Break, closing the
// console, log-off and shut-down (stop) on Windows, which has no reload signal.
#pragma once
#include <asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace udpvpn::app {

class StopSignals {
public:
    // `on_stop` gets what was received ("SIGTERM", "Ctrl-C", ...). Without `on_reload`, SIGHUP is
    // ignored (never the default action, which would kill the process).
    StopSignals(asio::io_context& io, std::function<void(const char* what)> on_stop,
                std::function<void()> on_reload = nullptr);
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace udpvpn::app
