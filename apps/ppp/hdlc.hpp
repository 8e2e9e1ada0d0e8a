// SPDX-License-Identifier: GPL-3.0-or-later
// RFC 1662 HDLC-like framing for PPP on a byte stream (a pty to pppd), sans-IO and streaming.
//
// What crosses the tunnel in PPP mode is "protocol field (2 bytes) + information"
// (docs/rfc-draft.txt, Section 15.2, payload type 2): no flags, no escapes, no address/control, no FCS.
// The Decoder turns pty bytes, in any chunking, into such frames; the Encoder turns them back into
// escaped, FCS-protected bytes for the pty.
//
// udpvpn relays PPP between two pppd that negotiate LCP end to end, so the codec does not take part
// in LCP: it accepts every form a peer may send (address/control present or compressed, protocol
// field compressed or not, any control character escaped or not) and sends the conservative form
// that every peer accepts (full header, every control character escaped).
#pragma once
#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace udpvpn::hdlc {

// RFC 1662 §3.1 / §4.2 octets.
inline constexpr std::uint8_t kFlag = 0x7E;
inline constexpr std::uint8_t kEscape = 0x7D;
inline constexpr std::uint8_t kEscapeXor = 0x20;
inline constexpr std::uint8_t kAllStations = 0xFF;   // address field, RFC 1662 §3.1
inline constexpr std::uint8_t kUnnumberedInfo = 0x03;  // control field, RFC 1662 §3.1

// RFC 1661 §6.1: the default Maximum-Receive-Unit (information + padding).
inline constexpr std::size_t kDefaultMru = 1500;
// The largest MRU the codec accepts in its configuration (LCP's MRU option is 16 bits).
inline constexpr std::size_t kMaxMru = 65535;
// Bytes around the information field in a frame on the wire, before escaping:
// address + control (2) + protocol (2) + FCS-32 (4).
inline constexpr std::size_t kMaxHeaderAndFcs = 8;

// Frame Check Sequences, RFC 1662 Appendix C. Call with the init value, then over the data; a frame
// followed by its transmitted FCS yields the "good" value.
inline constexpr std::uint16_t kFcs16Init = 0xFFFF;
inline constexpr std::uint16_t kFcs16Good = 0xF0B8;
inline constexpr std::uint32_t kFcs32Init = 0xFFFFFFFF;
inline constexpr std::uint32_t kFcs32Good = 0xDEBB20E3;
std::uint16_t fcs16(std::uint16_t fcs, ByteView data) noexcept;
std::uint32_t fcs32(std::uint32_t fcs, ByteView data) noexcept;

// FCS-16 is the default; FCS-32 only when the peers negotiated it (RFC 1570 FCS-Alternatives).
enum class FcsType : std::uint8_t { fcs16, fcs32 };

// The Async-Control-Character-Map: bit n set means character n (0x00..0x1F) is escaped on send
// (transmit map) or discarded when received unescaped (receive map), RFC 1662 §7.1 and §4.2.
using Accm = std::uint32_t;
inline constexpr Accm kAccmAll = 0xFFFFFFFF;

struct DecoderConfig {
    // Largest information field accepted; longer frames are counted in too_long and dropped.
    // Must cover the MRU both pppd may negotiate (pppd's `mru` option); default RFC 1661's 1500.
    std::size_t mru = kDefaultMru;
    FcsType fcs = FcsType::fcs16;
    // Receive ACCM. 0 (keep every character) is right for a pty: no modem inserts characters, and
    // the two pppd negotiate the map end to end, so after they agree on asyncmap 0 a peer sends raw
    // control characters that must not be dropped. Set it to discard characters a DCE inserts.
    Accm receive_accm = 0;
};

struct DecoderStats {
    std::uint64_t frames = 0;      // good frames delivered
    std::uint64_t bad_fcs = 0;     // FCS did not verify
    std::uint64_t too_long = 0;    // longer than mru + headers; the decoder resynchronised on the next flag
    std::uint64_t aborted = 0;     // ended by Control Escape + Flag (RFC 1662 §4.3)
    std::uint64_t runt = 0;        // shorter than 4 octets (6 with FCS-32), RFC 1662 §4.3
    std::uint64_t bad_header = 0;  // address/control not FF 03, or protocol field not valid (RFC 1661 §2)
    std::uint64_t discarded_chars = 0;  // unescaped characters removed per the receive ACCM
};

// Streaming decoder: bytes in, frames out. Allocates its frame buffer once, at construction.
// Bytes before the first flag are skipped (RFC 1662 §4.1: every frame begins with a flag).
class Decoder {
public:
    explicit Decoder(const DecoderConfig& config = {});
    ~Decoder();
    Decoder(Decoder&&) noexcept;
    Decoder& operator=(Decoder&&) noexcept;

    // Consumes bytes from `in` until one good frame is complete or `in` is exhausted, and returns
    // how many bytes it consumed. When a frame is complete, `frame` views "protocol (2 bytes,
    // expanded if it was compressed) + information" inside the decoder, valid until the next call
    // to feed() or reset(); otherwise `frame` is empty. Bad frames are counted and skipped.
    std::size_t feed(ByteView in, ByteView& frame) noexcept;

    // Calls on_frame(ByteView) for every good frame in `in`.
    template <typename F>
    void feed_all(ByteView in, F&& on_frame) {
        while (!in.empty()) {
            ByteView frame;
            const std::size_t n = feed(in, frame);
            in = in.subspan(n);
            if (!frame.empty()) on_frame(frame);
        }
    }

    // Forgets a partial frame and hunts for the next flag (after the pty was reopened).
    void reset() noexcept;
    const DecoderStats& stats() const noexcept { return stats_; }
    const DecoderConfig& config() const noexcept { return config_; }

private:
    void end_of_frame(ByteView& frame) noexcept;

    DecoderConfig config_;
    DecoderStats stats_;
    std::unique_ptr<std::uint8_t[]> buf_;
    std::size_t cap_ = 0;       // bytes of frame (address .. FCS) buf_ can hold after its reserved byte
    std::size_t len_ = 0;       // bytes of the current frame stored at buf_[1..]
    bool hunting_ = true;       // waiting for the first flag
    bool escaped_ = false;      // the previous byte was a Control Escape
    bool overflow_ = false;     // the current frame exceeded cap_; drop until the next flag
};

struct EncoderConfig {
    FcsType fcs = FcsType::fcs16;
    // Transmit ACCM. The default escapes every control character: always valid, whatever the two
    // pppd negotiated (an escaped character is accepted by every receiver, RFC 1662 §7.1).
    Accm transmit_accm = kAccmAll;
    // Omit address/control (ACFC) and compress protocol fields < 0x100 (PFC). Only when the peer
    // agreed to it; LCP frames are always sent in full (RFC 1661 §6.5, §6.6).
    bool address_control_compression = false;
    bool protocol_compression = false;
};

// Worst-case encoded size of a frame whose protocol + information is `frame_size` bytes:
// two flags, every byte escaped.
constexpr std::size_t max_encoded_size(std::size_t frame_size) noexcept {
    return 2 + 2 * (frame_size + kMaxHeaderAndFcs);
}

// Encodes one frame: opening flag, [FF 03], protocol, information, FCS, every byte escaped as the
// transmit ACCM says (0x7E and 0x7D always), closing flag. Returns the bytes written to `out`.
// Errors: invalid_argument if `frame` is shorter than 2 bytes or its protocol field is not valid
// (RFC 1661 §2: odd low byte, even high byte); buffer_too_small if `out` cannot hold the result
// (max_encoded_size() always suffices). Stateless and allocation-free.
Result<std::size_t> encode(const EncoderConfig& config, ByteView frame, MutableByteView out) noexcept;

// True if the two bytes are a valid uncompressed PPP protocol field (RFC 1661 §2).
constexpr bool valid_protocol(std::uint8_t high, std::uint8_t low) noexcept {
    return (high & 1) == 0 && (low & 1) == 1;
}

}  // namespace udpvpn::hdlc
