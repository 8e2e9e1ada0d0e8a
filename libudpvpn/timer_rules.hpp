// SPDX-License-Identifier: GPL-3.0-or-later
// Every protocol timer and the rule that fires it, as pure functions: times in, decision out
// (after WireGuard's timers.c). The objects that hold the times (the handshakes, Session, the
// server endpoint) ask here, so each rule is written once and tested alone (timer_rules_test.cpp).
//
//   timer                  runs from                           when it fires
//   handshake_timeout      the handshake's start               the handshake fails (handshake_timeout)
//   handshake tail         the server handshake's completion   the server stops re-acknowledging
//                          (handshake_timeout long)            a retransmitted client flight
//   handshake_pto          each flight sent                    retransmission (RetransmitTimer, doubling)
//   rekey_after_time       the send key's installation         a rekey starts (the server's 10 s later,
//                                                              so the client's rekey comes first)
//   reject_after_time      the send key's installation         the key seals nothing; the session closes
//   rekey_grace            a rekey                             the previous receive key is dropped
//   keepalive_interval     the last datagram sent              a KEEPALIVE goes out
//   dead_peer_timeout      the last authenticated datagram     the session closes (peer_timeout)
//   reverify_interval      the last certificate check          the peer's chain is verified again
//   close linger (2 s)     DISCONNECT sent or received         the session is forgotten
//   path challenge         the last PATH_CHALLENGE             the next one (control_rto, doubling)
//
// Packet-count limits of a key (AeadLimits) sit beside the time limits in the key rules below.
#pragma once
#include <udpvpn/config.hpp>
#include <udpvpn/types.hpp>

#include <cstdint>

namespace udpvpn {

// How long a closing session waits for its DISCONNECT to be acknowledged.
inline constexpr TimeNs kCloseLinger = 2 * kSecond;
// The server rekeys on time only if the client has not done it this much later (avoids collisions).
inline constexpr TimeNs kServerRekeyDelay = 10 * kSecond;

// --- handshakes
// When a handshake started at `start` fails for want of completion.
TimeNs handshake_deadline(const Timers& t, TimeNs start) noexcept;
// Until when a server re-acknowledges a client flight after its handshake completed at `complete`.
TimeNs handshake_tail_end(const Timers& t, TimeNs complete) noexcept;

// --- the send key of a session (installed at `key_created`, `sent` packets sealed with it)
// When the key is due for a rekey on time: rekey_after_time, the server kServerRekeyDelay later.
TimeNs rekey_time(const Timers& t, Role role, TimeNs key_created) noexcept;
// Whether the key should be replaced now: its packet limit reached or its rekey time come.
bool rekey_due(const Timers& t, Role role, TimeNs key_created, std::uint64_t sent,
               std::uint64_t rekey_after_packets, TimeNs now) noexcept;
// When the key seals nothing more for want of a rekey.
TimeNs key_expiry(const Timers& t, TimeNs key_created) noexcept;
// Whether the key may no longer seal: its hard packet limit reached or its expiry come.
bool key_exhausted(const Timers& t, TimeNs key_created, std::uint64_t sent, std::uint64_t reject_after_packets,
                   TimeNs now) noexcept;
// Whether the key's expiry has come (the session then closes with key_exhausted).
bool key_expired(const Timers& t, TimeNs key_created, TimeNs now) noexcept;
// When the receive key replaced by a rekey at `now` is dropped.
TimeNs previous_key_expiry(const Timers& t, TimeNs now) noexcept;

// --- liveness
TimeNs keepalive_time(const Timers& t, TimeNs last_sent) noexcept;
bool keepalive_due(const Timers& t, TimeNs last_sent, TimeNs now) noexcept;
TimeNs dead_peer_time(const Timers& t, TimeNs last_received) noexcept;
bool peer_dead(const Timers& t, TimeNs last_received, TimeNs now) noexcept;

// --- certificates, closing, roaming
// The next periodic re-verification after a check at `now`.
TimeNs next_reverify_time(const Timers& t, TimeNs now) noexcept;
// When a session that starts closing at `now` is forgotten even without an acknowledgement.
TimeNs close_deadline(TimeNs now) noexcept;
// When the next PATH_CHALLENGE may go out after the try numbered `tries` (from 0) at `now`.
TimeNs next_path_challenge(const Timers& t, TimeNs now, std::uint8_t tries) noexcept;

}  // namespace udpvpn
