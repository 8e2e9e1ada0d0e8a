// SPDX-License-Identifier: GPL-3.0-or-later
#include "status_client.hpp"

#include "status_view.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace udpvpn::ctl {
namespace {

constexpr std::size_t kMaxReply = 64u << 20;  // a server with a million sessions stays well below

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
private:
    int fd_;
};

using Clock = std::chrono::steady_clock;

// Waits for `events` until the deadline; throws on timeout.
void wait_for(int fd, short events, Clock::time_point deadline, const std::string& path) {
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) throw CtlError("no answer from " + path + " in time (is the server stuck?)");
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left));
        if (n > 0) return;
        if (n < 0 && errno != EINTR) throw CtlError("poll: " + std::string(std::strerror(errno)));
    }
}

}  // namespace

std::string exchange(const std::string& path, const std::string& request, int timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) throw CtlError("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) throw CtlError("socket: " + std::string(std::strerror(errno)));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int e = errno;
        if (e == ENOENT || e == ECONNREFUSED)
            throw CtlError("cannot connect to " + path + ": " + std::strerror(e) +
                           " (is udpvpn-server running? the path is status.socket in its configuration; "
                           "pass --socket PATH for another)");
        if (e == EACCES || e == EPERM)
            throw CtlError("cannot connect to " + path + ": " + std::strerror(e) +
                           " (run as root or as a member of the group named by status.group)");
        if (e != EINPROGRESS && e != EAGAIN) throw CtlError("cannot connect to " + path + ": " + std::strerror(e));
        wait_for(fd.get(), POLLOUT, deadline, path);
    }

    std::string_view out = request;
    while (!out.empty()) {
        const ssize_t n = ::send(fd.get(), out.data(), out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            out.remove_prefix(static_cast<std::size_t>(n));
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            wait_for(fd.get(), POLLOUT, deadline, path);
        } else {
            throw CtlError("cannot send to " + path + ": " + std::strerror(errno));
        }
    }

    std::string reply;
    char buf[65536];
    while (true) {
        const std::size_t nl = reply.find('\n');
        if (nl != std::string::npos) return reply.substr(0, nl);
        const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n > 0) {
            reply.append(buf, static_cast<std::size_t>(n));
            if (reply.size() > kMaxReply) throw CtlError("reply from " + path + " is too long");
        } else if (n == 0) {
            if (reply.empty()) throw CtlError("the server closed " + path + " without answering");
            return reply;  // a last line without its newline still counts
        } else if (errno == EAGAIN || errno == EINTR) {
            wait_for(fd.get(), POLLIN, deadline, path);
        } else {
            throw CtlError("cannot read from " + path + ": " + std::strerror(errno));
        }
    }
}

}  // namespace udpvpn::ctl
