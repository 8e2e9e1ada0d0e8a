// SPDX-License-Identifier: GPL-3.0-or-later
// The deadlines of many sessions, earliest first: a binary min-heap, so that the server endpoint
// finds its next deadline in O(1) and moves or drops one session's deadline in O(log n), instead of
// scanning every session on every event-loop turn (issue 13: 0.3 ms per turn with 4096 half-open
// handshakes, linear in their number).
//
// Each deadline's owner holds a Handle: the session ID and where its entry sits in the heap, kept
// up to date by the queue. No index table: 16 bytes per queued deadline, no hashing; a Handle must
// not move while queued (the server keeps them in its unordered_map nodes) and is cancelled before
// it is destroyed. Equal deadlines come out in ID order, never in insertion or hash order. Moving
// an entry allocates nothing. The queue knows nothing of time: the caller says what is due.
#pragma once
#include <udpvpn/types.hpp>

#include <cstdint>
#include <vector>

namespace udpvpn {

class TimerQueue {
public:
    struct Handle {
        static constexpr std::uint32_t kNone = ~std::uint32_t{0};
        SessionId id = 0;
        std::uint32_t slot = kNone;   // the queue's business
        bool queued() const noexcept { return slot != kNone; }
    };

    TimerQueue() = default;
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    // Sets the deadline of `h`, earlier or later, adding it if absent; kNever removes it.
    void schedule(Handle& h, TimeNs at);
    // Moves the deadline of `h` earlier only (adding it if absent): for callers that let a deadline
    // that moved later stay early, to be corrected when it reaches the top (settle()).
    void schedule_earlier(Handle& h, TimeNs at);
    void cancel(Handle& h) noexcept;
    // The queued deadline of `h`, kNever if it has none.
    TimeNs deadline(const Handle& h) const noexcept { return h.queued() ? heap_[h.slot].at : kNever; }

    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }
    // The earliest deadline, kNever when empty, and its ID (precondition: !empty()).
    TimeNs earliest() const noexcept { return heap_.empty() ? kNever : heap_.front().at; }
    SessionId earliest_id() const noexcept { return heap_.front().h->id; }
    // Removes the earliest entry. Precondition: !empty().
    void pop() noexcept { cancel(*heap_.front().h); }

    // Corrects entries left early by schedule_earlier() until the top is exact: `exact(id)` says the
    // true deadline. Each correction moves one entry later or drops it, so this ends. Returns
    // earliest().
    template <typename F>
    TimeNs settle(F&& exact) {
        while (!heap_.empty()) {
            Handle& top = *heap_.front().h;
            const TimeNs t = exact(top.id);
            if (t == heap_.front().at) break;
            schedule(top, t);
        }
        return earliest();
    }

private:
    struct Entry {
        TimeNs at;
        Handle* h;
    };
    static bool before(const Entry& a, const Entry& b) noexcept {
        return a.at < b.at || (a.at == b.at && a.h->id < b.h->id);
    }
    void place(std::size_t slot, const Entry& e) noexcept;
    void sift_up(std::size_t slot) noexcept;
    void sift_down(std::size_t slot) noexcept;

    std::vector<Entry> heap_;
};

}  // namespace udpvpn
