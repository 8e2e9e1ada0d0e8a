// SPDX-License-Identifier: GPL-3.0-or-later
#include "bench_support.hpp"

#include "aead.hpp"
#include "key_schedule.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace udpvpn::bench {

namespace {
int usage(const char* argv0, std::span<const Section> sections, bool with_clients) {
    std::fprintf(stderr, "usage: %s [--section NAME]... [--ms N]%s\nsections:\n", argv0, with_clients ? " [--clients N]" : "");
    for (const Section& s : sections) std::fprintf(stderr, "  %-10s %s\n", s.name, s.what);
    return 2;
}
}  // namespace

int run_sections(int argc, char** argv, std::span<const Section> sections, Options o, bool with_clients) {
    std::vector<std::string> wanted;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--section" && i + 1 < argc) wanted.push_back(argv[++i]);
        else if (a == "--ms" && i + 1 < argc) o.ms_per_run = std::atof(argv[++i]);
        else if (with_clients && a == "--clients" && i + 1 < argc) o.clients = std::strtoul(argv[++i], nullptr, 10);
        else return usage(argv[0], sections, with_clients);
    }
    if (o.ms_per_run <= 0 || o.clients == 0 || o.clients > 65000) return usage(argv[0], sections, with_clients);
    for (const std::string& w : wanted)
        if (std::none_of(sections.begin(), sections.end(), [&](const Section& s) { return w == s.name; }))
            return usage(argv[0], sections, with_clients);
    for (const Section& s : sections)
        if (wanted.empty() || std::find(wanted.begin(), wanted.end(), std::string(s.name)) != wanted.end()) s.run(o);
    return 0;
}

double cpu_seconds() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
#else
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
#endif
}

std::string pki_file(const std::string& name) {
    const char* dir = std::getenv("UDPVPN_TEST_PKI");
    std::ifstream f(std::string(dir ? dir : UDPVPN_SOURCE_PKI) + "/" + name);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

namespace {
constexpr std::int64_t kPkiTime = 1780272000;   // 2026-06-01, inside the test PKI's validity
}

bool load_pki(Pki& p) {
    auto s = load_identity_pem(pki_file("server.crt"), pki_file("server.key"));
    auto c = load_identity_pem(pki_file("client.crt"), pki_file("client.key"));
    auto v = X509Verifier::create(pki_file("ca.crt"), "", VerifierPolicy{}, [] { return kPkiTime; });
    if (!s || !c || !v) {
        std::printf("  test PKI not found (set UDPVPN_TEST_PKI)\n");
        return false;
    }
    p.server = s.value;
    p.client = c.value;
    p.verifier = v.value;
    return true;
}

void pump(Endpoint& a, Endpoint& b, const PeerAddress& aa, const PeerAddress& ba, TimeNs now) {
    std::uint8_t buf[kMaxDatagram];
    for (bool moved = true; moved;) {
        moved = false;
        for (int side = 0; side < 2; ++side) {
            Endpoint& from = side ? b : a;
            Endpoint& to = side ? a : b;
            const PeerAddress& src = side ? ba : aa;
            for (;;) {
                PeerAddress dst;
                auto n = from.poll_datagram(buf, dst);
                if (!n.ok() || n.value == 0) break;
                to.receive(now, src, MutableByteView(buf, n.value));
                moved = true;
            }
        }
    }
}

bool connect_pair(const Pki& p, Suite suite, Connected& c, TimeNs now) {
    const PeerAddress ca = PeerAddress::from(std::vector<std::uint8_t>{1}), sa = PeerAddress::from(std::vector<std::uint8_t>{2});
    ClientEndpointConfig ic;
    ic.server = sa;
    ic.expected_server_name = "vpn.example.test";
    ic.suites = {suite};
    ic.inner_mtu = 0;
    ServerEndpointConfig rc;
    rc.suites = {suite};
    rc.inner_mtu = 0;
    auto cl = Endpoint::make_client(ic, p.client, p.verifier, std::make_shared<SystemRng>());
    auto sv = Endpoint::make_server(rc, p.server, p.verifier, std::make_shared<SystemRng>());
    if (!cl || !sv) return false;
    c.client = std::move(cl.value);
    c.server = std::move(sv.value);
    c.cs = c.client->connect(now).value;
    pump(*c.client, *c.server, ca, sa, now);
    while (auto e = c.server->poll_event()) if (e->type == EventType::established) c.ss = e->session;
    bool up = false;
    while (auto e = c.client->poll_event()) up |= e->type == EventType::established;
    return up && c.ss != 0;
}

struct HandshakePrimitives::State {
    const Pki& pki;
    Secret32 eph, shared, early;
    std::array<std::uint8_t, 32> pub{};
    unsigned char sk[crypto_sign_SECRETKEYBYTES], pk[crypto_sign_PUBLICKEYBYTES], sig[64], msg[130] = {};
    AeadKey aead;
    std::vector<std::uint8_t> flight = std::vector<std::uint8_t>(1500);
    explicit State(const Pki& p) : pki(p) {
        randombytes_buf(eph.expose_mut().data(), 32);
        crypto_sign_keypair(pk, sk);
        TrafficKeys tk;
        randombytes_buf(tk.key.expose_mut().data(), 32);
        randombytes_buf(tk.iv.expose_mut().data(), 12);
        aead = AeadKey(Suite::chacha20_poly1305, tk);
    }
    ~State() { sodium_memzero(sk, sizeof sk); }
};

HandshakePrimitives::HandshakePrimitives(const Pki& p) : s_(std::make_unique<State>(p)) {}
HandshakePrimitives::~HandshakePrimitives() = default;

std::uint64_t HandshakePrimitives::run(int n) {
    State& s = *s_;
    std::uint64_t failed = 0;
    std::uint8_t tag[16];
    Hash32 th{};
    for (int i = 0; i < n; ++i) {
        x25519_public(s.eph, s.pub);
        if (!x25519(s.eph, s.pub, s.shared)) failed++;
        crypto_sign_detached(s.sig, nullptr, s.msg, sizeof s.msg, s.sk);
        if (crypto_sign_verify_detached(s.sig, s.msg, sizeof s.msg, s.pk) != 0) failed++;
        if (!s.pki.verifier->verify(s.pki.client.chain, Role::client, "")) failed++;
        s.early = derive_early_secret(nullptr);
        const HandshakeSecrets hs = derive_handshake_secrets(s.early, s.shared, th);
        const DataSecrets ds = derive_data_secrets(hs.hs_secret, th);
        volatile_sink(&ds);
        s.aead.seal(std::uint64_t(i), {}, s.flight, tag);
        if (s.aead.open(std::uint64_t(i), {}, s.flight, tag) != Error::ok) failed++;
    }
    return failed;
}

}  // namespace udpvpn::bench
