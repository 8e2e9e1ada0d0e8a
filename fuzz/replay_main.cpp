// SPDX-License-Identifier: GPL-3.0-or-later
// Corpus replay (suite 'unit'): every file of <corpus>/<target>/ through run_<target>(), with the
// normal compiler, so CI needs no clang. A harness aborts on a broken invariant, failing the test.
// Usage: fuzz_replay [--reach-rekey] CORPUS_DIR [TARGET...]  (no TARGET: all of them). Fails as
// well when a corpus directory has no harness, so a new target cannot be forgotten here, and when a
// target marked below no longer reaches the REKEY codec the session uses (--reach-rekey: asks it
// of every target named, to show that the check can fail).
#include "harness.hpp"
#include "reach_probe.hpp"

#ifndef UDPVPN_REACH_PROBES
#error "fuzz/meson.build builds fuzz_replay with UDPVPN_REACH_PROBES and its own control_messages.cpp"
#endif

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

struct Target {
    const char* name;
    int (*run)(const std::uint8_t*, std::size_t);
    // Its corpus must reach encode_rekey and decode_rekey, the codec session.cpp speaks REKEY with
    // (session_test shows that): the control channel's harness checks the codec on every REKEY
    // body it delivers; the endpoint harnesses never call it themselves, so what they reach, they
    // reach through the sessions they rekey.
    bool reaches_rekey_codec = false;
};

constexpr Target kTargets[] = {
    {"c_abi", run_c_abi},
    {"certificate", run_certificate},
    {"control_channel", run_control_channel, true},
    {"data_packet", run_data_packet},
    {"endpoint_initiator", run_endpoint_initiator, true},
    {"endpoint_responder", run_endpoint_responder, true},
    {"handshake_server", run_handshake_server},
    {"hdlc", run_hdlc},
    {"inner_source", run_inner_source},
    {"inner_packet", run_inner_packet},
    {"status_socket", run_status_socket},
    {"toml_config", run_toml_config},
    {"tun_offload", run_tun_offload},
    {"wire_format", run_wire_format},
};

}  // namespace

// Counts the REKEY codec's calls while `replay` runs; false (and says so) when one side stayed at 0.
template <typename F>
bool reaches_rekey_codec(const char* target, F&& replay) {
    namespace reach = udpvpn::reach;
    const std::uint64_t encoded = reach::rekey_encoded, decoded = reach::rekey_decoded;
    replay();
    const auto enc = static_cast<unsigned long long>(reach::rekey_encoded - encoded);
    const auto dec = static_cast<unsigned long long>(reach::rekey_decoded - decoded);
    std::printf("%s: REKEY codec reached: encode_rekey %llu, decode_rekey %llu calls\n", target, enc, dec);
    if (enc > 0 && dec > 0) return true;
    std::fprintf(stderr, "%s: the corpus no longer reaches encode_rekey and decode_rekey\n", target);
    return false;
}

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    const bool reach_everywhere = argc > 1 && std::string(argv[1]) == "--reach-rekey";
    if (reach_everywhere) { --argc; ++argv; }
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s [--reach-rekey] CORPUS_DIR [TARGET...]\n", argv[0]);
        return 2;
    }
    const fs::path root = argv[1];
    std::vector<std::string> only(argv + 2, argv + argc);
    int failures = 0;
    if (only.empty()) {
        for (const auto& d : fs::directory_iterator(root)) {
            if (!d.is_directory()) continue;
            const std::string n = d.path().filename().string();
            if (std::none_of(std::begin(kTargets), std::end(kTargets), [&](const Target& t) { return n == t.name; })) {
                std::fprintf(stderr, "corpus directory %s has no harness in replay_main.cpp\n", n.c_str());
                ++failures;
            }
        }
    }
    for (const Target& t : kTargets) {
        if (!only.empty() && std::find(only.begin(), only.end(), t.name) == only.end()) continue;
        const fs::path dir = root / t.name;
        if (!fs::is_directory(dir)) {
            std::fprintf(stderr, "%s: no corpus directory %s\n", t.name, dir.string().c_str());
            ++failures;
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& f : fs::directory_iterator(dir))
            if (f.is_regular_file()) files.push_back(f.path());
        std::sort(files.begin(), files.end());
        const auto replay = [&] {
            for (const fs::path& f : files) {
                std::ifstream in(f, std::ios::binary);
                const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                                      std::istreambuf_iterator<char>());
                std::fprintf(stderr, "%s: %s (%zu bytes)\n", t.name, f.filename().string().c_str(), bytes.size());
                t.run(bytes.data(), bytes.size());   // aborts (fails the test) on a broken invariant
            }
        };
        if (t.reaches_rekey_codec || reach_everywhere) {
            if (!reaches_rekey_codec(t.name, replay)) ++failures;
        } else {
            replay();
        }
        std::printf("%s: %zu inputs replayed\n", t.name, files.size());
    }
    return failures == 0 ? 0 : 1;
}
