// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a udpvpn::Endpoint on a UDP socket in an Asio event loop: feeds it every datagram with the
// monotonic time, drains poll_datagram/poll_event/poll_inner after every call, and keeps one timer
// armed for next_deadline(). The application sees inner packets and events through two callbacks.
#pragma once
#include "udp_socket.hpp"

#include <udpvpn/endpoint.hpp>

#include <asio/steady_timer.hpp>

#include <functional>
#include <vector>

namespace udpvpn::app {

class EndpointDriver {
public:
    struct Hooks {
        std::function<void(SessionId, InnerProtocol, ByteView)> on_inner;
        std::function<void(const Event&)> on_event;
    };

    EndpointDriver(asio::io_context& io, UdpSocket& socket, Hooks hooks);
    ~EndpointDriver();

    // The client swaps endpoints on reconnect; nullptr detaches (datagrams are then ignored).
    void set_endpoint(Endpoint* ep);
    Endpoint* endpoint() const noexcept { return ep_; }
    void start();   // begins reading the socket
    // Stops reading (datagrams then wait in, or overflow, the kernel's buffer); sending and the
    // endpoint's timers go on. A server shutting down uses it so that no handshake completes in
    // its last second, with no one left to carry the session.
    void stop_reading();

    // Encrypts and sends one inner packet. False if the session cannot take it (counted by caller).
    bool send_inner(SessionId session, InnerProtocol protocol, ByteView packet);

    // Call after any direct use of the endpoint (connect, push_config, close, set_verifier...).
    void flush();

    std::uint64_t send_errors() const noexcept { return send_errors_; }

    // What passed through since start (the server's metrics): UDP datagrams as the socket saw
    // them, and inner packets handed to the application or sealed for a peer.
    struct Traffic {
        std::uint64_t udp_in_datagrams = 0, udp_in_bytes = 0, udp_out_datagrams = 0, udp_out_bytes = 0;
        std::uint64_t inner_in_packets = 0, inner_in_bytes = 0, inner_out_packets = 0, inner_out_bytes = 0;
    };
    const Traffic& traffic() const noexcept { return traffic_; }

private:
    void arm_read();
    void on_readable();
    void drain();
    void rearm_timer();
    void send_datagram(ByteView data, const PeerAddress& to);

    asio::io_context& io_;
    UdpSocket& sock_;
    Hooks hooks_;
    Endpoint* ep_ = nullptr;
    asio::steady_timer timer_;
    TimeNs armed_ = kNever;
    bool in_drain_ = false;
    bool reading_ = false;
    std::vector<std::uint8_t> rx_, tx_, inner_;
    std::uint64_t send_errors_ = 0;
    Traffic traffic_;
    void deliver(SessionId session, InnerProtocol protocol, ByteView packet);
};

}  // namespace udpvpn::app
