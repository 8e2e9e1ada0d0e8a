// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target for the server side of the handshake: arbitrary datagrams into AdmissionGate and a
// ServerHandshake, interleaved with a real client, so the fuzzer gets past the admission MAC and the
// AEAD and reaches the frame, stream and message parsers a malicious client can reach.
// Input: records op (1) | len (2, big-endian) | bytes. op % 4:
//   0: the bytes as a datagram from the client's address (gate for INITIAL/PAD, else the session)
//   1: the same with a valid admission MAC (zero key) written over the last 16 bytes
//   2: the bytes as plaintext frames in a HANDSHAKE packet under the client's handshake key
//   3: one step of the real client: deliver the server's datagrams to it and its answers back
// op bit 2 advances the virtual clock by 250 ms and fires timers. Invariants checked: the server never
// sends more than 3x what it received before validation and never more than max_datagram per datagram.
// The test PKI is read from $UDPVPN_TEST_PKI (default: the source tree's tests/pki).
#include "harness.hpp"

#include "aead.hpp"
#include "admission.hpp"
#include "handshake.hpp"
#include "key_schedule.hpp"
#include "transcript.hpp"

#include <optional>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace udpvpn;

namespace {

constexpr std::uint64_t kClientSeed = 1, kServerSeed = 2;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "fuzz_handshake_server: cannot read %s (set UDPVPN_TEST_PKI)\n", path.c_str());
        std::abort();
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Globals {
    Identity server, client;
    std::shared_ptr<X509Verifier> verifier;
};
Globals* g = nullptr;

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

static int initialize() {   // once, on the first input
    const char* env = std::getenv("UDPVPN_TEST_PKI");
    const std::string dir = env && *env ? env : UDPVPN_SOURCE_PKI;
    g = new Globals;
    auto s = load_identity_pem(read_file(dir + "/server.crt"), read_file(dir + "/server.key"));
    auto c = load_identity_pem(read_file(dir + "/client.crt"), read_file(dir + "/client.key"));
    auto v = X509Verifier::create(read_file(dir + "/ca.crt"), "", {}, [] { return std::int64_t{1780272000}; });
    if (!s || !c || !v) std::abort();
    g->server = s.value;
    g->client = c.value;
    g->verifier = v.value;
    return 0;
}

int run_handshake_server(const std::uint8_t* data, std::size_t size) {
    static const int initialized = initialize();
    (void)initialized;
    static const std::array<std::uint8_t, 32> kZero{};
    ResponderConfig scfg;
    InitiatorConfig ccfg;
    ccfg.expected_server_name = "vpn.example.test";
    DeterministicRng grng(3), srng(kServerSeed), crng(kClientSeed);
    AdmissionGate gate(scfg, grng);
    TimeNs now = kSecond;
    ClientHandshake client(ccfg, g->client, g->verifier, crng, 0x01020304, now);
    std::unique_ptr<ServerHandshake> server;
    const PeerAddress addr = PeerAddress::from(std::array<std::uint8_t, 4>{10, 0, 0, 2});
    std::uint64_t rx = 0, tx = 0;
    std::vector<Bytes> to_client;
    Bytes buf(2048), retry(64);

    // The client's handshake key, re-derived from its seed once SERVER_HELLO is known (the client
    // draws client_random, then its ephemeral private key).
    std::optional<AeadKey> c_hs;
    Bytes first_initial;
    std::uint32_t pn = 0x10000;   // far from the real client's packet numbers

    auto server_in = [&](ByteView dg) {
        rx += dg.size();
        if (!dg.empty() && (dg[0] == 0x01 || dg[0] == 0x02)) {
            auto v = gate.classify(now, addr, dg, server ? 1 : 0, retry);
            if (v.kind == AdmissionGate::Verdict::accept && !server) {
                server = std::make_unique<ServerHandshake>(scfg, g->server, g->verifier, srng, 0x2A000001, v, dg, addr, now);
                return;
            }
            if (v.kind == AdmissionGate::Verdict::retry) check(v.retry_size < dg.size());
            if (v.kind == AdmissionGate::Verdict::drop || !server) return;
        }
        if (server) {
            const Error e = server->on_datagram(now, dg);
            check(e == Error::ok || error_class(e) != ErrorClass::misuse);
        }
    };
    auto drain = [&]() {
        for (int i = 0; server && i < 64; ++i) {
            const bool validated = server->address_validated();
            auto r = server->poll_datagram(now, buf);
            check(r.ok());
            if (r.value == 0) break;
            check(r.value <= scfg.max_datagram);
            if (!validated) {
                tx += r.value;
                check(tx <= 3 * rx);
            }
            to_client.emplace_back(buf.begin(), buf.begin() + static_cast<long>(r.value));
            if (!c_hs && to_client.back()[0] == 0x04) {
                DeterministicRng r2(kClientSeed);
                Bytes rnd(32);
                r2.fill(rnd);
                Secret32 priv, shared;
                r2.fill(priv.expose_mut());
                const Bytes& sh = to_client.back();
                auto ini = parse_initial(first_initial);
                check(ini.ok());
                if (!x25519(priv, ByteView(sh).subspan(41, 32), shared)) continue;
                // th1 the way the client computes it: ClientHello || SERVER_HELLO.
                Transcript t;
                t.update(ini.value.client_hello);
                t.update(sh);
                const HandshakeSecrets hs = derive_handshake_secrets(derive_early_secret(nullptr), shared, t.snapshot());
                c_hs.emplace(Suite::chacha20_poly1305, TrafficKeys::derive(hs.client_hs));
            }
        }
    };

    // The real client's first flight.
    for (;;) {
        auto r = client.poll_datagram(now, buf);
        if (r.value == 0) break;
        if (first_initial.empty()) first_initial.assign(buf.begin(), buf.begin() + static_cast<long>(r.value));
        server_in(ByteView(buf).first(r.value));
    }
    drain();

    std::size_t off = 0;
    int steps = 0;
    while (off + 3 <= size && steps++ < 64) {
        const std::uint8_t op = data[off];
        const std::size_t len = std::min<std::size_t>((std::size_t{data[off + 1]} << 8) | data[off + 2], size - off - 3);
        Bytes rec(data + off + 3, data + off + 3 + len);
        off += 3 + len;
        switch (op % 4) {
        case 0: server_in(rec); break;
        case 1:
            if (rec.size() > kAdmissionMacSize) admission_seal(kZero, rec);
            server_in(rec);
            break;
        case 2:
            if (c_hs && c_hs->valid() && rec.size() <= 1400) {
                Bytes dg(kHandshakeHeaderSize + rec.size() + kHandshakeTagSize);
                encode_handshake_header({0x2A000001, pn}, dg);
                std::copy(rec.begin(), rec.end(), dg.begin() + kHandshakeHeaderSize);
                c_hs->seal(pn, ByteView(dg).first(kHandshakeHeaderSize),
                           MutableByteView(dg).subspan(kHandshakeHeaderSize, rec.size()),
                           dg.data() + kHandshakeHeaderSize + rec.size());
                ++pn;
                server_in(dg);
            }
            break;
        default: {
            std::vector<Bytes> pending;
            pending.swap(to_client);
            for (const Bytes& dg : pending) (void)client.on_datagram(now, dg);
            for (;;) {
                auto r = client.poll_datagram(now, buf);
                if (!r.ok() || r.value == 0) break;
                server_in(ByteView(buf).first(r.value));
            }
            break;
        }
        }
        if (op & 4) {
            now += 250 * kMillisecond;
            if (server) server->on_timeout(now);
            client.on_timeout(now);
        }
        drain();
    }
    return 0;
}
