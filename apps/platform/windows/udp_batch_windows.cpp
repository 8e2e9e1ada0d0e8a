// SPDX-License-Identifier: GPL-3.0-or-later
// Windows (no recvmmsg/sendmmsg): one datagram per system call through Asio, behind
// UdpBatch's interface; GSO and GRO are never on.
#include "udp_batch.hpp"

#include <udpvpn/endpoint.hpp>

#include <vector>

namespace udpvpn::app {
namespace {
constexpr std::size_t kSlots = 16;            // datagrams read per receive()
constexpr std::size_t kArena = 256 * 1024;    // bytes queued before a flush is forced
}  // namespace

struct UdpBatch::Impl {
    struct Queued {
        std::size_t offset, size;
        asio::ip::udp::endpoint to;
    };
    asio::ip::udp::socket& socket;
    Stats stats;
    std::vector<std::uint8_t> rx = std::vector<std::uint8_t>(kSlots * kMaxDatagram);
    std::vector<asio::ip::udp::endpoint> from = std::vector<asio::ip::udp::endpoint>(kSlots);
    std::vector<Datagram> received;
    std::vector<std::uint8_t> tx = std::vector<std::uint8_t>(kArena + kMaxDatagram);
    std::size_t tx_used = 0;
    std::vector<Queued> queued;
    bool drained = false;   // the last receive() stopped at would_block

    explicit Impl(asio::ip::udp::socket& s) : socket(s) {}

    std::span<Datagram> receive() {
        received.clear();
        drained = false;
        for (std::size_t i = 0; i < kSlots; ++i) {
            asio::error_code ec;
            std::uint8_t* p = rx.data() + i * kMaxDatagram;
            const std::size_t n = socket.receive_from(asio::buffer(p, kMaxDatagram), from[i], 0, ec);
            if (ec) {   // would_block, or an ICMP error surfaced on the socket
                drained = ec == asio::error::would_block;
                break;
            }
            ++stats.receive_calls;
            received.push_back({MutableByteView(p, n), &from[i]});
        }
        return received;
    }

    Lost flush() {
        Lost lost;
        for (const Queued& q : queued) {
            asio::error_code ec;
            socket.send_to(asio::buffer(tx.data() + q.offset, q.size), q.to, 0, ec);
            ++stats.send_calls;
            if (ec) {
                ++lost.datagrams;
                lost.bytes += q.size;
            } else {
                ++stats.sent_datagrams;
                stats.sent_bytes += q.size;
            }
        }
        queued.clear();
        tx_used = 0;
        stats.send_errors += lost.datagrams;
        return lost;
    }
};

UdpBatch::UdpBatch(UdpSocket& socket, const UdpOffloadSettings&) : impl_(std::make_unique<Impl>(socket.socket)) {}
UdpBatch::~UdpBatch() = default;
bool UdpBatch::batching() const noexcept { return false; }
bool UdpBatch::gso() const noexcept { return false; }
bool UdpBatch::gro() const noexcept { return false; }
std::span<UdpBatch::Datagram> UdpBatch::receive() { return impl_->receive(); }
MutableByteView UdpBatch::send_buffer() {
    return MutableByteView(impl_->tx.data() + impl_->tx_used, impl_->tx.size() - impl_->tx_used);
}
void UdpBatch::commit(std::size_t size, const asio::ip::udp::endpoint& to) {
    if (size == 0 || size > kMaxDatagram) return;
    impl_->queued.push_back({impl_->tx_used, size, to});
    impl_->tx_used += size;
    if (impl_->tx_used + kMaxDatagram > impl_->tx.size()) impl_->flush();
}
bool UdpBatch::pending() const noexcept { return !impl_->queued.empty(); }
bool UdpBatch::drained() const noexcept { return impl_->drained; }
UdpBatch::Lost UdpBatch::flush() { return impl_->queued.empty() ? Lost{} : impl_->flush(); }
const UdpBatch::Stats& UdpBatch::stats() const noexcept { return impl_->stats; }

}  // namespace udpvpn::app
