// SPDX-License-Identifier: GPL-3.0-or-later
// The stateless front of a server (docs/rfc-draft.txt, Section 10): what an INITIAL or PAD must
// pass before any state is kept for it.
#pragma once
#include "cookie.hpp"
#include "secret.hpp"
#include "wire_format.hpp"

#include <udpvpn/config.hpp>
#include <udpvpn/error.hpp>
#include <udpvpn/rng.hpp>
#include <udpvpn/types.hpp>

namespace udpvpn {

// The stateless front of a server: admission MAC, version, size, half-open caps and cookies.
class AdmissionGate {
public:
    // Keeps a copy of the configuration and a reference to `rng` (cookie secrets), which must outlive it.
    AdmissionGate(const ServerEndpointConfig& config, Rng& rng);

    struct Verdict {
        enum Kind {
            drop,     // silently ignore (reason says why; count it)
            retry,    // send retry_out[0, retry_size) back to the source, keep no state
            accept,   // a valid INITIAL: look up (client_eph_pub, from) among half-open sessions; if
                      // one exists pass the datagram to its on_datagram(), else create a ServerHandshake
            pad,      // a PAD with a valid MAC: pass it to the half-open session of (client_eph_pub, from)
        } kind = drop;
        Error reason = Error::ok;
        SessionId client_sid = 0;
        PublicKey32 client_eph_pub{};
        bool has_cookie = false;      // it carried a cookie (drop with bad_tag: the cookie was bad)
        bool cookie_valid = false;    // accept: it carried a valid cookie (admission, not validation)
        Cookie cookie{};              // the cookie, when valid: claim_cookie() before opening a session
        std::size_t retry_size = 0;
    };
    // For INITIAL and PAD datagrams (anything else: drop / unexpected_packet). A RETRY verdict also
    // carries client_eph_pub: if that session is already half-open, route the datagram to it instead.
    Verdict classify(TimeNs now, const PeerAddress& from, ByteView datagram, std::size_t half_open_count,
                     MutableByteView retry_out);
    // A RETRY for this client at this address into `out` (its size; 0 if `out` is too small).
    std::size_t retry(TimeNs now, const PeerAddress& from, SessionId client_sid, const PublicKey32& client_eph_pub,
                      MutableByteView out) noexcept;
    // A valid cookie is about to open a new half-open session (§10.3): first use, or a replay of
    // one that already opened one, or no room left to remember it (2 x max_half_open per bucket).
    CookieJar::Claim claim_cookie(const Cookie& cookie) { return cookies_.claim(cookie, 2 * config_.max_half_open); }

private:
    ServerEndpointConfig config_;
    CookieJar cookies_;
};

}  // namespace udpvpn
