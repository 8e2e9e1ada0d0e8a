// SPDX-License-Identifier: GPL-3.0-or-later
// The tunnel device behind a small interface, so the runtime runs on a Linux TUN device, on an
// in-memory packet pipe in tests, or on another platform's driver. Packets are raw IPv4/IPv6.
#pragma once
#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <memory>
#include <string>

namespace udpvpn::app {

class TunDevice {
public:
    virtual ~TunDevice() = default;
    virtual const std::string& name() const noexcept = 0;
    // A file descriptor that becomes readable when a packet is waiting (non-blocking).
    virtual int native_handle() const noexcept = 0;
    // One packet into `out`. Returns its size, 0 if none is waiting, -1 on a device error.
    virtual long read(MutableByteView out) noexcept = 0;
    // One packet; false if the device refused it (full queue: the packet is dropped, as a router would).
    virtual bool write(ByteView packet) noexcept = 0;
    virtual std::uint16_t mtu() const noexcept = 0;
    virtual void set_mtu(std::uint16_t mtu) noexcept = 0;   // bookkeeping; netlink sets the kernel's
};

// /dev/net/tun with IFF_TUN | IFF_NO_PI. `name` may be a template such as "udpvpn%d".
// Fails (with a message in `error`) without CAP_NET_ADMIN or TUN support.
std::unique_ptr<TunDevice> open_linux_tun(const std::string& name, std::uint16_t mtu, std::string& error);

// A packet pipe (AF_UNIX SOCK_SEQPACKET pair): the device end and the fd of the far end, which a
// test (or a platform bridge) reads and writes whole packets on.
struct PipeTun {
    std::unique_ptr<TunDevice> device;
    int far_fd = -1;
};
PipeTun open_pipe_tun(const std::string& name, std::uint16_t mtu);

}  // namespace udpvpn::app
