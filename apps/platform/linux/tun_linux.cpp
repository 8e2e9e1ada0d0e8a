// SPDX-License-Identifier: GPL-3.0-or-later
#include "fd_watcher.hpp"
#include "tun_device.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace udpvpn::app {
namespace {

class LinuxTun final : public TunDevice {
public:
    LinuxTun(int fd, std::string name, std::uint16_t mtu) : fd_(fd), name_(std::move(name)), mtu_(mtu) {}
    ~LinuxTun() override { ::close(fd_); }   // a non-persistent device disappears with its fd
    const std::string& name() const noexcept override { return name_; }
    std::unique_ptr<ReadWatch> watch(asio::io_context& io, OnReadable on_readable) override {
        return std::make_unique<FdWatcher>(io, fd_, std::move(on_readable));
    }
    long read(MutableByteView out) noexcept override {
        for (;;) {
            const ssize_t n = ::read(fd_, out.data(), out.size());
            if (n >= 0) return n;
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
    }
    bool write(ByteView p) noexcept override {
        for (;;) {
            const ssize_t n = ::write(fd_, p.data(), p.size());
            if (n >= 0) return true;
            if (errno == EINTR) continue;
            return false;
        }
    }
    std::uint16_t mtu() const noexcept override { return mtu_; }
    void set_mtu(std::uint16_t m) noexcept override { mtu_ = m; }

private:
    int fd_;
    std::string name_;
    std::uint16_t mtu_;
};

}  // namespace

std::string tun_name_problem(const std::string& name) {
    if (name.find('%') != std::string::npos || name.find('/') != std::string::npos) return "";
    // Every TUN/TAP interface has tun_flags in sysfs; "lo" or "eth0" would make TUNSETIFF fail with
    // a bare "Invalid argument".
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::path("/sys/class/net") / name;
    if (!std::filesystem::exists(dir, ec) || std::filesystem::exists(dir / "tun_flags", ec)) return "";
    return "tunnel.device: " + name + " is an existing network interface that is not a TUN device; choose "
           "another name (the default udpvpn%d picks a free one)";
}

std::unique_ptr<TunDevice> open_system_tun(const std::string& name, std::uint16_t mtu, std::string& error) {
    if (std::string problem = tun_name_problem(name); !problem.empty()) {
        error = std::move(problem);
        return nullptr;
    }
    const int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        error = std::string("cannot open /dev/net/tun: ") + std::strerror(errno);
        return nullptr;
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    if (name.size() >= IFNAMSIZ) {
        ::close(fd);
        error = "device name too long: " + name;
        return nullptr;
    }
    std::memcpy(ifr.ifr_name, name.c_str(), name.size());
    if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
        error = errno == EBUSY ? "tunnel.device: " + name + " is in use by another process (another udpvpn running?)"
                               : "TUNSETIFF " + name + ": " + std::strerror(errno);
        ::close(fd);
        return nullptr;
    }
    return std::make_unique<LinuxTun>(fd, std::string(ifr.ifr_name), mtu);
}

}  // namespace udpvpn::app
