// SPDX-License-Identifier: GPL-3.0-or-later
// TUN offloads (IFF_VNET_HDR + TUNSETOFFLOAD): every frame the kernel hands us starts with a
// virtio_net_hdr, and a TCP or UDP frame may be a "super-packet" of up to 64 KB that the kernel did
// not segment (TSO/USO) and whose transport checksum it left partial. VnetSplitter turns such a
// frame back into the packets it stands for, each with complete IP and transport checksums, so
// that what we encrypt and send is exactly what the kernel would have sent without offloads.
// Pure code: no device, testable with hand-built frames.
#pragma once
#include <udpvpn/types.hpp>

#include <cstddef>
#include <cstdint>

namespace udpvpn::app {

// The legacy virtio_net_hdr (linux/virtio_net.h), 10 bytes, in the host's byte order (TUN uses
// the host's order unless told otherwise with TUNSETVNETLE/BE, which we never call).
struct VnetHeader {
    std::uint8_t flags = 0;
    std::uint8_t gso_type = 0;
    std::uint16_t hdr_len = 0;
    std::uint16_t gso_size = 0;
    std::uint16_t csum_start = 0;
    std::uint16_t csum_offset = 0;
};
inline constexpr std::size_t kVnetHeaderSize = 10;
inline constexpr std::uint8_t kVnetNeedsCsum = 1;     // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr std::uint8_t kVnetGsoNone = 0;       // VIRTIO_NET_HDR_GSO_NONE
inline constexpr std::uint8_t kVnetGsoTcpV4 = 1;      // VIRTIO_NET_HDR_GSO_TCPV4
inline constexpr std::uint8_t kVnetGsoTcpV6 = 4;      // VIRTIO_NET_HDR_GSO_TCPV6
inline constexpr std::uint8_t kVnetGsoUdpL4 = 5;      // VIRTIO_NET_HDR_GSO_UDP_L4 (USO)
inline constexpr std::uint8_t kVnetGsoEcn = 0x80;     // VIRTIO_NET_HDR_GSO_ECN

VnetHeader read_vnet_header(const std::uint8_t* p) noexcept;
void write_vnet_header(const VnetHeader& h, std::uint8_t* p) noexcept;

// The Internet checksum (RFC 1071) of `data` added to `initial` (a partial sum, not complemented),
// folded to 16 bits, not complemented.
std::uint16_t ones_complement_sum(ByteView data, std::uint32_t initial = 0) noexcept;

// Splits one frame (vnet header + IP packet) into packets, one next() at a time.
class VnetSplitter {
public:
    // Takes a frame read from the device; the splitter reads from it (and may complete a checksum
    // in it) until next() returns 0. False if the frame is malformed or of a kind we did not
    // enable (it is then dropped, as a router drops what it cannot parse).
    bool start(MutableByteView frame) noexcept;
    // Writes the next packet into `out` and returns its size; 0 when the frame is done, or when
    // `out` is too small for a segment (the rest of the frame is then dropped).
    std::size_t next(MutableByteView out) noexcept;
    // Packets the current frame stands for (1 for a frame without GSO).
    std::size_t count() const noexcept { return count_; }
    // True until next() has handed out (or given up on) the current frame's last packet.
    bool pending() const noexcept { return done_ < count_; }

private:
    MutableByteView packet_;   // the IP packet after the vnet header
    std::size_t l4_ = 0;       // offset of the TCP/UDP header in packet_
    std::size_t headers_ = 0;  // IP + TCP/UDP header bytes copied into every segment
    std::size_t seg_ = 0;      // payload bytes per segment (gso_size); 0: not a GSO frame
    std::size_t count_ = 0, done_ = 0;
    bool v6_ = false, tcp_ = false;
};

}  // namespace udpvpn::app
