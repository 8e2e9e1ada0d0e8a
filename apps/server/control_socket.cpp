// SPDX-License-Identifier: GPL-3.0-or-later
#include "control_socket.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace udpvpn::app {

ControlSocket::ControlSocket(asio::io_context& io, std::string path, Handler handler, std::chrono::milliseconds timeout)
    : path_(std::move(path)),
      handler_(std::move(handler)),
      listener_(io, {kMaxRequest, kMaxConnections, timeout}, end_of_line<BoundedListener<asio::local::stream_protocol>::Iterator>,
                [this](const asio::error_code& ec, std::string_view request) -> std::optional<std::string> {
                    if (ec && ec != asio::error::eof) return std::nullopt;   // too long, or a broken connection
                    std::string line(request);   // with eof: a request without the final newline
                    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
                    return handler_(line) + "\n";
                }) {}

ControlSocket::~ControlSocket() {
    asio::error_code ec;
    listener_.acceptor().close(ec);
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
    cs->listener_.acceptor().open(asio::local::stream_protocol(), ec);
    if (!ec) cs->listener_.acceptor().bind(asio::local::stream_protocol::endpoint(path), ec);
    ::umask(old);
    if (!ec) cs->listener_.acceptor().listen(8, ec);
    if (ec) {
        error = "status socket " + path + ": " + ec.message();
        return nullptr;
    }
    if (::chmod(path.c_str(), 0660) != 0 || ::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
        error = "status socket " + path + ": " + std::strerror(errno);
        return nullptr;
    }
    cs->listener_.start();
    return cs;
}

}  // namespace udpvpn::app
