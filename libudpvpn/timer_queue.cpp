// SPDX-License-Identifier: GPL-3.0-or-later
#include "timer_queue.hpp"

namespace udpvpn {

void TimerQueue::schedule(Handle& h, TimeNs at) {
    if (at == kNever) return cancel(h);
    if (!h.queued()) {
        heap_.push_back({at, &h});
        h.slot = static_cast<std::uint32_t>(heap_.size() - 1);
        sift_up(h.slot);
        return;
    }
    const Entry old = heap_[h.slot];
    heap_[h.slot].at = at;
    if (before(heap_[h.slot], old)) sift_up(h.slot);
    else sift_down(h.slot);
}

void TimerQueue::schedule_earlier(Handle& h, TimeNs at) {
    if (at < deadline(h)) schedule(h, at);
}

void TimerQueue::cancel(Handle& h) noexcept {
    if (!h.queued()) return;
    const std::size_t slot = h.slot;
    h.slot = Handle::kNone;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (slot == heap_.size()) return;   // it was the last entry
    // The last entry fills the hole and moves whichever way restores the order.
    place(slot, last);
    sift_up(slot);
    sift_down(last.h->slot);
}

void TimerQueue::place(std::size_t slot, const Entry& e) noexcept {
    heap_[slot] = e;
    e.h->slot = static_cast<std::uint32_t>(slot);
}

void TimerQueue::sift_up(std::size_t slot) noexcept {
    const Entry e = heap_[slot];
    while (slot > 0) {
        const std::size_t parent = (slot - 1) / 2;
        if (!before(e, heap_[parent])) break;
        place(slot, heap_[parent]);
        slot = parent;
    }
    place(slot, e);
}

void TimerQueue::sift_down(std::size_t slot) noexcept {
    const Entry e = heap_[slot];
    const std::size_t n = heap_.size();
    for (;;) {
        std::size_t child = 2 * slot + 1;
        if (child >= n) break;
        if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
        if (!before(heap_[child], e)) break;
        place(slot, heap_[child]);
        slot = child;
    }
    place(slot, e);
}

}  // namespace udpvpn
