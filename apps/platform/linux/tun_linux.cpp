// SPDX-License-Identifier: GPL-3.0-or-later
#include "fd_watcher.hpp"
#include "log.hpp"
#include "tun_coalesce.hpp"
#include "tun_device.hpp"
#include "tun_offload.hpp"

#include <asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20   // Linux >= 6.2
#define TUN_F_USO6 0x40
#endif

namespace udpvpn::app {
namespace {

class LinuxTun final : public TunDevice {
public:
    // `offloads`: "" for a plain IFF_TUN device; otherwise the offloads TUNSETOFFLOAD accepted
    // (frames then carry a virtio_net_hdr, and TCP/UDP frames may be super-packets).
    LinuxTun(int fd, std::string name, std::uint16_t mtu, std::string offloads)
        : fd_(fd), name_(std::move(name)), mtu_(mtu), offloads_(std::move(offloads)) {
        if (!offloads_.empty()) frame_.resize(kVnetHeaderSize + 65536);
    }
    ~LinuxTun() override {
        *alive_ = false;
        flush_writes();
        ::close(fd_);   // a non-persistent device disappears with its fd
    }
    const std::string& name() const noexcept override { return name_; }
    std::string offloads() const override { return offloads_; }
    std::unique_ptr<ReadWatch> watch(asio::io_context& io, OnReadable on_readable) override {
        io_ = &io;
        return std::make_unique<FdWatcher>(io, fd_, std::move(on_readable));
    }
    long read(MutableByteView out) noexcept override {
        if (offloads_.empty()) return read_fd(out);
        // The rest of the last super-packet first, then the next frame from the device.
        for (;;) {
            if (const std::size_t n = splitter_.next(out)) return static_cast<long>(n);
            const long n = read_fd(MutableByteView(frame_.data(), frame_.size()));
            if (n <= 0) return n;
            // A frame we cannot parse is dropped, like a malformed packet.
            if (!splitter_.start(MutableByteView(frame_.data(), static_cast<std::size_t>(n)))) continue;
        }
    }
    bool write(ByteView p) noexcept override {
        if (offloads_.empty()) {
            for (;;) {
                if (::write(fd_, p.data(), p.size()) >= 0) return true;
                if (errno != EINTR) return false;
            }
        }
        if (!io_) {   // not running an event loop: no turn to wait for
            std::uint8_t hdr[kVnetHeaderSize] = {};
            iovec iov[2] = {{hdr, sizeof hdr}, {const_cast<std::uint8_t*>(p.data()), p.size()}};
            return write_frame(iov, 2);
        }
        // Queued until the end of this event-loop turn, where runs of TCP segments leave as one
        // super-packet (tun_coalesce.hpp). A full queue is written out first.
        if (!coalescer_.add(p)) {
            flush_writes();
            coalescer_.add(p);
        }
        if (!flush_posted_) {
            flush_posted_ = true;
            asio::post(*io_, [this, alive = alive_] {
                if (!*alive) return;
                flush_posted_ = false;
                flush_writes();
            });
        }
        return true;   // what the device refuses at the flush is counted in write_errors_ only
    }
    void flush() noexcept override { flush_writes(); }
    bool segments_pending() const noexcept override { return !offloads_.empty() && splitter_.pending(); }
    std::uint16_t mtu() const noexcept override { return mtu_; }
    void set_mtu(std::uint16_t m) noexcept override { mtu_ = m; }

private:
    bool write_frame(const iovec* iov, int n) noexcept {
        for (;;) {
            if (::writev(fd_, iov, n) >= 0) return true;
            if (errno != EINTR) return false;
        }
    }
    void flush_writes() noexcept {
        coalescer_.flush([this](ByteView f) {
            const iovec iov{const_cast<std::uint8_t*>(f.data()), f.size()};
            if (!write_frame(&iov, 1)) ++write_errors_;
        });
    }
    long read_fd(MutableByteView out) noexcept {
        for (;;) {
            const ssize_t n = ::read(fd_, out.data(), out.size());
            if (n >= 0) return n;
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
    }

    int fd_;
    std::string name_;
    std::uint16_t mtu_;
    std::string offloads_;
    std::vector<std::uint8_t> frame_;
    VnetSplitter splitter_;
    TunCoalescer coalescer_;
    asio::io_context* io_ = nullptr;
    bool flush_posted_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::uint64_t write_errors_ = 0;
};

// Asks for TCP segmentation offload (and UDP's, where the kernel has it) on a device opened with
// IFF_VNET_HDR; the kernel then hands over 64 KB super-packets with partial checksums. Returns
// what it accepted ("" if nothing, which leaves plain packets behind a virtio_net_hdr).
std::string enable_offloads(int fd) {
    constexpr unsigned tso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if (::ioctl(fd, TUNSETOFFLOAD, tso | TUN_F_USO4 | TUN_F_USO6) == 0) return "tso4 tso6 uso4 uso6";
    if (::ioctl(fd, TUNSETOFFLOAD, tso) == 0) return "tso4 tso6";
    UVLOG_WARN("TUNSETOFFLOAD: %s; the tunnel device runs without offloads", std::strerror(errno));
    return "";
}

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

namespace {

// One queue of device `name`: the device itself unless `multi_queue` (IFF_MULTI_QUEUE: the first
// call creates the device, the next ones attach further queues to it by its real name).
std::unique_ptr<TunDevice> open_queue(const std::string& name, std::uint16_t mtu, bool offloads, bool multi_queue,
                                      std::string& error) {
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
    ifr.ifr_flags = static_cast<short>(IFF_TUN | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0) |
                                       (multi_queue ? IFF_MULTI_QUEUE : 0));
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
    std::string accepted;
    if (offloads) {
        accepted = enable_offloads(fd);
        if (accepted.empty()) {   // no offloads: reopen without the virtio_net_hdr it would cost
            ::close(fd);
            return open_queue(name, mtu, false, multi_queue, error);
        }
    }
    return std::make_unique<LinuxTun>(fd, std::string(ifr.ifr_name), mtu, std::move(accepted));
}

}  // namespace

std::unique_ptr<TunDevice> open_system_tun(const std::string& name, std::uint16_t mtu, bool offloads,
                                           std::string& error) {
    return open_queue(name, mtu, offloads, false, error);
}

std::vector<std::unique_ptr<TunDevice>> open_system_tun_queues(const std::string& name, std::uint16_t mtu, bool offloads,
                                                               unsigned queues, std::string& error) {
    std::vector<std::unique_ptr<TunDevice>> out;
    for (unsigned i = 0; i < queues; ++i) {
        // The first queue names the device (a template such as "udpvpn%d" becomes "udpvpn0") and
        // settles the offloads: every queue must be opened with the same flags.
        const bool first = out.empty();
        auto q = open_queue(first ? name : out.front()->name(), mtu,
                            first ? offloads : !out.front()->offloads().empty(), true, error);
        if (!q) {
            if (!first) error = "tunnel queue " + std::to_string(i + 1) + " of " + std::to_string(queues) + ": " + error;
            return {};
        }
        out.push_back(std::move(q));
    }
    return out;
}

}  // namespace udpvpn::app
