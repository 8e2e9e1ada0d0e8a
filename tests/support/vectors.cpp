// SPDX-License-Identifier: GPL-3.0-or-later
#include "vectors.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace udpvpn::test {
namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

const std::string& VectorCase::text(const std::string& name) const {
    auto it = fields.find(name);
    if (it == fields.end()) throw std::runtime_error("vector case at line " + std::to_string(line) + " lacks '" + name + "'");
    return it->second;
}

Bytes VectorCase::hex(const std::string& name) const { return from_hex(text(name)); }

std::uint64_t VectorCase::uint(const std::string& name) const { return std::stoull(text(name), nullptr, 10); }

Bytes from_hex(const std::string& hex) {
    if (hex.size() % 2 != 0) throw std::runtime_error("odd-length hex: " + hex);
    Bytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) throw std::runtime_error("bad hex: " + hex);
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

std::string to_hex(ByteView b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    s.reserve(b.size() * 2);
    for (std::uint8_t c : b) {
        s += d[c >> 4];
        s += d[c & 15];
    }
    return s;
}

std::vector<VectorCase> load_vectors(const std::string& file) {
    const char* dir = std::getenv("UDPVPN_VECTORS");
    const std::string path = (dir && *dir ? std::string(dir) : std::string("tests/vectors")) + "/" + file;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open vector file " + path + " (set UDPVPN_VECTORS)");
    std::vector<VectorCase> cases;
    VectorCase cur;
    std::string line;
    int n = 0;
    auto flush = [&] {
        if (!cur.fields.empty()) cases.push_back(cur);
        cur = VectorCase{};
    };
    while (std::getline(in, line)) {
        ++n;
        const std::string t = trim(line);
        if (t.empty()) { flush(); continue; }
        if (t[0] == '#') continue;
        const auto eq = t.find('=');
        if (eq == std::string::npos) throw std::runtime_error(path + ":" + std::to_string(n) + ": expected 'name = value'");
        if (cur.fields.empty()) cur.line = n;
        const std::string key = trim(t.substr(0, eq));
        if (cur.fields.count(key)) throw std::runtime_error(path + ":" + std::to_string(n) + ": duplicate '" + key + "'");
        cur.fields[key] = trim(t.substr(eq + 1));
    }
    flush();
    if (cases.empty()) throw std::runtime_error("no cases in " + path);
    return cases;
}

}  // namespace udpvpn::test
