// SPDX-License-Identifier: GPL-3.0-or-later
#include <udpvpn/error.hpp>

namespace udpvpn {

const char* to_string(Error e) noexcept {
    switch (e) {
    case Error::ok: return "ok";
    case Error::malformed: return "malformed packet";
    case Error::bad_tag: return "authentication tag did not verify";
    case Error::replayed: return "replayed or too old packet";
    case Error::unknown_session: return "unknown session";
    case Error::unexpected_packet: return "unexpected packet for the session state";
    case Error::admission_denied: return "admission MAC missing or wrong";
    case Error::amplification_limit: return "anti-amplification limit reached";
    case Error::rate_limited: return "too many half-open handshakes";
    case Error::version_unsupported: return "unsupported protocol version";
    case Error::stale_key: return "packet for a discarded key";
    case Error::cert_expired: return "certificate expired";
    case Error::cert_not_yet_valid: return "certificate not yet valid";
    case Error::cert_unknown_ca: return "certificate issued by an unknown CA";
    case Error::cert_revoked: return "certificate revoked";
    case Error::crl_expired: return "CRL expired";
    case Error::cert_wrong_purpose: return "certificate not valid for this role (EKU)";
    case Error::cert_name_mismatch: return "certificate name does not match the expected server name";
    case Error::cert_invalid: return "certificate chain invalid";
    case Error::bad_signature: return "handshake signature does not verify with the certificate key";
    case Error::bad_finished: return "handshake Finished MAC does not verify";
    case Error::unsupported_extension: return "unsupported critical extension";
    case Error::no_common_suite: return "no common cipher suite";
    case Error::handshake_timeout: return "handshake timed out";
    case Error::peer_timeout: return "peer stopped responding";
    case Error::key_exhausted: return "key usage limit reached";
    case Error::protocol_violation: return "protocol violation";
    case Error::peer_closed: return "closed by the peer";
    case Error::closed_locally: return "closed locally";
    case Error::internal: return "internal error";
    case Error::cert_unsupported_key:
        return "unsupported certificate key (Ed25519, EC P-256 or RSA of 2048 to 4096 bits)";
    case Error::buffer_too_small: return "buffer too small";
    case Error::invalid_state: return "call not valid in this state";
    case Error::invalid_argument: return "invalid argument";
    case Error::not_found: return "no such session";
    case Error::queue_full: return "queue full";
    }
    return "unknown error";
}

}  // namespace udpvpn
