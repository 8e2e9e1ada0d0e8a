// SPDX-License-Identifier: GPL-3.0-or-later
// RFC 1662 HDLC-like framing: FCS tables, the streaming decoder and the encoder (hdlc.hpp).
#include "hdlc.hpp"

#include <array>

namespace udpvpn::hdlc {
namespace {

// Reflected polynomials of RFC 1662 Appendix C: x^16+x^12+x^5+1 and the CRC-32 of IEEE 802.3.
constexpr std::uint16_t kPoly16 = 0x8408;
constexpr std::uint32_t kPoly32 = 0xEDB88320;

template <typename T>
constexpr std::array<T, 256> make_table(T poly) {
    std::array<T, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
        T v = static_cast<T>(i);
        for (int b = 0; b < 8; ++b) v = static_cast<T>((v & 1) ? (v >> 1) ^ poly : (v >> 1));
        t[i] = v;
    }
    return t;
}
constexpr auto kTable16 = make_table<std::uint16_t>(kPoly16);
constexpr auto kTable32 = make_table<std::uint32_t>(kPoly32);

constexpr std::size_t fcs_size(FcsType t) noexcept { return t == FcsType::fcs32 ? 4 : 2; }

constexpr std::uint16_t kProtocolLcp = 0xC021;

}  // namespace

std::uint16_t fcs16(std::uint16_t fcs, ByteView data) noexcept {
    for (std::uint8_t c : data) fcs = static_cast<std::uint16_t>((fcs >> 8) ^ kTable16[(fcs ^ c) & 0xFF]);
    return fcs;
}

std::uint32_t fcs32(std::uint32_t fcs, ByteView data) noexcept {
    for (std::uint8_t c : data) fcs = (fcs >> 8) ^ kTable32[(fcs ^ c) & 0xFF];
    return fcs;
}

// ---------------------------------------------------------------------------------------------
// Decoder

Decoder::Decoder(const DecoderConfig& config) : config_(config) {
    if (config_.mru > kMaxMru) config_.mru = kMaxMru;
    // address + control + protocol + information + FCS
    cap_ = 2 + 2 + config_.mru + fcs_size(config_.fcs);
    // One byte in front of the frame, so a compressed protocol field can be expanded in place.
    buf_ = std::make_unique<std::uint8_t[]>(cap_ + 1);
}

Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

void Decoder::reset() noexcept {
    len_ = 0;
    hunting_ = true;
    escaped_ = false;
    overflow_ = false;
}

std::size_t Decoder::feed(ByteView in, ByteView& frame) noexcept {
    frame = {};
    const std::uint8_t* p = in.data();
    const std::size_t n = in.size();
    for (std::size_t i = 0; i < n; ++i) {
        std::uint8_t c = p[i];
        if (c == kFlag) {
            if (hunting_) {
                hunting_ = false;
            } else if (escaped_) {
                ++stats_.aborted;          // Control Escape + Flag: abort, RFC 1662 §4.3
            } else if (overflow_) {
                ++stats_.too_long;
            } else if (len_ > 0) {
                end_of_frame(frame);
            }                              // else: back-to-back flags (inter-frame fill)
            len_ = 0;
            escaped_ = false;
            overflow_ = false;
            if (!frame.empty()) return i + 1;
            continue;
        }
        if (hunting_) continue;
        // RFC 1662 §4.2: characters flagged in the receive ACCM are removed before anything else
        // (an intervening DCE may have inserted them); an escape stays pending across them.
        if (c < 0x20 && ((config_.receive_accm >> c) & 1U) != 0) {
            ++stats_.discarded_chars;
            continue;
        }
        if (c == kEscape) {
            escaped_ = true;
            continue;
        }
        if (escaped_) {
            c ^= kEscapeXor;
            escaped_ = false;
        }
        if (overflow_) continue;
        if (len_ == cap_) {
            overflow_ = true;              // drop the rest; resynchronise on the next flag
            continue;
        }
        buf_[1 + len_++] = c;
    }
    return n;
}

void Decoder::end_of_frame(ByteView& frame) noexcept {
    const std::size_t fcs_len = fcs_size(config_.fcs);
    // RFC 1662 §4.3: shorter than 4 octets (16-bit FCS) is discarded, not counted as an FCS error.
    if (len_ < 2 + fcs_len) {
        ++stats_.runt;
        return;
    }
    std::uint8_t* p = buf_.get() + 1;
    const ByteView whole{p, len_};
    const bool good = config_.fcs == FcsType::fcs32 ? fcs32(kFcs32Init, whole) == kFcs32Good
                                                    : fcs16(kFcs16Init, whole) == kFcs16Good;
    if (!good) {
        ++stats_.bad_fcs;
        return;
    }
    std::size_t size = len_ - fcs_len;
    // Address and control, unless compressed (ACFC). 0xFF cannot start a protocol field (its high
    // byte is even), so its presence is unambiguous.
    if (p[0] == kAllStations) {
        if (size < 2 || p[1] != kUnnumberedInfo) {
            ++stats_.bad_header;
            return;
        }
        p += 2;
        size -= 2;
    }
    if (size < 1) {
        ++stats_.bad_header;
        return;
    }
    if ((p[0] & 1) != 0) {
        // Compressed protocol field (PFC): expand to two bytes in place. p - 1 is the control byte
        // or the reserved byte in front of the buffer.
        --p;
        ++size;
        p[0] = 0x00;
    } else if (size < 2 || !valid_protocol(p[0], p[1])) {
        ++stats_.bad_header;
        return;
    }
    ++stats_.frames;
    frame = ByteView{p, size};
}

// ---------------------------------------------------------------------------------------------
// Encoder

namespace {

class EscapingWriter {
public:
    EscapingWriter(MutableByteView out, Accm accm) noexcept : out_(out), accm_(accm) {}
    bool ok() const noexcept { return ok_; }
    std::size_t size() const noexcept { return pos_; }

    void raw(std::uint8_t c) noexcept {
        if (pos_ >= out_.size()) {
            ok_ = false;
            return;
        }
        out_[pos_++] = c;
    }
    void escaped(std::uint8_t c) noexcept {
        if (c == kFlag || c == kEscape || (c < 0x20 && ((accm_ >> c) & 1U) != 0)) {
            raw(kEscape);
            raw(static_cast<std::uint8_t>(c ^ kEscapeXor));
        } else {
            raw(c);
        }
    }

private:
    MutableByteView out_;
    Accm accm_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace

Result<std::size_t> encode(const EncoderConfig& config, ByteView frame, MutableByteView out) noexcept {
    if (frame.size() < 2 || !valid_protocol(frame[0], frame[1])) return {0, Error::invalid_argument};
    const std::uint16_t protocol = static_cast<std::uint16_t>((frame[0] << 8) | frame[1]);
    const bool is_lcp = protocol == kProtocolLcp;

    // Header bytes before escaping: [FF 03] protocol (1 or 2 bytes).
    std::array<std::uint8_t, 4> header{};
    std::size_t hlen = 0;
    if (!config.address_control_compression || is_lcp) {
        header[hlen++] = kAllStations;
        header[hlen++] = kUnnumberedInfo;
    }
    if (!(config.protocol_compression && frame[0] == 0x00)) header[hlen++] = frame[0];
    header[hlen++] = frame[1];
    const ByteView head{header.data(), hlen};
    const ByteView info = frame.subspan(2);

    EscapingWriter w(out, config.transmit_accm);
    w.raw(kFlag);
    for (std::uint8_t c : head) w.escaped(c);
    for (std::uint8_t c : info) w.escaped(c);
    // The FCS goes out least significant byte first (RFC 1662 Appendix C).
    if (config.fcs == FcsType::fcs32) {
        std::uint32_t fcs = fcs32(fcs32(kFcs32Init, head), info) ^ 0xFFFFFFFFU;
        for (int i = 0; i < 4; ++i, fcs >>= 8) w.escaped(static_cast<std::uint8_t>(fcs));
    } else {
        const std::uint16_t fcs = static_cast<std::uint16_t>(fcs16(fcs16(kFcs16Init, head), info) ^ 0xFFFFU);
        w.escaped(static_cast<std::uint8_t>(fcs));
        w.escaped(static_cast<std::uint8_t>(fcs >> 8));
    }
    w.raw(kFlag);
    if (!w.ok()) return {0, Error::buffer_too_small};
    return {w.size(), Error::ok};
}

}  // namespace udpvpn::hdlc
