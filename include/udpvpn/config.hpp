// SPDX-License-Identifier: GPL-3.0-or-later
// Protocol configuration. Every default is the safe one; docs/rfc-draft.txt lists them all.
#pragma once
#include <udpvpn/conformance_fault.hpp>
#include <udpvpn/preshared_key.hpp>
#include <udpvpn/types.hpp>

#include <optional>
#include <string>
#include <vector>

namespace udpvpn {

struct Timers {
    TimeNs rekey_after_time = 120 * kSecond;
    TimeNs reject_after_time = 180 * kSecond;
    TimeNs rekey_grace = 10 * kSecond;         // old receive key kept this long after a rekey
    TimeNs keepalive_interval = 10 * kSecond;
    TimeNs dead_peer_timeout = 45 * kSecond;
    TimeNs handshake_timeout = 10 * kSecond;
    TimeNs handshake_pto = 300 * kMillisecond; // first retransmission timeout, doubles
    TimeNs reverify_interval = 3600 * kSecond;
    TimeNs control_rto = 300 * kMillisecond;
};

// The default suite preference (docs/rfc-draft.txt 9.2, [HS-21]): AES-256-GCM first where this
// CPU runs it with AES and carry-less multiply instructions (libsodium's
// crypto_aead_aes256gcm_is_available()), ChaCha20-Poly1305 first where it does not.
std::vector<Suite> default_suites();

struct CommonConfig {
    std::vector<Suite> suites = default_suites();   // preference order; a named list is used as named
    SharedKey admission_key;                 // pre-shared, optional (copies share it)
    Timers timers{};
    std::uint64_t rekey_after_packets = 0;   // 0 = suite default (AES-GCM 2^22, ChaCha20 2^40)
    std::uint64_t reject_after_packets = 0;  // 0 = suite default (AES-GCM 2^23, ChaCha20 2^60)
    // The UDP payload we may send before path MTU probing found more: 1232 keeps the handshake and
    // everything sent before probing within a 1280-byte path (docs/rfc-draft.txt, 14 and 20.3).
    std::uint16_t max_datagram = 1232;
    // The largest inner packet the tunnel carries (its device's MTU). The client probes the path up
    // to the datagram that carries one (largest_datagram()); at or below what max_datagram carries
    // (1203 bytes; 0 for instance) nothing is probed. 1423: a 1452-byte datagram, the UDP payload
    // of a 1500-byte Ethernet frame over IPv6.
    std::uint16_t inner_mtu = 1423;
    std::uint8_t inner_protocols = 1;        // bit 0: IP, bit 1: PPP
    // Re-verify the peer's chain after every rekey (docs/rfc-draft.txt 12.6), on top of
    // timers.reverify_interval: an expired or newly revoked certificate lasts one rekey interval.
    bool reverify_on_rekey = true;
#ifdef UDPVPN_CONFORMANCE_FAULTS
    ConformanceFault conformance_fault = ConformanceFault::none;   // test builds only: conformance_fault.hpp
#endif
};

struct ClientEndpointConfig : CommonConfig {
    // The name the server's certificate must carry (a SAN dNSName, or an iPAddress for an IP
    // literal). Required: make_client refuses "" unless allow_any_server_name is set, which
    // accepts any server certificate the CA vouches for (EKU serverAuth still required).
    std::string expected_server_name;
    bool allow_any_server_name = false;
    PeerAddress server;
    std::uint8_t pad_datagrams = 3;          // PAD datagrams after INITIAL (raises server budget)
};

struct ServerEndpointConfig : CommonConfig {
    std::uint8_t server_id = 0;              // route byte, top 8 bits of our session IDs
    std::size_t max_sessions = 65536;
    std::size_t max_half_open = 4096;
    std::size_t cookie_threshold = 256;      // half-open count from which INITIAL needs a cookie
    // Per source host (its IP address, any port) and per prefix (IPv4 /24, IPv6 /56), for addresses
    // in the PeerAddress::ipv4/ipv6 encoding (docs/rfc-draft.txt, Section 10.4). 0 = no limit.
    // Over a limit, an INITIAL without a cookie gets a RETRY; with a valid cookie it is refused.
    std::size_t max_half_open_per_source = 32;    // half-open sessions one host may hold
    std::size_t max_half_open_per_prefix = 128;   // ... one /24 or /56
    std::uint32_t handshake_rate_per_source = 10; // new half-open sessions per second (burst as many)
    std::uint32_t handshake_rate_per_prefix = 50;
    std::size_t early_data_limit = 16;
    // Servers behind one load balancer (docs/rfc-draft.txt, Section 10.5) share this key: a RETRY
    // cookie of one is valid at the others, and any of them can send a client a stateless reset
    // for a session it does not know. Unset: cookie secrets are random and no reset is sent.
    SharedKey cluster_key;
    // Added to `now` for the cookie time bucket: servers sharing cluster_key must agree on it, so
    // they pass wall-clock time (CLOCK_REALTIME - CLOCK_MONOTONIC), kept within about 1 s by NTP.
    TimeNs cookie_clock_offset = 0;
    std::uint32_t stateless_reset_rate = 100;     // resets sent per second (burst as many); 0 = none
};

// The former names (the library now speaks of client and server only), kept so that code written
// against them still builds.
using InitiatorConfig = ClientEndpointConfig;
using ResponderConfig = ServerEndpointConfig;

// The largest datagram `c` lets us send or take: the one that carries a whole inner_mtu packet
// (what path MTU probing may find), or max_datagram where that is larger.
std::size_t largest_datagram(const CommonConfig& c) noexcept;

// What validate() found wrong: the member, named as above ("timers.rekey_after_time"), and why.
struct ConfigProblem {
    std::string field;    // empty: nothing wrong
    std::string reason;
    explicit operator bool() const noexcept { return !field.empty(); }
};

// The library's rules for a configuration, kept here and nowhere else: make_client and
// make_server refuse (invalid_argument) what validate() rejects, and a handshake made with it fails
// at once (Error::invalid_argument, nothing sent), so nothing runs outside them.
// Applications add only their own range policy (udpvpn-server: rekey_after_time from 10 to
// 150 s, ...) and report a problem under their own name for the field.
ConfigProblem validate(const CommonConfig& c);
ConfigProblem validate(const ClientEndpointConfig& c);   // the common rules, then the client's
ConfigProblem validate(const ServerEndpointConfig& c);   // the common rules, then the server's

}  // namespace udpvpn
