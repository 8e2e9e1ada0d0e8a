// SPDX-License-Identifier: GPL-3.0-or-later
// The connection lifecycle the server's small listeners share (the status socket, the metrics
// endpoint): one request and one reply per connection, bounded so that local clients or scrapers
// cannot take the listener away from others:
//  - a request of at most Limits::max_request bytes;
//  - at most Limits::max_connections served at once; more are closed at once (end of file);
//  - each connection for at most Limits::timeout, reply included: a silent client or one that does
//    not read its reply loses its slot to the next one.
// The owner opens, binds and listens on acceptor(), then calls start(). Instantiated for Unix stream
// sockets and TCP (bounded_listener.cpp).
#pragma once
#include <asio/buffers_iterator.hpp>
#include <asio/io_context.hpp>
#include <asio/streambuf.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace udpvpn::app {

template <typename Protocol>
class BoundedListener {
public:
    struct Limits {
        std::size_t max_request = 4096;
        int max_connections = 16;
        std::chrono::milliseconds timeout{2000};
    };
    using Iterator = asio::buffers_iterator<asio::streambuf::const_buffers_type>;
    // Where the request ends in the bytes read so far (asio's read_until match condition).
    using EndOfRequest = std::function<std::pair<Iterator, bool>(Iterator begin, Iterator end)>;
    // The reply to one request, or nullopt to close without one. `ec` is the read's outcome:
    // success (`request` up to its end), eof (`request` is all that came), not_found (more than
    // max_request bytes without an end; `request` is empty) or another error.
    using Respond = std::function<std::optional<std::string>(const asio::error_code& ec, std::string_view request)>;

    BoundedListener(asio::io_context& io, Limits limits, EndOfRequest end_of_request, Respond respond);
    ~BoundedListener();
    BoundedListener(const BoundedListener&) = delete;
    BoundedListener& operator=(const BoundedListener&) = delete;

    typename Protocol::acceptor& acceptor() noexcept { return acceptor_; }
    const typename Protocol::acceptor& acceptor() const noexcept { return acceptor_; }
    void start() { accept(); }
    int active() const noexcept { return active_; }   // connections being served

private:
    struct Connection;
    void accept();
    void serve(const std::shared_ptr<Connection>& c);
    void finish(Connection& c);

    typename Protocol::acceptor acceptor_;
    Limits limits_;
    EndOfRequest end_of_request_;
    Respond respond_;
    int active_ = 0;
};

// A request that is one line: it ends at the first '\n'.
template <typename Iterator>
std::pair<Iterator, bool> end_of_line(Iterator begin, Iterator end) {
    for (auto it = begin; it != end; ++it)
        if (*it == '\n') return {it + 1, true};
    return {end, false};
}

}  // namespace udpvpn::app
