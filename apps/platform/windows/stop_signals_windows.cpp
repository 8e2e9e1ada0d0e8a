// SPDX-License-Identifier: GPL-3.0-or-later
// Console control events (SetConsoleCtrlHandler) into the event loop. The handler runs on a thread
// Windows creates for it; for close, log-off and shut-down the process is ended when the handler
// returns, so it waits (bounded) until the StopSignals is gone, i.e. the loop has stopped and the
// routes and addresses are undone. It never touches the io_context after that.
#include "stop_signals.hpp"

#include <asio/post.hpp>

#include <windows.h>

#include <mutex>

namespace udpvpn::app {
namespace {

struct Registration {
    std::mutex mu;
    asio::io_context* io = nullptr;   // set while a StopSignals exists
    std::function<void(const char*)> on_stop;
    HANDLE finished = nullptr;        // manual-reset: signalled when the StopSignals is destroyed
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
    const char* what = event_name(type);
    HANDLE finished = nullptr;
    {
        // Posting under the lock: the destructor cannot let the io_context go meanwhile.
        std::lock_guard<std::mutex> lock(g_reg.mu);
        if (!g_reg.io) return FALSE;   // not ours (any more): Windows' default handling
        auto stop = g_reg.on_stop;
        asio::post(*g_reg.io, [stop, what] { stop(what); });
        finished = g_reg.finished;
    }
    if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT)
        WaitForSingleObject(finished, 4000);   // returning ends the process; Windows allows 5 s
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
        // Kept for the life of the process: a handler thread may still wait on it after we go.
        if (!g_reg.finished) g_reg.finished = CreateEventW(nullptr, TRUE, FALSE, nullptr);
        else ResetEvent(g_reg.finished);
    }
    SetConsoleCtrlHandler(on_console_event, TRUE);
}

StopSignals::~StopSignals() {
    SetConsoleCtrlHandler(on_console_event, FALSE);
    std::lock_guard<std::mutex> lock(g_reg.mu);
    g_reg.io = nullptr;
    g_reg.on_stop = nullptr;
    SetEvent(g_reg.finished);
}

}  // namespace udpvpn::app
