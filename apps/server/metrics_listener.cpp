// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics_listener.hpp"

#include "prometheus_text.hpp"

#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <utility>

namespace udpvpn::app {

static std::string reply(const char* status, const std::string& content_type, const std::string& body,
                         const char* extra_header = "") {
    return std::string("HTTP/1.1 ") + status + "\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_header +
           "Connection: close\r\n\r\n" + body;
}

static std::string error_reply(const char* status, const char* extra_header = "") {
    return reply(status, "text/plain; charset=utf-8", std::string(status) + "\n", extra_header);
}

std::string metrics_http_response(const std::string& head, const std::function<std::string()>& body) {
    // Request line: METHOD SP TARGET SP HTTP/1.x
    const auto eol = head.find('\n');
    std::string line = head.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
    if (sp2 == std::string::npos || line.find(' ', sp2 + 1) != std::string::npos)
        return error_reply("400 Bad Request");
    const std::string method = line.substr(0, sp1);
    const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string version = line.substr(sp2 + 1);
    if (version != "HTTP/1.0" && version != "HTTP/1.1") return error_reply("400 Bad Request");
    const std::string path = target.substr(0, target.find('?'));   // scrapers may add parameters
    if (path != "/metrics") return error_reply("404 Not Found");
    if (method != "GET") return error_reply("405 Method Not Allowed", "Allow: GET\r\n");
    return reply("200 OK", kPrometheusContentType, body());
}

// The end of a request head: an empty line (CRLF CRLF, or bare LF LF from hand-typed requests).
static std::pair<asio::buffers_iterator<asio::streambuf::const_buffers_type>, bool> head_end(
    asio::buffers_iterator<asio::streambuf::const_buffers_type> begin,
    asio::buffers_iterator<asio::streambuf::const_buffers_type> end) {
    char prev = 0, prev2 = 0;
    for (auto it = begin; it != end; ++it) {
        const char c = *it;
        if (c == '\n' && (prev == '\n' || (prev == '\r' && prev2 == '\n'))) return {it + 1, true};
        prev2 = prev;
        prev = c;
    }
    // Not yet: the next search, over more data, starts 3 bytes back so an end split across
    // reads ("\r\n" + "\r\n") is still seen.
    auto again = end;
    for (int k = 0; k < 3 && again != begin; ++k) --again;
    return {again, false};
}

struct MetricsListener::Connection {
    explicit Connection(asio::ip::tcp::socket s)
        : sock(std::move(s)), deadline(sock.get_executor()), buf(kMaxRequest) {}
    asio::ip::tcp::socket sock;
    asio::steady_timer deadline;
    asio::streambuf buf;
    std::string response;
    bool finished = false;
};

MetricsListener::MetricsListener(asio::io_context& io, Handler handler, std::chrono::milliseconds timeout)
    : acceptor_(io), handler_(std::move(handler)), timeout_(timeout) {}

MetricsListener::~MetricsListener() {
    asio::error_code ec;
    acceptor_.close(ec);
}

std::unique_ptr<MetricsListener> MetricsListener::open(asio::io_context& io, const std::string& address,
                                                       std::uint16_t port, Handler handler, std::string& error,
                                                       std::chrono::milliseconds timeout) {
    std::unique_ptr<MetricsListener> m(new MetricsListener(io, std::move(handler), timeout));
    asio::error_code ec;
    const auto addr = asio::ip::make_address(address, ec);
    if (ec) {
        error = "metrics.listen: not an IP address: " + address;
        return nullptr;
    }
    const asio::ip::tcp::endpoint ep(addr, port);
    m->acceptor_.open(ep.protocol(), ec);
    if (!ec) m->acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) m->acceptor_.bind(ep, ec);
    if (!ec) m->acceptor_.listen(kMaxConnections, ec);
    if (ec) {
        error = "metrics.listen " + address + " port " + std::to_string(port) + ": " + ec.message();
        return nullptr;
    }
    m->accept();
    return m;
}

std::uint16_t MetricsListener::port() const {
    asio::error_code ec;
    return acceptor_.local_endpoint(ec).port();
}

void MetricsListener::accept() {
    acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket s) {
        if (ec == asio::error::operation_aborted) return;
        // Over the limit the connection is closed at once (the scraper sees end of file).
        if (!ec && active_ < kMaxConnections) serve(std::make_shared<Connection>(std::move(s)));
        accept();
    });
}

void MetricsListener::serve(const std::shared_ptr<Connection>& c) {
    ++active_;
    c->deadline.expires_after(timeout_);
    c->deadline.async_wait([this, c](const asio::error_code& ec) {
        if (!ec) finish(*c);   // silent, too slow or not reading its reply: the slot goes to the next one
    });
    asio::async_read_until(c->sock, c->buf, head_end, [this, c](const asio::error_code& ec, std::size_t n) {
        if (c->finished) return;
        if (ec == asio::error::not_found) {   // the head did not fit in kMaxRequest bytes
            respond(c, error_reply("431 Request Header Fields Too Large"));
            return;
        }
        if (ec) {
            finish(*c);
            return;
        }
        const std::string head(asio::buffers_begin(c->buf.data()), asio::buffers_begin(c->buf.data()) + n);
        respond(c, metrics_http_response(head, handler_));
    });
}

void MetricsListener::respond(const std::shared_ptr<Connection>& c, std::string response) {
    c->response = std::move(response);
    asio::async_write(c->sock, asio::buffer(c->response), [this, c](const asio::error_code&, std::size_t) {
        finish(*c);
    });
}

// Exactly once per connection, whichever of the reply, an error or the deadline comes first.
void MetricsListener::finish(Connection& c) {
    if (c.finished) return;
    c.finished = true;
    --active_;
    c.deadline.cancel();
    asio::error_code ignored;
    c.sock.shutdown(asio::socket_base::shutdown_both, ignored);
    c.sock.close(ignored);
}

}  // namespace udpvpn::app
