// SPDX-License-Identifier: GPL-3.0-or-later
// Shared by the endpoint harnesses: the test PKI, invariant checks, the handshake traffic key a
// harness-side peer re-derives from its deterministic randomness to forge authenticated packets, and
// the input format and operations both harnesses run.
#pragma once
#include "aead.hpp"
#include "session.hpp"

#include <udpvpn/certificate.hpp>
#include <udpvpn/types.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace udpvpn::fuzz {

struct Pki {
    Identity server, client;
    std::shared_ptr<X509Verifier> verifier;
};
// tests/pki from $UDPVPN_TEST_PKI (default: the source tree's, compiled in), loaded once.
const Pki& pki();

// One 70000-byte scratch buffer for polling datagrams and inner packets, created once rather than
// allocated (and zeroed) per input: per-input setup dominates a fast harness under ASan.
Bytes& datagram_buffer();

// Aborts with a message when an invariant does not hold.
void check(bool ok, const char* what);

// The ChaCha20-Poly1305 key of a handshake direction (`client_to_server` picks "c hs" or "s hs"),
// computed from the side whose ephemeral key came from DeterministicRng(seed) (it drew 32 random
// bytes, then the private key), the INITIAL and the SERVER_HELLO. nullopt if they do not parse.
std::optional<AeadKey> handshake_key(std::uint64_t seed, bool seed_is_client, ByteView initial,
                                     ByteView server_hello, const SharedKey& admission,
                                     bool client_to_server);

// A HANDSHAKE datagram carrying `frames` under `key`.
Bytes seal_handshake(const AeadKey& key, SessionId dst_sid, std::uint32_t pn, ByteView frames);

// Event text must be safe to log: no control characters (peer-supplied text included).
bool printable(const std::string& text);

// One record of an endpoint harness input: op (1) | len (2, big-endian) | len bytes (cut short at the
// end of the input). op bits 0..2 pick the operation, bits 3..4 a source address, bits 6..7 how far
// the clock then advances: 0, 50 ms, 1 s or 11 s.
struct Op {
    std::uint8_t kind = 0;
    std::size_t address = 0;
    TimeNs advance = 0;
    Bytes bytes;
};

// The records after the configuration byte data[0], at most 128 of them.
class OpReader {
public:
    OpReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool next(Op& op) {
        if (off_ + 3 > size_ || steps_ >= 128) return false;
        ++steps_;
        const std::uint8_t code = data_[off_];
        const std::size_t len = std::min<std::size_t>((std::size_t{data_[off_ + 1]} << 8) | data_[off_ + 2], size_ - off_ - 3);
        op.bytes.assign(data_ + off_ + 3, data_ + off_ + 3 + len);
        off_ += 3 + len;
        static constexpr TimeNs kSteps[4] = {0, 50 * kMillisecond, kSecond, 11 * kSecond};
        op.kind = code & 7;
        op.address = (code >> 3) & 3;
        op.advance = kSteps[code >> 6];
        return true;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t off_ = 1;
    int steps_ = 0;
};

// Inner packets a harness-side peer sealed, by payload type: each may be delivered once.
using SealedSet = std::multiset<std::pair<int, Bytes>>;

// A datagram the peer sent (bytes[0] picks which; none: the latest), XOR-mutated by bytes[2..]
// starting at offset bytes[1]. nullopt if the peer sent nothing yet.
std::optional<Bytes> mutated_replay(const std::vector<Bytes>& sent, ByteView bytes);

// The peer's Session seals bytes[1..] with payload type bytes[0] % 5 (a KEEPALIVE carries nothing);
// an inner packet it sealed goes into `sealed`. nullopt if `bytes` is empty or sealing fails.
std::optional<Bytes> seal_from_peer(Session& session, TimeNs now, ByteView bytes, SealedSet& sealed);

}  // namespace udpvpn::fuzz
