// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics_listener.hpp"

#include "prometheus_text.hpp"

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
static std::pair<BoundedListener<asio::ip::tcp>::Iterator, bool> head_end(BoundedListener<asio::ip::tcp>::Iterator begin,
                                                                         BoundedListener<asio::ip::tcp>::Iterator end) {
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

MetricsListener::MetricsListener(asio::io_context& io, Handler handler, std::chrono::milliseconds timeout)
    : handler_(std::move(handler)),
      listener_(io, {kMaxRequest, kMaxConnections, timeout}, head_end,
                [this](const asio::error_code& ec, std::string_view head) -> std::optional<std::string> {
                    if (ec == asio::error::not_found) return error_reply("431 Request Header Fields Too Large");
                    if (ec) return std::nullopt;   // cut short or broken: no request to answer
                    return metrics_http_response(std::string(head), handler_);
                }) {}

MetricsListener::~MetricsListener() = default;

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
    m->listener_.acceptor().open(ep.protocol(), ec);
    if (!ec) m->listener_.acceptor().set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) m->listener_.acceptor().bind(ep, ec);
    if (!ec) m->listener_.acceptor().listen(kMaxConnections, ec);
    if (ec) {
        error = "metrics.listen " + address + " port " + std::to_string(port) + ": " + ec.message();
        return nullptr;
    }
    m->listener_.start();
    return m;
}

std::uint16_t MetricsListener::port() const {
    asio::error_code ec;
    return listener_.acceptor().local_endpoint(ec).port();
}

}  // namespace udpvpn::app
