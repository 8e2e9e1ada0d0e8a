// SPDX-License-Identifier: GPL-3.0-or-later
// Reader for tests/vectors/*.vec (format: tests/vectors/README.md). Test-only code: throws on a
// malformed file so a broken vector fails loudly instead of being skipped.
#pragma once
#include <udpvpn/types.hpp>

#include <map>
#include <string>
#include <vector>

namespace udpvpn::test {

struct VectorCase {
    std::map<std::string, std::string> fields;   // name -> raw value text
    int line = 0;                                 // first line of the case in the file

    bool has(const std::string& name) const { return fields.count(name) != 0; }
    const std::string& text(const std::string& name) const;   // throws if missing
    Bytes hex(const std::string& name) const;                 // throws if missing or not hex
    std::uint64_t uint(const std::string& name) const;        // decimal, throws if missing
    std::string name() const { return has("case") ? text("case") : "<unnamed>"; }
    bool expect_fail() const { return has("expect") && text("expect") == "fail"; }
};

// Loads $UDPVPN_VECTORS/<file> (falls back to tests/vectors/<file> relative to the working directory).
std::vector<VectorCase> load_vectors(const std::string& file);

Bytes from_hex(const std::string& hex);   // throws on odd length or a non-hex digit
std::string to_hex(ByteView b);

}  // namespace udpvpn::test
