// SPDX-License-Identifier: GPL-3.0-or-later
// Linux: recvmmsg/sendmmsg, UDP_GRO (Linux >= 5.0) and UDP_SEGMENT (Linux >= 4.18), each probed on
// the socket and each with a way back to plain datagrams (GSO: off for good on EIO, which a device
// without checksum offload gives; one group sent datagram by datagram on EINVAL, e.g. segments
// larger than the route's MTU).
#include "udp_batch.hpp"

#include "log.hpp"

#include <udpvpn/endpoint.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <vector>

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace udpvpn::app {
namespace {

constexpr std::size_t kSlots = 32;                     // datagrams (or GRO buffers) per recvmmsg
constexpr std::size_t kSlotSize = 65536;               // a GRO buffer is at most 64 KB
// With UDP_GRO a slot may hold a 64 KB buffer, and 32 of them are 2 MB: several milliseconds of
// opening and delivering before the event loop turns. Under one TCP stream the ACKs then return in
// bursts, the sender's window (BBR's allowance for ACK aggregation) grows to queue that much again,
// and a ping under load waits behind it (bench/compare.sh measures it; the README has the figures).
// So a GRO socket sizes each recvmmsg from the last one's bytes per slot: about
// UdpBatch::kMaxGroReceiveBytes a call, 4 slots of full buffers, all 32 when nothing aggregates.
constexpr std::size_t kGroSlots = UdpBatch::kMaxGroReceiveBytes / kSlotSize;
static_assert(kGroSlots >= 1 && kGroSlots <= kSlots);
constexpr std::size_t kMaxMessages = 64;               // messages per sendmmsg
constexpr std::size_t kArena = 512 * 1024;             // bytes queued before a flush is forced
constexpr std::size_t kMaxSegments = 64;               // UDP_MAX_SEGMENTS of older kernels
constexpr std::size_t kMaxGsoBytes = 65000;            // below 65535 - IPv6 and UDP headers

union Control {
    cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
};

}  // namespace

struct UdpBatch::Impl {
    struct Group {   // consecutive datagrams of one size (the last may be shorter) to one peer
        std::size_t offset = 0, seg = 0, total = 0, count = 0;
        sockaddr_storage to{};
        socklen_t to_len = 0;
    };

    int fd;
    bool batch, gso, gro;
    Stats stats;
    std::vector<std::uint8_t> rx;
    std::vector<mmsghdr> rmsgs;
    std::vector<iovec> riov;
    std::vector<sockaddr_storage> rnames;
    std::vector<Control> rctl;
    std::vector<asio::ip::udp::endpoint> rfrom;
    std::vector<Datagram> received;
    std::vector<std::uint8_t> tx;
    std::size_t tx_used = 0;
    std::size_t rx_slots = 0;   // slots the next recvmmsg offers
    bool drained = false;       // the last recvmmsg filled fewer slots than it offered
    std::vector<Group> groups;
    std::vector<mmsghdr> smsgs;
    std::vector<iovec> siov;
    std::vector<Control> sctl;

    Impl(int f, const UdpOffloadSettings& want) : fd(f), batch(want.batch), gso(false), gro(false) {
        if (want.gso) {
            int v = 0;
            socklen_t len = sizeof v;
            gso = ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, &len) == 0;
        }
        if (want.gro) {
            const int one = 1;
            gro = ::setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
        }
        const std::size_t slots = batch ? kSlots : 1;
        rx_slots = gro ? std::min(kGroSlots, slots) : slots;
        rx.resize(slots * kSlotSize);
        rmsgs.resize(slots);
        riov.resize(slots);
        rnames.resize(slots);
        rctl.resize(slots);
        rfrom.resize(slots);
        received.reserve(slots * kMaxSegments);
        tx.resize(kArena + kMaxDatagram);
        groups.reserve(kMaxMessages);
        smsgs.resize(kMaxMessages);
        siov.resize(kMaxMessages);
        sctl.resize(kMaxMessages);
    }

    std::span<Datagram> receive() {
        received.clear();
        const std::size_t slots = rx_slots;
        for (std::size_t i = 0; i < slots; ++i) {
            riov[i] = {rx.data() + i * kSlotSize, kSlotSize};
            msghdr& m = rmsgs[i].msg_hdr;
            m = {};
            m.msg_name = &rnames[i];
            m.msg_namelen = sizeof(sockaddr_storage);
            m.msg_iov = &riov[i];
            m.msg_iovlen = 1;
            m.msg_control = rctl[i].buf;
            m.msg_controllen = sizeof rctl[i].buf;
        }
        int n;
        do n = ::recvmmsg(fd, rmsgs.data(), static_cast<unsigned>(slots), MSG_DONTWAIT, nullptr);
        while (n < 0 && errno == EINTR);
        drained = n >= 0 && static_cast<std::size_t>(n) < slots;   // recvmmsg stops at the first EAGAIN
        if (n <= 0) return {};   // nothing waiting, or an error surfaced on the socket
        ++stats.receive_calls;
        std::size_t bytes = 0;
        for (int i = 0; i < n; ++i) {
            bytes += rmsgs[i].msg_len;
            const msghdr& m = rmsgs[i].msg_hdr;
            if (m.msg_flags & MSG_TRUNC) {
                ++stats.truncated;
                continue;
            }
            asio::ip::udp::endpoint& from = rfrom[i];
            if (m.msg_namelen > from.capacity()) continue;
            std::memcpy(from.data(), &rnames[i], m.msg_namelen);
            from.resize(m.msg_namelen);
            std::size_t seg = 0;
            for (cmsghdr* c = CMSG_FIRSTHDR(const_cast<msghdr*>(&m)); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&m), c))
                if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
                    int v = 0;
                    std::memcpy(&v, CMSG_DATA(c), sizeof v);
                    if (v > 0) seg = static_cast<std::size_t>(v);
                }
            std::uint8_t* p = rx.data() + static_cast<std::size_t>(i) * kSlotSize;
            const std::size_t len = rmsgs[i].msg_len;
            if (seg == 0 || seg >= len) {
                received.push_back({MutableByteView(p, len), &from});
                continue;
            }
            for (std::size_t off = 0; off < len; off += seg)
                received.push_back({MutableByteView(p + off, std::min(seg, len - off)), &from});
        }
        if (gro) {
            const std::size_t per_slot = std::max<std::size_t>(1, bytes / static_cast<std::size_t>(n));
            rx_slots = std::clamp<std::size_t>(UdpBatch::kMaxGroReceiveBytes / per_slot, 1, rmsgs.size());
        }
        return received;
    }

    void commit(std::size_t size, const asio::ip::udp::endpoint& to) {
        if (size == 0 || size > kMaxDatagram) return;
        const std::size_t to_len = to.size();
        Group* g = groups.empty() ? nullptr : &groups.back();
        const bool joins = gso && g && g->to_len == to_len && std::memcmp(&g->to, to.data(), to_len) == 0 &&
                           size <= g->seg && g->total == g->count * g->seg && g->count < kMaxSegments &&
                           g->total + size <= kMaxGsoBytes;
        if (joins) {
            g->total += size;
            ++g->count;
        } else {
            Group n;
            n.offset = tx_used;
            n.seg = n.total = size;
            n.count = 1;
            std::memcpy(&n.to, to.data(), to_len);
            n.to_len = static_cast<socklen_t>(to_len);
            groups.push_back(n);
        }
        tx_used += size;
        if (tx_used + kMaxDatagram > tx.size() || groups.size() == kMaxMessages) flush();
    }

    // One group, datagram by datagram (GSO refused).
    Lost send_singly(const Group& g) {
        Lost lost;
        for (std::size_t off = 0; off < g.total; off += g.seg) {
            const std::size_t len = std::min(g.seg, g.total - off);
            ssize_t r;
            do r = ::sendto(fd, tx.data() + g.offset + off, len, 0, reinterpret_cast<const sockaddr*>(&g.to), g.to_len);
            while (r < 0 && errno == EINTR);
            ++stats.send_calls;
            if (r < 0) {
                ++lost.datagrams;
                lost.bytes += len;
            }
        }
        return lost;
    }

    Lost flush() {
        Lost lost;
        auto lose = [&lost](const Group& g) {
            lost.datagrams += g.count;
            lost.bytes += g.total;
        };
        const std::size_t n = groups.size();
        for (std::size_t i = 0; i < n; ++i) {
            Group& g = groups[i];
            siov[i] = {tx.data() + g.offset, g.total};
            msghdr& m = smsgs[i].msg_hdr;
            m = {};
            m.msg_name = &g.to;
            m.msg_namelen = g.to_len;
            m.msg_iov = &siov[i];
            m.msg_iovlen = 1;
            if (g.count > 1) {
                m.msg_control = sctl[i].buf;
                m.msg_controllen = CMSG_SPACE(sizeof(std::uint16_t));
                cmsghdr* c = CMSG_FIRSTHDR(&m);
                c->cmsg_level = SOL_UDP;
                c->cmsg_type = UDP_SEGMENT;
                c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
                const auto seg = static_cast<std::uint16_t>(g.seg);
                std::memcpy(CMSG_DATA(c), &seg, sizeof seg);
            }
        }
        const std::size_t per_call = batch ? n : 1;
        std::size_t i = 0;
        while (i < n) {
            const int r = ::sendmmsg(fd, smsgs.data() + i, static_cast<unsigned>(std::min(per_call, n - i)), 0);
            if (r > 0) {
                ++stats.send_calls;
                i += static_cast<std::size_t>(r);
                continue;
            }
            const int err = errno;
            if (r < 0 && err == EINTR) continue;
            if (r < 0 && (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)) {
                for (; i < n; ++i) lose(groups[i]);   // the buffer is full: the rest is lost
                break;
            }
            const Group& g = groups[i];
            if (g.count > 1 && (err == EIO || err == EINVAL)) {
                if (err == EIO && gso) {
                    gso = false;
                    ++stats.gso_disabled;
                    UVLOG_WARN("UDP GSO failed with EIO (no checksum offload on the route?): sending without it");
                }
                const Lost l = send_singly(g);
                lost.datagrams += l.datagrams;
                lost.bytes += l.bytes;
            } else {
                lose(g);   // unreachable peer, too large, ...: this message is lost
            }
            ++i;
        }
        for (const Group& g : groups) {
            stats.sent_datagrams += g.count;
            stats.sent_bytes += g.total;
        }
        stats.sent_datagrams -= lost.datagrams;
        stats.sent_bytes -= lost.bytes;
        groups.clear();
        tx_used = 0;
        stats.send_errors += lost.datagrams;
        return lost;
    }
};

UdpBatch::UdpBatch(UdpSocket& socket, const UdpOffloadSettings& wanted)
    : impl_(std::make_unique<Impl>(socket.socket.native_handle(), wanted)) {}
UdpBatch::~UdpBatch() = default;
bool UdpBatch::batching() const noexcept { return impl_->batch; }
bool UdpBatch::gso() const noexcept { return impl_->gso; }
bool UdpBatch::gro() const noexcept { return impl_->gro; }
std::span<UdpBatch::Datagram> UdpBatch::receive() { return impl_->receive(); }
MutableByteView UdpBatch::send_buffer() {
    return MutableByteView(impl_->tx.data() + impl_->tx_used, impl_->tx.size() - impl_->tx_used);
}
void UdpBatch::commit(std::size_t size, const asio::ip::udp::endpoint& to) { impl_->commit(size, to); }
bool UdpBatch::pending() const noexcept { return !impl_->groups.empty(); }
bool UdpBatch::drained() const noexcept { return impl_->drained; }
UdpBatch::Lost UdpBatch::flush() { return impl_->groups.empty() ? Lost{} : impl_->flush(); }
const UdpBatch::Stats& UdpBatch::stats() const noexcept { return impl_->stats; }

}  // namespace udpvpn::app
