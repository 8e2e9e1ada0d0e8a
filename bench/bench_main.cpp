// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-bench: throughput figures measured in one run (a program, not a test).
//   udpvpn-bench [--section NAME]... [--ms N]
// Each section is one function in kSections; add a section by writing a function and a table row.
// Sections: data (seal+open of 1400-byte DATA packets vs raw libsodium AEAD, both suites),
// endpoint (the same through the public Endpoint API of an established session, per packet and in
// batches of 64), handshake (full
// handshakes per second vs the sum of the primitive operations one handshake performs).
#include "bench_support.hpp"
#include "data_packet.hpp"
#include "key_schedule.hpp"
#include "replay_window.hpp"
#include "sodium_init.hpp"

#include <udpvpn/certificate.hpp>
#include <udpvpn/endpoint.hpp>

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace udpvpn;
using namespace udpvpn::bench;

namespace {

constexpr int kRuns = 5;

// Runs `body(n)` (which processes n packets) for ms_per_run of CPU time; returns packets per second.
template <typename F>
double rate(const Options& o, F&& body) {
    std::uint64_t total = 0;
    const double start = cpu_seconds();
    for (;;) {
        body(256);
        total += 256;
        const double el = cpu_seconds() - start;
        if (el * 1e3 >= o.ms_per_run) return double(total) / el;
    }
}

// Best of kRuns for each of a set of competitors, interleaved so that load from other processes
// hits all of them alike.
template <typename... F>
std::vector<double> best_rates(const Options& o, F&&... bodies) {
    std::vector<double> best(sizeof...(F), 0.0);
    for (int r = 0; r < kRuns; ++r) {
        std::size_t i = 0;
        ((best[i] = std::max(best[i], rate(o, bodies)), ++i), ...);
    }
    return best;
}


// --- section: data -------------------------------------------------------------------------------
// Per packet, both sides do what a tunnel does: seal in place, then parse + replay check + open in
// place + commit. The baseline does the same AEAD calls (same suite, same precomputed AES state) with
// no header, nonce arithmetic or replay window: the cost of everything around the cipher.
constexpr std::size_t kPayload = 1400;

void section_data(const Options& o) {
    std::printf("== data: seal+open of %zu-byte packets, one core (best of %d x %.0f ms CPU)\n", kPayload, kRuns, o.ms_per_run);
    std::printf("%-18s %12s %12s %12s %11s %7s %11s\n", "suite", "udpvpn pkt/s", "raw pkt/s", "raw-aligned", "udpvpn MB/s",
                "ratio", "ratio-align");
    for (Suite suite : {Suite::chacha20_poly1305, Suite::aes256_gcm}) {
        const char* name = suite == Suite::aes256_gcm ? "aes256_gcm" : "chacha20_poly1305";
        if (!suite_available(suite)) {
            std::printf("%-18s skipped: no AES-NI/PCLMUL on this CPU\n", name);
            continue;
        }
        TrafficKeys tk;
        randombytes_buf(tk.key.data(), tk.key.size());
        randombytes_buf(tk.iv.data(), tk.iv.size());
        const AeadKey key(suite, tk);

        // udpvpn path
        std::vector<std::uint8_t> dg(kDataHeaderSize + kPayload + kAeadTagSize);
        randombytes_buf(dg.data() + kDataHeaderSize, kPayload);
        ReplayWindow win;
        std::uint64_t counter = 0;
        bool failed = false;
        auto ours = [&](int n) {
            for (int i = 0; i < n; ++i) {
                const DataHeader h{0, PayloadType::ipv4, 0x01020304, counter++};
                const auto s = seal_data(key, h, ByteView(dg).subspan(kDataHeaderSize, kPayload), dg);
                const auto ph = parse_data_header(ByteView(dg.data(), s.value));
                if (!ph.ok() || !win.check(ph.value.counter)) { failed = true; continue; }
                const auto r = open_data(key, ph.value, MutableByteView(dg.data(), s.value));
                if (!r.ok() || !win.commit(ph.value.counter)) failed = true;
                volatile_sink(r.value.data());
            }
        };

        // raw libsodium, payload at offset 13 like in a datagram (the baseline) and 64-byte aligned
        std::vector<std::uint8_t> raw_dg(kDataHeaderSize + kPayload + 64);
        randombytes_buf(raw_dg.data(), raw_dg.size());
        std::uint8_t tag[16], nonce[12] = {}, aad[13] = {};
        alignas(16) crypto_aead_aes256gcm_state st;
        crypto_aead_aes256gcm_beforenm(&st, tk.key.data());
        std::uint64_t rc = 0;
        MutableByteView buf(raw_dg.data() + kDataHeaderSize, kPayload);
        auto raw = [&](int n) {
            for (int i = 0; i < n; ++i) {
                std::memcpy(nonce + 4, &rc, 8);
                ++rc;
                int e;
                if (suite == Suite::aes256_gcm) {
                    crypto_aead_aes256gcm_encrypt_detached_afternm(buf.data(), tag, nullptr, buf.data(), buf.size(), aad, sizeof aad, nullptr, nonce, &st);
                    e = crypto_aead_aes256gcm_decrypt_detached_afternm(buf.data(), nullptr, buf.data(), buf.size(), tag, aad, sizeof aad, nonce, &st);
                } else {
                    crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf.data(), tag, nullptr, buf.data(), buf.size(), aad, sizeof aad, nullptr, nonce, tk.key.data());
                    e = crypto_aead_chacha20poly1305_ietf_decrypt_detached(buf.data(), nullptr, buf.data(), buf.size(), tag, aad, sizeof aad, nonce, tk.key.data());
                }
                if (e != 0) failed = true;
                volatile_sink(buf.data());
            }
        };
        auto raw_aligned = [&](int n) {
            const MutableByteView saved = buf;
            auto* p = raw_dg.data() + 64 - reinterpret_cast<std::uintptr_t>(raw_dg.data()) % 64;
            buf = MutableByteView(p, kPayload);
            raw(n);
            buf = saved;
        };
        ours(256);   // warm up
        raw(256);
        const auto r = best_rates(o, ours, raw, raw_aligned);
        sodium_memzero(&st, sizeof st);
        if (failed) {
            std::printf("%-18s FAILED: a packet did not open\n", name);
            continue;
        }
        std::printf("%-18s %12.0f %12.0f %12.0f %11.1f %7.3f %11.3f\n", name, r[0], r[1], r[2], r[0] * kPayload / 1e6,
                    r[0] / r[1], r[0] / r[2]);
    }
    std::printf("(per CPU second of one thread; MB/s = plaintext bytes sealed and opened; ratio = udpvpn / raw with the\n"
                " same buffer layout, 1.0 = no overhead; ratio-align = udpvpn / raw on a 64-byte aligned buffer)\n");
}


// --- section: endpoint ------------------------------------------------------------------------------
// What an application sees: Endpoint::seal() on one side, Endpoint::receive() on the other, through an
// established session (key lookup, limits, counters, replay window, roaming check), vs raw AEAD.
void section_endpoint(const Options& o) {
    std::printf("== endpoint: Endpoint::seal + Endpoint::receive of %zu-byte packets, one core\n", kPayload);
    Pki p;
    if (!load_pki(p)) return;
    std::printf("%-18s %12s %12s %12s %11s %7s %7s\n", "suite", "udpvpn pkt/s", "batch pkt/s", "raw pkt/s", "udpvpn MB/s",
                "ratio", "batch");
    for (Suite suite : {Suite::chacha20_poly1305, Suite::aes256_gcm}) {
        const char* name = suite == Suite::aes256_gcm ? "aes256_gcm" : "chacha20_poly1305";
        if (!suite_available(suite)) { std::printf("%-18s skipped: no AES-NI/PCLMUL\n", name); continue; }
        Connected c;
        if (!connect_pair(p, suite, c, kSecond)) { std::printf("%-18s FAILED to connect\n", name); continue; }
        const PeerAddress from = PeerAddress::from(std::vector<std::uint8_t>{1});
        std::vector<std::uint8_t> inner(kPayload), dg(kPayload + kDataOverhead);
        randombytes_buf(inner.data(), inner.size());
        bool failed = false;
        TimeNs now = 2 * kSecond;
        auto ours = [&](int n) {
            for (int i = 0; i < n; ++i) {
                Sealed s = c.client->seal(now, c.cs, InnerProtocol::ipv4, inner, dg);
                Received r = c.server->receive(now, from, MutableByteView(dg.data(), s.size));
                if (!r.has_inner) failed = true;
                volatile_sink(r.inner.data());
            }
        };
        TrafficKeys tk;
        randombytes_buf(tk.key.data(), tk.key.size());
        alignas(16) crypto_aead_aes256gcm_state st;
        crypto_aead_aes256gcm_beforenm(&st, tk.key.data());
        std::uint8_t tag[16], nonce[12] = {}, aad[13] = {};
        std::uint64_t rc = 0;
        MutableByteView buf(dg.data() + kDataHeaderSize, kPayload);
        auto raw = [&](int n) {
            for (int i = 0; i < n; ++i) {
                std::memcpy(buf.data(), inner.data(), kPayload);   // the API copies the inner packet too
                std::memcpy(nonce + 4, &rc, 8);
                ++rc;
                if (suite == Suite::aes256_gcm) {
                    crypto_aead_aes256gcm_encrypt_detached_afternm(buf.data(), tag, nullptr, buf.data(), buf.size(), aad, sizeof aad, nullptr, nonce, &st);
                    if (crypto_aead_aes256gcm_decrypt_detached_afternm(buf.data(), nullptr, buf.data(), buf.size(), tag, aad, sizeof aad, nonce, &st) != 0) failed = true;
                } else {
                    crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf.data(), tag, nullptr, buf.data(), buf.size(), aad, sizeof aad, nullptr, nonce, tk.key.data());
                    if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(buf.data(), nullptr, buf.data(), buf.size(), tag, aad, sizeof aad, nonce, tk.key.data()) != 0) failed = true;
                }
                volatile_sink(buf.data());
            }
        };
        // The batch path a batched driver takes: 64 inner packets copied in where a TUN read puts
        // them (the same copy as the baseline's), sealed in place in one call, received in one.
        constexpr std::size_t kBatch = 64;
        std::vector<std::uint8_t> slots(kBatch * (kPayload + kDataOverhead));
        std::vector<SealItem> seal_items(kBatch);
        std::vector<ReceiveItem> recv_items(kBatch);
        auto batch = [&](int n) {
            for (int done = 0; done < n; done += int(kBatch)) {
                for (std::size_t i = 0; i < kBatch; ++i) {
                    std::uint8_t* slot = slots.data() + i * (kPayload + kDataOverhead);
                    std::memcpy(slot + kDataInnerOffset, inner.data(), kPayload);
                    seal_items[i].session = c.cs;
                    seal_items[i].protocol = InnerProtocol::ipv4;
                    seal_items[i].inner = ByteView(slot + kDataInnerOffset, kPayload);
                    seal_items[i].out = MutableByteView(slot, kPayload + kDataOverhead);
                }
                c.client->seal_batch(now, seal_items);
                for (std::size_t i = 0; i < kBatch; ++i) {
                    recv_items[i].from = from;
                    recv_items[i].datagram = MutableByteView(seal_items[i].out.data(), seal_items[i].result.size);
                }
                c.server->receive_batch(now, recv_items);
                for (const ReceiveItem& it : recv_items) {
                    if (!it.result.has_inner) failed = true;
                    volatile_sink(it.result.inner.data());
                }
            }
        };
        ours(256);
        batch(256);
        raw(256);
        const auto r = best_rates(o, ours, batch, raw);
        sodium_memzero(&st, sizeof st);
        if (failed) { std::printf("%-18s FAILED: a packet did not arrive\n", name); continue; }
        std::printf("%-18s %12.0f %12.0f %12.0f %11.1f %7.3f %7.3f\n", name, r[0], r[1], r[2], r[0] * kPayload / 1e6,
                    r[0] / r[2], r[1] / r[2]);
    }
    std::printf("(ratio = through the Endpoint API / raw AEAD seal+open with the same copy, per packet and in\n"
                " batches of 64 (seal_batch + receive_batch, sealed in place); target >= 0.90)\n");
}

// --- section: handshake -----------------------------------------------------------------------------
// One full handshake (Ed25519 certificates, both sides, in one thread) against the sum of the
// primitives it must run: 2 X25519 key generations, 2 X25519 agreements, 2 Ed25519 signatures,
// 2 Ed25519 CertificateVerify checks and 2 certificate chain verifications (each verifying the CA's
// Ed25519 signature on the leaf, through OpenSSL), the key schedule's HKDF and the flights' AEAD.
void section_handshake(const Options& o) {
    std::printf("== handshake: full handshakes vs the sum of their primitives, one core\n");
    Pki p;
    if (!load_pki(p)) return;
    std::uint64_t n_ok = 0, n_fail = 0;
    auto full = [&](int n) {
        for (int i = 0; i < n; ++i) {
            Connected c;
            (connect_pair(p, Suite::chacha20_poly1305, c, kSecond) ? n_ok : n_fail)++;
        }
    };
    // Both sides' primitives per handshake.
    HandshakePrimitives both(p);
    auto prims = [&](int n) { n_fail += both.run(2 * n); };
    Options ho = o;
    auto rate_small = [&](auto& body) {   // handshakes are slow: time batches of 8
        double best = 0;
        for (int r = 0; r < kRuns; ++r) {
            std::uint64_t total = 0;
            const double start = cpu_seconds();
            for (;;) {
                body(8);
                total += 8;
                const double el = cpu_seconds() - start;
                if (el * 1e3 >= ho.ms_per_run) { best = std::max(best, double(total) / el); break; }
            }
        }
        return best;
    };
    full(4);
    prims(4);
    const double hs = rate_small(full);
    const double pr = rate_small(prims);
    if (n_fail) { std::printf("FAILED: %llu handshakes or checks failed\n", (unsigned long long)n_fail); return; }
    std::printf("%-28s %10.0f /s  (%.3f ms)\n", "full handshake", hs, 1e3 / hs);
    std::printf("%-28s %10.0f /s  (%.3f ms)\n", "sum of primitives", pr, 1e3 / pr);
    std::printf("%-28s %10.3f  (target <= 1.3)\n", "handshake / primitives", pr / hs);

    // The same full handshake with the client's leaf key as each supported type (the server stays
    // Ed25519): what an RSA client costs next to Ed25519 and P-256. Interleaved, best of kRuns.
    std::printf("-- full handshakes by client key (server Ed25519)\n");
    struct ClientKey { const char* label; const char* file; Pki pki; double best = 0; };
    ClientKey keys[] = {{"client Ed25519", "client", p}, {"client ECDSA P-256", "client_ecdsa", p},
                        {"client RSA-2048 (PSS)", "client_rsa", p}};
    for (ClientKey& k : keys) {
        auto id = load_identity_pem(pki_file(std::string(k.file) + ".crt"), pki_file(std::string(k.file) + ".key"));
        if (!id) { std::printf("  %s: cannot load %s (%s)\n", k.label, k.file, to_string(id.error)); return; }
        k.pki.client = id.value;
    }
    for (int r = 0; r < kRuns; ++r)
        for (ClientKey& k : keys) {
            std::uint64_t total = 0;
            const double start = cpu_seconds();
            for (;;) {
                for (int i = 0; i < 4; ++i) {
                    Connected c;
                    (connect_pair(k.pki, Suite::chacha20_poly1305, c, kSecond) ? n_ok : n_fail)++;
                }
                total += 4;
                const double el = cpu_seconds() - start;
                if (el * 1e3 >= ho.ms_per_run) { k.best = std::max(k.best, double(total) / el); break; }
            }
        }
    if (n_fail) { std::printf("FAILED: %llu handshakes failed\n", (unsigned long long)n_fail); return; }
    for (const ClientKey& k : keys)
        std::printf("%-28s %10.0f /s  (%.3f ms, %.2f x Ed25519)\n", k.label, k.best, 1e3 / k.best,
                    k.best / keys[0].best);
}

// --- sections table -----------------------------------------------------------------------------
const Section kSections[] = {
    {"data", section_data, "DATA seal/open + replay window vs raw libsodium AEAD"},
    {"endpoint", section_endpoint, "Endpoint::seal + Endpoint::receive vs raw libsodium AEAD"},
    {"handshake", section_handshake, "full handshakes vs the sum of their primitive operations"},
};

}  // namespace

int main(int argc, char** argv) {
    if (!ensure_sodium()) return 1;
    return run_sections(argc, argv, kSections, Options{}, false);
}
