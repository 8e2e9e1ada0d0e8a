// SPDX-License-Identifier: GPL-3.0-or-later
// Calls back whenever a file descriptor we do not own (a TUN device) becomes readable.
#pragma once
#include "tun_device.hpp"

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <memory>

namespace udpvpn::app {

class FdWatcher final : public ReadWatch {
public:
    FdWatcher(asio::io_context& io, int fd, TunDevice::OnReadable on_readable)
        : sd_(io, fd), on_readable_(std::move(on_readable)), alive_(std::make_shared<bool>(true)) {
        arm();
    }
    ~FdWatcher() override {
        *alive_ = false;
        asio::error_code ec;
        sd_.cancel(ec);
        sd_.release();   // the device owns the fd
    }
    FdWatcher(const FdWatcher&) = delete;
    FdWatcher& operator=(const FdWatcher&) = delete;

private:
    // Level-triggered: when the callback left packets behind, the next wait returns at once.
    void arm() {
        sd_.async_wait(asio::posix::stream_descriptor::wait_read, [this, alive = alive_](const asio::error_code& ec) {
            if (ec || !*alive) return;   // cancelled: we are being destroyed
            on_readable_();
            if (*alive) arm();
        });
    }
    asio::posix::stream_descriptor sd_;
    TunDevice::OnReadable on_readable_;
    std::shared_ptr<bool> alive_;
};

}  // namespace udpvpn::app
