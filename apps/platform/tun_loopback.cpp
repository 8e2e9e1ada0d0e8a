// SPDX-License-Identifier: GPL-3.0-or-later
// The loopback test backend (tun_device.hpp): a connected UDP socket stands in for the tunnel
// device. Connected, so only the configured peer can inject packets; loopback only, so inner
// packets never leave the machine unencrypted.
#include "inet.hpp"
#include "tun_device.hpp"

#include <asio/ip/udp.hpp>

namespace udpvpn::app {
namespace {

class SocketWatch final : public ReadWatch {
public:
    SocketWatch(asio::ip::udp::socket& s, TunDevice::OnReadable cb) : s_(s), cb_(std::move(cb)), alive_(std::make_shared<bool>(true)) {
        arm();
    }
    ~SocketWatch() override {
        *alive_ = false;
        asio::error_code ec;
        s_.cancel(ec);
    }

private:
    // Level-triggered: when the callback left packets behind, the next wait returns at once.
    void arm() {
        s_.async_wait(asio::ip::udp::socket::wait_read, [this, alive = alive_](const asio::error_code& ec) {
            if (ec || !*alive) return;
            cb_();
            if (*alive) arm();
        });
    }
    asio::ip::udp::socket& s_;
    TunDevice::OnReadable cb_;
    std::shared_ptr<bool> alive_;
};

class LoopbackTun final : public TunDevice {
public:
    LoopbackTun(asio::ip::udp::socket s, std::string name, std::uint16_t mtu)
        : s_(std::move(s)), name_(std::move(name)), mtu_(mtu) {}
    const std::string& name() const noexcept override { return name_; }
    bool system_interface() const noexcept override { return false; }
    std::unique_ptr<ReadWatch> watch(asio::io_context&, OnReadable on_readable) override {
        return std::make_unique<SocketWatch>(s_, std::move(on_readable));
    }
    long read(MutableByteView out) noexcept override {
        for (int tries = 0; tries < 16; ++tries) {
            asio::error_code ec;
            const std::size_t n = s_.receive(asio::buffer(out.data(), out.size()), 0, ec);
            if (!ec) return static_cast<long>(n);
            if (ec == asio::error::would_block || ec == asio::error::try_again) return 0;
            // The peer's port was closed for a moment (ICMP port unreachable): not a device error.
            if (ec == asio::error::connection_refused || ec == asio::error::connection_reset) continue;
            if (ec == asio::error::message_size) continue;   // larger than any inner packet: dropped
            return -1;
        }
        return 0;
    }
    bool write(ByteView p) noexcept override {
        asio::error_code ec;
        return s_.send(asio::buffer(p.data(), p.size()), 0, ec) == p.size() && !ec;
    }
    std::uint16_t mtu() const noexcept override { return mtu_; }
    void set_mtu(std::uint16_t m) noexcept override { mtu_ = m; }

private:
    asio::ip::udp::socket s_;
    std::string name_;
    std::uint16_t mtu_;
};

}  // namespace

std::optional<asio::ip::udp::endpoint> parse_loopback_endpoint(const std::string& text) {
    const auto hp = parse_host_port(text, 0);
    if (!hp || hp->port == 0) return std::nullopt;
    asio::error_code ec;
    const auto a = asio::ip::make_address(hp->host, ec);
    if (ec || !a.is_loopback()) return std::nullopt;
    return asio::ip::udp::endpoint(a, hp->port);
}

std::unique_ptr<TunDevice> open_loopback_tun(asio::io_context& io, const std::string& listen, const std::string& peer,
                                             std::uint16_t mtu, std::string& error) {
    const auto local = parse_loopback_endpoint(listen), remote = parse_loopback_endpoint(peer);
    if (!local || !remote || local->protocol() != remote->protocol()) {
        error = "test tunnel: listen and peer must be loopback host:port of one family (\"127.0.0.1:40001\")";
        return nullptr;
    }
    asio::ip::udp::socket s(io);
    asio::error_code ec;
    s.open(local->protocol(), ec);
    if (!ec) s.bind(*local, ec);
    if (!ec) s.connect(*remote, ec);
    if (!ec) s.non_blocking(true, ec);
    if (ec) {
        error = "test tunnel on " + listen + ": " + ec.message();
        return nullptr;
    }
    return std::make_unique<LoopbackTun>(std::move(s), "loopback:" + listen, mtu);
}

}  // namespace udpvpn::app
