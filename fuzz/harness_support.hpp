// SPDX-License-Identifier: GPL-3.0-or-later
// Shared by the endpoint harnesses: the test PKI, invariant checks, and the handshake traffic key a
// harness-side peer re-derives from its deterministic randomness to forge authenticated packets.
#pragma once
#include "aead.hpp"

#include <udpvpn/certificate.hpp>
#include <udpvpn/types.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace udpvpn::fuzz {

struct Pki {
    Identity server, client;
    std::shared_ptr<X509Verifier> verifier;
};
// tests/pki from $UDPVPN_TEST_PKI (default: the source tree's, compiled in), loaded once.
const Pki& pki();

// Aborts with a message when an invariant does not hold.
void check(bool ok, const char* what);

// The ChaCha20-Poly1305 key of a handshake direction (`client_to_server` picks "c hs" or "s hs"),
// computed from the side whose ephemeral key came from DeterministicRng(seed) (it drew 32 random
// bytes, then the private key), the INITIAL and the SERVER_HELLO. nullopt if they do not parse.
std::optional<AeadKey> handshake_key(std::uint64_t seed, bool seed_is_client, ByteView initial,
                                     ByteView server_hello, const std::optional<std::array<std::uint8_t, 32>>& admission,
                                     bool client_to_server);

// A HANDSHAKE datagram carrying `frames` under `key`.
Bytes seal_handshake(const AeadKey& key, SessionId dst_sid, std::uint32_t pn, ByteView frames);

// Event text must be safe to log: no control characters (peer-supplied text included).
bool printable(const std::string& text);

}  // namespace udpvpn::fuzz
