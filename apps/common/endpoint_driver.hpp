// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a udpvpn::Endpoint on a UDP socket in an Asio event loop. The driver owns the endpoint, the
// socket and the clock: it feeds the endpoint every datagram with the monotonic time, keeps one
// timer armed for next_deadline(), and after every call into the endpoint drains what it produced
// (datagrams out, events and inner packets to the application's two hooks). The applications call
// the driver, never the endpoint, and read the time from it, never from the system.
#pragma once
#include "udp_batch.hpp"
#include "udp_socket.hpp"

#include <udpvpn/endpoint.hpp>

#include <asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace udpvpn::app {

class EndpointDriver {
public:
    struct Hooks {
        std::function<void(SessionId, InnerProtocol, ByteView)> on_inner;
        std::function<void(const Event&)> on_event;   // may call back into the driver
        // Writes out the inner packets on_inner queued (the TUN device's flush()): called by
        // flush(), before the datagrams leave.
        std::function<void()> flush_inner;
    };

    EndpointDriver(asio::io_context& io, Hooks hooks);
    ~EndpointDriver();
    EndpointDriver(const EndpointDriver&) = delete;
    EndpointDriver& operator=(const EndpointDriver&) = delete;

    // --- The clock: the applications' only source of time.
    TimeNs now() const noexcept;
    TimeNs started() const noexcept { return started_; }   // when the driver was made
    // Unix seconds at monotonic time `t` (status replies and metrics show times people read).
    std::int64_t unix_seconds(TimeNs t) const noexcept;

    // --- The endpoint. A client's next endpoint replaces the previous one (reconnection).
    // Cookie buckets of a responder run on wall-clock time, so that every server of a cluster
    // agrees (docs/rfc-draft.txt, Section 10.5): the driver sets config.cookie_clock_offset.
    // The endpoint takes what it keeps from `config`; the caller wipes the keys left in it.
    Error make_responder(ResponderConfig&& config, Identity identity,
                         std::shared_ptr<const CertificateVerifier> verifier);
    Error make_initiator(InitiatorConfig&& config, Identity identity,
                         std::shared_ptr<const CertificateVerifier> verifier);
    void drop_endpoint();   // datagrams are then read and ignored
    bool has_endpoint() const noexcept { return ep_ != nullptr; }

    // --- The socket.
    // Takes the socket and begins reading it, in batches with the kernel offloads `offloads`
    // allows where the kernel has them ([offload]).
    void start(UdpSocket socket, const UdpOffloadSettings& offloads = {});
    // What the UDP socket uses after probing the kernel: "batch gso gro", "none".
    std::string udp_offloads() const;
    // Stops reading (datagrams then wait in, or overflow, the kernel's buffer); sending and the
    // endpoint's timers go on. A server shutting down uses it so that no handshake completes in
    // its last second, with no one left to carry the session.
    void stop_reading();
    std::uint16_t local_port() const;
    bool dual_stack() const noexcept { return sock_ && sock_->v6; }   // IPv6 socket, IPv4 mapped

    // --- Session operations. Each one sends what the endpoint produced before it returns.
    Result<SessionId> connect();
    Error close(SessionId session, Error reason, std::string_view text);
    Error push_config(SessionId session, const ConfigPush& config);
    Error ping(SessionId session, std::uint64_t token);
    // Re-verifies every session against the new CA/CRL: refused ones get `closed` events.
    void set_verifier(std::shared_ptr<const CertificateVerifier> verifier);
    std::vector<SessionId> sessions() const;
    std::optional<SessionInfo> session_info(SessionId session) const;
    const EndpointStats& stats() const noexcept;   // zeros without an endpoint

    // --- The data path, in batches (today the applications pass one packet at a time).
    struct OutboundPacket {
        SessionId session = 0;
        InnerProtocol protocol = InnerProtocol::ipv4;
        ByteView packet;
        bool sent = false;   // set by send_inner: false if the session could not take it
    };
    // Encrypts each packet and queues it for sending; returns how many were sealed (the caller
    // counts the others). Queued datagrams leave together at the end of this event-loop turn
    // (sendmmsg, GSO runs to one peer).
    std::size_t send_inner(std::span<OutboundPacket> batch);
    bool send_inner(SessionId session, InnerProtocol protocol, ByteView packet);
    // Sends now what is queued (hooks.flush_inner first), instead of at the end of the turn. A
    // handler that read one batch calls it before it reads again: in an idle tunnel that read
    // finds nothing, and a lone packet would wait for it, the re-arm and the event loop's next poll.
    void flush();

    // Datagrams read from the socket, handed to the endpoint as one batch.
    struct InboundDatagram {
        MutableByteView data;   // decrypted in place: inner packets point into it
        PeerAddress from;
    };
    void receive(std::span<InboundDatagram> batch);

    std::uint64_t send_errors() const noexcept { return batch_ ? batch_->stats().send_errors : 0; }

    // What passed through since start (the server's metrics): UDP datagrams as the socket saw
    // them, and inner packets handed to the application or sealed for a peer.
    struct Traffic {
        std::uint64_t udp_in_datagrams = 0, udp_in_bytes = 0, udp_out_datagrams = 0, udp_out_bytes = 0;
        std::uint64_t inner_in_packets = 0, inner_in_bytes = 0, inner_out_packets = 0, inner_out_bytes = 0;
    };
    const Traffic& traffic() const noexcept {
        if (batch_) {
            traffic_.udp_out_datagrams = batch_->stats().sent_datagrams;
            traffic_.udp_out_bytes = batch_->stats().sent_bytes;
        }
        return traffic_;
    }

private:
    void attach(std::unique_ptr<Endpoint> ep);
    void arm_read();
    void on_readable();
    void drain();
    void rearm_timer();
    MutableByteView send_buffer();
    void queue_datagram(std::size_t size, const PeerAddress& to);   // from send_buffer()
    void schedule_flush();
    void deliver(SessionId session, InnerProtocol protocol, ByteView packet);

    asio::io_context& io_;
    Hooks hooks_;
    std::optional<UdpSocket> sock_;
    std::unique_ptr<Endpoint> ep_;
    std::unique_ptr<Endpoint> retired_;   // replaced while its events were being handled
    asio::steady_timer timer_;
    TimeNs started_;
    TimeNs armed_ = kNever;
    bool in_drain_ = false;
    bool reading_ = false;
    std::unique_ptr<UdpBatch> batch_;   // on sock_, from start()
    std::vector<InboundDatagram> inbound_;
    bool flush_posted_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);   // for the posted flush
    std::vector<std::uint8_t> tx_, inner_;   // tx_: sealing before start() (nothing is sent)
    mutable Traffic traffic_;
};

}  // namespace udpvpn::app
