// SPDX-License-Identifier: GPL-3.0-or-later
#include "log_limiter.hpp"

namespace udpvpn::app {

bool LogLimiter::admit(const std::string& kind, TimeNs now) {
    auto [it, fresh] = kinds_.try_emplace(kind);
    Kind& k = it->second;
    if (fresh || now - k.start >= window_) {
        if (k.suppressed > 0) pending_.push_back({kind, k.suppressed, now - k.start});
        k = Kind{now, 0, 0};
    }
    if (k.logged < burst_) {
        ++k.logged;
        return true;
    }
    ++k.suppressed;
    return false;
}

std::vector<LogLimiter::Summary> LogLimiter::due(TimeNs now) {
    for (auto it = kinds_.begin(); it != kinds_.end();) {
        Kind& k = it->second;
        if (now - k.start < window_) {
            ++it;
            continue;
        }
        if (k.suppressed > 0) pending_.push_back({it->first, k.suppressed, now - k.start});
        it = kinds_.erase(it);   // quiet kinds cost nothing
    }
    std::vector<Summary> out;
    out.swap(pending_);
    return out;
}

std::string LogLimiter::format(const Summary& s) {
    std::string n = std::to_string(s.suppressed);
    for (int i = static_cast<int>(n.size()) - 3; i > 0; i -= 3) n.insert(static_cast<std::size_t>(i), ",");
    const auto secs = static_cast<unsigned long long>((s.span + kSecond / 2) / kSecond);
    return s.kind + " ... and " + n + " more in the last " + std::to_string(secs == 0 ? 1 : secs) + " s";
}

}  // namespace udpvpn::app
