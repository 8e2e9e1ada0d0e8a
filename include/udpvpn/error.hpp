// SPDX-License-Identifier: GPL-3.0-or-later
// Errors are values, grouped by what the caller must do with them.
#pragma once
#include <cstdint>

namespace udpvpn {

enum class Error : int {
    ok = 0,

    // --- drop: the datagram is discarded silently and counted; nothing else changes.
    malformed = 1,          // a length or field does not parse
    bad_tag,                // AEAD or MAC did not verify
    replayed,               // counter already seen or left of the replay window
    unknown_session,        // no session with that ID
    unexpected_packet,      // valid packet type in a state that does not accept it
    admission_denied,       // admission MAC missing or wrong (port stays dark)
    amplification_limit,    // server may not send more before address validation
    rate_limited,           // half-open cap reached
    version_unsupported,    // unknown protocol version
    stale_key,              // packet for a key that has been discarded

    // --- close: the session ends; the reason is reported in a `closed` event.
    cert_expired = 100,
    cert_not_yet_valid,
    cert_unknown_ca,
    cert_revoked,
    crl_expired,
    cert_wrong_purpose,     // EKU / key usage does not allow this role
    cert_name_mismatch,
    cert_invalid,           // any other chain problem (parse error, bad signature in chain, ...)
    bad_signature,          // CertificateVerify does not verify with the certificate's key
    bad_finished,
    unsupported_extension,  // unknown critical extension
    no_common_suite,
    handshake_timeout,
    peer_timeout,           // dead peer
    key_exhausted,          // hard usage limit reached without a rekey
    protocol_violation,
    peer_closed,            // the peer sent DISCONNECT / CLOSE
    closed_locally,         // the caller closed the session
    internal,
    cert_unsupported_key,   // leaf key not Ed25519, EC P-256 or RSA 2048..4096 bits

    // --- misuse: the caller did something wrong; nothing happened.
    buffer_too_small = 200,
    invalid_state,
    invalid_argument,
    not_found,              // unknown session handle passed by the caller
    queue_full,
};

enum class ErrorClass { none, drop, close, misuse };

constexpr ErrorClass error_class(Error e) noexcept {
    const int v = static_cast<int>(e);
    if (v == 0) return ErrorClass::none;
    if (v < 100) return ErrorClass::drop;
    if (v < 200) return ErrorClass::close;
    return ErrorClass::misuse;
}

// Stable, human-readable name of the reason ("certificate expired", ...). Never null.
const char* to_string(Error e) noexcept;

// A value or an error. Small and exception-free.
template <typename T>
struct Result {
    T value{};
    Error error = Error::ok;
    bool ok() const noexcept { return error == Error::ok; }
    explicit operator bool() const noexcept { return ok(); }
};

}  // namespace udpvpn
