// SPDX-License-Identifier: GPL-3.0-or-later
// Which worker of udpvpn-server receives a datagram. The workers' UDP sockets share one port
// (SO_REUSEPORT) and the kernel asks a classic BPF program which of them gets each datagram:
//   - DATA (0x10-0x1F) and HANDSHAKE (0x05) carry the server session ID at offset 1, whose first
//     byte is the route byte of the worker that made the session (docs/rfc-draft.txt, Section 4):
//     worker = route byte - first route byte. A client that roams keeps its worker.
//   - INITIAL (0x01) and PAD (0x02) carry no server session ID: they go by a hash of the source's
//     prefix (IPv4 /24, IPv6 /56, the prefixes of the per-source limits, Section 10.4), so a PAD
//     reaches the worker of its INITIAL [SID-2] and every per-host and per-prefix limit of the
//     admission gate stays exact: one worker sees all of a prefix's handshakes.
//   - Anything else (and a route byte no worker has) goes where the kernel's own hash puts it:
//     the worker drops it, or answers it with a stateless reset.
#pragma once
#include <udpvpn/types.hpp>

#include <linux/filter.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace udpvpn::app {

// The program for `workers` sockets whose route bytes are first_route_byte, +1, ... (mod 256).
std::vector<sock_filter> steering_program(std::uint8_t first_route_byte, unsigned workers);

// The worker the program picks for an INITIAL or PAD from `source` (IPv4: 4 bytes, IPv6: 16).
unsigned initial_worker(const std::vector<std::uint8_t>& source, unsigned workers);

// The worker that owns a session: nullopt if its route byte is none of ours.
std::optional<unsigned> worker_of(SessionId session, std::uint8_t first_route_byte, unsigned workers);

// Attaches `program` to the reuseport group of socket `fd` (SO_ATTACH_REUSEPORT_CBPF); "" or why not.
std::string attach_steering(int fd, const std::vector<sock_filter>& program);

}  // namespace udpvpn::app
