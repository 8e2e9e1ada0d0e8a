// SPDX-License-Identifier: GPL-3.0-or-later
// Handshake packets and frames on the wire (docs/rfc-draft.txt, Sections 7, 18): encoders write
// into caller buffers, parsers return views into the datagram. Nothing here allocates or does crypto
// except through the admission MAC helpers (admission.hpp) which the INITIAL/PAD encoders take.
#pragma once
#include "admission.hpp"
#include "bytes_io.hpp"

#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace udpvpn {

// §1: first byte of every datagram.
enum class PacketType : std::uint8_t {
    initial = 0x01,
    pad = 0x02,
    retry = 0x03,
    server_hello = 0x04,
    handshake = 0x05,
};

inline constexpr std::uint16_t kProtocolVersion = 0x0001;       // §1.1
inline constexpr std::size_t kMinInitialSize = 1200;            // §1.1: server drops shorter INITIALs
// §7: no INITIAL, PAD, RETRY, SERVER_HELLO or HANDSHAKE datagram is larger (1500 - 48, the largest
// datagram size we probe for); a receiver drops a larger one before copying or decrypting anything.
inline constexpr std::size_t kMaxHandshakeDatagram = 1452;
inline constexpr std::size_t kCookieSize = 24;                  // §1.3: bucket (8) || MAC (16)
inline constexpr std::size_t kRetrySize = 1 + 4 + kCookieSize;  // §1.3: 29 bytes
inline constexpr std::size_t kServerHelloSize = 1 + 4 + 4 + 32 + 32 + 2;   // §1.4: 75 bytes
inline constexpr std::size_t kHandshakeHeaderSize = 1 + 4 + 4;  // §1.5: type | dst_sid | pn
inline constexpr std::size_t kHandshakeTagSize = 16;
inline constexpr std::size_t kPadHeaderSize = 1 + 4 + 32;       // §1.2: before padding and MAC
inline constexpr std::size_t kMaxSuitesOffered = 16;            // our own cap on n_suites
inline constexpr std::size_t kMaxCloseText = 200;               // §1.5 CLOSE text bound

using PublicKey32 = std::array<std::uint8_t, 32>;
using Random32 = std::array<std::uint8_t, 32>;
using Cookie = std::array<std::uint8_t, kCookieSize>;

// ---------------------------------------------------------------------------------------------
// INITIAL (§1.1)
//  type | version (2) | client_sid (4) | client_random (32) | client_eph_pub (32) | n_suites (1) |
//  suites (2 each) | ext_len (2) | extensions | cookie_len (1) | cookie (0|24) | zeros | mac (16)

struct InitialFields {
    std::uint16_t version = kProtocolVersion;
    SessionId client_sid = 0;
    Random32 client_random{};
    PublicKey32 client_eph_pub{};
    ByteView suites;        // raw u16 big-endian list, n_suites * 2 bytes (1..255 suites)
    ByteView extensions;    // raw TLVs (§3.2)
    ByteView cookie;        // empty or kCookieSize bytes
    ByteView client_hello;  // parse only: type..extensions, the bytes that enter the transcript
};

// Writes INITIAL into `out`, padded with zeros to `datagram_size`, admission MAC last. Returns the
// size (== datagram_size), or buffer_too_small / invalid_argument (fields do not fit the size).
Result<std::size_t> encode_initial(const InitialFields& f, ByteView admission_key32, std::size_t datagram_size,
                                   MutableByteView out) noexcept;
// The ClientHello bytes (type..extensions) of an INITIAL without writing a datagram. Used by the
// client to start its transcript.
Bytes encode_client_hello(const InitialFields& f);
// Parses an INITIAL whose admission MAC was already checked. malformed on any length problem
// (including a cookie_len other than 0 or 24, or nonzero padding — the padding is zeros by §1.1),
// version_unsupported for an unknown version (checked before the rest is parsed).
Result<InitialFields> parse_initial(ByteView datagram) noexcept;

// ---------------------------------------------------------------------------------------------
// PAD (§1.2): type | client_sid (4) | client_eph_pub (32) | zeros | mac (16)
struct PadFields {
    SessionId client_sid = 0;
    PublicKey32 client_eph_pub{};
};
Result<std::size_t> encode_pad(const PadFields& f, ByteView admission_key32, std::size_t datagram_size,
                               MutableByteView out) noexcept;
Result<PadFields> parse_pad(ByteView datagram) noexcept;   // MAC already checked

// ---------------------------------------------------------------------------------------------
// RETRY (§1.3): type | client_sid (4) | cookie (24)
struct RetryFields {
    SessionId client_sid = 0;
    Cookie cookie{};
};
Result<std::size_t> encode_retry(const RetryFields& f, MutableByteView out) noexcept;
Result<RetryFields> parse_retry(ByteView datagram) noexcept;

// ---------------------------------------------------------------------------------------------
// SERVER_HELLO (§1.4): type | client_sid | server_sid | server_random (32) | server_eph_pub (32) | suite
// suite 0 means "none": the server found no common suite and follows with an encrypted CLOSE.
struct ServerHelloFields {
    SessionId client_sid = 0;
    SessionId server_sid = 0;
    Random32 server_random{};
    PublicKey32 server_eph_pub{};
    std::uint16_t suite = 0;
};
Result<std::size_t> encode_server_hello(const ServerHelloFields& f, MutableByteView out) noexcept;
Result<ServerHelloFields> parse_server_hello(ByteView datagram) noexcept;

// ---------------------------------------------------------------------------------------------
// HANDSHAKE (§1.5): type | dst_sid (4) | packet_number (4) | ciphertext | tag (16)
struct HandshakeHeader {
    SessionId dst_sid = 0;
    std::uint32_t packet_number = 0;
};
// Writes the 9-byte header (out.size() >= 9).
Result<std::size_t> encode_handshake_header(const HandshakeHeader& h, MutableByteView out) noexcept;
// Parses the header; malformed unless the datagram holds header + tag (an empty plaintext is allowed
// here; frame parsing rejects it).
Result<HandshakeHeader> parse_handshake_header(ByteView datagram) noexcept;

// ---------------------------------------------------------------------------------------------
// Frames inside a HANDSHAKE plaintext (§1.5)
enum class FrameType : std::uint8_t { padding = 0x00, frag = 0x01, ack = 0x02, close = 0x03 };

inline constexpr std::size_t kFragOverhead = 1 + 4 + 2;
inline constexpr std::size_t kMaxAckRanges = 8;
inline constexpr std::size_t kCloseOverhead = 1 + 2 + 2;

struct ByteRange {
    std::uint32_t start = 0, end = 0;   // [start, end)
    friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

struct Frame {
    FrameType type = FrameType::padding;
    // frag
    std::uint32_t offset = 0;
    ByteView data;
    // ack
    std::uint8_t n_ranges = 0;
    std::array<ByteRange, kMaxAckRanges> ranges{};
    // close
    std::uint16_t code = 0;
    ByteView text;
};

void write_frag(Writer& w, std::uint32_t offset, ByteView data) noexcept;
// n in 1..8; each range non-empty.
void write_ack(Writer& w, std::span<const ByteRange> ranges) noexcept;
void write_close(Writer& w, std::uint16_t code, std::string_view text) noexcept;   // text cut to 200

// Reads the next frame. At the end of input returns malformed with `done` set. A PADDING frame
// consumes the rest (which must be zeros). malformed for unknown frame types, truncation, ACK with
// n outside 1..8 or an empty/inverted range, FRAG whose offset+length overflows u32, CLOSE text > 200.
class FrameReader {
public:
    explicit FrameReader(ByteView plaintext) noexcept;
    bool done() const noexcept;
    Result<Frame> next() noexcept;

private:
    ByteView p_;
    std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Close reasons (§7) <-> errors.
std::uint16_t close_code_for(Error e) noexcept;
// The error a received CLOSE/DISCONNECT code reports locally: unsupported_extension for 7,
// no_common_suite for 8 (negotiation failures both sides share), peer_closed for
// everything else (the peer's reason stays in the text).
Error error_for_close_code(std::uint16_t code) noexcept;
const char* close_code_name(std::uint16_t code) noexcept;

}  // namespace udpvpn
