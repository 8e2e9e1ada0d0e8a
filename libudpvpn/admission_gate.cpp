// SPDX-License-Identifier: GPL-3.0-or-later
#include "admission_gate.hpp"

#include "admission.hpp"
#include "sodium_init.hpp"

#include <cstring>

namespace udpvpn {

AdmissionGate::AdmissionGate(const ServerEndpointConfig& config, Rng& rng)
    : config_(config),
      cookies_(config_.cluster_key ? CookieJar(rng, config_.cluster_key.get(), config.cookie_clock_offset) : CookieJar(rng)) {
    ensure_sodium();
}

AdmissionGate::Verdict AdmissionGate::classify(TimeNs now, const PeerAddress& from, ByteView datagram,
                                               std::size_t half_open_count, MutableByteView retry_out) {
    Verdict v;
    auto drop = [&v](Error e) { v.kind = Verdict::drop; v.reason = e; return v; };
    if (datagram.empty() || datagram.size() > kMaxHandshakeDatagram) return drop(Error::malformed);
    if (datagram[0] == static_cast<std::uint8_t>(PacketType::pad)) {
        if (!admission_verify(admission_key_bytes(config_.admission_key), datagram) && !UDPVPN_FAULT(config_, admission_key_unchecked))
            return drop(Error::admission_denied);
        auto p = parse_pad(datagram);
        if (!p.ok()) return drop(p.error);
        v.kind = Verdict::pad;
        v.client_sid = p.value.client_sid;
        v.client_eph_pub = p.value.client_eph_pub;
        return v;
    }
    if (datagram[0] != static_cast<std::uint8_t>(PacketType::initial)) return drop(Error::unexpected_packet);
    if (datagram.size() < kMinInitialSize) return drop(Error::malformed);          // §1.1
    if (!admission_verify(admission_key_bytes(config_.admission_key), datagram) && !UDPVPN_FAULT(config_, admission_key_unchecked))
        return drop(Error::admission_denied);
    auto p = parse_initial(datagram);
    if (!p.ok()) return drop(p.error);
    v.client_sid = p.value.client_sid;
    v.client_eph_pub = p.value.client_eph_pub;
    if (half_open_count >= config_.max_half_open) return drop(Error::rate_limited);   // §3.5
    if (!p.value.cookie.empty()) {
        // A cookie we cannot verify (forged, other address, expired): drop, never RETRY again.
        v.has_cookie = true;
        if (!cookies_.verify(now, from, v.client_sid, v.client_eph_pub, p.value.cookie)) return drop(Error::bad_tag);
        v.cookie_valid = true;
        std::memcpy(v.cookie.data(), p.value.cookie.data(), kCookieSize);
    } else if (half_open_count >= config_.cookie_threshold && !UDPVPN_FAULT(config_, cookie_never_required)) {
        v.retry_size = retry(now, from, v.client_sid, v.client_eph_pub, retry_out);
        if (v.retry_size == 0) return drop(Error::buffer_too_small);
        v.kind = Verdict::retry;
        return v;
    }
    v.kind = Verdict::accept;
    return v;
}

std::size_t AdmissionGate::retry(TimeNs now, const PeerAddress& from, SessionId client_sid,
                                 const PublicKey32& client_eph_pub, MutableByteView out) noexcept {
    RetryFields rf;
    rf.client_sid = client_sid;
    rf.cookie = cookies_.make(now, from, client_sid, client_eph_pub);
    auto n = encode_retry(rf, out);
    return n.ok() ? n.value : 0;
}

}  // namespace udpvpn
