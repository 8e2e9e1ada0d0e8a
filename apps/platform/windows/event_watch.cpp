// SPDX-License-Identifier: GPL-3.0-or-later
#include "event_watch.hpp"

#include <asio/post.hpp>
#include <asio/windows/object_handle.hpp>

namespace udpvpn::app {
namespace {

// asio's object_handle closes what it holds, and the event is the caller's: it waits on a duplicate.
class EventWatch final : public ReadWatch {
public:
    EventWatch(asio::io_context& io, HANDLE event, TunDevice::OnReadable cb)
        : io_(io), handle_(io), cb_(std::move(cb)), alive_(std::make_shared<bool>(true)) {
        HANDLE dup = nullptr;
        if (DuplicateHandle(GetCurrentProcess(), event, GetCurrentProcess(), &dup, SYNCHRONIZE, FALSE, 0))
            handle_.assign(dup);
        run_soon();   // packets may already be waiting: the event fired before we watched it
    }
    ~EventWatch() override {
        *alive_ = false;
        asio::error_code ec;
        handle_.cancel(ec);
    }

private:
    // Wintun signals only an empty ring turning non-empty: while the callback leaves packets
    // behind it runs again from the loop (after the socket's turn) instead of waiting.
    void run_soon() {
        asio::post(io_, [this, alive = alive_] {
            if (!*alive) return;
            const bool more = cb_();
            if (*alive) after(more);   // the callback may have ended the watch
        });
    }
    void after(bool more) {
        if (more) return run_soon();
        if (!handle_.is_open()) return;
        handle_.async_wait([this, alive = alive_](const asio::error_code& ec) {
            if (ec || !*alive) return;
            const bool more = cb_();
            if (*alive) after(more);
        });
    }
    asio::io_context& io_;
    asio::windows::object_handle handle_;
    TunDevice::OnReadable cb_;
    std::shared_ptr<bool> alive_;
};

}  // namespace

std::unique_ptr<ReadWatch> watch_event(asio::io_context& io, HANDLE event, TunDevice::OnReadable on_readable) {
    return std::make_unique<EventWatch>(io, event, std::move(on_readable));
}

}  // namespace udpvpn::app
