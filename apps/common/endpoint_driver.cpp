// SPDX-License-Identifier: GPL-3.0-or-later
#include "endpoint_driver.hpp"

#include "clock.hpp"
#include "inet.hpp"
#include "log.hpp"

namespace udpvpn::app {

// Datagrams read per wake-up before the endpoint's output is drained: bounds latency under load.
constexpr int kReadBatch = 64;

EndpointDriver::EndpointDriver(asio::io_context& io, UdpSocket& socket, Hooks hooks)
    : io_(io), sock_(socket), hooks_(std::move(hooks)), timer_(io),
      rx_(kMaxDatagram), tx_(kMaxDatagram), inner_(kMaxDatagram) {}

EndpointDriver::~EndpointDriver() {
    asio::error_code ec;
    timer_.cancel();
    sock_.socket.cancel(ec);
}

void EndpointDriver::set_endpoint(Endpoint* ep) {
    ep_ = ep;
    armed_ = kNever;
    timer_.cancel();
    if (ep_) flush();
}

void EndpointDriver::start() {
    reading_ = true;
    arm_read();
}

void EndpointDriver::stop_reading() {
    reading_ = false;
    asio::error_code ec;
    sock_.socket.cancel(ec);   // the pending wait: sends are synchronous and unaffected
}

void EndpointDriver::arm_read() {
    sock_.socket.async_wait(asio::ip::udp::socket::wait_read, [this](const asio::error_code& ec) {
        if (ec || !reading_) return;
        on_readable();
        if (reading_) arm_read();
    });
}

void EndpointDriver::on_readable() {
    asio::ip::udp::endpoint from;
    for (int i = 0; i < kReadBatch; ++i) {
        asio::error_code ec;
        const std::size_t n = sock_.socket.receive_from(asio::buffer(rx_), from, 0, ec);
        if (ec) break;   // would_block, or an ICMP error surfaced on the socket: nothing to read
        ++traffic_.udp_in_datagrams;
        traffic_.udp_in_bytes += n;
        if (!ep_) continue;
        const Received r = ep_->receive(monotonic_now(), peer_from_udp(from), MutableByteView(rx_.data(), n));
        if (r.status == Error::ok && r.has_inner) deliver(r.session, r.protocol, r.inner);
    }
    drain();
}

bool EndpointDriver::send_inner(SessionId session, InnerProtocol protocol, ByteView packet) {
    if (!ep_) return false;
    const Sealed s = ep_->seal(monotonic_now(), session, protocol, packet, MutableByteView(tx_));
    if (s.status != Error::ok) {
        UVLOG_DEBUG("seal for session %08x failed: %s", session, to_string(s.status));
        // seal() may have queued a rekey or a close; let it out.
        drain();
        return false;
    }
    ++traffic_.inner_out_packets;
    traffic_.inner_out_bytes += packet.size();
    send_datagram(ByteView(tx_.data(), s.size), s.to);
    return true;
}

void EndpointDriver::deliver(SessionId session, InnerProtocol protocol, ByteView packet) {
    ++traffic_.inner_in_packets;
    traffic_.inner_in_bytes += packet.size();
    if (hooks_.on_inner) hooks_.on_inner(session, protocol, packet);
}

void EndpointDriver::flush() { drain(); }

void EndpointDriver::send_datagram(ByteView data, const PeerAddress& to) {
    const auto ep = udp_from_peer(to, sock_.v6);
    if (ep.port() == 0) return;
    asio::error_code ec;
    sock_.socket.send_to(asio::buffer(data.data(), data.size()), ep, 0, ec);
    // UDP: a full send buffer or an unreachable peer loses this datagram; the protocol recovers.
    if (ec) {
        ++send_errors_;
        return;
    }
    ++traffic_.udp_out_datagrams;
    traffic_.udp_out_bytes += data.size();
}

void EndpointDriver::drain() {
    if (!ep_ || in_drain_) return;
    in_drain_ = true;
    bool more = true;
    while (more && ep_) {
        more = false;
        while (ep_) {
            auto ev = ep_->poll_event();
            if (!ev) break;
            more = true;
            if (hooks_.on_event) hooks_.on_event(*ev);   // may replace ep_ (client reconnect)
        }
        while (ep_) {
            const auto r = ep_->poll_inner(MutableByteView(inner_));
            if (!r.ok() || r.value.size == 0) break;
            more = true;
            deliver(r.value.session, r.value.protocol, ByteView(inner_.data(), r.value.size));
        }
        while (ep_) {
            PeerAddress to;
            const auto r = ep_->poll_datagram(MutableByteView(tx_), to);
            if (!r.ok() || r.value == 0) break;
            more = true;
            send_datagram(ByteView(tx_.data(), r.value), to);
        }
    }
    in_drain_ = false;
    rearm_timer();
}

void EndpointDriver::rearm_timer() {
    if (!ep_) return;
    const TimeNs d = ep_->next_deadline();
    if (d == armed_) return;
    armed_ = d;
    if (d == kNever) {
        timer_.cancel();
        return;
    }
    timer_.expires_at(to_time_point(d));
    timer_.async_wait([this](const asio::error_code& ec) {
        if (ec || !ep_) return;
        armed_ = kNever;
        ep_->handle_timeout(monotonic_now());
        drain();
    });
}

}  // namespace udpvpn::app
