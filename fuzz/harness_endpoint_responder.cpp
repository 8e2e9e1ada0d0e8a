// SPDX-License-Identifier: GPL-3.0-or-later
// The whole responder Endpoint as a state machine: arbitrary datagrams from four source addresses,
// advancing virtual time, interleaved with a real client (ClientHandshake, then a Session) whose
// handshake key the harness re-derives, so that forged-but-authenticated HANDSHAKE frames, CONTROL
// payloads, early data, rekeys, roaming and API calls all reach the server's deep paths.
//
// Input: config (1) then records op (1) | len (2, big-endian) | bytes, at most 128 of them.
//   config bit 0: admission key; bit 1: cookie_threshold 0 (every INITIAL needs a cookie);
//   bit 2: max_half_open 2; bit 3: prefer AES-256-GCM; bit 4: no PMTU probing; bit 5: early_data_limit 1.
//   op bits 0..2 (what):
//     0 raw datagram from address A        1 the same with a valid admission MAC over its last 16 bytes
//     2 one step of the real client        3 replay a datagram the client sent, from A, XOR-mutated by
//                                            bytes[2..] at offset bytes[1] (bytes[0] picks which)
//     4 HANDSHAKE frames (bytes) under the client's handshake key, from address A
//     5 the client's Session seals bytes[1..] with payload type bytes[0] % 5 (CONTROL frames too),
//       sent from address A
//     (for ops 4 and 5 an A other than the client's own address is a forged source: the key
//      holder spoofs it and receives nothing there)
//     6 API calls on both sides (bytes[0] picks)  7 the client moves to address bytes[0] % 4
//   op bits 3..4: address A; op bits 6..7: advance the clock by 0, 50 ms, 1 s or 11 s, firing timers.
// In the libFuzzer build (the fuzzing-build seam, fuzz/README.md) a CERTIFICATE_VERIFY whose
// signature begins with "udpvpn-fuzz-sig!" verifies, so op 4 can forge the client's whole flight.
// Invariants: no crash or sanitizer report; no misuse error from the packet path; no datagram larger
// than we may send; an address the client never received at gets at most 3x the bytes the server
// received from that address (whatever the key holder sent from elsewhere or forged from it); half-open
// count within max_half_open; every inner packet delivered was sealed by the client, once; event
// text has no control characters.
#include "harness.hpp"
#include "harness_support.hpp"

#include "admission.hpp"
#include "data_packet.hpp"
#include "endpoint_base.hpp"
#include "handshake.hpp"
#include "session.hpp"
#include "wire_format.hpp"

#include <udpvpn/endpoint.hpp>

#include <map>

using namespace udpvpn;
using udpvpn::fuzz::check;

namespace {

constexpr std::size_t kAddresses = 4;
constexpr std::uint64_t kSessionSeed = 77;

PeerAddress addr(std::size_t i) {
    return PeerAddress::from(std::array<std::uint8_t, 6>{192, 0, 2, static_cast<std::uint8_t>(10 + i), 0x13, 0x37});
}

// Text our own caller passes (its own close reason): printable, so that any control character in an
// event can only have come from the peer.
std::string local_text(ByteView b) {
    std::string t;
    for (std::uint8_t c : b) t.push_back(static_cast<char>('a' + c % 26));
    return t;
}

struct Harness {
    ResponderConfig scfg;
    InitiatorConfig ccfg;
    std::unique_ptr<Endpoint> server;
    TimeNs now = kSecond;

    // The real client: one handshake at a time, then a session.
    std::uint64_t hs_seed = 1000;
    std::unique_ptr<DeterministicRng> hs_rng;
    DeterministicRng session_rng{kSessionSeed};
    std::unique_ptr<ClientHandshake> hs;
    std::unique_ptr<Session> session;
    Bytes initial;                  // the client's first INITIAL of this handshake
    std::optional<AeadKey> c_hs;    // its handshake key, re-derived
    SessionId server_sid = 0;
    std::uint32_t forged_pn = 0x10000;
    std::size_t client_addr = 0;
    std::vector<Bytes> to_client, sent_by_client;
    fuzz::SealedSet sealed_by_client, sealed_by_server;

    std::array<std::uint64_t, kAddresses> rx{}, tx{};
    std::array<bool, kAddresses> owned{};
    Bytes& buf = fuzz::datagram_buffer();

    explicit Harness(std::uint8_t flags) {
        if (flags & 1) {
            std::array<std::uint8_t, 32> k{};
            k.fill(0x5A);
            scfg.admission_key = make_shared_key(k);
            ccfg.admission_key = scfg.admission_key;
        }
        if (flags & 2) scfg.cookie_threshold = 0;
        if (flags & 4) scfg.max_half_open = 2;
        if (flags & 8) scfg.suites = {Suite::aes256_gcm, Suite::chacha20_poly1305};
        if (flags & 16) scfg.inner_mtu = ccfg.inner_mtu = 0;
        if (flags & 32) scfg.early_data_limit = 1;
        ccfg.expected_server_name = "vpn.example.test";
        ccfg.server = PeerAddress::from(std::array<std::uint8_t, 4>{198, 51, 100, 1});
        const auto& p = fuzz::pki();
        auto ep = Endpoint::make_responder(scfg, p.server, p.verifier, std::make_shared<DeterministicRng>(2));
        check(ep.ok(), "make_responder");
        server = std::move(ep.value);
        new_handshake();
    }

    void new_handshake() {
        session.reset();
        c_hs.reset();
        initial.clear();
        server_sid = 0;
        ++hs_seed;
        hs_rng = std::make_unique<DeterministicRng>(hs_seed);
        hs = std::make_unique<ClientHandshake>(ccfg, fuzz::pki().client, fuzz::pki().verifier, *hs_rng,
                                               static_cast<SessionId>(0x0C000000u + hs_seed), now);
    }

    std::size_t max_out() const { return largest_datagram(scfg); }

    void server_in(std::size_t a, MutableByteView dg) {
        rx[a] += dg.size();
        const Received r = server->receive(now, addr(a), dg);
        check(error_class(r.status) != ErrorClass::misuse, "receive() reports misuse");
        check(error_class(r.status) != ErrorClass::close, "receive() returns a close-class status");
        if (r.has_inner) {
            auto it = sealed_by_client.find({static_cast<int>(r.protocol), Bytes(r.inner.begin(), r.inner.end())});
            check(it != sealed_by_client.end(), "server delivered an inner packet the client did not seal (or twice)");
            sealed_by_client.erase(it);
        }
    }

    void client_send(ByteView dg) {
        owned[client_addr] = true;
        sent_by_client.emplace_back(dg.begin(), dg.end());
        if (sent_by_client.size() > 32) sent_by_client.erase(sent_by_client.begin());
        Bytes copy(dg.begin(), dg.end());
        server_in(client_addr, copy);
    }

    // A datagram of the key holder with address a as its source: its own address, or a forged one
    // (then it does not receive there and the address stays unvalidated).
    void send_from(std::size_t a, ByteView dg) {
        if (a == client_addr) return client_send(dg);
        Bytes copy(dg.begin(), dg.end());
        server_in(a, copy);
    }

    // Everything the server sends, to whichever address: accounted there, and the client gets it if
    // it receives at that address.
    void server_sent(const PeerAddress& to, ByteView dg) {
        for (std::size_t a = 0; a < kAddresses; ++a) {
            if (!(to == addr(a))) continue;
            tx[a] += dg.size();
            if (!owned[a]) check(tx[a] <= 3 * rx[a], "more than 3x the bytes sent to an unvalidated address");
            if (owned[a]) to_client.emplace_back(dg.begin(), dg.end());
        }
    }

    void drain_server() {
        for (int i = 0; i < 512; ++i) {
            PeerAddress to;
            auto r = server->poll_datagram(buf, to);
            check(r.ok(), "poll_datagram with a 70000-byte buffer fails");
            if (r.value == 0) break;
            check(r.value <= max_out(), "server datagram larger than largest_datagram()");
            server_sent(to, ByteView(buf).first(r.value));
        }
        for (;;) {
            auto r = server->poll_inner(buf);
            check(r.ok(), "poll_inner with a 70000-byte buffer fails");
            if (r.value.size == 0 && r.value.session == 0) break;
            auto it = sealed_by_client.find({static_cast<int>(r.value.protocol), Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.value.size))});
            check(it != sealed_by_client.end(), "poll_inner delivered an inner packet the client did not seal (or twice)");
            sealed_by_client.erase(it);
        }
        while (auto e = server->poll_event()) {
            // control_message carries an application message body in `text` (binary by design).
            if (e->type != EventType::control_message)
                check(fuzz::printable(e->text), "control characters in event text");
        }
        check(server->stats().half_open <= scfg.max_half_open, "half-open count above max_half_open");
    }

    // The client reads what reached it, then sends what it has.
    void client_step() {
        std::vector<Bytes> pending;
        pending.swap(to_client);
        for (Bytes& dg : pending) {
            if (dg.empty()) continue;
            if (is_data_type(dg[0])) {
                if (!session) continue;
                auto h = parse_data_header(dg);
                if (!h.ok() || h.value.dst_sid != session->local_sid()) continue;
                Session::Opened o = session->open(now, addr(client_addr), h.value, dg);
                if (o.status == Error::ok && hs && hs->state() == ClientHandshake::State::established) hs->confirm();
                if (o.status == Error::ok && o.payload <= PayloadType::ppp && !o.plaintext.empty()) {
                    auto it = sealed_by_server.find({static_cast<int>(o.payload), Bytes(o.plaintext.begin(), o.plaintext.end())});
                    check(it != sealed_by_server.end(), "client opened an inner packet the server did not seal (or twice)");
                    sealed_by_server.erase(it);
                }
            } else if (hs) {
                if (dg[0] == static_cast<std::uint8_t>(PacketType::server_hello) && !c_hs && !initial.empty()) {
                    c_hs = fuzz::handshake_key(hs_seed, true, initial, dg, ccfg.admission_key, true);
                    if (auto sh = parse_server_hello(dg); sh.ok()) server_sid = sh.value.server_sid;
                }
                (void)hs->on_datagram(now, dg);
            }
        }
        after_handshake();
        client_flush();
    }

    void after_handshake() {
        if (hs && !session &&
            (hs->state() == ClientHandshake::State::established || hs->state() == ClientHandshake::State::confirmed)) {
            const HandshakeResult& r = hs->result();
            session = std::make_unique<Session>(ccfg, session_rng, session_params(r, Role::client, ccfg.server),
                                                r.secrets, now);
        }
        if (hs && hs->state() == ClientHandshake::State::failed) {
            client_flush();   // its CLOSE
            hs.reset();
        }
        if (session) while (session->poll_event()) {}
        if (session && session->closed()) session.reset();
    }

    void client_flush() {
        for (int i = 0; hs && i < 64; ++i) {
            auto r = hs->poll_datagram(now, buf);
            if (!r.ok() || r.value == 0) break;
            if (initial.empty() && buf[0] == static_cast<std::uint8_t>(PacketType::initial))
                initial.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.value));
            client_send(ByteView(buf).first(r.value));
        }
        for (int i = 0; session && i < 64; ++i) {
            PeerAddress to;
            auto r = session->poll_datagram(now, buf, to);
            if (!r.ok() || r.value == 0) break;
            client_send(ByteView(buf).first(r.value));
        }
        if (session) while (session->poll_event()) {}
    }

    void advance(TimeNs dt) {
        if (dt == 0) return;
        now += dt;
        if (server->next_deadline() <= now) server->handle_timeout(now);
        if (hs && hs->next_deadline() <= now) hs->on_timeout(now);
        if (session) {
            if (session->next_reverify() <= now) session->reverify(now, *fuzz::pki().verifier);
            if (session->next_deadline() <= now) session->handle_timeout(now);
        }
        after_handshake();
    }

    void api(ByteView b) {
        const std::uint8_t what = b.empty() ? 0 : b[0];
        ByteView rest = b.empty() ? b : b.subspan(1);
        std::vector<SessionId> sids = server->sessions();
        const SessionId sid = sids.empty() ? 0x01020304 : sids[rest.empty() ? 0 : rest[0] % sids.size()];
        switch (what % 12) {
        case 0: new_handshake(); client_flush(); break;
        case 1: if (session) (void)session->send_control(now, rest.empty() ? 0x02 : rest[0], rest.empty() ? rest : rest.subspan(1)); break;
        case 2: if (session) (void)session->start_rekey(now); break;
        case 3: if (session) session->close(now, Error::closed_locally, std::string(rest.begin(), rest.end())); break;
        case 4: (void)server->ping(now, sid, 42); break;
        case 5: (void)server->rekey(now, sid); break;
        case 6: {
            ConfigPush c;
            c.mtu = static_cast<std::uint16_t>(rest.size() * 37);
            (void)server->push_config(now, sid, c);
            break;
        }
        case 7: (void)server->close(now, sid, Error::closed_locally, local_text(rest)); break;
        case 8: server->reverify_certificates(now); break;
        case 9: {
            const InnerProtocol proto = static_cast<InnerProtocol>(rest.empty() ? 0 : rest[0] % 3);
            Bytes out(rest.size() + kDataOverhead);
            Sealed s = server->seal(now, sid, proto, rest, out);
            check(error_class(s.status) != ErrorClass::close, "seal() returns a close-class status");
            if (s.status == Error::ok) {
                check(s.size == rest.size() + kDataOverhead, "sealed size is inner + 29");
                if (!rest.empty()) sealed_by_server.insert({static_cast<int>(proto), Bytes(rest.begin(), rest.end())});
                server_sent(s.to, ByteView(out).first(s.size));
            }
            break;
        }
        case 10: {
            for (SessionId s : sids) {
                auto info = server->session_info(s);
                check(info.has_value(), "session_info of a listed session");
            }
            break;
        }
        default: {
            Bytes small(rest.size() % 64);
            PeerAddress to;
            auto r = server->poll_datagram(small, to);   // a too-small buffer must say so, not write past
            check(r.ok() || r.error == Error::buffer_too_small, "poll_datagram misuse error");
            if (r.ok() && r.value > 0) {
                check(r.value <= small.size(), "poll_datagram wrote past the buffer");
                server_sent(to, ByteView(small).first(r.value));
            }
            break;
        }
        }
        after_handshake();
        client_flush();
    }
};

}  // namespace

int run_endpoint_responder(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    Harness h(data[0]);
    h.client_flush();   // INITIAL and PADs
    h.drain_server();
    fuzz::OpReader ops(data, size);
    for (fuzz::Op op; ops.next(op);) {
        Bytes& rec = op.bytes;
        const std::size_t a = op.address;
        switch (op.kind) {
        case 0: h.server_in(a, rec); break;
        case 1: {
            const ByteView key = admission_key_bytes(h.scfg.admission_key);
            if (rec.size() > kAdmissionMacSize) admission_seal(key, rec);
            h.server_in(a, rec);
            break;
        }
        case 2: h.client_step(); break;
        case 3:
            if (auto dg = fuzz::mutated_replay(h.sent_by_client, rec)) h.server_in(a, *dg);
            break;
        case 4:
            if (h.c_hs && h.c_hs->valid() && rec.size() <= 1400) {
                Bytes dg = fuzz::seal_handshake(*h.c_hs, h.server_sid, h.forged_pn++, rec);
                h.send_from(a, dg);
            }
            break;
        case 5:
            if (h.session)
                if (auto dg = fuzz::seal_from_peer(*h.session, h.now, rec, h.sealed_by_client)) h.send_from(a, *dg);
            break;
        case 6: h.api(rec); break;
        default: h.client_addr = rec.empty() ? 0 : rec[0] % kAddresses; break;
        }
        h.advance(op.advance);
        h.drain_server();
    }
    return 0;
}
