// SPDX-License-Identifier: GPL-3.0-or-later
// Datagrams to and from the UDP socket in batches: on Linux recvmmsg/sendmmsg, with UDP_GRO on
// receive (the kernel hands over runs of same-sized datagrams from one sender as one buffer) and
// UDP_SEGMENT (GSO) on send (runs to one peer go down as one buffer the kernel or the NIC cuts
// up). Elsewhere, one datagram per system call behind the same interface.
//
// Sending: seal straight into send_buffer(), then commit() the size and destination. Datagrams
// are queued and leave, in order, at flush() (or when the queue is full); the caller flushes once
// it has nothing more to send right now (the driver: at the end of the event-loop turn).
#pragma once
#include "udp_socket.hpp"

#include <udpvpn/types.hpp>

#include <cstdint>
#include <memory>
#include <span>

namespace udpvpn::app {

// What the user may turn off ([udp] in server.toml/client.toml). On means "if the kernel has it".
struct UdpOffloadSettings {
    bool batch = true;   // recvmmsg/sendmmsg; off: one datagram per system call
    bool gso = true;     // UDP_SEGMENT on send
    bool gro = true;     // UDP_GRO on receive
};

class UdpBatch {
public:
    struct Datagram {
        MutableByteView data;
        const asio::ip::udp::endpoint* from;   // valid until the next receive()
    };
    struct Stats {
        std::uint64_t sent_datagrams = 0, sent_bytes = 0;  // handed to the kernel
        std::uint64_t send_calls = 0, receive_calls = 0;   // system calls that moved datagrams
        std::uint64_t send_errors = 0;                     // datagrams the kernel refused (lost)
        std::uint64_t truncated = 0;                       // received datagrams too large for a slot
        std::uint64_t gso_disabled = 0;                    // GSO turned off after the kernel failed it
    };

    UdpBatch(UdpSocket& socket, const UdpOffloadSettings& wanted);
    ~UdpBatch();
    UdpBatch(const UdpBatch&) = delete;
    UdpBatch& operator=(const UdpBatch&) = delete;

    // What is in use after probing the kernel (and after any fallback since).
    bool batching() const noexcept;
    bool gso() const noexcept;
    bool gro() const noexcept;

    // Reads what is waiting (one batch); empty when nothing is. GRO buffers arrive split into
    // their datagrams. The views stay valid until the next receive().
    std::span<Datagram> receive();
    // A batch holds at most 32 datagrams or GRO buffers and, with UDP_GRO, about this many bytes
    // (the number of buffers follows the size of the last batch's): the caller opens and delivers
    // a batch before its event loop turns again, and the traffic the other way (a TCP stream's
    // ACKs, a ping's reply) waits for that turn.
    static constexpr std::size_t kMaxGroReceiveBytes = 256 * 1024;
    // True when the last receive() found the socket empty before its batch was full: calling it
    // again would only find nothing (what arrives later wakes the next wait of the event loop).
    bool drained() const noexcept;

    // Room for the next datagram to send (at least kMaxDatagram bytes).
    MutableByteView send_buffer();
    // Queues the send_buffer()'s first `size` bytes for `to`.
    void commit(std::size_t size, const asio::ip::udp::endpoint& to);
    bool pending() const noexcept;
    // Sends everything queued. Returns what the kernel refused (a full buffer, an unreachable
    // peer): lost, as UDP allows.
    struct Lost {
        std::size_t datagrams = 0, bytes = 0;
    };
    Lost flush();

    const Stats& stats() const noexcept;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace udpvpn::app
