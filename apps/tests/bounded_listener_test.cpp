// SPDX-License-Identifier: GPL-3.0-or-later
// The lifecycle the status socket and the metrics endpoint share: one reply per request, the
// connection limit, the deadline that frees a silent client's slot, the request size bound, and
// every connection finished exactly once (issue 10: 16 silent connections used to block the
// status socket for good).
#include "bounded_listener.hpp"

#include "stream_client.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace udpvpn::app;
using namespace udpvpn::app::test;
using Listener = BoundedListener<asio::ip::tcp>;

namespace {

// A one-line echo on the loopback: "echo <line>\n", "too long\n" for not_found, nothing otherwise.
struct Echo {
    asio::io_context io;
    std::unique_ptr<Listener> listener;
    std::thread thread;
    explicit Echo(Listener::Limits limits) {
        listener = std::make_unique<Listener>(io, limits, end_of_line<Listener::Iterator>,
            [](const asio::error_code& ec, std::string_view request) -> std::optional<std::string> {
                if (ec == asio::error::not_found) return std::string("too long\n");
                if (ec && ec != asio::error::eof) return std::nullopt;
                if (ec == asio::error::eof) return "echo " + std::string(request) + " (eof)\n";
                return "echo " + std::string(request);
            });
        asio::error_code ec;
        const asio::ip::tcp::endpoint ep(asio::ip::address_v4::loopback(), 0);
        listener->acceptor().open(ep.protocol(), ec);
        if (!ec) listener->acceptor().bind(ep, ec);
        if (!ec) listener->acceptor().listen(64, ec);
        REQUIRE_MESSAGE(!ec, ec.message());
        listener->start();
        thread = std::thread([this] {
            auto guard = asio::make_work_guard(io);
            io.run();
        });
    }
    ~Echo() {
        asio::post(io, [this] { listener.reset(); io.stop(); });
        thread.join();
    }
    std::uint16_t port() const { return listener->acceptor().local_endpoint().port(); }
    // Read on the listener's own thread.
    int active() {
        std::promise<int> p;
        asio::post(io, [&] { p.set_value(listener->active()); });
        return p.get_future().get();
    }
};

Listener::Limits limits(int max_connections, std::chrono::milliseconds timeout, std::size_t max_request = 4096) {
    Listener::Limits l;
    l.max_connections = max_connections;
    l.timeout = timeout;
    l.max_request = max_request;
    return l;
}

}  // namespace

TEST_CASE("a request gets one reply, then end of file") {
    Echo e(limits(4, std::chrono::milliseconds(2000)));
    CHECK(exchange(connect_tcp(e.port()), "status\n") == "echo status\n");
    // Only the request is answered: what follows its end is not read.
    CHECK(exchange(connect_tcp(e.port()), "one\ntwo\n") == "echo one\n");
}

TEST_CASE("a request cut short by end of file is answered with what came") {
    Echo e(limits(4, std::chrono::milliseconds(2000)));
    CHECK(exchange(connect_tcp(e.port()), "no newline", true) == "echo no newline (eof)\n");
}

TEST_CASE("a request longer than the bound reaches the owner as not_found") {
    Echo e(limits(4, std::chrono::milliseconds(2000), 64));
    CHECK(exchange(connect_tcp(e.port()), std::string(200, 'a') + "\n") == "too long\n");
    CHECK(exchange(connect_tcp(e.port()), std::string(40, 'b') + "\n") == "echo " + std::string(40, 'b') + "\n");
}

TEST_CASE("silent connections: the limit's worth closed on their deadline, the rest at once") {
    Echo e(limits(4, std::chrono::milliseconds(300)));
    std::vector<int> silent;
    for (int i = 0; i < 4 + 3; ++i) silent.push_back(connect_tcp(e.port()));
    for (int fd : silent) {
        CHECK(read_all(fd) == "");   // every one sees end of file, none is held forever
        ::close(fd);
    }
    CHECK(exchange(connect_tcp(e.port()), "after\n") == "echo after\n");
    CHECK(e.active() == 0);   // each finished exactly once, whichever of deadline or reply came first
}

TEST_CASE("a request gets through once the silent holders' time is up") {
    Echo e(limits(4, std::chrono::milliseconds(300)));
    std::vector<int> silent;
    for (int i = 0; i < 4; ++i) silent.push_back(connect_tcp(e.port()));
    // Turned away while the 4 hold their slots, then served once their time is up (bounded by a
    // guard of 200 tries: without the deadline it never is).
    std::string reply;
    for (int tries = 0; tries < 200 && reply.empty(); ++tries) {
        reply = exchange(connect_tcp(e.port()), "status\n");
        if (reply.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(reply == "echo status\n");
    for (int fd : silent) ::close(fd);
}
