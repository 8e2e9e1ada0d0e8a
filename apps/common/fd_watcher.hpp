// SPDX-License-Identifier: GPL-3.0-or-later
// Calls back whenever a file descriptor we do not own (a TUN device) becomes readable.
#pragma once
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <functional>

namespace udpvpn::app {

class FdWatcher {
public:
    FdWatcher(asio::io_context& io, int fd, std::function<void()> on_readable)
        : sd_(io, fd), on_readable_(std::move(on_readable)) {
        arm();
    }
    ~FdWatcher() {
        asio::error_code ec;
        sd_.cancel(ec);
        sd_.release();   // the device owns the fd
    }
    FdWatcher(const FdWatcher&) = delete;
    FdWatcher& operator=(const FdWatcher&) = delete;

private:
    void arm() {
        sd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const asio::error_code& ec) {
            if (ec) return;   // cancelled: we are being destroyed
            on_readable_();
            arm();
        });
    }
    asio::posix::stream_descriptor sd_;
    std::function<void()> on_readable_;
};

}  // namespace udpvpn::app
