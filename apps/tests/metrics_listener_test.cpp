// SPDX-License-Identifier: GPL-3.0-or-later
// The metrics listener answers GET /metrics with Prometheus text and nothing else, refuses a head
// over its size bound with 431, and the exposition escapes label values. The connection limit and
// deadline are bounded_listener_test.cpp's.
#include "metrics_listener.hpp"
#include "prometheus_text.hpp"

#include "stream_client.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

using namespace udpvpn::app;
using namespace udpvpn::app::test;

namespace {

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

struct Listener {
    asio::io_context io;
    std::unique_ptr<MetricsListener> listener;
    std::thread thread;
    int scrapes = 0;
    explicit Listener(std::chrono::milliseconds timeout = MetricsListener::kDefaultTimeout) {
        std::string error;
        listener = MetricsListener::open(io, "127.0.0.1", 0, [this] {
            ++scrapes;
            return std::string("# HELP x_total X.\n# TYPE x_total counter\nx_total 7\n");
        }, error, timeout);
        REQUIRE_MESSAGE(listener, error);
        thread = std::thread([this] {
            auto guard = asio::make_work_guard(io);
            io.run();
        });
    }
    ~Listener() {
        asio::post(io, [this] { listener.reset(); io.stop(); });
        thread.join();
    }
    std::uint16_t port() const { return listener->port(); }
};

}  // namespace

TEST_CASE("GET /metrics: 200, the exposition's content type and length, then the body") {
    Listener l;
    const std::string r = exchange(connect_tcp(l.port()), "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
    CHECK(status_line(r) == "HTTP/1.1 200 OK");
    CHECK(r.find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != std::string::npos);
    const std::string body = "# HELP x_total X.\n# TYPE x_total counter\nx_total 7\n";
    CHECK(r.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n") != std::string::npos);
    CHECK(r.substr(r.find("\r\n\r\n") + 4) == body);
    CHECK(exchange(connect_tcp(l.port()), "GET /metrics?name[]=x HTTP/1.0\n\n").rfind("HTTP/1.1 200 OK", 0) == 0);
}

TEST_CASE("a request head that arrives in pieces is answered once it is complete") {
    Listener l;
    const int fd = connect_tcp(l.port());
    REQUIRE(fd >= 0);
    for (const char* piece : {"GET /metrics HTTP/1.1\r", "\nHost: x\r\n", "\r", "\n"}) {
        (void)!::send(fd, piece, std::strlen(piece), MSG_NOSIGNAL);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));   // separate reads, not a timing check
    }
    CHECK(status_line(read_all(fd)) == "HTTP/1.1 200 OK");
    ::close(fd);
}

TEST_CASE("other paths, methods and malformed requests get an error, not the metrics") {
    Listener l;
    CHECK(status_line(exchange(connect_tcp(l.port()), "GET / HTTP/1.1\r\n\r\n")) == "HTTP/1.1 404 Not Found");
    CHECK(status_line(exchange(connect_tcp(l.port()), "GET /metricsx HTTP/1.1\r\n\r\n")) == "HTTP/1.1 404 Not Found");
    const std::string post = exchange(connect_tcp(l.port()), "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    CHECK(status_line(post) == "HTTP/1.1 405 Method Not Allowed");
    CHECK(post.find("\r\nAllow: GET\r\n") != std::string::npos);
    CHECK(status_line(exchange(connect_tcp(l.port()), "GET /metrics\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
    CHECK(status_line(exchange(connect_tcp(l.port()), "GET /metrics HTTP/2.0\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
    CHECK(l.scrapes == 0);
}

TEST_CASE("a request head larger than the bound is refused with 431") {
    Listener l;
    const std::string big = "GET /metrics HTTP/1.1\r\nX-Pad: " + std::string(MetricsListener::kMaxRequest, 'a') + "\r\n\r\n";
    CHECK(status_line(exchange(connect_tcp(l.port()), big)) == "HTTP/1.1 431 Request Header Fields Too Large");
    CHECK(l.scrapes == 0);
}

TEST_CASE("exposition: HELP and TYPE before the samples, label values escaped") {
    PrometheusText m;
    m.counter("udpvpn_x_total", "Things, with a back\\slash\nand a newline.")
        .sample(3, {{"rule", "a\"b\\c\nd"}, {"direction", "in"}})
        .sample(18446744073709551615ull);
    m.gauge("udpvpn_y", "Now.").sample(0);
    CHECK(m.str() ==
          "# HELP udpvpn_x_total Things, with a back\\\\slash\\nand a newline.\n"
          "# TYPE udpvpn_x_total counter\n"
          "udpvpn_x_total{rule=\"a\\\"b\\\\c\\nd\",direction=\"in\"} 3\n"
          "udpvpn_x_total 18446744073709551615\n"
          "# HELP udpvpn_y Now.\n"
          "# TYPE udpvpn_y gauge\n"
          "udpvpn_y 0\n");
}
