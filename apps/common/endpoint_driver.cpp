// SPDX-License-Identifier: GPL-3.0-or-later
#include "endpoint_driver.hpp"

#include "clock.hpp"
#include "inet.hpp"
#include "log.hpp"

#include <udpvpn/rng.hpp>

#include <asio/post.hpp>

namespace udpvpn::app {

// Receive batches (UdpBatch::receive) per wake-up before the endpoint's output is drained: bounds
// latency under load.
constexpr int kReadBatches = 2;

EndpointDriver::EndpointDriver(asio::io_context& io, Hooks hooks)
    : io_(io), hooks_(std::move(hooks)), timer_(io), started_(monotonic_now()),
      tx_(kMaxDatagram), inner_(kMaxDatagram) {}

EndpointDriver::~EndpointDriver() {
    *alive_ = false;
    if (batch_) batch_->flush();   // a CLOSE queued in the last turn still leaves
    asio::error_code ec;
    timer_.cancel();
    if (sock_) sock_->socket.cancel(ec);
}

TimeNs EndpointDriver::now() const noexcept { return monotonic_now(); }

std::int64_t EndpointDriver::unix_seconds(TimeNs t) const noexcept {
    return static_cast<std::int64_t>((t + wall_clock_offset()) / kSecond);
}

Error EndpointDriver::make_responder(ResponderConfig&& config, Identity identity,
                                     std::shared_ptr<const CertificateVerifier> verifier) {
    config.cookie_clock_offset = wall_clock_offset();
    auto made = Endpoint::make_responder(std::move(config), std::move(identity), std::move(verifier),
                                         std::make_shared<SystemRng>());
    if (!made) return made.error;
    attach(std::move(made.value));
    return Error::ok;
}

Error EndpointDriver::make_initiator(InitiatorConfig&& config, Identity identity,
                                     std::shared_ptr<const CertificateVerifier> verifier) {
    auto made = Endpoint::make_initiator(std::move(config), std::move(identity), std::move(verifier),
                                         std::make_shared<SystemRng>());
    if (!made) return made.error;
    attach(std::move(made.value));
    return Error::ok;
}

void EndpointDriver::drop_endpoint() { attach(nullptr); }

void EndpointDriver::attach(std::unique_ptr<Endpoint> ep) {
    // An endpoint replaced from inside its own event hook dies after that drain, not under it.
    if (in_drain_) retired_ = std::move(ep_);
    ep_ = std::move(ep);
    armed_ = kNever;
    timer_.cancel();
    if (ep_) drain();
}

void EndpointDriver::start(UdpSocket socket, const UdpOffloadSettings& offloads) {
    sock_.emplace(std::move(socket));
    batch_ = std::make_unique<UdpBatch>(*sock_, offloads);
    reading_ = true;
    arm_read();
}

std::string EndpointDriver::udp_offloads() const {
    if (!batch_) return "none";
    std::string s;
    if (batch_->batching()) s += "batch ";
    if (batch_->gso()) s += "gso ";
    if (batch_->gro()) s += "gro ";
    if (s.empty()) return "none";
    s.pop_back();
    return s;
}

void EndpointDriver::stop_reading() {
    reading_ = false;
    asio::error_code ec;
    if (sock_) sock_->socket.cancel(ec);   // the pending wait: sends are synchronous and unaffected
}

std::uint16_t EndpointDriver::local_port() const {
    asio::error_code ec;
    return sock_ ? sock_->socket.local_endpoint(ec).port() : 0;
}

Result<SessionId> EndpointDriver::connect() {
    if (!ep_) return Result<SessionId>{0, Error::unknown_session};
    auto r = ep_->connect(now());
    drain();
    return r;
}

Error EndpointDriver::close(SessionId session, Error reason, std::string_view text) {
    if (!ep_) return Error::unknown_session;
    const Error e = ep_->close(now(), session, reason, text);
    drain();
    return e;
}

Error EndpointDriver::push_config(SessionId session, const ConfigPush& config) {
    if (!ep_) return Error::unknown_session;
    const Error e = ep_->push_config(now(), session, config);
    drain();
    return e;
}

Error EndpointDriver::ping(SessionId session, std::uint64_t token) {
    if (!ep_) return Error::unknown_session;
    const Error e = ep_->ping(now(), session, token);
    drain();
    return e;
}

void EndpointDriver::set_verifier(std::shared_ptr<const CertificateVerifier> verifier) {
    if (!ep_) return;
    ep_->set_verifier(now(), std::move(verifier));
    drain();
}

std::vector<SessionId> EndpointDriver::sessions() const {
    return ep_ ? ep_->sessions() : std::vector<SessionId>{};
}

std::optional<SessionInfo> EndpointDriver::session_info(SessionId session) const {
    return ep_ ? ep_->session_info(session) : std::nullopt;
}

const EndpointStats& EndpointDriver::stats() const noexcept {
    static const EndpointStats none{};
    return ep_ ? ep_->stats() : none;
}

void EndpointDriver::arm_read() {
    sock_->socket.async_wait(asio::ip::udp::socket::wait_read, [this](const asio::error_code& ec) {
        if (ec || !reading_) return;
        on_readable();
        if (reading_) arm_read();
    });
}

void EndpointDriver::on_readable() {
    for (int i = 0; i < kReadBatches; ++i) {
        const auto got = batch_->receive();   // empty: nothing waiting, or an ICMP error surfaced
        inbound_.clear();
        for (const UdpBatch::Datagram& d : got) inbound_.push_back({d.data, peer_from_udp(*d.from)});
        receive(inbound_);
        // What the batch produced leaves before any further read; a socket found empty is not
        // read again (the re-arm's wait reports what arrives next).
        drain();
        flush();
        if (got.empty() || batch_->drained()) return;
    }
}

void EndpointDriver::flush() {
    if (hooks_.flush_inner) hooks_.flush_inner();
    if (batch_) batch_->flush();
}

void EndpointDriver::receive(std::span<InboundDatagram> batch) {
    const TimeNs t = now();
    for (InboundDatagram& d : batch) {
        ++traffic_.udp_in_datagrams;
        traffic_.udp_in_bytes += d.data.size();
        if (!ep_) continue;
        const Received r = ep_->receive(t, d.from, d.data);
        if (r.status == Error::ok && r.has_inner) deliver(r.session, r.protocol, r.inner);
    }
}

std::size_t EndpointDriver::send_inner(std::span<OutboundPacket> batch) {
    std::size_t sent = 0;
    const TimeNs t = now();
    for (OutboundPacket& p : batch) {
        p.sent = false;
        if (!ep_) continue;
        const Sealed s = ep_->seal(t, p.session, p.protocol, p.packet, send_buffer());
        if (s.status != Error::ok) {
            UVLOG_DEBUG("seal for session %08x failed: %s", p.session, to_string(s.status));
            // seal() may have queued a rekey or a close; let it out.
            drain();
            continue;
        }
        ++traffic_.inner_out_packets;
        traffic_.inner_out_bytes += p.packet.size();
        queue_datagram(s.size, s.to);
        p.sent = true;
        ++sent;
    }
    return sent;
}

bool EndpointDriver::send_inner(SessionId session, InnerProtocol protocol, ByteView packet) {
    OutboundPacket p{session, protocol, packet};
    return send_inner(std::span<OutboundPacket>(&p, 1)) == 1;
}

void EndpointDriver::deliver(SessionId session, InnerProtocol protocol, ByteView packet) {
    ++traffic_.inner_in_packets;
    traffic_.inner_in_bytes += packet.size();
    if (hooks_.on_inner) hooks_.on_inner(session, protocol, packet);
}

MutableByteView EndpointDriver::send_buffer() { return batch_ ? batch_->send_buffer() : MutableByteView(tx_); }

void EndpointDriver::queue_datagram(std::size_t size, const PeerAddress& to) {
    if (!batch_) return;   // not started: no socket to send on
    const auto ep = udp_from_peer(to, sock_->v6);
    if (ep.port() == 0) return;
    batch_->commit(size, ep);
    schedule_flush();
}

// Datagrams queued in this event-loop turn leave together once the turn's handler returns: a
// batch of TUN reads, or of received datagrams, becomes one sendmmsg (and GSO runs). UDP: a full
// send buffer or an unreachable peer loses datagrams (send_errors()); the protocol recovers.
void EndpointDriver::schedule_flush() {
    if (flush_posted_ || !batch_->pending()) return;
    flush_posted_ = true;
    asio::post(io_, [this, alive = alive_] {
        if (!*alive) return;
        flush_posted_ = false;
        batch_->flush();
    });
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
            const auto r = ep_->poll_datagram(send_buffer(), to);
            if (!r.ok() || r.value == 0) break;
            more = true;
            queue_datagram(r.value, to);
        }
    }
    in_drain_ = false;
    retired_.reset();
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
        ep_->handle_timeout(now());
        drain();
    });
}

}  // namespace udpvpn::app
