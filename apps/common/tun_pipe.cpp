// SPDX-License-Identifier: GPL-3.0-or-later
#include "tun_device.hpp"

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace udpvpn::app {
namespace {

// SOCK_SEQPACKET keeps packet boundaries, like a TUN device.
class PipeDevice final : public TunDevice {
public:
    PipeDevice(int fd, std::string name, std::uint16_t mtu) : fd_(fd), name_(std::move(name)), mtu_(mtu) {}
    ~PipeDevice() override { ::close(fd_); }
    const std::string& name() const noexcept override { return name_; }
    int native_handle() const noexcept override { return fd_; }
    long read(MutableByteView out) noexcept override {
        for (;;) {
            const ssize_t n = ::recv(fd_, out.data(), out.size(), MSG_DONTWAIT);
            if (n > 0) return n;
            if (n == 0) return -1;   // far end closed
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
    }
    bool write(ByteView p) noexcept override {
        return ::send(fd_, p.data(), p.size(), MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(p.size());
    }
    std::uint16_t mtu() const noexcept override { return mtu_; }
    void set_mtu(std::uint16_t m) noexcept override { mtu_ = m; }

private:
    int fd_;
    std::string name_;
    std::uint16_t mtu_;
};

}  // namespace

PipeTun open_pipe_tun(const std::string& name, std::uint16_t mtu) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) != 0) return {};
    return {std::make_unique<PipeDevice>(fds[0], name, mtu), fds[1]};
}

}  // namespace udpvpn::app
