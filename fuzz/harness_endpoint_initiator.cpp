// SPDX-License-Identifier: GPL-3.0-or-later
// The whole initiator Endpoint as a state machine: arbitrary datagrams from four source addresses
// (the server's and three others), advancing virtual time, interleaved with a real server
// (AdmissionGate, ServerHandshake, then a Session) whose handshake key the harness re-derives, so
// that forged-but-authenticated HANDSHAKE frames, CONTROL payloads (CONFIG, REKEY, DISCONNECT ...),
// RETRYs, rekeys and API calls all reach the client's deep paths.
//
// Input: config (1) then records op (1) | len (2, big-endian) | bytes, at most 128 of them.
//   config bit 0: admission key; bit 1: cookie_threshold 0 on the real server (RETRY first);
//   bit 2: prefer AES-256-GCM; bit 3: no PMTU probing; bit 4: pad_datagrams 0.
//   op bits 0..2 (what):
//     0 raw datagram from address A        1 one step of the real server
//     2 replay a datagram the server sent, from A, XOR-mutated by bytes[2..] at offset bytes[1]
//     3 HANDSHAKE frames (bytes) under the server's handshake key
//     4 the server's Session seals bytes[1..] with payload type bytes[0] % 5 (CONTROL frames too)
//     5 API calls on both sides (bytes[0] picks)
//     6 a RETRY (cookie = bytes) or SERVER_HELLO (bytes over its fields) for the client's current sid
//     7 nothing but time
//   op bits 3..4: address A (0 is the server's); op bits 6..7: advance the clock by 0, 50 ms, 1 s or
//   11 s, firing timers.
// Invariants: no crash or sanitizer report; no misuse error from the packet path; datagrams within
// largest_datagram() and sent only to the configured server; every inner packet
// delivered was sealed by the server, once; event text has no control characters.
#include "harness.hpp"
#include "harness_support.hpp"

#include "admission.hpp"
#include "data_packet.hpp"
#include "endpoint_base.hpp"
#include "handshake.hpp"
#include "session.hpp"
#include "wire_format.hpp"

#include <udpvpn/endpoint.hpp>

using namespace udpvpn;
using udpvpn::fuzz::check;

namespace {

PeerAddress addr(std::size_t i) {
    return PeerAddress::from(std::array<std::uint8_t, 6>{198, 51, 100, static_cast<std::uint8_t>(1 + i), 0x01, 0xBB});
}

// Text our own caller passes (its own close reason): printable, so that any control character in an
// event can only have come from the peer.
std::string local_text(ByteView b) {
    std::string t;
    for (std::uint8_t c : b) t.push_back(static_cast<char>('a' + c % 26));
    return t;
}

struct Harness {
    InitiatorConfig ccfg;
    ResponderConfig scfg;
    std::unique_ptr<Endpoint> client;
    SessionId client_sid = 0;
    TimeNs now = kSecond;

    // The real server: a gate, one half-open handshake at a time, then a session.
    DeterministicRng gate_rng{3};
    AdmissionGate gate{scfg, gate_rng};
    std::uint64_t hs_seed = 5000;
    std::unique_ptr<DeterministicRng> hs_rng;
    DeterministicRng session_rng{99};
    std::unique_ptr<ServerHandshake> hs;
    std::unique_ptr<Session> session;
    Bytes initial;                  // the INITIAL that created `hs`
    std::optional<AeadKey> s_hs;    // its handshake key, re-derived
    SessionId hs_client_sid = 0;
    std::uint32_t forged_pn = 0x10000;
    std::vector<Bytes> to_server, sent_by_server;
    fuzz::SealedSet sealed_by_server, sealed_by_client;
    Bytes& buf = fuzz::datagram_buffer();

    Harness(std::uint8_t flags) : scfg(make_scfg(flags)), gate(scfg, gate_rng) {
        if (flags & 1) ccfg.admission_key = scfg.admission_key;
        if (flags & 4) ccfg.suites = {Suite::aes256_gcm, Suite::chacha20_poly1305};
        if (flags & 8) ccfg.inner_mtu = 0;
        if (flags & 16) ccfg.pad_datagrams = 0;
        ccfg.expected_server_name = "vpn.example.test";
        ccfg.server = addr(0);
        const auto& p = fuzz::pki();
        auto ep = Endpoint::make_initiator(ccfg, p.client, p.verifier, std::make_shared<DeterministicRng>(1));
        check(ep.ok(), "make_initiator");
        client = std::move(ep.value);
        auto sid = client->connect(now);
        check(sid.ok(), "connect");
        client_sid = sid.value;
    }

    static ResponderConfig make_scfg(std::uint8_t flags) {
        ResponderConfig c;
        if (flags & 1) {
            std::array<std::uint8_t, 32> k{};
            k.fill(0xA5);
            c.admission_key = make_shared_key(k);
        }
        if (flags & 2) c.cookie_threshold = 0;
        if (flags & 8) c.inner_mtu = 0;
        return c;
    }

    std::size_t max_out() const { return largest_datagram(ccfg); }

    void client_in(std::size_t a, MutableByteView dg) {
        const Received r = client->receive(now, addr(a), dg);
        check(error_class(r.status) != ErrorClass::misuse, "receive() reports misuse");
        check(error_class(r.status) != ErrorClass::close, "receive() returns a close-class status");
        if (r.has_inner) {
            auto it = sealed_by_server.find({static_cast<int>(r.protocol), Bytes(r.inner.begin(), r.inner.end())});
            check(it != sealed_by_server.end(), "client delivered an inner packet the server did not seal (or twice)");
            sealed_by_server.erase(it);
        }
    }

    void server_send(ByteView dg) {
        sent_by_server.emplace_back(dg.begin(), dg.end());
        if (sent_by_server.size() > 32) sent_by_server.erase(sent_by_server.begin());
        Bytes copy(dg.begin(), dg.end());
        client_in(0, copy);
    }

    void drain_client() {
        for (int i = 0; i < 512; ++i) {
            PeerAddress to;
            auto r = client->poll_datagram(buf, to);
            check(r.ok(), "poll_datagram with a 70000-byte buffer fails");
            if (r.value == 0) break;
            check(r.value <= std::max<std::size_t>(max_out(), kMinInitialSize), "client datagram too large");
            check(to == addr(0), "client sends somewhere else than the configured server");
            to_server.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.value));
        }
        while (auto e = client->poll_event()) {
            // control_message carries an application message body in `text` (binary by design).
            if (e->type != EventType::control_message)
                check(fuzz::printable(e->text), "control characters in event text");
        }
    }

    // The server reads what reached it, then sends what it has.
    void server_step() {
        std::vector<Bytes> pending;
        pending.swap(to_server);
        for (Bytes& dg : pending) {
            if (dg.empty()) continue;
            const std::uint8_t t = dg[0];
            if (is_data_type(t)) {
                if (!session) continue;
                auto h = parse_data_header(dg);
                if (!h.ok() || h.value.dst_sid != session->local_sid()) continue;
                Session::Opened o = session->open(now, addr(0), h.value, dg);
                if (o.status == Error::ok && o.payload <= PayloadType::ppp && !o.plaintext.empty()) {
                    auto it = sealed_by_client.find({static_cast<int>(o.payload), Bytes(o.plaintext.begin(), o.plaintext.end())});
                    check(it != sealed_by_client.end(), "server opened an inner packet the client did not seal (or twice)");
                    sealed_by_client.erase(it);
                }
            } else if (t == static_cast<std::uint8_t>(PacketType::initial) || t == static_cast<std::uint8_t>(PacketType::pad)) {
                std::uint8_t retry[128];
                auto v = gate.classify(now, addr(0), dg, hs ? 1 : 0, retry);
                if (v.kind == AdmissionGate::Verdict::retry) {
                    check(v.retry_size < dg.size(), "RETRY not smaller than the INITIAL");
                    server_send(ByteView(retry, v.retry_size));
                } else if (v.kind == AdmissionGate::Verdict::accept && (!hs || v.client_eph_pub != hs->client_eph_pub())) {
                    // A new INITIAL (the client restarted): a new half-open replaces the old one.
                    session.reset();
                    s_hs.reset();
                    ++hs_seed;
                    hs_rng = std::make_unique<DeterministicRng>(hs_seed);
                    initial = dg;
                    hs_client_sid = v.client_sid;
                    hs = std::make_unique<ServerHandshake>(scfg, fuzz::pki().server, fuzz::pki().verifier, *hs_rng,
                                                           static_cast<SessionId>(0x2A000000u + hs_seed), v, dg, addr(0), now);
                } else if (v.kind != AdmissionGate::Verdict::drop && hs) {
                    (void)hs->on_datagram(now, dg);
                }
            } else if (hs) {
                (void)hs->on_datagram(now, dg);
            }
        }
        after_handshake();
        server_flush();
    }

    void after_handshake() {
        if (hs && !session && hs->state() == ServerHandshake::State::complete) {
            const HandshakeResult& r = hs->result();
            session = std::make_unique<Session>(scfg, session_rng, session_params(r, Role::server, addr(0)),
                                                r.secrets, now);
        }
        if (session) while (session->poll_event()) {}
        if (session && session->closed()) session.reset();
    }

    void server_flush() {
        for (int i = 0; hs && i < 64; ++i) {
            auto r = hs->poll_datagram(now, buf);
            if (!r.ok() || r.value == 0) break;
            if (buf[0] == static_cast<std::uint8_t>(PacketType::server_hello) && !s_hs)
                s_hs = fuzz::handshake_key(hs_seed, false, initial, ByteView(buf).first(r.value), scfg.admission_key, false);
            server_send(ByteView(buf).first(r.value));
        }
        if (hs && hs->state() == ServerHandshake::State::failed) hs.reset();
        for (int i = 0; session && i < 64; ++i) {
            PeerAddress to;
            auto r = session->poll_datagram(now, buf, to);
            if (!r.ok() || r.value == 0) break;
            server_send(ByteView(buf).first(r.value));
        }
        if (session) while (session->poll_event()) {}
    }

    void advance(TimeNs dt) {
        if (dt == 0) return;
        now += dt;
        if (client->next_deadline() <= now) client->handle_timeout(now);
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
        switch (what % 12) {
        case 0: {
            auto sid = client->connect(now);
            check(sid.ok(), "connect");
            client_sid = sid.value;
            break;
        }
        case 1: if (session) (void)session->send_control(now, rest.empty() ? 0x02 : rest[0], rest.empty() ? rest : rest.subspan(1)); break;
        case 2: if (session) (void)session->start_rekey(now); break;
        case 3: if (session) session->close(now, Error::closed_locally, std::string(rest.begin(), rest.end())); break;
        case 4: (void)client->ping(now, client_sid, 42); break;
        case 5: (void)client->rekey(now, client_sid); break;
        case 6: {
            ConfigPush c;
            (void)client->push_config(now, client_sid, c);
            if (session) (void)session->send_control(now, 0x01, rest);   // CONFIG with arbitrary TLVs
            break;
        }
        case 7: (void)client->close(now, client_sid, Error::closed_locally, local_text(rest)); break;
        case 8: client->reverify_certificates(now); break;
        case 9: {
            const InnerProtocol proto = static_cast<InnerProtocol>(rest.empty() ? 0 : rest[0] % 3);
            Bytes out(rest.size() + kDataOverhead);
            Sealed s = client->seal(now, client_sid, proto, rest, out);
            check(error_class(s.status) != ErrorClass::close, "seal() returns a close-class status");
            if (s.status == Error::ok) {
                check(s.size == rest.size() + kDataOverhead, "sealed size is inner + 29");
                check(s.to == addr(0), "sealed for somewhere else than the server");
                if (!rest.empty()) sealed_by_client.insert({static_cast<int>(proto), Bytes(rest.begin(), rest.end())});
                to_server.emplace_back(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(s.size));
            }
            break;
        }
        case 10: {
            auto info = client->session_info(client_sid);
            if (info) check(info->session == client_sid, "session_info of our session");
            (void)client->sessions();
            break;
        }
        default: {
            Bytes small(rest.size() % 64);
            PeerAddress to;
            auto r = client->poll_datagram(small, to);
            check(r.ok() || r.error == Error::buffer_too_small, "poll_datagram misuse error");
            if (r.ok()) check(r.value <= small.size(), "poll_datagram wrote past the buffer");
            break;
        }
        }
        after_handshake();
        server_flush();
    }
};

}  // namespace

int run_endpoint_initiator(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    Harness h(data[0]);
    h.drain_client();   // INITIAL and PADs
    fuzz::OpReader ops(data, size);
    for (fuzz::Op op; ops.next(op);) {
        Bytes& rec = op.bytes;
        const std::size_t a = op.address;
        switch (op.kind) {
        case 0: h.client_in(a, rec); break;
        case 1: h.server_step(); break;
        case 2:
            if (auto dg = fuzz::mutated_replay(h.sent_by_server, rec)) h.client_in(a, *dg);
            break;
        case 3:
            if (h.s_hs && h.s_hs->valid() && rec.size() <= 1400) {
                Bytes dg = fuzz::seal_handshake(*h.s_hs, h.hs_client_sid, h.forged_pn++, rec);
                h.server_send(dg);
            }
            break;
        case 4:
            if (h.session)
                if (auto dg = fuzz::seal_from_peer(*h.session, h.now, rec, h.sealed_by_server)) h.server_send(*dg);
            break;
        case 5: h.api(rec); break;
        case 6: {
            Bytes dg;
            if (!rec.empty() && (rec[0] & 1)) {
                RetryFields f;
                f.client_sid = h.client_sid;
                for (std::size_t i = 1; i < rec.size() && i <= kCookieSize; ++i) f.cookie[i - 1] = rec[i];
                dg.resize(kRetrySize);
                (void)encode_retry(f, dg);
            } else {
                ServerHelloFields f;
                f.client_sid = h.client_sid;
                f.server_sid = 0x2A0000FF;
                for (std::size_t i = 1; i < rec.size() && i <= 32; ++i) f.server_eph_pub[i - 1] = rec[i];
                f.suite = rec.size() > 33 ? rec[33] % 4 : 1;
                dg.resize(kServerHelloSize);
                (void)encode_server_hello(f, dg);
            }
            h.client_in(a, dg);
            break;
        }
        default: break;
        }
        h.advance(op.advance);
        h.drain_client();
    }
    return 0;
}
