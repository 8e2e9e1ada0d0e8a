// SPDX-License-Identifier: GPL-3.0-or-later
// The metrics listener: a minimal HTTP/1.x server on the event loop that answers GET /metrics
// with what `handler` returns (Prometheus text) and every other request with an error status.
// Bounded like the status socket (bounded_listener.hpp): a request head of at most kMaxRequest
// bytes, at most kMaxConnections served at once (more are closed at once), each for at most its
// timeout. One request per connection; the reply is written asynchronously, so a slow scraper never
// stalls the data path.
#pragma once
#include "bounded_listener.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace udpvpn::app {

class MetricsListener {
public:
    using Handler = std::function<std::string()>;
    static constexpr std::size_t kMaxRequest = 8192;
    static constexpr int kMaxConnections = 16;
    static constexpr std::chrono::milliseconds kDefaultTimeout{2000};

    // address: an IP literal; port 0 picks one (tests). nullptr with `error` set on failure.
    static std::unique_ptr<MetricsListener> open(asio::io_context& io, const std::string& address,
                                                 std::uint16_t port, Handler handler, std::string& error,
                                                 std::chrono::milliseconds timeout = kDefaultTimeout);
    ~MetricsListener();
    std::uint16_t port() const;

private:
    MetricsListener(asio::io_context& io, Handler handler, std::chrono::milliseconds timeout);

    Handler handler_;
    BoundedListener<asio::ip::tcp> listener_;
};

// The reply to one request head ("GET /metrics HTTP/1.1\r\n..."): status line, headers, body.
// `body` is called only for GET /metrics. Separate from the socket so it is tested on its own.
std::string metrics_http_response(const std::string& head, const std::function<std::string()>& body);

}  // namespace udpvpn::app
