// SPDX-License-Identifier: GPL-3.0-or-later
// Runs endpoints over a sim::Network on a virtual clock: jumps to the next deadline or arrival,
// never sleeps. Records every event and inner packet per host for the tests to check.
#pragma once
#include "sim_network.hpp"

#include <udpvpn/endpoint.hpp>

#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace udpvpn::sim {

struct Host {
    std::string name;
    std::unique_ptr<Endpoint> endpoint;
    PeerAddress address;   // current source address of this host
    std::vector<Event> events;
    struct Inner { SessionId session; InnerProtocol protocol; Bytes bytes; };
    std::vector<Inner> inner;
    std::uint64_t drops = 0;
    std::function<void(Host&, const Event&)> on_event;   // optional hook (e.g. push config)

    std::size_t count(EventType t) const {
        std::size_t n = 0;
        for (const Event& e : events) n += e.type == t;
        return n;
    }
    const Event* last(EventType t) const {
        for (auto it = events.rbegin(); it != events.rend(); ++it) if (it->type == t) return &*it;
        return nullptr;
    }
};

class World {
public:
    explicit World(std::uint64_t seed, Impairments imp = {}) : net(seed, imp) {}

    Network net;
    TimeNs now = 1 * kSecond;

    Host& add(std::string name, std::unique_ptr<Endpoint> ep) {
        auto h = std::make_unique<Host>();
        h->name = name;
        h->endpoint = std::move(ep);
        h->address = address(name);
        routes_[key(h->address)] = h.get();
        hosts_.push_back(std::move(h));
        return *hosts_.back();
    }
    // The host now sends from `addr`; datagrams to its old addresses still reach it.
    void move(Host& h, const std::string& addr) {
        h.address = address(addr);
        routes_[key(h.address)] = &h;
    }

    // Flushes output of every host.
    void flush() {
        for (auto& h : hosts_) flush(*h);
    }
    void flush(Host& h) {
        std::uint8_t buf[kMaxDatagram];
        for (;;) {
            PeerAddress to;
            Result<std::size_t> n = h.endpoint->poll_datagram(buf, to);
            if (!n.ok() || n.value == 0) break;
            net.send(now, h.address, to, {buf, n.value});
        }
        drain(h);
    }

    // Sends an inner packet through `h`'s session; returns false if the endpoint refused it.
    bool send_inner(Host& h, SessionId sid, InnerProtocol p, ByteView inner) {
        std::uint8_t buf[kMaxDatagram];
        Sealed s = h.endpoint->seal(now, sid, p, inner, buf);
        if (s.status != Error::ok) return false;
        net.send(now, h.address, s.to, {buf, s.size});
        return true;
    }

    // Advances to the next arrival or deadline (at most `limit`) and processes everything due.
    void step(TimeNs limit) {
        TimeNs t = net.next_arrival();
        for (auto& h : hosts_) t = std::min(t, h->endpoint->next_deadline());
        if (t > limit) t = limit;
        if (t > now) now = t;
        while (auto d = net.pop_due(now)) deliver(*d);
        for (auto& h : hosts_) {
            if (h->endpoint->next_deadline() <= now) h->endpoint->handle_timeout(now);
            flush(*h);
        }
    }

    // Runs until `until` (virtual) or until `done()` holds.
    template <typename Pred>
    bool run_until(TimeNs until, Pred done) {
        flush();
        while (now < until) {
            if (done()) return true;
            step(until);
        }
        return done();
    }
    void run_for(TimeNs d) { run_until(now + d, [] { return false; }); }

    std::size_t size() const { return hosts_.size(); }
    Host& host(std::size_t i) { return *hosts_[i]; }

private:
    static std::string key(const PeerAddress& a) { return std::string(a.view().begin(), a.view().end()); }

    void deliver(Datagram& d) {
        auto it = routes_.find(key(d.to));
        if (it == routes_.end()) return;
        Host& h = *it->second;
        Received r = h.endpoint->receive(now, d.from, d.bytes);
        if (r.status != Error::ok) h.drops++;
        if (r.has_inner) h.inner.push_back({r.session, r.protocol, Bytes(r.inner.begin(), r.inner.end())});
        flush(h);
    }

    // Events first, then inner packets: an endpoint holds a new session's inner packets back until
    // its `established` event has been polled.
    void drain(Host& h) {
        std::uint8_t buf[kMaxDatagram];
        while (auto e = h.endpoint->poll_event()) {
            h.events.push_back(*e);
            if (h.on_event) h.on_event(h, h.events.back());
        }
        for (;;) {
            Result<InnerPacket> p = h.endpoint->poll_inner(buf);
            if (!p.ok() || p.value.size == 0) break;
            h.inner.push_back({p.value.session, p.value.protocol, Bytes(buf, buf + p.value.size)});
        }
    }

    std::vector<std::unique_ptr<Host>> hosts_;
    std::map<std::string, Host*> routes_;
};

}  // namespace udpvpn::sim
