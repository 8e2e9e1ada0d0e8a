// SPDX-License-Identifier: GPL-3.0-or-later
#include "bounded_listener.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

namespace udpvpn::app {

template <typename Protocol>
struct BoundedListener<Protocol>::Connection {
    Connection(typename Protocol::socket s, std::size_t max_request)
        : sock(std::move(s)), deadline(sock.get_executor()), buf(max_request) {}
    typename Protocol::socket sock;
    asio::steady_timer deadline;
    asio::streambuf buf;
    std::string reply;
    bool finished = false;
};

template <typename Protocol>
BoundedListener<Protocol>::BoundedListener(asio::io_context& io, Limits limits, EndOfRequest end_of_request,
                                           Respond respond)
    : acceptor_(io), limits_(limits), end_of_request_(std::move(end_of_request)), respond_(std::move(respond)) {}

template <typename Protocol>
BoundedListener<Protocol>::~BoundedListener() {
    asio::error_code ec;
    acceptor_.close(ec);
}

template <typename Protocol>
void BoundedListener<Protocol>::accept() {
    acceptor_.async_accept([this](const asio::error_code& ec, typename Protocol::socket s) {
        if (ec == asio::error::operation_aborted) return;
        // Over the limit the connection is closed at once (the client sees end of file).
        if (!ec && active_ < limits_.max_connections)
            serve(std::make_shared<Connection>(std::move(s), limits_.max_request));
        accept();
    });
}

template <typename Protocol>
void BoundedListener<Protocol>::serve(const std::shared_ptr<Connection>& c) {
    ++active_;
    c->deadline.expires_after(limits_.timeout);
    c->deadline.async_wait([this, c](const asio::error_code& ec) {
        if (!ec) finish(*c);   // silent, too slow or not reading its reply: its slot goes to the next one
    });
    asio::async_read_until(c->sock, c->buf, end_of_request_, [this, c](const asio::error_code& ec, std::size_t n) {
        if (c->finished) return;
        if (ec == asio::error::eof) n = c->buf.size();   // a request cut short by the client's end of file
        else if (ec) n = 0;
        const auto data = asio::buffers_begin(c->buf.data());
        const std::string request(data, data + static_cast<std::ptrdiff_t>(n));
        auto reply = respond_(ec, request);
        if (!reply) {
            finish(*c);
            return;
        }
        c->reply = std::move(*reply);
        asio::async_write(c->sock, asio::buffer(c->reply), [this, c](const asio::error_code&, std::size_t) {
            finish(*c);
        });
    });
}

// Exactly once per connection, whichever of the reply, an error or the deadline comes first.
template <typename Protocol>
void BoundedListener<Protocol>::finish(Connection& c) {
    if (c.finished) return;
    c.finished = true;
    --active_;
    c.deadline.cancel();
    asio::error_code ignored;
    c.sock.shutdown(asio::socket_base::shutdown_both, ignored);
    c.sock.close(ignored);
}

template class BoundedListener<asio::local::stream_protocol>;
template class BoundedListener<asio::ip::tcp>;

}  // namespace udpvpn::app
