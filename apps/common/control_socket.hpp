// SPDX-License-Identifier: GPL-3.0-or-later
// The status socket: a Unix stream socket answering one request line with one reply line
// (apps/common/status_protocol.md). Mode 0660, group chosen by the configuration.
#pragma once
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>

#include <functional>
#include <memory>
#include <string>

namespace udpvpn::app {

class ControlSocket {
public:
    // `handler` gets the request line (without "\n") and returns the reply (without "\n").
    using Handler = std::function<std::string(const std::string&)>;
    // group "" keeps the process's group. Returns nullptr with `error` set on failure.
    static std::unique_ptr<ControlSocket> open(asio::io_context& io, const std::string& path, const std::string& group,
                                               Handler handler, std::string& error);
    ~ControlSocket();
    const std::string& path() const noexcept { return path_; }

private:
    ControlSocket(asio::io_context& io, std::string path, Handler handler);
    void accept();

    asio::local::stream_protocol::acceptor acceptor_;
    std::string path_;
    Handler handler_;
    int active_ = 0;
};

}  // namespace udpvpn::app
