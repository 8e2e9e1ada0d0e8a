// SPDX-License-Identifier: GPL-3.0-or-later
// The sans-IO protocol endpoint. One object per socket: a client (one session) or a server (many
// sessions demultiplexed by session ID). Single-threaded; shard across cores
// by the route byte of the session ID instead of locking.
//
// The contract: pass every datagram to receive() with the current time; after any call drain
// poll_datagram() and poll_event() (and poll_inner()) until empty; arm a timer for next_deadline()
// and call handle_timeout() when it fires. The data path (receive() of DATA, seal(), and their
// batch forms receive_batch() and seal_batch()) never allocates.
#pragma once
#include <udpvpn/certificate.hpp>
#include <udpvpn/config.hpp>
#include <udpvpn/error.hpp>
#include <udpvpn/event.hpp>
#include <udpvpn/rng.hpp>
#include <udpvpn/types.hpp>

#include <memory>
#include <optional>
#include <utility>

namespace udpvpn {

// Where the inner packet sits in a sealed DATA datagram (behind the DATA header): an inner packet
// the caller places at out.data() + kDataInnerOffset is sealed in place, without a copy.
inline constexpr std::size_t kDataInnerOffset = kDataHeaderSize;
inline constexpr std::size_t kMaxDatagram = 65535;

struct Received {
    Error status = Error::ok;            // drop-class errors: the datagram was discarded
    SessionId session = 0;
    bool has_inner = false;              // an inner packet is in `inner`
    InnerProtocol protocol{};
    ByteView inner;                      // points into the caller's datagram buffer (decrypted in place)
};

struct Sealed {
    Error status = Error::ok;
    std::size_t size = 0;                // bytes written to the caller's buffer
    PeerAddress to;                      // where to send them
};

// One packet of a seal_batch() call: the caller fills the inputs, the endpoint fills `result`.
struct SealItem {
    SessionId session = 0;
    InnerProtocol protocol{};
    ByteView inner;                      // may be out.subspan(kDataInnerOffset, n): sealed in place
    MutableByteView out;                 // needs inner.size() + kDataOverhead bytes
    Sealed result;                       // as seal() would return it
};

// One datagram of a receive_batch() call: the caller fills the inputs, the endpoint fills `result`.
struct ReceiveItem {
    PeerAddress from;
    MutableByteView datagram;            // decrypted in place; result.inner points into it
    Received result;                     // as receive() would return it
};

struct InnerPacket {
    SessionId session = 0;
    InnerProtocol protocol{};
    std::size_t size = 0;
};

struct SessionInfo {
    SessionId session = 0;
    bool established = false;
    PeerIdentity peer;
    PeerAddress address;
    Suite suite{};
    std::uint64_t epoch = 0;
    TimeNs established_at = 0;
    TimeNs last_handshake = 0;           // last handshake or rekey
    std::uint64_t tx_bytes = 0, rx_bytes = 0, tx_packets = 0, rx_packets = 0;
    std::uint16_t inner_mtu = 0;
};

// Datagrams from peers whose address is not validated yet (docs/rfc-draft.txt, Section 10) that a
// server refused, by reason. Each is also counted once in EndpointStats::dropped; these say why.
struct UnvalidatedRefusals {
    std::uint64_t oversized = 0;           // INITIAL/PAD/HANDSHAKE larger than kMaxHandshakeDatagram
    std::uint64_t bad_cookie = 0;          // INITIAL with a cookie that is forged, expired or for another address
    std::uint64_t replayed_cookie = 0;     // INITIAL with a cookie that already opened a half-open session
    std::uint64_t wrong_address = 0;       // packet for a half-open session from another source address
    std::uint64_t source_half_open = 0;    // its source address holds max_half_open_per_source already
    std::uint64_t prefix_half_open = 0;    // its /24 (IPv4) or /56 (IPv6) holds max_half_open_per_prefix
    std::uint64_t source_rate = 0;         // its source address is over handshake_rate_per_source
    std::uint64_t prefix_rate = 0;         // its prefix is over handshake_rate_per_prefix
    std::uint64_t table_full = 0;          // max_half_open, max_sessions or the limit tables are full
    std::uint64_t no_session_id = 0;       // no free session ID under our route byte
    std::uint64_t over_budget = 0;         // a datagram held back by the 3x amplification limit
};

// DATA the endpoint authenticated, or kept for a half-open session, that did not become an inner
// packet for the application (the drops of whole datagrams are in EndpointStats::dropped).
struct InnerDropStats {
    std::uint64_t early_refused = 0;     // DATA for a half-open session beyond early_data_limit, larger
                                         // than a datagram we send, or from another address
    std::uint64_t early_unopened = 0;    // kept early data that failed the tag or replay check later
    std::uint64_t queue_full = 0;        // the poll_inner() queue was full (kMaxInnerQueue)
};

struct EndpointStats {
    std::uint64_t dropped[32] = {};      // indexed by the drop-class Error value
    UnvalidatedRefusals unvalidated;     // server only
    std::uint64_t sessions = 0;
    std::uint64_t half_open = 0;
    std::uint64_t retries_sent = 0;
    std::uint64_t handshakes_completed = 0;
    InnerDropStats inner_dropped;
    // Stateless resets (docs/rfc-draft.txt, Section 10.5): sent by a server for DATA of unknown
    // sessions, held back by its rate limit, and accepted by a client (its session then closes).
    std::uint64_t resets_sent = 0;
    std::uint64_t resets_rate_limited = 0;
    std::uint64_t resets_received = 0;
};

class Endpoint {
public:
    // A client endpoint. Call connect() to start the handshake. invalid_argument if config has no
    // expected_server_name and does not set allow_any_server_name, or a required argument is missing.
    static Result<std::unique_ptr<Endpoint>> make_client(ClientEndpointConfig config, Identity identity,
                                                         std::shared_ptr<const CertificateVerifier> verifier,
                                                         std::shared_ptr<Rng> rng);
    // A server endpoint. invalid_argument if a required argument is missing.
    static Result<std::unique_ptr<Endpoint>> make_server(ServerEndpointConfig config, Identity identity,
                                                         std::shared_ptr<const CertificateVerifier> verifier,
                                                         std::shared_ptr<Rng> rng);
    // The former names of make_client and make_server, kept so that code written against them builds.
    static Result<std::unique_ptr<Endpoint>> make_initiator(ClientEndpointConfig config, Identity identity,
                                                            std::shared_ptr<const CertificateVerifier> verifier,
                                                            std::shared_ptr<Rng> rng) {
        return make_client(std::move(config), std::move(identity), std::move(verifier), std::move(rng));
    }
    static Result<std::unique_ptr<Endpoint>> make_responder(ServerEndpointConfig config, Identity identity,
                                                            std::shared_ptr<const CertificateVerifier> verifier,
                                                            std::shared_ptr<Rng> rng) {
        return make_server(std::move(config), std::move(identity), std::move(verifier), std::move(rng));
    }
    virtual ~Endpoint() = default;

    // Client: starts (or restarts) a handshake. Returns the new session ID.
    virtual Result<SessionId> connect(TimeNs now) = 0;

    // A datagram from the network. `datagram` may be modified (decrypted in place); an inner packet
    // in the result points into it and is valid until the buffer is reused.
    virtual Received receive(TimeNs now, const PeerAddress& from, MutableByteView datagram) = 0;

    // Encrypts an inner packet for a session into `out` (needs inner.size() + kDataOverhead bytes).
    // `inner` may overlap `out`: one at out.data() + kDataInnerOffset is sealed in place, no copy.
    // Errors: not_found, invalid_state (not established), buffer_too_small, key_exhausted.
    virtual Sealed seal(TimeNs now, SessionId session, InnerProtocol protocol, ByteView inner,
                        MutableByteView out) = 0;

    // Batch forms of seal() and receive() for a data path that moves many packets per system call
    // (recvmmsg/sendmmsg, TUN offloads). Each item gets exactly what the per-packet call would have
    // returned for it, in array order, as if the per-packet calls were made one after the other at
    // `now`: a failed item (a closed session, a short buffer, a forged datagram) fails alone, the
    // others go on. No allocation per packet; the buffers of different items must not overlap.
    // After a batch, drain poll_datagram(), poll_event() and poll_inner() as after any call. Inner
    // packets of a receive batch all stay valid until their datagram buffers are reused.
    void seal_batch(TimeNs now, std::span<SealItem> items);
    void receive_batch(TimeNs now, std::span<ReceiveItem> items);

    // Datagrams the protocol itself wants to send (handshake, control, keepalive). Returns the size
    // written (0: nothing pending) or buffer_too_small with the needed size in `value`.
    virtual Result<std::size_t> poll_datagram(MutableByteView out, PeerAddress& to) = 0;
    virtual std::optional<Event> poll_event() = 0;
    // Inner packets delivered outside receive() (early data buffered during the handshake, and
    // packets that arrived before their session's `established` event was polled).
    // Ordering: no inner packet of a session is handed out, by receive() or poll_inner(), before
    // poll_event() has returned that session's `established` event.
    virtual Result<InnerPacket> poll_inner(MutableByteView out) = 0;

    virtual TimeNs next_deadline() const = 0;
    virtual void handle_timeout(TimeNs now) = 0;

    // Control channel (reliable, ordered). Errors: not_found, invalid_state, queue_full.
    virtual Error push_config(TimeNs now, SessionId session, const ConfigPush& config) = 0;
    virtual Error ping(TimeNs now, SessionId session, std::uint64_t token) = 0;
    // Sends DISCONNECT with the reason and forgets the session once it is sent.
    virtual Error close(TimeNs now, SessionId session, Error reason, std::string_view text) = 0;
    // Starts a rekey now (normally timers do it).
    virtual Error rekey(TimeNs now, SessionId session) = 0;

    // Re-checks every peer certificate (after a CRL reload). Sessions that fail are closed.
    virtual void reverify_certificates(TimeNs now) = 0;
    // Replaces the verifier (new CA set or CRL), then re-verifies everything.
    virtual void set_verifier(TimeNs now, std::shared_ptr<const CertificateVerifier> verifier) = 0;

    virtual std::optional<SessionInfo> session_info(SessionId session) const = 0;
    virtual std::vector<SessionId> sessions() const = 0;
    virtual const EndpointStats& stats() const = 0;
};

}  // namespace udpvpn
