// SPDX-License-Identifier: GPL-3.0-or-later
// Endpoints driven by hand, as an attacker or a flood would drive a server (security_test,
// server_endpoint_test): made-up INITIALs, and every datagram an endpoint emits, with its address.
#pragma once
#include "wire_format.hpp"

#include <udpvpn/endpoint.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace udpvpn::sim {

// A well-formed INITIAL (1232 bytes, zero admission key) for client i; any 32 bytes do as its
// ephemeral key for the server's purposes.
inline Bytes initial_for(std::uint32_t i, ByteView cookie = {}) {
    static const std::uint8_t suites[2] = {0x00, 0x01};
    InitialFields f;
    f.client_sid = i;
    for (std::size_t k = 0; k < 32; ++k) {
        f.client_random[k] = static_cast<std::uint8_t>(i * 7 + k);
        f.client_eph_pub[k] = static_cast<std::uint8_t>((i >> (8 * (k % 4))) ^ (k * 29 + 1));
    }
    f.suites = suites;
    f.cookie = cookie;
    Bytes out(1232);
    const std::array<std::uint8_t, 32> zero{};
    REQUIRE(encode_initial(f, zero, out.size(), out).ok());
    return out;
}

struct Sent {
    PeerAddress to;
    Bytes bytes;
};

// Every datagram `ep` has to send, in order; its events go to `events`, or are discarded. The
// buffer is static, so that a test counting heap bytes sees only what the endpoint and the result
// allocate.
inline std::vector<Sent> drain(Endpoint& ep, std::vector<Event>* events = nullptr) {
    std::vector<Sent> out;
    static std::uint8_t buf[kMaxDatagram];
    for (;;) {
        PeerAddress to;
        auto r = ep.poll_datagram(buf, to);
        REQUIRE(r.ok());
        if (r.value == 0) break;
        out.push_back({to, Bytes(buf, buf + r.value)});
    }
    while (std::optional<Event> e = ep.poll_event())
        if (events) events->push_back(std::move(*e));
    return out;
}

}  // namespace udpvpn::sim
