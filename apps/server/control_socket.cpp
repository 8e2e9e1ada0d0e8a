// SPDX-License-Identifier: GPL-3.0-or-later
#include "control_socket.hpp"

#include "log.hpp"

#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace udpvpn::app {

constexpr std::size_t kMaxRequest = 4096;

ControlSocket::ControlSocket(asio::io_context& io, std::string path, Handler handler, std::chrono::milliseconds timeout)
    : acceptor_(io), path_(std::move(path)), handler_(std::move(handler)), timeout_(timeout) {}

ControlSocket::~ControlSocket() {
    asio::error_code ec;
    acceptor_.close(ec);
    ::unlink(path_.c_str());
}

std::unique_ptr<ControlSocket> ControlSocket::open(asio::io_context& io, const std::string& path,
                                                   const std::string& group, Handler handler, std::string& error,
                                                   std::chrono::milliseconds timeout) {
    std::unique_ptr<ControlSocket> cs(new ControlSocket(io, path, std::move(handler), timeout));
    gid_t gid = static_cast<gid_t>(-1);
    if (!group.empty()) {
        const struct group* g = ::getgrnam(group.c_str());
        if (!g) {
            error = "status.group: no such group: " + group;
            return nullptr;
        }
        gid = g->gr_gid;
    }
    // Create the directory (e.g. /run/udpvpn) if missing; a stale socket from a crash is replaced.
    const auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) ::mkdir(path.substr(0, slash).c_str(), 0755);
    ::unlink(path.c_str());
    asio::error_code ec;
    // Tighten the umask while binding so the socket never exists with looser permissions.
    const mode_t old = ::umask(0117);
    cs->acceptor_.open(asio::local::stream_protocol(), ec);
    if (!ec) cs->acceptor_.bind(asio::local::stream_protocol::endpoint(path), ec);
    ::umask(old);
    if (!ec) cs->acceptor_.listen(8, ec);
    if (ec) {
        error = "status socket " + path + ": " + ec.message();
        return nullptr;
    }
    if (::chmod(path.c_str(), 0660) != 0 || ::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
        error = "status socket " + path + ": " + std::strerror(errno);
        return nullptr;
    }
    cs->accept();
    return cs;
}

struct ControlSocket::Connection {
    explicit Connection(asio::local::stream_protocol::socket s)
        : sock(std::move(s)), deadline(sock.get_executor()), buf(kMaxRequest) {}
    asio::local::stream_protocol::socket sock;
    asio::steady_timer deadline;
    asio::streambuf buf;
    std::string reply;
    bool finished = false;
};

void ControlSocket::accept() {
    acceptor_.async_accept([this](const asio::error_code& ec, asio::local::stream_protocol::socket s) {
        if (ec == asio::error::operation_aborted) return;
        // Over the limit the connection is closed at once (the client sees end of file).
        if (!ec && active_ < kMaxConnections) serve(std::make_shared<Connection>(std::move(s)));
        accept();
    });
}

void ControlSocket::serve(const std::shared_ptr<Connection>& c) {
    ++active_;
    c->deadline.expires_after(timeout_);
    c->deadline.async_wait([this, c](const asio::error_code& ec) {
        if (!ec) finish(*c);   // silent or not reading its reply: its slot goes to the next one
    });
    asio::async_read_until(c->sock, c->buf, '\n', [this, c](const asio::error_code& rec, std::size_t n) {
        if (c->finished) return;
        if (rec && rec != asio::error::eof) {
            finish(*c);
            return;
        }
        if (rec == asio::error::eof) n = c->buf.size();   // a request without the final newline
        std::string line(asio::buffers_begin(c->buf.data()), asio::buffers_begin(c->buf.data()) + n);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        c->reply = handler_(line) + "\n";
        asio::async_write(c->sock, asio::buffer(c->reply), [this, c](const asio::error_code&, std::size_t) {
            finish(*c);
        });
    });
}

// Exactly once per connection, whichever of the reply, an error or the deadline comes first.
void ControlSocket::finish(Connection& c) {
    if (c.finished) return;
    c.finished = true;
    --active_;
    c.deadline.cancel();
    asio::error_code ignored;
    c.sock.shutdown(asio::socket_base::shutdown_both, ignored);
    c.sock.close(ignored);
}

}  // namespace udpvpn::app
