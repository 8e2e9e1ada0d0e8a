// SPDX-License-Identifier: GPL-3.0-or-later
// What the client and the server endpoint share (docs/rfc-draft.txt, "Endpoints"): the event and
// inner-packet queues, statistics, opening DATA for a session and announcing it once established.
// Each role lives in its own file: client_endpoint.cpp, server_endpoint.cpp.
#pragma once
#include "data_packet.hpp"
#include "handshake.hpp"
#include "session.hpp"

#include <udpvpn/endpoint.hpp>

#include <deque>
#include <unordered_set>

namespace udpvpn {

inline constexpr std::size_t kMaxInnerQueue = 1024;      // early data waiting for poll_inner()
inline constexpr std::size_t kMaxEventQueue = 65536;

struct QueuedInner {
    SessionId session;
    InnerProtocol protocol;
    Bytes bytes;
};

inline bool is_inner(PayloadType p) noexcept {
    return p == PayloadType::ipv4 || p == PayloadType::ipv6 || p == PayloadType::ppp;
}

// Shared plumbing of both roles: events, inner packets, statistics, the last time we were told.
// The session a completed handshake opens: `role` is ours, the peer is at `address`.
inline SessionParams session_params(const HandshakeResult& r, Role role, const PeerAddress& address) {
    SessionParams p;
    p.role = role;
    p.local_sid = role == Role::client ? r.client_sid : r.server_sid;
    p.peer_sid = role == Role::client ? r.server_sid : r.client_sid;
    p.suite = r.suite;
    p.address = address;
    p.peer = r.peer;
    p.peer_chain = r.peer_chain;
    return p;
}

class EndpointBase : public Endpoint {
protected:
    void push_event(Event e) {
        if (events_.size() < kMaxEventQueue) events_.push_back(std::move(e));
    }
    void drain_session_events(Session& s) {
        while (auto e = s.poll_event()) push_event(std::move(*e));
    }
    Received drop(Error e) {
        count_drop(e);
        Received r;
        r.status = e;
        return r;
    }
    void count_drop(Error e) {
        const int v = static_cast<int>(e);
        if (v > 0 && v < 32) stats_.dropped[v]++;
    }
    Received open_data_for(TimeNs now, Session& s, const PeerAddress& from, const DataHeader& h,
                           MutableByteView datagram, bool* path_check_started = nullptr) {
        Session::Opened o = s.open(now, from, h, datagram);
        drain_session_events(s);
        if (path_check_started) *path_check_started = o.path_check_started;
        if (o.status != Error::ok) return drop(o.status);
        Received r;
        r.session = s.local_sid();
        if (is_inner(o.payload) && !o.plaintext.empty()) {
            const auto protocol = static_cast<InnerProtocol>(o.payload);
            // The application has not seen `established` for this session yet (it arrived in the
            // same batch of datagrams): it would not know where the packet belongs, so it waits in
            // the poll_inner() queue, which hands it out after the event (issue 10, finding 8).
            if (!unannounced_.empty() && unannounced_.count(r.session)) {
                queue_inner(r.session, protocol, o.plaintext);
                return r;
            }
            r.has_inner = true;
            r.protocol = protocol;
            r.inner = o.plaintext;
        }
        return r;
    }
    void queue_inner(SessionId sid, InnerProtocol protocol, ByteView packet) {
        if (inner_.size() >= kMaxInnerQueue) {
            stats_.inner_dropped.queue_full++;
            return;
        }
        inner_.push_back({sid, protocol, Bytes(packet.begin(), packet.end())});
    }
    void report_established(SessionId sid, const HandshakeResult& r, const PeerAddress& address) {
        stats_.handshakes_completed++;
        Event e;
        e.type = EventType::established;
        e.session = sid;
        e.peer = r.peer;
        e.suite = r.suite;
        e.address = address;
        if (events_.size() >= kMaxEventQueue) return;
        push_event(std::move(e));
        unannounced_.insert(sid);
    }
    SessionInfo info_of(const Session& s) const {
        SessionInfo i;
        i.session = s.local_sid();
        i.established = !s.closed();
        i.peer = s.peer();
        i.address = s.address();
        i.suite = s.suite();
        i.epoch = s.epoch();
        i.last_handshake = s.last_handshake();
        i.tx_bytes = s.counters().tx_bytes;
        i.rx_bytes = s.counters().rx_bytes;
        i.tx_packets = s.counters().tx_packets;
        i.rx_packets = s.counters().rx_packets;
        i.inner_mtu = s.inner_mtu();
        return i;
    }

public:
    std::optional<Event> poll_event() override {
        if (events_.empty()) return std::nullopt;
        Event e = std::move(events_.front());
        events_.pop_front();
        if (e.type == EventType::established) unannounced_.erase(e.session);
        return e;
    }
    Result<InnerPacket> poll_inner(MutableByteView out) override {
        if (inner_.empty()) return {{}, Error::ok};
        QueuedInner& q = inner_.front();
        if (!unannounced_.empty() && unannounced_.count(q.session)) return {{}, Error::ok};   // after its event
        if (out.size() < q.bytes.size()) return {{q.session, q.protocol, q.bytes.size()}, Error::buffer_too_small};
        std::copy(q.bytes.begin(), q.bytes.end(), out.begin());
        InnerPacket p{q.session, q.protocol, q.bytes.size()};
        inner_.pop_front();
        return {p, Error::ok};
    }
    const EndpointStats& stats() const override { return stats_; }

protected:
    std::deque<Event> events_;
    std::deque<QueuedInner> inner_;
    // Sessions whose `established` event is queued but not yet polled: their inner packets wait.
    std::unordered_set<SessionId> unannounced_;
    EndpointStats stats_;
    TimeNs now_ = 0;   // time of the latest call: poll_datagram() has no time argument of its own
};

}  // namespace udpvpn
