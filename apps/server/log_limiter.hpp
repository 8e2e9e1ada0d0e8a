// SPDX-License-Identifier: GPL-3.0-or-later
// Per-kind rate limit for log lines about peers, so that a flood (spoofed INITIALs, clients that
// stall after RETRY) costs a few lines instead of one per datagram: at most `burst` lines of one
// kind per `window`, the rest counted and summarised once the window ends
// ("refused client: handshake timed out ... and 3,837 more in the last 10 s").
// Pure: the caller passes the time, logs what admit() allows and what due() returns.
#pragma once
#include <udpvpn/types.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace udpvpn::app {

class LogLimiter {
public:
    struct Summary {
        std::string kind;
        std::uint64_t suppressed = 0;
        TimeNs span = 0;   // how long the window they fell in lasted
    };

    explicit LogLimiter(std::size_t burst = 5, TimeNs window = 10 * kSecond) noexcept
        : burst_(burst), window_(window) {}

    // True: log this line now. False: counted for the kind's next summary.
    bool admit(const std::string& kind, TimeNs now);
    // Summaries of windows that have ended by `now` and suppressed something; each once.
    std::vector<Summary> due(TimeNs now);
    TimeNs window() const noexcept { return window_; }

    // "refused client: handshake timed out ... and 3,837 more in the last 10 s"
    static std::string format(const Summary& s);

private:
    struct Kind {
        TimeNs start = 0;
        std::size_t logged = 0;
        std::uint64_t suppressed = 0;
    };
    std::size_t burst_;
    TimeNs window_;
    std::map<std::string, Kind> kinds_;
    std::vector<Summary> pending_;
};

}  // namespace udpvpn::app
