// SPDX-License-Identifier: GPL-3.0-or-later
// Inner packets one worker of udpvpn-server hands to another, the owner of their session (the
// kernel spreads what the tunnel device sends over its queues by flow, not by session). Any worker
// appends under a mutex; the owner takes everything queued at once by swapping two pairs of
// buffers, so once the buffers have grown to the traffic neither side allocates. Packets come out
// in the order they went in: a flow read from one tunnel queue keeps its order.
#pragma once
#include <udpvpn/types.hpp>

#include <cstdint>
#include <mutex>
#include <vector>

namespace udpvpn::app {

class HandoffQueue {
public:
    enum class Origin : std::uint8_t { tunnel, client };   // read from the device, or another client's
    struct Packet {
        SessionId session;
        InnerProtocol protocol;
        Origin origin;
        ByteView bytes;
    };
    enum class Pushed {
        queued,        // the owner will see it: it has been woken already
        queued_first,  // the queue was empty: the caller wakes the owner (one asio::post per batch)
        full,          // over max_bytes: dropped (the caller counts it)
    };

    // At most `max_bytes` of packets wait at once (a stalled owner cannot make the others grow).
    explicit HandoffQueue(std::size_t max_bytes = 8u << 20) : max_bytes_(max_bytes) {}
    HandoffQueue(const HandoffQueue&) = delete;
    HandoffQueue& operator=(const HandoffQueue&) = delete;

    // Any thread: a copy of `packet`.
    Pushed push(SessionId session, InnerProtocol protocol, Origin origin, ByteView packet);

    // The owner's thread only: calls `each(const Packet&)` for everything queued before the call,
    // in order. The bytes are valid during the call. Packets pushed meanwhile wait for the next take.
    template <class Each>
    std::size_t take(Each&& each) {
        {
            std::lock_guard lock(mutex_);
            taken_.swap(queued_);
            taken_bytes_.swap(queued_bytes_);
        }
        for (const Entry& e : taken_)
            each(Packet{e.session, e.protocol, e.origin, ByteView(taken_bytes_.data() + e.offset, e.size)});
        const std::size_t n = taken_.size();
        taken_.clear();         // capacity stays for the next swap
        taken_bytes_.clear();
        return n;
    }

private:
    struct Entry {
        SessionId session;
        InnerProtocol protocol;
        Origin origin;
        std::size_t offset, size;
    };
    std::mutex mutex_;
    std::size_t max_bytes_;
    std::vector<Entry> queued_, taken_;                  // taken_: the owner's only
    std::vector<std::uint8_t> queued_bytes_, taken_bytes_;
};

}  // namespace udpvpn::app
