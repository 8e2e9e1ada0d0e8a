// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-bench: throughput figures measured in one run (a program, not a test).
//   udpvpn-bench [--section NAME]... [--ms N]
// Each section is one function in kSections; add a section by writing a function and a table row.
// Sections: data (seal+open of 1400-byte DATA packets vs raw libsodium AEAD, both suites).
#include "data_packet.hpp"
#include "replay_window.hpp"
#include "sodium_init.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

using namespace udpvpn;

namespace {

struct Options {
    double ms_per_run = 300;   // one timed run; each figure is the best of kRuns runs
};
constexpr int kRuns = 5;

// Seconds of CPU time of this thread where available: stable on a machine shared with other jobs.
double cpu_seconds() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
#else
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
#endif
}

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

void volatile_sink(const void* p) { asm volatile("" : : "r"(p) : "memory"); }

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

// --- sections table -----------------------------------------------------------------------------
struct Section {
    const char* name;
    void (*run)(const Options&);
    const char* what;
};
const Section kSections[] = {
    {"data", section_data, "DATA seal/open + replay window vs raw libsodium AEAD"},
    // {"endpoint", section_endpoint, ...}, {"handshake", section_handshake, ...}: to be added.
};

int usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s [--section NAME]... [--ms N]\nsections:\n", argv0);
    for (const Section& s : kSections) std::fprintf(stderr, "  %-10s %s\n", s.name, s.what);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (!ensure_sodium()) return 1;
    Options o;
    std::vector<std::string> wanted;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--section" && i + 1 < argc) wanted.push_back(argv[++i]);
        else if (a == "--ms" && i + 1 < argc) o.ms_per_run = std::atof(argv[++i]);
        else return usage(argv[0]);
    }
    for (const std::string& w : wanted) {
        bool known = false;
        for (const Section& s : kSections) known |= w == s.name;
        if (!known) return usage(argv[0]);
    }
    for (const Section& s : kSections)
        if (wanted.empty() || std::find(wanted.begin(), wanted.end(), std::string(s.name)) != wanted.end()) s.run(o);
    return 0;
}
