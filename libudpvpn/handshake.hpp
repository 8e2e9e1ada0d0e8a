// SPDX-License-Identifier: GPL-3.0-or-later
// The udpvpn v1 handshake as sans-IO state machines (docs/rfc-draft.txt, Sections 7-10):
//
//   client                                                  server
//   INITIAL(ClientHello, cookie?) + PAD × pad_datagrams ->  AdmissionGate: MAC, version, size, cookie
//                                          <- RETRY(cookie)  (only at/above cookie_threshold, no state)
//                              <- SERVER_HELLO              ServerHandshake: suite, eph key, th1
//                              <- HANDSHAKE{EE, CERT, CV, FIN}   (<= 3 × bytes received until validated)
//   verify chain/CV/FIN, th2 -> data keys: ESTABLISHED
//   HANDSHAKE{ACK, CERT, CV, FIN} ->                        verify chain/CV/FIN: COMPLETE
//                              <- HANDSHAKE{ACK}            client: CONFIRMED
//
// Nothing here reads a clock or touches a socket: the caller passes `now`, feeds datagrams and drains
// poll_datagram() until it returns 0 after every call, and calls on_timeout() at next_deadline().
//
// One file per concern: peer_authentication (both sides), client_handshake, admission_gate and
// server_handshake.
#pragma once
#include "admission_gate.hpp"
#include "client_handshake.hpp"
#include "peer_authentication.hpp"
#include "server_handshake.hpp"
