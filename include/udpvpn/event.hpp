// SPDX-License-Identifier: GPL-3.0-or-later
// Events an endpoint reports; drained with Endpoint::poll_event().
#pragma once
#include <udpvpn/certificate.hpp>
#include <udpvpn/config_push.hpp>
#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <string>

namespace udpvpn {

enum class EventType : std::uint8_t {
    established,      // handshake done: peer, suite, address
    rekeyed,          // new keys in use: epoch
    closed,           // session gone: reason, text
    config_received,  // client: the server pushed configuration
    pong,             // answer to ping(): token
    mtu_changed,      // path MTU probing result: mtu (inner MTU)
    address_changed,  // server: the client roamed to address
    control_message,  // an application control message: msg_type, body
};

struct Event {
    EventType type{};
    SessionId session = 0;
    Error reason = Error::ok;        // closed
    std::string text;                // closed: reason text (ours or the peer's)
    PeerIdentity peer;               // established; closed before established: only common_name,
                                     // the name a refused certificate claims (unverified, maybe "")
    Suite suite{};                   // established
    PeerAddress address;             // established, address_changed
    std::uint64_t epoch = 0;         // rekeyed
    ConfigPush config;               // config_received
    std::uint64_t token = 0;         // pong
    std::uint16_t mtu = 0;           // mtu_changed
};

}  // namespace udpvpn
