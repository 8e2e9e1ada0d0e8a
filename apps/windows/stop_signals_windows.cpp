// SPDX-License-Identifier: GPL-3.0-or-later
// Console control events (SetConsoleCtrlHandler) into the event loop. The handler runs on a thread
// Windows creates for it; for close, log-off and shut-down the process is ended when the handler
// returns, so it waits (bounded) for the loop to finish stopping: routes and addresses get undone.
#include "stop_signals.hpp"

#include <asio/post.hpp>

#include <windows.h>

#include <mutex>

namespace udpvpn::app {
namespace {

struct Registration {
    std::mutex mu;
    asio::io_context* io = nullptr;
    std::function<void(const char*)> on_stop;
};
Registration g_reg;   // SetConsoleCtrlHandler has no context argument

const char* event_name(DWORD type) {
    switch (type) {
    case CTRL_C_EVENT: return "Ctrl-C";
    case CTRL_BREAK_EVENT: return "Ctrl-Break";
    case CTRL_CLOSE_EVENT: return "console closed";
    case CTRL_LOGOFF_EVENT: return "log-off";
    case CTRL_SHUTDOWN_EVENT: return "shut-down";
    default: return "console event";
    }
}

BOOL WINAPI on_console_event(DWORD type) {
    std::unique_lock<std::mutex> lock(g_reg.mu);
    if (!g_reg.io) return FALSE;   // not ours (any more): Windows' default handling
    asio::io_context* io = g_reg.io;
    auto stop = g_reg.on_stop;
    lock.unlock();
    const char* what = event_name(type);
    asio::post(*io, [stop, what] { stop(what); });
    if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT) {
        // Returning ends the process: give the loop up to 4 s (Windows allows 5) to clean up.
        for (int i = 0; i < 40 && !io->stopped(); ++i) Sleep(100);
    }
    return TRUE;
}

}  // namespace

struct StopSignals::Impl {};

StopSignals::StopSignals(asio::io_context& io, std::function<void(const char*)> on_stop, std::function<void()>)
    : impl_(std::make_unique<Impl>()) {
    {
        std::lock_guard<std::mutex> lock(g_reg.mu);
        g_reg.io = &io;
        g_reg.on_stop = std::move(on_stop);
    }
    SetConsoleCtrlHandler(on_console_event, TRUE);
}

StopSignals::~StopSignals() {
    SetConsoleCtrlHandler(on_console_event, FALSE);
    std::lock_guard<std::mutex> lock(g_reg.mu);
    g_reg.io = nullptr;
    g_reg.on_stop = nullptr;
}

}  // namespace udpvpn::app
