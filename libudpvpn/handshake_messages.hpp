// SPDX-License-Identifier: GPL-3.0-or-later
// Messages of the handshake stream and extension TLVs (docs/rfc-draft.txt, Sections 8.1-8.6):
//   msg_type (1) | length (3) | body
// Server stream: ENCRYPTED_EXTENSIONS, CERTIFICATE, CERTIFICATE_VERIFY, FINISHED.
// Client stream: CERTIFICATE, CERTIFICATE_VERIFY, FINISHED.
#pragma once
#include "bytes_io.hpp"
#include "key_schedule.hpp"
#include "secret.hpp"

#include <udpvpn/certificate.hpp>
#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <optional>
#include <vector>

namespace udpvpn {

enum class HsMsgType : std::uint8_t {
    encrypted_extensions = 0x08,
    certificate = 0x0B,
    certificate_verify = 0x0F,
    finished = 0x14,
};

inline constexpr std::size_t kHsMsgHeaderSize = 4;
inline constexpr std::size_t kMaxChainCerts = 4;     // §3.1 n_certs 1..4
inline constexpr std::size_t kFinishedSize = 32;     // HMAC-SHA-256

struct HsMessage {
    HsMsgType type{};
    ByteView body;
    ByteView whole;   // header + body: what enters the transcript
};

// Reads the message at the front of `available`. Returns ok with `complete` false if more bytes
// are needed; malformed for an unknown type or a length that cannot fit a 32768-byte stream.
Result<HsMessage> read_hs_message(ByteView available, bool& complete) noexcept;

// --- extensions (§3.2): type (2) | len (2) | value; bit 15 of type = critical ---------------------
inline constexpr std::uint16_t kExtCritical = 0x8000;
inline constexpr std::uint16_t kExtFlightSizeHint = 0x0001;   // u32, server EE
inline constexpr std::uint16_t kExtInnerProtocols = 0x0002;   // u8 bitmask: 1 IP, 2 PPP
inline constexpr std::uint16_t kExtStatelessResetToken = 0x0003;   // 16 bytes, server EE (Section 10.5)

struct Extensions {
    std::optional<std::uint32_t> flight_size_hint;
    std::optional<std::uint8_t> inner_protocols;
    std::optional<std::array<std::uint8_t, 16>> stateless_reset_token;
    // The token lets its holder end the session: wiped with the parsed extensions.
    ~Extensions() { if (stateless_reset_token) sodium_memzero(stateless_reset_token->data(), 16); }
    Extensions() = default;
    Extensions(const Extensions&) = default;
    Extensions& operator=(const Extensions&) = default;
};

void write_extension(Writer& w, std::uint16_t type, ByteView value) noexcept;
// Encodes the known extensions that are set, then appends `extra` (raw TLVs) verbatim.
Bytes encode_extensions(const Extensions& e, ByteView extra = {});

struct ExtensionsParse {
    Error error = Error::ok;        // ok, malformed, or unsupported_extension
    std::uint16_t unsupported_type = 0;   // the full type (with the critical bit) when unsupported
    Extensions ext;
};
// Parses a TLV list: unknown non-critical types are skipped, an unknown critical type fails with
// unsupported_extension; truncation, a duplicate type or a known type with a wrong length is malformed.
ExtensionsParse parse_extensions(ByteView tlvs) noexcept;

// --- messages ------------------------------------------------------------------------------------
Bytes encode_encrypted_extensions(ByteView ext_tlvs);
// chain: 1..4 DER certificates, leaf first, each < 2^24 bytes. Empty result if that does not hold.
Bytes encode_certificate(std::span<const Bytes> chain);
// malformed unless 1..4 non-empty certificates filling the body exactly.
Result<std::vector<Bytes>> parse_certificate(ByteView body);

Bytes encode_certificate_verify(SignatureScheme scheme, ByteView signature);
struct CertificateVerifyBody {
    std::uint16_t scheme = 0;
    ByteView signature;
};
Result<CertificateVerifyBody> parse_certificate_verify(ByteView body) noexcept;
// 64 × 0x20 || "udpvpn v1 <role> CertificateVerify" || 0x00 || transcript_hash (§3.1).
Bytes certificate_verify_content(Role signer, const Hash32& transcript_hash);

// FINISHED body = HMAC-SHA-256(finished_key, transcript_hash).
std::array<std::uint8_t, kFinishedSize> finished_mac(const Secret32& finished_key, const Hash32& transcript_hash) noexcept;
Bytes encode_finished(const Secret32& finished_key, const Hash32& transcript_hash);
// Constant-time comparison; false for a body of the wrong size.
bool verify_finished(const Secret32& finished_key, const Hash32& transcript_hash, ByteView body) noexcept;

}  // namespace udpvpn
