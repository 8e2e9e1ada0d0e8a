// SPDX-License-Identifier: GPL-3.0-or-later
#include "worker_steering.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

namespace udpvpn::app {
namespace {

constexpr std::uint32_t kHashMultiplier = 0x9e3779b1u;   // Fibonacci hashing
constexpr std::uint32_t kKernelChooses = 0xffffffffu;    // >= the group size: the kernel's hash

sock_filter stmt(std::uint16_t code, std::uint32_t k) { return BPF_STMT(code, k); }
sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
    return BPF_JUMP(code, k, jt, jf);
}

std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

// Offsets are into the UDP payload (the kernel runs the program past the UDP header); the source
// address is read relative to the network header (SKF_NET_OFF). Jump offsets count from the next
// instruction; the listing numbers each instruction.
std::vector<sock_filter> steering_program(std::uint8_t first_route_byte, unsigned workers) {
    const std::uint32_t n = workers == 0 ? 1 : workers;
    const std::uint32_t rebase = (256u - first_route_byte) & 0xffu;
    return {
        /* 0 */ stmt(BPF_LD | BPF_B | BPF_ABS, 0),               // A = packet type
        /* 1 */ jump(BPF_JMP | BPF_JEQ | BPF_K, 0x01, 9, 0),     // INITIAL -> 11
        /* 2 */ jump(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 8, 0),     // PAD -> 11
        /* 3 */ jump(BPF_JMP | BPF_JEQ | BPF_K, 0x05, 2, 0),     // HANDSHAKE -> 6
        /* 4 */ jump(BPF_JMP | BPF_JGE | BPF_K, 0x10, 0, 22),    // below DATA -> 27
        /* 5 */ jump(BPF_JMP | BPF_JGT | BPF_K, 0x1f, 21, 0),    // above DATA -> 27
        /* 6 */ stmt(BPF_LD | BPF_B | BPF_ABS, 1),               // A = route byte
        /* 7 */ stmt(BPF_ALU | BPF_ADD | BPF_K, rebase),
        /* 8 */ stmt(BPF_ALU | BPF_AND | BPF_K, 0xff),           // A = route byte - first (mod 256)
        /* 9 */ jump(BPF_JMP | BPF_JGE | BPF_K, n, 17, 0),       // no worker of ours -> 27
        /* 10 */ stmt(BPF_RET | BPF_A, 0),                       // the session's worker
        /* 11 */ stmt(BPF_LD | BPF_H | BPF_ABS, static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_PROTOCOL)),
        /* 12 */ jump(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 4, 0),  // IPv6 -> 17
        /* 13 */ stmt(BPF_LDX | BPF_W | BPF_IMM, 0),
        /* 14 */ stmt(BPF_LD | BPF_W | BPF_ABS, static_cast<std::uint32_t>(SKF_NET_OFF + 12)),   // IPv4 source
        /* 15 */ stmt(BPF_ALU | BPF_AND | BPF_K, 0xffffff00u),   // its /24
        /* 16 */ stmt(BPF_JMP | BPF_JA, 4),                      // -> 21
        /* 17 */ stmt(BPF_LD | BPF_W | BPF_ABS, static_cast<std::uint32_t>(SKF_NET_OFF + 8)),    // IPv6 source 0-3
        /* 18 */ stmt(BPF_MISC | BPF_TAX, 0),
        /* 19 */ stmt(BPF_LD | BPF_W | BPF_ABS, static_cast<std::uint32_t>(SKF_NET_OFF + 12)),   // IPv6 source 4-7
        /* 20 */ stmt(BPF_ALU | BPF_AND | BPF_K, 0xffffff00u),   // with bytes 0-3: the /56
        /* 21 */ stmt(BPF_ALU | BPF_XOR | BPF_X, 0),
        /* 22 */ stmt(BPF_ALU | BPF_MUL | BPF_K, kHashMultiplier),
        /* 23 */ stmt(BPF_ALU | BPF_RSH | BPF_K, 16),            // the product's top 16 bits ...
        /* 24 */ stmt(BPF_ALU | BPF_MUL | BPF_K, n),
        /* 25 */ stmt(BPF_ALU | BPF_RSH | BPF_K, 16),            // ... scaled to 0 .. n-1
        /* 26 */ stmt(BPF_RET | BPF_A, 0),                       // the prefix's worker
        /* 27 */ stmt(BPF_RET | BPF_K, kKernelChooses),
    };
}

unsigned initial_worker(const std::vector<std::uint8_t>& source, unsigned workers) {
    const std::uint32_t n = workers == 0 ? 1 : workers;
    std::uint32_t a = 0, x = 0;
    if (source.size() == 4) {
        a = load_be32(source.data()) & 0xffffff00u;
    } else if (source.size() == 16) {
        x = load_be32(source.data());
        a = load_be32(source.data() + 4) & 0xffffff00u;
    }
    const std::uint32_t top = ((a ^ x) * kHashMultiplier) >> 16;   // Fibonacci hashing: the top bits
    return static_cast<unsigned>((top * n) >> 16);
}

std::optional<unsigned> worker_of(SessionId session, std::uint8_t first_route_byte, unsigned workers) {
    const unsigned index = ((session >> 24) - first_route_byte) & 0xffu;
    if (index >= workers) return std::nullopt;
    return index;
}

std::string attach_steering(int fd, const std::vector<sock_filter>& program) {
    sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
    if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog) != 0)
        return std::string("SO_ATTACH_REUSEPORT_CBPF: ") + std::strerror(errno);
    return "";
}

}  // namespace udpvpn::app
