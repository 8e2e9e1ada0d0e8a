// SPDX-License-Identifier: GPL-3.0-or-later
// The tunnel device behind a small interface, so the runtime runs on a Linux TUN device, on
// Windows' Wintun, or on the loopback test backend. Packets are raw IPv4/IPv6.
#pragma once
#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace udpvpn::app {

// Ends the watch when destroyed.
struct ReadWatch {
    virtual ~ReadWatch() = default;
};

class TunDevice {
public:
    virtual ~TunDevice() = default;
    virtual const std::string& name() const noexcept = 0;
    // True for an interface the operating system knows by name(): addresses, routes and DNS are
    // then applied to it. False for the test backend, which has nothing to configure.
    virtual bool system_interface() const noexcept { return true; }
    // Calls `on_readable` from the event loop whenever packets may be waiting. It read()s a batch
    // and returns true if it stopped before read() returned 0: it is then called again soon
    // (Wintun signals only an empty ring turning non-empty, so "wait again" would stall).
    using OnReadable = std::function<bool()>;
    virtual std::unique_ptr<ReadWatch> watch(asio::io_context& io, OnReadable on_readable) = 0;
    // One packet into `out`. Returns its size, 0 if none is waiting, -1 on a device error.
    virtual long read(MutableByteView out) noexcept = 0;
    // One packet; false if the device refused it (full queue: the packet is dropped, as a router would).
    // A device may queue it until flush() or the end of the event-loop turn (Linux with offloads,
    // to join runs of TCP segments).
    virtual bool write(ByteView packet) noexcept = 0;
    // Writes out now what write() queued. The read handlers call it before they read again, so
    // that a lone packet does not wait for the rest of the turn.
    virtual void flush() noexcept {}
    // True while read() still hands out segments of a super-packet it has already read: the next
    // read() makes no system call.
    virtual bool segments_pending() const noexcept { return false; }
    // The kernel offloads in use ("tso4 tso6 uso4 uso6"), "" for none: for the log.
    virtual std::string offloads() const { return ""; }
    virtual std::uint16_t mtu() const noexcept = 0;
    virtual void set_mtu(std::uint16_t mtu) noexcept = 0;   // bookkeeping; host_network sets the system's
};

// The platform's tunnel device: /dev/net/tun (IFF_TUN | IFF_NO_PI) on Linux, where `name` may be
// a template such as "udpvpn%d"; a Wintun adapter on Windows. Fails with a message in `error`
// (no privileges, no TUN support, no wintun.dll). `offloads`: on Linux, IFF_VNET_HDR with TSO/USO
// where the kernel accepts them (the device then reads 64 KB super-packets and read() hands them
// out segment by segment); ignored elsewhere.
std::unique_ptr<TunDevice> open_system_tun(const std::string& name, std::uint16_t mtu, bool offloads,
                                           std::string& error);
// One device with `queues` queues (Linux IFF_MULTI_QUEUE), one TunDevice per queue, each to be
// read and written by one thread; the kernel spreads the packets it sends among the queues by
// flow (and steers a flow to the queue that last wrote its other direction). Same `offloads` on
// every queue. Where the platform has no queues, an error.
std::vector<std::unique_ptr<TunDevice>> open_system_tun_queues(const std::string& name, std::uint16_t mtu, bool offloads,
                                                               unsigned queues, std::string& error);
// Why `name` cannot be our TUN device, checked without creating anything ("" if it can): on Linux,
// an existing interface of another kind ("lo", "eth0"). Templates such as "udpvpn%d" always can.
std::string tun_name_problem(const std::string& name);

// The test backend, the same on every platform: each inner packet is one UDP datagram between
// `listen` and `peer`, both loopback host:port ("127.0.0.1:40001"). A test (or a packet
// generator) on the peer port plays the operating system's IP stack; no driver, no privileges.
std::unique_ptr<TunDevice> open_loopback_tun(asio::io_context& io, const std::string& listen, const std::string& peer,
                                             std::uint16_t mtu, std::string& error);
// "127.0.0.1:40001", "[::1]:40001": a loopback address literal and a port, or nothing.
std::optional<asio::ip::udp::endpoint> parse_loopback_endpoint(const std::string& text);

}  // namespace udpvpn::app
