// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire_format.hpp"

#include <sodium.h>

#include <cstring>

namespace udpvpn {
namespace {

template <typename T>
Result<T> fail(Error e) noexcept { return Result<T>{T{}, e}; }

void write_hello_fields(Writer& w, const InitialFields& f) noexcept {
    w.u8(static_cast<std::uint8_t>(PacketType::initial));
    w.u16(f.version);
    w.u32(f.client_sid);
    w.bytes(f.client_random);
    w.bytes(f.client_eph_pub);
    w.u8(static_cast<std::uint8_t>(f.suites.size() / 2));
    w.bytes(f.suites);
    w.u16(static_cast<std::uint16_t>(f.extensions.size()));
    w.bytes(f.extensions);
}

bool hello_fields_valid(const InitialFields& f) noexcept {
    return !f.suites.empty() && f.suites.size() % 2 == 0 && f.suites.size() / 2 <= 255 &&
           f.extensions.size() <= 0xFFFF && (f.cookie.empty() || f.cookie.size() == kCookieSize);
}

}  // namespace

// --- INITIAL -------------------------------------------------------------------------------------

Bytes encode_client_hello(const InitialFields& f) {
    if (!hello_fields_valid(f)) return {};
    Bytes b(1 + 2 + 4 + 32 + 32 + 1 + f.suites.size() + 2 + f.extensions.size());
    Writer w(b);
    write_hello_fields(w, f);
    return b;
}

Result<std::size_t> encode_initial(const InitialFields& f, ByteView admission_key32, std::size_t datagram_size,
                                   MutableByteView out) noexcept {
    if (!hello_fields_valid(f) || admission_key32.size() != 32) return fail<std::size_t>(Error::invalid_argument);
    if (out.size() < datagram_size) return fail<std::size_t>(Error::buffer_too_small);
    Writer w(out.first(datagram_size));
    write_hello_fields(w, f);
    w.u8(static_cast<std::uint8_t>(f.cookie.size()));
    w.bytes(f.cookie);
    if (w.remaining() < kAdmissionMacSize) return fail<std::size_t>(Error::invalid_argument);
    w.zeros(w.remaining() - kAdmissionMacSize);
    w.zeros(kAdmissionMacSize);
    if (!w.ok()) return fail<std::size_t>(Error::invalid_argument);
    admission_seal(admission_key32, out.first(datagram_size));
    return {datagram_size, Error::ok};
}

Result<InitialFields> parse_initial(ByteView datagram) noexcept {
    if (datagram.size() < kAdmissionMacSize + 1) return fail<InitialFields>(Error::malformed);
    Reader r(datagram.first(datagram.size() - kAdmissionMacSize));
    InitialFields f;
    if (r.u8() != static_cast<std::uint8_t>(PacketType::initial)) return fail<InitialFields>(Error::malformed);
    f.version = r.u16();
    if (!r.ok()) return fail<InitialFields>(Error::malformed);
    if (f.version != kProtocolVersion) return fail<InitialFields>(Error::version_unsupported);
    f.client_sid = r.u32();
    ByteView rnd = r.bytes(32);
    ByteView eph = r.bytes(32);
    const std::size_t n_suites = r.u8();
    f.suites = r.bytes(n_suites * 2);
    const std::size_t ext_len = r.u16();
    f.extensions = r.bytes(ext_len);
    const std::size_t hello_end = r.position();
    const std::size_t cookie_len = r.u8();
    if (!r.ok() || n_suites == 0 || (cookie_len != 0 && cookie_len != kCookieSize))
        return fail<InitialFields>(Error::malformed);
    f.cookie = r.bytes(cookie_len);
    ByteView padding = r.rest();
    if (!r.ok() || !all_zero(padding)) return fail<InitialFields>(Error::malformed);
    std::memcpy(f.client_random.data(), rnd.data(), 32);
    std::memcpy(f.client_eph_pub.data(), eph.data(), 32);
    f.client_hello = datagram.first(hello_end);
    return {f, Error::ok};
}

// --- PAD -----------------------------------------------------------------------------------------

Result<std::size_t> encode_pad(const PadFields& f, ByteView admission_key32, std::size_t datagram_size,
                               MutableByteView out) noexcept {
    if (admission_key32.size() != 32 || datagram_size < kPadHeaderSize + kAdmissionMacSize)
        return fail<std::size_t>(Error::invalid_argument);
    if (out.size() < datagram_size) return fail<std::size_t>(Error::buffer_too_small);
    Writer w(out.first(datagram_size));
    w.u8(static_cast<std::uint8_t>(PacketType::pad));
    w.u32(f.client_sid);
    w.bytes(f.client_eph_pub);
    w.zeros(w.remaining());
    admission_seal(admission_key32, out.first(datagram_size));
    return {datagram_size, Error::ok};
}

Result<PadFields> parse_pad(ByteView datagram) noexcept {
    if (datagram.size() < kPadHeaderSize + kAdmissionMacSize) return fail<PadFields>(Error::malformed);
    Reader r(datagram.first(datagram.size() - kAdmissionMacSize));
    PadFields f;
    if (r.u8() != static_cast<std::uint8_t>(PacketType::pad)) return fail<PadFields>(Error::malformed);
    f.client_sid = r.u32();
    ByteView eph = r.bytes(32);
    if (!r.ok() || !all_zero(r.rest())) return fail<PadFields>(Error::malformed);
    std::memcpy(f.client_eph_pub.data(), eph.data(), 32);
    return {f, Error::ok};
}

// --- RETRY ---------------------------------------------------------------------------------------

Result<std::size_t> encode_retry(const RetryFields& f, MutableByteView out) noexcept {
    if (out.size() < kRetrySize) return fail<std::size_t>(Error::buffer_too_small);
    Writer w(out);
    w.u8(static_cast<std::uint8_t>(PacketType::retry));
    w.u32(f.client_sid);
    w.bytes(f.cookie);
    return {w.size(), Error::ok};
}

Result<RetryFields> parse_retry(ByteView datagram) noexcept {
    if (datagram.size() != kRetrySize || datagram[0] != static_cast<std::uint8_t>(PacketType::retry))
        return fail<RetryFields>(Error::malformed);
    Reader r(datagram.subspan(1));
    RetryFields f;
    f.client_sid = r.u32();
    ByteView c = r.bytes(kCookieSize);
    std::memcpy(f.cookie.data(), c.data(), kCookieSize);
    return {f, Error::ok};
}

// --- SERVER_HELLO --------------------------------------------------------------------------------

Result<std::size_t> encode_server_hello(const ServerHelloFields& f, MutableByteView out) noexcept {
    if (out.size() < kServerHelloSize) return fail<std::size_t>(Error::buffer_too_small);
    Writer w(out);
    w.u8(static_cast<std::uint8_t>(PacketType::server_hello));
    w.u32(f.client_sid);
    w.u32(f.server_sid);
    w.bytes(f.server_random);
    w.bytes(f.server_eph_pub);
    w.u16(f.suite);
    return {w.size(), Error::ok};
}

Result<ServerHelloFields> parse_server_hello(ByteView datagram) noexcept {
    if (datagram.size() != kServerHelloSize || datagram[0] != static_cast<std::uint8_t>(PacketType::server_hello))
        return fail<ServerHelloFields>(Error::malformed);
    Reader r(datagram.subspan(1));
    ServerHelloFields f;
    f.client_sid = r.u32();
    f.server_sid = r.u32();
    std::memcpy(f.server_random.data(), r.bytes(32).data(), 32);
    std::memcpy(f.server_eph_pub.data(), r.bytes(32).data(), 32);
    f.suite = r.u16();
    return {f, Error::ok};
}

// --- HANDSHAKE -----------------------------------------------------------------------------------

Result<std::size_t> encode_handshake_header(const HandshakeHeader& h, MutableByteView out) noexcept {
    if (out.size() < kHandshakeHeaderSize) return fail<std::size_t>(Error::buffer_too_small);
    Writer w(out);
    w.u8(static_cast<std::uint8_t>(PacketType::handshake));
    w.u32(h.dst_sid);
    w.u32(h.packet_number);
    return {w.size(), Error::ok};
}

Result<HandshakeHeader> parse_handshake_header(ByteView datagram) noexcept {
    if (datagram.size() < kHandshakeHeaderSize + kHandshakeTagSize ||
        datagram[0] != static_cast<std::uint8_t>(PacketType::handshake))
        return fail<HandshakeHeader>(Error::malformed);
    Reader r(datagram.subspan(1));
    HandshakeHeader h;
    h.dst_sid = r.u32();
    h.packet_number = r.u32();
    return {h, Error::ok};
}

// --- frames --------------------------------------------------------------------------------------

void write_frag(Writer& w, std::uint32_t offset, ByteView data) noexcept {
    w.u8(static_cast<std::uint8_t>(FrameType::frag));
    w.u32(offset);
    w.u16(static_cast<std::uint16_t>(data.size()));
    w.bytes(data);
}

void write_ack(Writer& w, std::span<const ByteRange> ranges) noexcept {
    if (ranges.empty() || ranges.size() > kMaxAckRanges) { w.reserve(~std::size_t{0}); return; }
    w.u8(static_cast<std::uint8_t>(FrameType::ack));
    w.u8(static_cast<std::uint8_t>(ranges.size()));
    for (const ByteRange& r : ranges) {
        w.u32(r.start);
        w.u32(r.end);
    }
}

void write_close(Writer& w, std::uint16_t code, std::string_view text) noexcept {
    if (text.size() > kMaxCloseText) text = text.substr(0, kMaxCloseText);
    w.u8(static_cast<std::uint8_t>(FrameType::close));
    w.u16(code);
    w.u16(static_cast<std::uint16_t>(text.size()));
    w.bytes({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

FrameReader::FrameReader(ByteView plaintext) noexcept : p_(plaintext) {}

bool FrameReader::done() const noexcept { return pos_ >= p_.size(); }

Result<Frame> FrameReader::next() noexcept {
    if (done()) return fail<Frame>(Error::malformed);
    Reader r(p_.subspan(pos_));
    Frame f;
    const std::uint8_t t = r.u8();
    switch (t) {
    case static_cast<std::uint8_t>(FrameType::padding):
        f.type = FrameType::padding;
        if (!all_zero(r.rest())) { pos_ = p_.size(); return fail<Frame>(Error::malformed); }
        break;
    case static_cast<std::uint8_t>(FrameType::frag): {
        f.type = FrameType::frag;
        f.offset = r.u32();
        const std::size_t len = r.u16();
        f.data = r.bytes(len);
        if (r.ok() && std::uint64_t{f.offset} + len > 0xFFFFFFFFull) r.fail();
        break;
    }
    case static_cast<std::uint8_t>(FrameType::ack): {
        f.type = FrameType::ack;
        f.n_ranges = r.u8();
        if (f.n_ranges == 0 || f.n_ranges > kMaxAckRanges) r.fail();
        for (std::size_t i = 0; r.ok() && i < f.n_ranges; ++i) {
            f.ranges[i].start = r.u32();
            f.ranges[i].end = r.u32();
            if (f.ranges[i].start >= f.ranges[i].end) r.fail();
        }
        break;
    }
    case static_cast<std::uint8_t>(FrameType::close): {
        f.type = FrameType::close;
        f.code = r.u16();
        const std::size_t len = r.u16();
        if (len > kMaxCloseText) r.fail();
        f.text = r.bytes(len);
        break;
    }
    default:
        r.fail();
    }
    if (!r.ok()) { pos_ = p_.size(); return fail<Frame>(Error::malformed); }
    pos_ = f.type == FrameType::padding ? p_.size() : pos_ + r.position();
    return {f, Error::ok};
}

// --- close codes (§7) ----------------------------------------------------------------------------

std::uint16_t close_code_for(Error e) noexcept {
    switch (e) {
    case Error::ok: return 0;
    case Error::peer_closed: return 1;
    case Error::peer_timeout: return 2;
    case Error::handshake_timeout: return 3;
    case Error::cert_expired:
    case Error::cert_not_yet_valid:
    case Error::cert_unknown_ca:
    case Error::crl_expired:
    case Error::cert_wrong_purpose:
    case Error::cert_name_mismatch:
    case Error::cert_unsupported_key:
    case Error::cert_invalid: return 4;
    case Error::bad_signature: return 5;
    case Error::bad_finished: return 6;
    case Error::unsupported_extension: return 7;
    case Error::no_common_suite: return 8;
    case Error::cert_revoked: return 9;
    case Error::key_exhausted: return 10;
    case Error::protocol_violation: return 11;
    case Error::closed_locally: return 12;
    default: return 13;
    }
}

Error error_for_close_code(std::uint16_t code) noexcept {
    if (code == 7) return Error::unsupported_extension;
    return code == 8 ? Error::no_common_suite : Error::peer_closed;
}

const char* close_code_name(std::uint16_t code) noexcept {
    static const char* const names[] = {"normal", "peer request", "timeout", "handshake timeout",
                                        "certificate rejected", "bad signature", "bad finished",
                                        "unsupported extension", "no common suite", "revoked",
                                        "key exhausted", "protocol violation", "admin", "internal"};
    return code < sizeof names / sizeof names[0] ? names[code] : "unknown";
}

}  // namespace udpvpn
