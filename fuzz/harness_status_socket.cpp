// SPDX-License-Identifier: GPL-3.0-or-later
// The status socket protocol (apps/server/status_protocol.md), both ends:
//   mode byte even: the rest is what a local client writes to the server's status socket: a real
//     ControlSocket (apps/server/control_socket.*) on a Unix socket in a temporary directory,
//     answering with the server's own request rule (apps/server/status_request.hpp);
//   mode byte odd: the rest is a reply line as udpvpnctl reads it (tools/ctl/status_view.*):
//     parsed, then rendered as the status table.
// Invariants: no crash, hang or sanitizer report. Server side: the answer is nothing (a request
// line over the 4096-byte limit) or exactly one line ending in "\n", the one the request rule gives
// for the first line of the input; a first line of at most 4000 bytes is always answered; the
// server closes the connection after it. Client side: the only exception is CtlError; the table
// has no control characters but line ends (names in it come from peer certificates).
#include "harness.hpp"
#include "harness_support.hpp"

#include "control_socket.hpp"
#include "status_request.hpp"
#include "status_view.hpp"

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <unistd.h>

using udpvpn::fuzz::check;
using namespace udpvpn;

namespace {

constexpr const char* kStatusReply = R"({"version":1,"server":{"listen":"[::]:51820"},"sessions":[]})";

std::string answer(const std::string& line) {
    return app::parse_status_request(line) == app::StatusCommand::status ? kStatusReply : app::kUnknownCommandReply;
}

struct Server {
    asio::io_context io;
    std::string dir, path;
    std::unique_ptr<app::ControlSocket> socket;
    Server() {
        char tmpl[] = "/tmp/udpvpn-fuzz-status-XXXXXX";
        check(::mkdtemp(tmpl) != nullptr, "mkdtemp");
        dir = tmpl;
        path = dir + "/status.sock";
        std::string err;
        socket = app::ControlSocket::open(io, path, "", answer, err);
        check(socket != nullptr, "status socket opens");
    }
};

Server& server() {
    static Server* s = new Server;
    return *s;
}

void request(const std::uint8_t* d, std::size_t n) {
    n = std::min<std::size_t>(n, 16384);
    Server& s = server();
    asio::local::stream_protocol::socket client(s.io);
    client.connect(asio::local::stream_protocol::endpoint(s.path));
    const std::string sent(reinterpret_cast<const char*>(d), n);
    std::string reply;
    std::array<char, 4096> chunk{};
    bool done = false;
    std::function<void()> read_more = [&] {
        client.async_read_some(asio::buffer(chunk), [&](const asio::error_code& ec, std::size_t got) {
            reply.append(chunk.data(), got);
            if (ec) done = true;
            else read_more();
        });
    };
    asio::async_write(client, asio::buffer(sent), [&](const asio::error_code&, std::size_t) {
        asio::error_code ignored;
        client.shutdown(asio::socket_base::shutdown_send, ignored);
    });
    read_more();
    for (int i = 0; !done && i < 100000; ++i) s.io.run_one_for(std::chrono::milliseconds(3000));
    check(done, "the status socket neither answered nor closed");

    // What the server should have answered: the first line, without its line end(s).
    const std::size_t nl = sent.find('\n');
    const std::size_t line_bytes = nl == std::string::npos ? sent.size() : nl + 1;
    std::string line = sent.substr(0, line_bytes);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line_bytes <= 4000) check(!reply.empty(), "a request line within the limit got no answer");
    if (!reply.empty()) {
        check(reply == answer(line) + "\n", "the answer is not the one line the request rule gives");
    }
}

void render(const std::uint8_t* d, std::size_t n) {
    const std::string_view line(reinterpret_cast<const char*>(d), n);
    ctl::StatusReply r;
    try {
        r = ctl::parse_status_reply(line);
    } catch (const ctl::CtlError&) {
        return;
    }
    const std::string table = ctl::format_status_table(r, 1780272000);
    for (char c : table) {
        const auto u = static_cast<unsigned char>(c);
        check(c == '\n' || (u >= 0x20 && u != 0x7F), "control character in the status table");
    }
}

}  // namespace

int run_status_socket(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    if (data[0] & 1) render(data + 1, size - 1);
    else request(data + 1, size - 1);
    return 0;
}
