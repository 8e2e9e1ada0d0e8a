// SPDX-License-Identifier: GPL-3.0-or-later
// The status socket: a Unix stream socket answering one request line with one reply line
// (apps/server/status_protocol.md). Mode 0660, group chosen by the configuration.
// Bounded by bounded_listener.hpp: at most kMaxConnections are served at once, each for at most its
// timeout: a local user who opens connections and sends nothing delays the next `udpvpnctl status`
// by one timeout, no longer.
#pragma once
#include "bounded_listener.hpp"

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace udpvpn::app {

class ControlSocket {
public:
    // `handler` gets the request line (without "\n") and returns the reply (without "\n").
    using Handler = std::function<std::string(const std::string&)>;
    static constexpr std::size_t kMaxRequest = 4096;
    static constexpr int kMaxConnections = 16;
    static constexpr std::chrono::milliseconds kDefaultTimeout{2000};
    // group "" keeps the process's group. A connection that has not sent its request and taken
    // its reply within `timeout` is closed. Returns nullptr with `error` set on failure.
    static std::unique_ptr<ControlSocket> open(asio::io_context& io, const std::string& path, const std::string& group,
                                               Handler handler, std::string& error,
                                               std::chrono::milliseconds timeout = kDefaultTimeout);
    ~ControlSocket();
    const std::string& path() const noexcept { return path_; }

private:
    ControlSocket(asio::io_context& io, std::string path, Handler handler, std::chrono::milliseconds timeout);

    std::string path_;
    Handler handler_;
    BoundedListener<asio::local::stream_protocol> listener_;
};

}  // namespace udpvpn::app
