// SPDX-License-Identifier: GPL-3.0-or-later
// Per-host and per-prefix limits on half-open sessions (docs/rfc-draft.txt, Section 10.4), so that
// one host or one small network cannot take all max_half_open slots nor make the server sign
// without end. A host is the IP address of a source (any port); a prefix is its IPv4 /24 or IPv6 /56
// (PeerAddress::ipv4/ipv6 encoding; any other address is a host and a prefix of its own).
//
// Each host and each prefix has two counts and two token buckets, for half-open sessions opened
// without a cookie ("unproven": the source may be forged) and with one ("proven": the source
// received our RETRY there):
//   - an INITIAL without a cookie opens a session only while unproven + proven < the half-open
//     limit and the "any" bucket has a token; otherwise it gets a RETRY (stateless), so a forger who
//     fills a victim's quota only makes the victim show a cookie;
//   - an INITIAL with a valid cookie opens one only while proven < the limit and the "proven" bucket
//     has a token; otherwise it is refused.
// Buckets hold `rate` tokens and refill at `rate` per second. Entries live while a count is non-zero
// or a bucket is not full; the table holds at most 4 x max_half_open of them.
#pragma once
#include <udpvpn/config.hpp>
#include <udpvpn/types.hpp>

#include <array>
#include <unordered_map>

namespace udpvpn {

class SourceLimits {
public:
    explicit SourceLimits(const ServerEndpointConfig& config);

    enum class Verdict {
        open,               // take the slot (done: call release() when the half-open session ends)
        retry,              // no cookie and over a limit: answer with a RETRY, keep nothing
        source_half_open,   // refused: the host holds max_half_open_per_source proven sessions
        prefix_half_open,   // refused: the prefix holds max_half_open_per_prefix proven sessions
        source_rate,        // refused: the host is over handshake_rate_per_source
        prefix_rate,        // refused: the prefix is over handshake_rate_per_prefix
        table_full,         // refused: too many hosts and prefixes are being tracked
    };
    Verdict admit(TimeNs now, const PeerAddress& from, bool cookie);
    // A half-open session opened by admit() ended. `refund`: it never really opened (a later check
    // refused it), so its token goes back too. Entries left idle are forgotten.
    void release(TimeNs now, const PeerAddress& from, bool cookie, bool refund = false);
    std::size_t tracked() const noexcept { return table_.size(); }

private:
    using Key = std::array<std::uint8_t, 18>;   // kind (host/prefix) | family | up to 16 bytes
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    struct Bucket {
        double tokens = 0;
        TimeNs at = 0;
    };
    struct Entry {
        std::uint32_t unproven = 0, proven = 0;
        Bucket any, proven_rate;
    };
    struct Limit {
        std::size_t half_open;
        std::uint32_t rate;
    };

    static Key host_key(const PeerAddress& a) noexcept;
    static Key prefix_key(const PeerAddress& a) noexcept;
    Entry& entry(const Key& k, const Limit& l, TimeNs now, bool& fresh);
    static void refill(Bucket& b, std::uint32_t rate, TimeNs now) noexcept;
    static bool idle(const Entry& e, const Limit& l, TimeNs now) noexcept;
    void sweep(TimeNs now);

    Limit host_, prefix_;
    std::size_t capacity_;
    std::unordered_map<Key, Entry, KeyHash> table_;
};

}  // namespace udpvpn
