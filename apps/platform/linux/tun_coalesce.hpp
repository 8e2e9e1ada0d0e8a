// SPDX-License-Identifier: GPL-3.0-or-later
// The write side of TUN offloads: consecutive TCP segments of one flow that the tunnel delivers in
// one event-loop turn are joined into one super-packet (virtio_net_hdr with GSO_TCPV4/V6 and a
// partial checksum), as a NIC's receive offload would, so the kernel takes 64 KB per write and
// runs its TCP receive path once per super-packet. The rules are those of Linux's own TCP GRO:
// same flow, sequence numbers that follow on, the same ACK, window, options and IP fields, every
// segment but the last of the same size, a checksum that verifies; everything else is written as
// it came (behind a zero virtio_net_hdr), in order within its flow. Pure code, testable.
#pragma once
#include <udpvpn/types.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace udpvpn::app {

class TunCoalescer {
public:
    TunCoalescer();
    // Takes a copy of one IP packet. False if the queue is full: flush() first.
    bool add(ByteView packet);
    bool empty() const noexcept { return used_ == 0; }
    // Hands out every queued frame (virtio_net_hdr + packet), then empties the queue.
    template <class Write> void flush(Write&& write) {
        for (std::size_t i = 0; i < used_; ++i) write(finish(frames_[i]));
        used_ = 0;
    }
    static constexpr std::size_t kMaxFrames = 32;

private:
    struct Frame {
        std::vector<std::uint8_t> buf;   // virtio_net_hdr, then the packet
        std::size_t size = 0;            // bytes of buf in use
        bool open = false;               // more segments may join
        bool tcp = false;                // flow is known: later packets of it stay behind this one
        bool v6 = false;
        std::size_t l4 = 0, headers = 0;   // offsets in the packet (after the vnet header)
        std::size_t seg = 0, last = 0, count = 0;
        std::uint32_t next_seq = 0;
        std::array<std::uint8_t, 36> flow{};   // addresses and ports
    };
    ByteView finish(Frame& f) noexcept;
    bool join(Frame& f, ByteView p, std::size_t l4, std::size_t headers) noexcept;

    std::vector<Frame> frames_;
    std::size_t used_ = 0;
};

}  // namespace udpvpn::app
