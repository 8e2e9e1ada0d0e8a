// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-scale: one server endpoint and thousands of clients in one thread, through the sans-IO core
// (a program, not a test: it prints figures measured in one run).
//   udpvpn-scale [--section NAME]... [--clients N] [--ms N]
// Sections:
//   load    N clients (default 10,000, each from its own IPv4 address, 50 per /24, so the server's
//           per-host and per-prefix limits stay at their defaults) handshake with one server; then
//           each sends one inner packet and gets one back. Reports handshakes per CPU second against
//           what the handshake's primitives allow, bytes the server holds per session (a counting
//           operator new, counting_alloc.cpp), and sessions lost. The primitives are timed twice:
//           in the fresh process (the target's yardstick) and again after the load, in the large
//           heap the server's handshakes ran in (a diagnostic: how far the yardstick moves).
//   timers  the cost of one event-loop turn of the server (a DATA packet in, poll_datagram(),
//           next_deadline()) and of the timer calls alone, with 100, 1,000 and 10,000 established
//           sessions and with 100, 1,000 and 4,000 half-open handshakes: flat or linear in their number.
#include "bench_support.hpp"
#include "counting_alloc.hpp"
#include "sodium_init.hpp"
#include "wire_format.hpp"

#include <udpvpn/endpoint.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace udpvpn;
using namespace udpvpn::bench;

namespace {

constexpr int kRuns = 5;
constexpr std::size_t kHostsPerPrefix = 50;   // = the default handshake_rate_per_prefix burst
constexpr std::size_t kWave = 200;            // clients starting together (cookie_threshold is 256)
constexpr TimeNs kStart = 1000 * kSecond;

// Client i's address: 10.p.p.h, a host of its own, kHostsPerPrefix hosts per /24.
PeerAddress client_address(std::size_t i) {
    const std::size_t prefix = i / kHostsPerPrefix;
    return PeerAddress::ipv4({10, std::uint8_t(prefix >> 8), std::uint8_t(prefix), std::uint8_t(i % kHostsPerPrefix + 1)},
                             40000);
}
std::size_t client_index(const PeerAddress& a) {
    return (std::size_t(a.bytes[4]) << 8 | a.bytes[5]) * kHostsPerPrefix + a.bytes[6] - 1;
}
const PeerAddress kServerAddress = PeerAddress::ipv4({192, 0, 2, 1}, 4433);

struct Client {
    std::unique_ptr<Endpoint> ep;
    SessionId sid = 0;        // the client's ID of its session
    SessionId server_sid = 0; // the server's
    bool up = false;
};

// One server and its clients. Every server call runs under ChargeTo(server) and adds its CPU time to
// server_cpu; client calls are charged to the clients.
struct Fleet {
    const Pki& pki;
    std::unique_ptr<Endpoint> server;
    std::vector<Client> clients;
    TimeNs now = kStart;
    double server_cpu = 0;
    bool finish_handshakes = true;   // false: clients stop after their INITIAL (half-open sessions)

    explicit Fleet(const Pki& p) : pki(p) {
        ServerEndpointConfig sc;
        sc.inner_mtu = 0;
        ChargeTo charge(Owner::server);
        server = Endpoint::make_server(sc, pki.server, pki.verifier, std::make_shared<SystemRng>()).value;
    }

    template <typename F>
    auto at_server(F&& f) {
        ChargeTo charge(Owner::server);
        const double t0 = cpu_seconds();
        struct Add {
            double& sum;
            double t0;
            ~Add() { sum += cpu_seconds() - t0; }
        } add{server_cpu, t0};
        return f(*server);
    }

    // Adds clients until there are n, kWave at a time, and moves datagrams until all are quiet.
    void grow(std::size_t n) {
        while (clients.size() < n) {
            const std::size_t first = clients.size(), last = std::min(n, first + kWave);
            for (std::size_t i = first; i < last; ++i) {
                ChargeTo charge(Owner::client);
                ClientEndpointConfig cc;
                cc.server = kServerAddress;
                cc.expected_server_name = "vpn.example.test";
                cc.inner_mtu = 0;
                Client c;
                c.ep = Endpoint::make_client(cc, pki.client, pki.verifier, std::make_shared<SystemRng>()).value;
                c.sid = c.ep->connect(now).value;
                clients.push_back(std::move(c));
            }
            settle(first, last);
        }
    }

    // Moves datagrams between clients [first, last) and the server until nothing moves, a phase at a
    // time (every client sends, the server takes them all and answers, every client receives): the
    // CPU clock is read around each server phase, not around each call, where it would cost more
    // than the calls it measures.
    void settle(std::size_t first, std::size_t last) {
        flight_.clear();
        for (;;) {
            {
                ChargeTo charge(Owner::client);
                for (std::size_t i = first; i < last; ++i)
                    while (const std::size_t n = poll(*clients[i].ep)) {
                        if (!finish_handshakes && slot(flight_.size())[0] == std::uint8_t(PacketType::handshake)) continue;
                        in_flight(i, n);
                    }
            }
            const double t0 = cpu_seconds();
            {
                ChargeTo charge(Owner::server);
                for (std::size_t k = 0; k < flight_.size(); ++k)
                    server->receive(now, client_address(flight_[k].client), slot(k).first(flight_[k].size));
                flight_.clear();
                PeerAddress to;
                while (const std::size_t n = poll(*server, &to)) {
                    if (!finish_handshakes && slot(flight_.size())[0] != std::uint8_t(PacketType::retry)) continue;
                    in_flight(client_index(to), n);
                }
                while (auto e = server->poll_event())
                    if (e->type == EventType::established) clients[client_index(e->address)].server_sid = e->session;
            }
            server_cpu += cpu_seconds() - t0;
            if (flight_.empty()) break;   // clients answer only what they receive: nothing more moves
            ChargeTo charge(Owner::client);
            for (std::size_t k = 0; k < flight_.size(); ++k)
                clients[flight_[k].client].ep->receive(now, kServerAddress, slot(k).first(flight_[k].size));
            flight_.clear();
        }
        ChargeTo charge(Owner::client);
        for (std::size_t i = first; i < last; ++i)
            while (auto e = clients[i].ep->poll_event()) clients[i].up |= e->type == EventType::established;
    }

    // Datagrams in flight between the phases of settle(): slot k holds the k-th, sent by or to client
    // flight_[k].client. Their memory is charged to neither side.
    struct InFlight {
        std::size_t client, size;
    };
    static constexpr std::size_t kSlot = 2048;   // more than any handshake or keepalive datagram
    std::vector<std::uint8_t> slots_;
    std::vector<InFlight> flight_;
    MutableByteView slot(std::size_t k) {
        if (slots_.size() < (k + 1) * kSlot) {
            ChargeTo charge(Owner::other);
            slots_.resize(2 * (k + 1) * kSlot);
        }
        return MutableByteView(slots_.data() + k * kSlot, kSlot);
    }
    void in_flight(std::size_t client, std::size_t size) {
        ChargeTo charge(Owner::other);
        flight_.push_back({client, size});
    }
    // The next datagram `ep` sends, into the next free slot; 0 when it has none.
    std::size_t poll(Endpoint& ep, PeerAddress* to = nullptr) {
        PeerAddress ignored;
        const auto r = ep.poll_datagram(slot(flight_.size()), to ? *to : ignored);
        return r.ok() ? r.value : 0;
    }

    // One inner packet from client i to the server and one back; false if either did not arrive.
    bool exchange(std::size_t i) {
        Client& c = clients[i];
        if (!c.up || c.server_sid == 0) return false;
        std::uint8_t inner[64] = {0x45}, dg[256];
        Sealed s;
        {
            ChargeTo charge(Owner::client);
            s = c.ep->seal(now, c.sid, InnerProtocol::ipv4, inner, dg);
        }
        if (s.status != Error::ok) return false;
        Received r = at_server([&](Endpoint& sv) { return sv.receive(now, client_address(i), MutableByteView(dg, s.size)); });
        if (!r.has_inner || r.session != c.server_sid) return false;
        s = at_server([&](Endpoint& sv) { return sv.seal(now, c.server_sid, InnerProtocol::ipv4, inner, dg); });
        if (s.status != Error::ok) return false;
        ChargeTo charge(Owner::client);
        r = c.ep->receive(now, kServerAddress, MutableByteView(dg, s.size));
        return r.has_inner;
    }

    // Lets `dt` pass: every due timer fires and what it sends is delivered (keepalives, the end of
    // the server's handshake tails).
    void advance(TimeNs dt) {
        now += dt;
        at_server([&](Endpoint& s) { s.handle_timeout(now); return 0; });
        for (Client& c : clients) {
            ChargeTo charge(Owner::client);
            if (c.ep->next_deadline() <= now) c.ep->handle_timeout(now);
        }
        settle(0, clients.size());
    }

    std::size_t up() const {
        return std::size_t(std::count_if(clients.begin(), clients.end(), [](const Client& c) { return c.up && c.server_sid; }));
    }
};

// --- section: load ----------------------------------------------------------------------------------
void section_load(const Options& o) {
    const std::size_t n = o.clients;
    std::printf("== load: %zu clients, one server endpoint, in memory, one core\n", n);
    Pki p;
    if (!load_pki(p)) return;

    // What the primitives allow: one side's primitives per handshake, best of kRuns.
    HandshakePrimitives prims(p);
    std::uint64_t failed = prims.run(8);
    auto primitives_rate = [&] {
        double best = 0;
        for (int r = 0; r < kRuns; ++r) {
            std::uint64_t done = 0;
            const double t0 = cpu_seconds();
            while (cpu_seconds() - t0 < o.ms_per_run / 1e3) {
                failed += prims.run(8);
                done += 8;
            }
            best = std::max(best, double(done) / (cpu_seconds() - t0));
        }
        return best;
    };
    const double prim_rate = primitives_rate();
    if (failed) { std::printf("FAILED: %llu primitive checks failed\n", (unsigned long long)failed); return; }

    Fleet f(p);
    const std::int64_t server_bytes0 = live_bytes(Owner::server);
    const double t0 = cpu_seconds();
    f.grow(n);
    const double total_cpu = cpu_seconds() - t0;
    const std::size_t established = f.up();
    const std::int64_t server_bytes_tail = live_bytes(Owner::server) - server_bytes0;
    std::size_t passed = 0;
    for (std::size_t i = 0; i < n; ++i) passed += f.exchange(i);
    // Past the handshake tail (handshake_timeout): what an established session costs for good.
    f.advance(11 * kSecond);
    const std::int64_t server_bytes = live_bytes(Owner::server) - server_bytes0;
    std::size_t passed_later = 0;
    for (std::size_t i = 0; i < n; ++i) passed_later += f.exchange(i);
    const EndpointStats st = f.server->stats();
    // The same primitives again, now that the process holds the server's sessions and the clients (the
    // heap the handshakes ran in), and minutes later than the first reading: a second reading of the
    // yardstick. On a shared machine the two can differ by far more than any change to the server;
    // then neither ratio means much. Not the target's yardstick: a diagnostic beside it.
    const double prim_rate_after = primitives_rate();
    if (failed) { std::printf("FAILED: %llu primitive checks failed\n", (unsigned long long)failed); return; }

    const double server_rate = double(n) / f.server_cpu;
    std::printf("%-44s %10zu of %zu\n", "sessions established (both ends agree)", established, n);
    std::printf("%-44s %10zu of %zu, %zu after 11 s\n", "inner packet both ways", passed, n, passed_later);
    std::printf("%-44s %10zu\n", "sessions lost", n - std::min({established, passed, passed_later}));
    std::printf("%-44s %10llu\n", "server: sessions now", (unsigned long long)st.sessions);
    std::printf("%-44s %10llu / %llu\n", "server: RETRYs sent / table full", (unsigned long long)st.retries_sent,
                (unsigned long long)st.unvalidated.table_full);
    std::printf("%-44s %10.0f /s  (%.3f ms, both ends in one thread)\n", "handshakes, client and server", double(n) / total_cpu,
                1e3 * total_cpu / double(n));
    std::printf("%-44s %10.0f /s  (%.3f ms of server CPU each)\n", "handshakes, server side", server_rate, 1e3 / server_rate);
    std::printf("%-44s %10.0f /s  (%.3f ms)\n", "one side's primitives", prim_rate, 1e3 / prim_rate);
    std::printf("%-44s %10.3f  (target >= 0.8)\n", "server handshakes / primitives allow", server_rate / prim_rate);
    std::printf("%-44s %10.0f /s  (%.3f ms)\n", "one side's primitives, again after the load", prim_rate_after,
                1e3 / prim_rate_after);
    std::printf("%-44s %10.3f  (diagnostic: same process state)\n", "server handshakes / primitives after load",
                server_rate / prim_rate_after);
    std::printf("%-44s %10.3f\n", "both ends / primitives of both", (double(n) / total_cpu) / (prim_rate / 2));
    std::printf("%-44s %10.0f B  (%.0f B while the handshake tail is held)\n", "server heap per established session",
                double(server_bytes) / double(n), double(server_bytes_tail) / double(n));
    std::printf("(heap = bytes live through operator new, charged to the server endpoint's calls, after the\n"
                " 10 s handshake tail; OpenSSL's and libsodium's own mallocs are not counted)\n");
}

// --- section: timers --------------------------------------------------------------------------------
struct TurnFigures {
    double turn = 0, timers = 0;   // best ns per turn / per next_deadline + idle handle_timeout
};

// One turn: a DATA packet of one of the first kActive clients in, the server polled dry, its next
// deadline asked for. The same kActive clients talk whatever the number of sessions, so that the
// figures show what the sessions' number costs, not the CPU caches' size.
constexpr std::size_t kActive = 100;
void turns(Fleet& f, std::size_t count, std::size_t& k) {
    std::uint8_t inner[64] = {0x45}, dg[256];
    for (std::size_t j = 0; j < count; ++j, ++k) {
        const std::size_t i = k % kActive;
        Client& c = f.clients[i];
        const Sealed s = c.ep->seal(f.now, c.sid, InnerProtocol::ipv4, inner, dg);
        const Received r = f.server->receive(f.now, client_address(i), MutableByteView(dg, s.size));
        volatile_sink(r.inner.data());
        PeerAddress to;
        while (f.server->poll_datagram(dg, to).value > 0) {}
        const TimeNs d = f.server->next_deadline();
        volatile_sink(&d);
    }
}
// The timer calls alone: next_deadline() and a handle_timeout() with nothing due.
void timer_calls(Fleet& f, std::size_t count) {
    for (std::size_t j = 0; j < count; ++j) {
        const TimeNs d = f.server->next_deadline();
        f.server->handle_timeout(f.now);
        volatile_sink(&d);
    }
}

template <typename F>
double ns_per_call(const Options& o, F&& body) {
    std::uint64_t done = 0;
    const double t0 = cpu_seconds();
    for (std::size_t batch = 16;; batch = std::min<std::size_t>(batch * 2, 4096)) {
        body(batch);
        done += batch;
        const double el = cpu_seconds() - t0;
        if (el * 1e3 >= o.ms_per_run) return el * 1e9 / double(done);
    }
}

void section_timers(const Options& o) {
    std::printf("== timers: one server event-loop turn vs the number of sessions, one core\n");
    Pki p;
    if (!load_pki(p)) return;
    const std::size_t sizes[] = {100, 1000, 10000};
    const std::size_t half_sizes[] = {100, 1000, 4000};
    std::vector<std::unique_ptr<Fleet>> fleets, half;
    for (std::size_t n : sizes) {
        fleets.push_back(std::make_unique<Fleet>(p));
        fleets.back()->grow(n);
        if (fleets.back()->up() != n) { std::printf("FAILED: %zu of %zu sessions up\n", fleets.back()->up(), n); return; }
    }
    for (std::size_t n : half_sizes) {
        half.push_back(std::make_unique<Fleet>(p));
        half.back()->finish_handshakes = false;
        half.back()->grow(n);
        const auto h = half.back()->server->stats().half_open;
        if (h != n) { std::printf("FAILED: %llu of %zu half-open\n", (unsigned long long)h, n); return; }
    }
    std::vector<TurnFigures> est(fleets.size()), ho(half.size());
    std::size_t k = 0;
    for (int r = 0; r < kRuns; ++r) {   // interleaved, best of kRuns: load elsewhere hits all alike
        for (std::size_t i = 0; i < fleets.size(); ++i) {
            const double t = ns_per_call(o, [&](std::size_t c) { turns(*fleets[i], c, k); });
            const double tc = ns_per_call(o, [&](std::size_t c) { timer_calls(*fleets[i], c); });
            est[i].turn = r == 0 ? t : std::min(est[i].turn, t);
            est[i].timers = r == 0 ? tc : std::min(est[i].timers, tc);
        }
        for (std::size_t i = 0; i < half.size(); ++i) {
            const double tc = ns_per_call(o, [&](std::size_t c) { timer_calls(*half[i], c); });
            ho[i].timers = r == 0 ? tc : std::min(ho[i].timers, tc);
        }
    }
    std::printf("%-26s %10s %10s %14s %10s\n", "server holds", "turn ns", "x first", "timer calls ns", "x first");
    for (std::size_t i = 0; i < fleets.size(); ++i)
        std::printf("%6zu sessions %11s %10.0f %10.2f %14.0f %10.2f\n", sizes[i], "", est[i].turn, est[i].turn / est[0].turn,
                    est[i].timers, est[i].timers / est[0].timers);
    for (std::size_t i = 0; i < half.size(); ++i)
        std::printf("%6zu half-open handshakes %2s %10s %10s %14.0f %10.2f\n", half_sizes[i], "", "-", "-", ho[i].timers,
                    ho[i].timers / ho[0].timers);
    std::printf("(turn = a DATA packet of one of %zu clients sealed and received, the server's poll_datagram() until\n"
                " empty and next_deadline(); timer calls = next_deadline() + handle_timeout() with nothing due; CPU ns, best of\n"
                " %d; flat = the x columns stay near 1 from 100 to 10,000)\n", kActive, kRuns);
}

const Section kSections[] = {
    {"timers", section_timers, "one server event-loop turn with 100 to 10,000 sessions and half-opens"},
    {"load", section_load, "N clients: handshakes/s vs primitives, heap per session, sessions lost"},
};

}  // namespace

int main(int argc, char** argv) {
    if (!ensure_sodium()) return 1;
    Options o;
    o.ms_per_run = 200;
    return run_sections(argc, argv, kSections, o, true);
}
