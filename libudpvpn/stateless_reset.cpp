// SPDX-License-Identifier: GPL-3.0-or-later
#include "stateless_reset.hpp"

#include "data_packet.hpp"

#include <sodium.h>

#include <algorithm>

namespace udpvpn {

std::size_t write_stateless_reset(const ResetToken& token, std::size_t trigger_size, Rng& rng,
                                  MutableByteView out) noexcept {
    if (trigger_size <= kMinResetSize || out.size() < kMaxResetSize) return 0;
    const std::size_t n = std::min(trigger_size - 1, kMaxResetSize);
    rng.fill(out.first(n - kResetTokenSize));
    out[0] = static_cast<std::uint8_t>(0x14 | (out[0] & 0x08));   // KEEPALIVE, random key phase
    std::copy(token.expose().begin(), token.expose().end(), out.begin() + static_cast<std::ptrdiff_t>(n - kResetTokenSize));
    return n;
}

bool is_stateless_reset(ByteView d, const ResetToken& token) noexcept {
    if (d.size() < kMinResetSize || d.size() > kMaxResetSize || !is_data_type(d[0])) return false;
    return crypto_verify_16(d.data() + d.size() - kResetTokenSize, token.data()) == 0;
}

bool ResetRateLimit::take(TimeNs now) noexcept {
    if (rate_ == 0) return false;
    if (!started_) {
        started_ = true;
        last_ = now;
    } else if (now > last_) {
        // Whole tokens only; the remainder of the elapsed time is kept by advancing last_ by the
        // time those tokens took.
        const TimeNs per_token = kSecond / rate_;
        const std::uint64_t earned = per_token ? (now - last_) / per_token : rate_;
        if (earned > 0) {
            tokens_ = std::min<std::uint64_t>(rate_, tokens_ + earned);
            last_ = tokens_ == rate_ ? now : last_ + earned * per_token;
        }
    }
    if (tokens_ == 0) return false;
    tokens_--;
    return true;
}

}  // namespace udpvpn
