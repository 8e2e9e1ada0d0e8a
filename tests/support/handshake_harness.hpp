// SPDX-License-Identifier: GPL-3.0-or-later
// The whole handshake driven directly (ClientHandshake + AdmissionGate + ServerHandshake) over an
// in-memory, optionally lossy or tampering, network on a virtual clock. Shared by the handshake
// tests: handshake_test (both sides end to end) and one test file per handshake concern.
#pragma once
#include "admission.hpp"
#include "aead.hpp"
#include "handshake.hpp"
#include "test_pki.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace udpvpn::test {

enum class Dir { c2s, s2c };

// Wraps a verifier and replaces its answer by a fixed error (certificate failure propagation).
class FailingVerifier final : public CertificateVerifier {
public:
    explicit FailingVerifier(Error e) : e_(e) {}
    Result<PeerIdentity> verify(std::span<const Bytes>, Role, std::string_view) const override {
        return {{}, e_};
    }
private:
    Error e_;
};

// Records the role and name each verification asked for.
class RecordingVerifier final : public CertificateVerifier {
public:
    explicit RecordingVerifier(std::shared_ptr<const CertificateVerifier> inner) : inner_(std::move(inner)) {}
    Result<PeerIdentity> verify(std::span<const Bytes> chain, Role role, std::string_view name) const override {
        roles.push_back(role);
        names.emplace_back(name);
        return inner_->verify(chain, role, name);
    }
    mutable std::vector<Role> roles;
    mutable std::vector<std::string> names;
private:
    std::shared_ptr<const CertificateVerifier> inner_;
};

struct Harness {
    ClientEndpointConfig ccfg;
    ServerEndpointConfig scfg;
    Identity client_id = load_identity("client");
    Identity server_id = load_identity("server");
    std::shared_ptr<const CertificateVerifier> client_verifier = make_verifier("ca");
    std::shared_ptr<const CertificateVerifier> server_verifier = make_verifier("ca");
    HandshakeOptions client_opts, server_opts;
    DeterministicRng crng, srng, grng{3};
    PeerAddress client_addr = PeerAddress::from(std::array<std::uint8_t, 6>{10, 0, 0, 2, 0x30, 0x39});
    SessionId client_sid = 0xC0C0C0C0, server_sid = 0x2A000001;
    TimeNs start = 5 * kSecond;
    TimeNs now = start;
    std::size_t half_open_extra = 0;   // pretend other half-open sessions exist (cookie threshold)

    std::unique_ptr<ClientHandshake> client;
    std::unique_ptr<AdmissionGate> gate;
    std::unique_ptr<ServerHandshake> server;

    // Every datagram as sent (before loss/tamper), in order, per direction.
    std::vector<Bytes> sent_c2s, sent_s2c;
    std::vector<AdmissionGate::Verdict> verdicts;
    int servers_created = 0;
    std::size_t retries_sent = 0, retry_size = 0;
    // Anti-amplification accounting: bytes the server side received from / sent to the client
    // address before it considered the address validated.
    std::uint64_t rx_server = 0, tx_server = 0;
    bool amplification_ok = true;
    std::size_t max_datagram_seen = 0;
    // Hook: return false to drop; may modify the datagram. index = position in sent_* of its direction.
    std::function<bool(Dir, std::size_t, Bytes&)> network;

    explicit Harness(std::uint64_t client_seed = 1, std::uint64_t server_seed = 2)
        : crng(client_seed), srng(server_seed) {
        ccfg.expected_server_name = "vpn.example.test";
        ccfg.suites = {Suite::chacha20_poly1305, Suite::aes256_gcm};
        scfg.suites = {Suite::chacha20_poly1305, Suite::aes256_gcm};
    }

    void begin() {
        gate = std::make_unique<AdmissionGate>(scfg, grng);
        client = std::make_unique<ClientHandshake>(ccfg, client_id, client_verifier, crng, client_sid, now, client_opts);
    }

    bool transmit(Dir d, Bytes dg) {
        auto& log = d == Dir::c2s ? sent_c2s : sent_s2c;
        log.push_back(dg);
        max_datagram_seen = std::max(max_datagram_seen, dg.size());
        if (network && !network(d, log.size() - 1, dg)) return false;
        if (d == Dir::c2s) to_server(dg);
        else client->on_datagram(now, dg);
        return true;
    }

    void to_server(Bytes& dg) {
        rx_server += dg.size();
        Bytes retry(64);
        if (dg[0] == 0x05) {
            if (server) server->on_datagram(now, dg);
            return;
        }
        auto v = gate->classify(now, client_addr, dg, (server ? 1 : 0) + half_open_extra, retry);
        verdicts.push_back(v);
        const bool existing = server && server->client_eph_pub() == v.client_eph_pub;
        if ((v.kind == AdmissionGate::Verdict::accept || v.kind == AdmissionGate::Verdict::retry ||
             v.kind == AdmissionGate::Verdict::pad) && existing) {
            server->on_datagram(now, dg);
        } else if (v.kind == AdmissionGate::Verdict::accept && !server) {
            server = std::make_unique<ServerHandshake>(scfg, server_id, server_verifier, srng, server_sid, v, dg,
                                                       client_addr, now, server_opts);
            ++servers_created;
        } else if (v.kind == AdmissionGate::Verdict::retry) {
            ++retries_sent;
            retry_size = v.retry_size;
            tx_server += v.retry_size;
            transmit(Dir::s2c, Bytes(retry.begin(), retry.begin() + static_cast<long>(v.retry_size)));
        }
    }

    // Moves datagrams until both sides are quiet. Returns true if anything moved.
    bool exchange() {
        bool moved = false;
        for (int guard = 0; guard < 1000; ++guard) {
            bool any = false;
            Bytes buf(2048);
            for (;;) {
                auto r = client->poll_datagram(now, buf);
                REQUIRE(r.error == Error::ok);
                if (r.value == 0) break;
                CHECK(r.value <= std::max<std::size_t>(ccfg.max_datagram, 1200));
                transmit(Dir::c2s, Bytes(buf.begin(), buf.begin() + static_cast<long>(r.value)));
                any = true;
            }
            while (server) {
                const bool validated = server->address_validated();
                auto r = server->poll_datagram(now, buf);
                REQUIRE(r.error == Error::ok);
                if (r.value == 0) break;
                CHECK(r.value <= scfg.max_datagram);
                if (!validated) {
                    tx_server += r.value;
                    if (tx_server > 3 * rx_server) amplification_ok = false;
                }
                transmit(Dir::s2c, Bytes(buf.begin(), buf.begin() + static_cast<long>(r.value)));
                any = true;
            }
            if (!any) break;
            moved = true;
        }
        return moved;
    }

    bool done() const {
        const bool c_done = client->state() == ClientHandshake::State::confirmed ||
                            client->state() == ClientHandshake::State::failed;
        const bool s_done = !server || server->state() != ServerHandshake::State::sending_flight;
        return c_done && s_done;
    }

    // Runs until both sides are done or `limit` of virtual time passed.
    void run(TimeNs limit = 30 * kSecond) {
        if (!client) begin();
        const TimeNs end = start + limit;
        for (;;) {
            exchange();
            if (done()) {
                // The server may still owe the client nothing; one more exchange flushes CLOSEs.
                exchange();
                return;
            }
            TimeNs next = client->next_deadline();
            if (server) next = std::min(next, server->next_deadline());
            if (next == kNever || next > end) return;
            now = std::max(now, next);
            client->on_timeout(now);
            if (server) server->on_timeout(now);
        }
    }

    bool completed() const {
        return client->state() == ClientHandshake::State::confirmed && server &&
               server->state() == ServerHandshake::State::complete;
    }
};

inline void check_same_keys(const Harness& h) {
    const HandshakeResult& c = h.client->result();
    const HandshakeResult& s = h.server->result();
    CHECK(c.suite == s.suite);
    CHECK(c.th1 == s.th1);
    CHECK(c.th2 == s.th2);
    CHECK(c.secrets.client_data == s.secrets.client_data);
    CHECK(c.secrets.server_data == s.secrets.server_data);
    CHECK(c.secrets.rekey == s.secrets.rekey);
    CHECK_FALSE(c.secrets.client_data == c.secrets.server_data);
    CHECK(c.client_sid == h.client_sid);
    CHECK(s.client_sid == h.client_sid);
    CHECK(c.server_sid == h.server_sid);
    CHECK(s.server_sid == h.server_sid);
    CHECK(h.server->early_data_secrets().client_data == c.secrets.client_data);
}

inline Bytes sealed_initial_with_suites(const Bytes& initial, const std::vector<std::uint8_t>& suites_raw) {
    auto p = parse_initial(initial);
    REQUIRE(p.ok());
    InitialFields f = p.value;
    Bytes ext(f.extensions.begin(), f.extensions.end());
    Bytes cookie(f.cookie.begin(), f.cookie.end());
    f.suites = suites_raw;
    f.extensions = ext;
    f.cookie = cookie;
    Bytes out(initial.size());
    REQUIRE(encode_initial(f, std::array<std::uint8_t, 32>{}, initial.size(), out).ok());
    return out;
}

}  // namespace udpvpn::test
