// SPDX-License-Identifier: GPL-3.0-or-later
// The server endpoint's deadline queue alone: earliest first, moves either way, cancels, ties in ID
// order, corrects early entries, and agrees with a sorted reference through many random operations.
#include "timer_queue.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

using namespace udpvpn;

namespace {

using Out = std::vector<std::pair<TimeNs, SessionId>>;

// Handles live where their owner keeps them: here in a node-based map, so they never move.
struct Owners {
    std::map<SessionId, TimerQueue::Handle> handles;
    TimerQueue::Handle& operator[](SessionId id) {
        TimerQueue::Handle& h = handles[id];
        h.id = id;
        return h;
    }
};

// Drains the queue: (deadline, id) in the order it hands them out.
Out drain(TimerQueue& q) {
    Out out;
    while (!q.empty()) {
        out.emplace_back(q.earliest(), q.earliest_id());
        q.pop();
    }
    return out;
}

}  // namespace

TEST_CASE("an empty queue has no deadline") {
    TimerQueue q;
    Owners o;
    CHECK(q.empty());
    CHECK(q.earliest() == kNever);
    CHECK(q.deadline(o[7]) == kNever);
    q.cancel(o[7]);   // cancelling what is not queued is harmless
    CHECK(q.empty());
}

TEST_CASE("entries come out earliest first") {
    TimerQueue q;
    Owners o;
    q.schedule(o[1], 50);
    q.schedule(o[2], 10);
    q.schedule(o[3], 30);
    q.schedule(o[4], 20);
    CHECK(q.size() == 4);
    CHECK(q.earliest() == 10);
    CHECK(q.earliest_id() == 2);
    CHECK(drain(q) == Out{{10, 2}, {20, 4}, {30, 3}, {50, 1}});
    CHECK_FALSE(o[2].queued());
    CHECK(q.deadline(o[2]) == kNever);
}

TEST_CASE("equal deadlines come out in ID order, whatever the order they were added in") {
    TimerQueue q;
    Owners o;
    for (SessionId id : {9u, 3u, 7u, 1u, 5u}) q.schedule(o[id], 100);
    q.schedule(o[4], 99);
    CHECK(drain(q) == Out{{99, 4}, {100, 1}, {100, 3}, {100, 5}, {100, 7}, {100, 9}});
}

TEST_CASE("rescheduling moves an entry either way; one entry per handle") {
    TimerQueue q;
    Owners o;
    q.schedule(o[1], 10);
    q.schedule(o[2], 20);
    q.schedule(o[3], 30);
    q.schedule(o[1], 40);   // later: 2 is now first
    CHECK(q.size() == 3);
    CHECK(q.earliest_id() == 2);
    q.schedule(o[3], 5);    // earlier: 3 is now first
    CHECK(q.earliest_id() == 3);
    CHECK(q.deadline(o[1]) == 40);
    q.schedule(o[2], kNever);   // kNever removes
    CHECK_FALSE(o[2].queued());
    CHECK(drain(q) == Out{{5, 3}, {40, 1}});
}

TEST_CASE("schedule_earlier only moves an entry earlier") {
    TimerQueue q;
    Owners o;
    q.schedule(o[1], 100);
    q.schedule_earlier(o[1], 200);
    CHECK(q.deadline(o[1]) == 100);
    q.schedule_earlier(o[1], 50);
    CHECK(q.deadline(o[1]) == 50);
    q.schedule_earlier(o[2], 70);   // absent: added
    CHECK(q.deadline(o[2]) == 70);
    q.schedule_earlier(o[3], kNever);   // nothing to add
    CHECK_FALSE(o[3].queued());
}

TEST_CASE("cancel removes an entry from the top, the middle and the end") {
    TimerQueue q;
    Owners o;
    for (SessionId id = 1; id <= 10; ++id) q.schedule(o[id], id * 10);
    q.cancel(o[1]);    // top
    q.cancel(o[5]);    // middle
    q.cancel(o[10]);   // last slot
    CHECK(q.size() == 7);
    std::vector<SessionId> ids;
    for (const auto& [at, id] : drain(q)) ids.push_back(id);
    CHECK(ids == std::vector<SessionId>{2, 3, 4, 6, 7, 8, 9});
}

TEST_CASE("settle corrects entries left early until the top is exact") {
    TimerQueue q;
    Owners o;
    std::map<SessionId, TimeNs> truth = {{1, 100}, {2, 200}, {3, 300}};
    for (const auto& [id, at] : truth) q.schedule(o[id], at);
    // 1 and 2 moved later without telling the queue (what the data path does with keepalives).
    truth[1] = 400;
    truth[2] = 250;
    int asked = 0;
    const TimeNs t = q.settle([&](SessionId id) { ++asked; return truth[id]; });
    CHECK(t == 250);
    CHECK(q.earliest_id() == 2);
    CHECK(asked == 3);   // 1 corrected, 2 corrected, 2 confirmed
    truth[2] = kNever;   // a deadline that went away is dropped
    CHECK(q.settle([&](SessionId id) { return truth[id]; }) == 300);
    CHECK_FALSE(o[2].queued());
    CHECK(q.deadline(o[1]) == 400);
}

TEST_CASE("many entries: the queue agrees with a sorted reference through random operations") {
    TimerQueue q;
    Owners o;
    std::map<SessionId, TimeNs> ref;
    std::mt19937_64 rng(13);
    for (int step = 0; step < 100000; ++step) {
        const SessionId id = static_cast<SessionId>(rng() % 5000);
        const TimeNs at = rng() % 2000;   // few distinct deadlines: many ties
        switch (rng() % 5) {
        case 0: q.cancel(o[id]); ref.erase(id); break;
        case 1:
            q.schedule_earlier(o[id], at);
            if (!ref.count(id) || at < ref[id]) ref[id] = at;
            break;
        case 2:
            if (!q.empty()) {
                ref.erase(q.earliest_id());
                q.pop();
            }
            break;
        default: q.schedule(o[id], at); ref[id] = at; break;
        }
        if (step % 997 == 0) {
            REQUIRE(q.size() == ref.size());
            for (const auto& [rid, rat] : ref) REQUIRE(q.deadline(o[rid]) == rat);
        }
    }
    std::set<std::pair<TimeNs, SessionId>> sorted;
    for (const auto& [id, at] : ref) sorted.emplace(at, id);
    CHECK(Out(sorted.begin(), sorted.end()) == drain(q));
}
