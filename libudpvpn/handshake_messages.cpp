// SPDX-License-Identifier: GPL-3.0-or-later
#include "handshake_messages.hpp"

#include "handshake_stream.hpp"

#include <sodium.h>

namespace udpvpn {
namespace {

bool known_type(std::uint8_t t) noexcept {
    return t == 0x08 || t == 0x0B || t == 0x0F || t == 0x14;
}

Bytes with_header(HsMsgType type, std::size_t body_len) {
    Bytes b(kHsMsgHeaderSize + body_len);
    Writer w(b);
    w.u8(static_cast<std::uint8_t>(type));
    w.u24(static_cast<std::uint32_t>(body_len));
    return b;
}

}  // namespace

Result<HsMessage> read_hs_message(ByteView available, bool& complete) noexcept {
    complete = false;
    if (available.size() < kHsMsgHeaderSize) return {HsMessage{}, Error::ok};
    Reader r(available);
    const std::uint8_t type = r.u8();
    const std::size_t len = r.u24();
    if (!known_type(type) || len > kMaxStreamSize - kHsMsgHeaderSize) return {HsMessage{}, Error::malformed};
    if (r.remaining() < len) return {HsMessage{}, Error::ok};
    HsMessage m;
    m.type = static_cast<HsMsgType>(type);
    m.body = r.bytes(len);
    m.whole = available.first(kHsMsgHeaderSize + len);
    complete = true;
    return {m, Error::ok};
}

// --- extensions ----------------------------------------------------------------------------------

void write_extension(Writer& w, std::uint16_t type, ByteView value) noexcept {
    w.u16(type);
    w.u16(static_cast<std::uint16_t>(value.size()));
    w.bytes(value);
}

Bytes encode_extensions(const Extensions& e, ByteView extra) {
    Bytes b(36 + extra.size());
    Writer w(b);
    if (e.flight_size_hint) {
        std::uint8_t v[4];
        Writer(v).u32(*e.flight_size_hint);
        write_extension(w, kExtFlightSizeHint, v);
    }
    if (e.inner_protocols) {
        const std::uint8_t v = *e.inner_protocols;
        write_extension(w, kExtInnerProtocols, {&v, 1});
    }
    if (e.stateless_reset_token) write_extension(w, kExtStatelessResetToken, *e.stateless_reset_token);
    w.bytes(extra);
    b.resize(w.size());
    return b;
}

ExtensionsParse parse_extensions(ByteView tlvs) noexcept {
    ExtensionsParse out;
    Reader r(tlvs);
    std::uint32_t seen = 0;   // bit per known type
    while (r.ok() && !r.at_end()) {
        const std::uint16_t type = r.u16();
        const std::size_t len = r.u16();
        ByteView value = r.bytes(len);
        if (!r.ok()) break;
        const std::uint16_t code = type & static_cast<std::uint16_t>(~kExtCritical);
        if (code == kExtFlightSizeHint || code == kExtInnerProtocols || code == kExtStatelessResetToken) {
            if (seen & (1u << code)) { out.error = Error::malformed; return out; }
            seen |= 1u << code;
        }
        if (code == kExtFlightSizeHint) {
            if (len != 4) { out.error = Error::malformed; return out; }
            out.ext.flight_size_hint = Reader(value).u32();
        } else if (code == kExtInnerProtocols) {
            if (len != 1) { out.error = Error::malformed; return out; }
            out.ext.inner_protocols = value[0];
        } else if (code == kExtStatelessResetToken) {
            if (len != 16) { out.error = Error::malformed; return out; }
            out.ext.stateless_reset_token.emplace();
            std::copy(value.begin(), value.end(), out.ext.stateless_reset_token->begin());
        } else if (type & kExtCritical) {
            out.error = Error::unsupported_extension;
            out.unsupported_type = type;
            return out;
        }
        // unknown non-critical: ignored (§3.2)
    }
    if (!r.ok()) out.error = Error::malformed;
    return out;
}

// --- messages ------------------------------------------------------------------------------------

Bytes encode_encrypted_extensions(ByteView ext_tlvs) {
    Bytes b = with_header(HsMsgType::encrypted_extensions, ext_tlvs.size());
    std::memcpy(b.data() + kHsMsgHeaderSize, ext_tlvs.data(), ext_tlvs.size());
    return b;
}

Bytes encode_certificate(std::span<const Bytes> chain) {
    if (chain.empty() || chain.size() > kMaxChainCerts) return {};
    std::size_t body = 1;
    for (const Bytes& c : chain) {
        if (c.empty() || c.size() >= (1u << 24)) return {};
        body += 3 + c.size();
    }
    Bytes b = with_header(HsMsgType::certificate, body);
    Writer w(MutableByteView(b).subspan(kHsMsgHeaderSize));
    w.u8(static_cast<std::uint8_t>(chain.size()));
    for (const Bytes& c : chain) {
        w.u24(static_cast<std::uint32_t>(c.size()));
        w.bytes(c);
    }
    return b;
}

Result<std::vector<Bytes>> parse_certificate(ByteView body) {
    Reader r(body);
    const std::size_t n = r.u8();
    if (!r.ok() || n == 0 || n > kMaxChainCerts) return {{}, Error::malformed};
    std::vector<Bytes> chain;
    chain.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t len = r.u24();
        ByteView der = r.bytes(len);
        if (!r.ok() || len == 0) return {{}, Error::malformed};
        chain.emplace_back(der.begin(), der.end());
    }
    if (!r.at_end()) return {{}, Error::malformed};
    return {std::move(chain), Error::ok};
}

Bytes encode_certificate_verify(SignatureScheme scheme, ByteView signature) {
    Bytes b = with_header(HsMsgType::certificate_verify, 4 + signature.size());
    Writer w(MutableByteView(b).subspan(kHsMsgHeaderSize));
    w.u16(static_cast<std::uint16_t>(scheme));
    w.u16(static_cast<std::uint16_t>(signature.size()));
    w.bytes(signature);
    return b;
}

Result<CertificateVerifyBody> parse_certificate_verify(ByteView body) noexcept {
    Reader r(body);
    CertificateVerifyBody cv;
    cv.scheme = r.u16();
    const std::size_t len = r.u16();
    cv.signature = r.bytes(len);
    if (!r.at_end() || len == 0) return {CertificateVerifyBody{}, Error::malformed};
    return {cv, Error::ok};
}

Bytes certificate_verify_content(Role signer, const Hash32& transcript_hash) {
    const std::string_view ctx = signer == Role::server ? "udpvpn v1 server CertificateVerify"
                                                        : "udpvpn v1 client CertificateVerify";
    Bytes b(64 + ctx.size() + 1 + transcript_hash.size());
    Writer w(b);
    for (int i = 0; i < 64; ++i) w.u8(0x20);
    w.bytes({reinterpret_cast<const std::uint8_t*>(ctx.data()), ctx.size()});
    w.u8(0x00);
    w.bytes(transcript_hash);
    return b;
}

std::array<std::uint8_t, kFinishedSize> finished_mac(const Secret32& finished_key, const Hash32& transcript_hash) noexcept {
    std::array<std::uint8_t, kFinishedSize> mac{};
    crypto_auth_hmacsha256(mac.data(), transcript_hash.data(), transcript_hash.size(), finished_key.data());
    return mac;
}

Bytes encode_finished(const Secret32& finished_key, const Hash32& transcript_hash) {
    Bytes b = with_header(HsMsgType::finished, kFinishedSize);
    const auto mac = finished_mac(finished_key, transcript_hash);
    std::memcpy(b.data() + kHsMsgHeaderSize, mac.data(), mac.size());
    return b;
}

bool verify_finished(const Secret32& finished_key, const Hash32& transcript_hash, ByteView body) noexcept {
    if (body.size() != kFinishedSize) return false;
    auto mac = finished_mac(finished_key, transcript_hash);
    const bool ok = crypto_verify_32(mac.data(), body.data()) == 0;
    sodium_memzero(mac.data(), mac.size());
    return ok;
}

}  // namespace udpvpn
