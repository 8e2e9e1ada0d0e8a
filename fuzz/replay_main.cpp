// SPDX-License-Identifier: GPL-3.0-or-later
// Corpus replay (suite 'unit'): every file of <corpus>/<target>/ through run_<target>(), with the
// normal compiler, so CI needs no clang. A harness aborts on a broken invariant, failing the test.
// Usage: fuzz_replay CORPUS_DIR [TARGET...]  (no TARGET: all of them). Fails as well when a corpus
// directory has no harness, so a new target cannot be forgotten here.
#include "harness.hpp"

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
};

constexpr Target kTargets[] = {
    {"c_abi", run_c_abi},
    {"certificate", run_certificate},
    {"control_channel", run_control_channel},
    {"data_packet", run_data_packet},
    {"endpoint_initiator", run_endpoint_initiator},
    {"endpoint_responder", run_endpoint_responder},
    {"handshake_server", run_handshake_server},
    {"hdlc", run_hdlc},
    {"inner_source", run_inner_source},
    {"inner_packet", run_inner_packet},
    {"status_socket", run_status_socket},
    {"toml_config", run_toml_config},
    {"wire_format", run_wire_format},
};

}  // namespace

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR [TARGET...]\n", argv[0]);
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
        for (const fs::path& f : files) {
            std::ifstream in(f, std::ios::binary);
            const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            std::fprintf(stderr, "%s: %s (%zu bytes)\n", t.name, f.filename().string().c_str(), bytes.size());
            t.run(bytes.data(), bytes.size());   // aborts (fails the test) on a broken invariant
        }
        std::printf("%s: %zu inputs replayed\n", t.name, files.size());
    }
    return failures == 0 ? 0 : 1;
}
