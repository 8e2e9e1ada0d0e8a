// SPDX-License-Identifier: GPL-3.0-or-later
#include "toml_reader.hpp"

#include <toml++/toml.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace udpvpn::app {

TomlReader::~TomlReader() = default;
TomlReader::TomlReader(TomlReader&&) noexcept = default;

TomlReader TomlReader::from_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw ConfigError(path + " is a directory; give the configuration file (--config FILE)");
    std::ifstream in(path);
    if (!in) throw ConfigError(path + ": cannot open: " + std::strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    return from_string(ss.str(), path);
}

TomlReader TomlReader::from_string(std::string_view text, const std::string& name) {
    TomlReader r;
    r.path_ = name;
    try {
        r.root_ = std::make_unique<toml::table>(toml::parse(text, name));
    } catch (const toml::parse_error& e) {
        throw ConfigError(name + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
    }
    return r;
}

const toml::node* TomlReader::find(const std::string& key) const {
    const toml::node* n = root_.get();
    std::size_t start = 0;
    while (n) {
        const auto dot = key.find('.', start);
        const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (const auto* arr = n->as_array()) {   // "<array>.<n>": its n-th element, from 1
            std::size_t i = 0;
            const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), i);
            if (ec != std::errc{} || end != part.data() + part.size() || i == 0 || i > arr->size()) return nullptr;
            n = arr->get(i - 1);
        } else {
            const auto* t = n->as_table();
            if (!t) return nullptr;
            n = t->get(part);
        }
        if (dot == std::string::npos) return n;
        start = dot + 1;
    }
    return nullptr;
}

bool TomlReader::has(const std::string& key) const { return find(key) != nullptr; }

std::string TomlReader::where(const std::string& key) const {
    // A missing option of an array's table: the line of that table ("access.rule.2" for its name).
    const toml::node* n = find(key);
    if (!n && key.rfind('.') != std::string::npos) {
        const std::string table = key.substr(0, key.rfind('.'));
        const std::string last = table.substr(table.rfind('.') + 1);
        if (!last.empty() && last.find_first_not_of("0123456789") == std::string::npos) n = find(table);
    }
    std::string w = path_;
    if (n && n->source().begin.line) w += ":" + std::to_string(n->source().begin.line);
    return w + ": " + key;
}

void TomlReader::fail(const std::string& key, const std::string& message) const {
    throw ConfigError(where(key) + ": " + message);
}

std::string TomlReader::string(const std::string& key, const std::string& def) {
    used_.insert(key);
    const auto* n = find(key);
    if (!n) return def;
    const auto v = n->value<std::string>();
    if (!v || !n->is_string()) fail(key, "expected a string");
    return *v;
}

std::int64_t TomlReader::integer(const std::string& key, std::int64_t def, std::int64_t min, std::int64_t max) {
    used_.insert(key);
    const auto* n = find(key);
    if (!n) return def;
    if (!n->is_integer()) fail(key, "expected an integer");
    const std::int64_t v = *n->value<std::int64_t>();
    if (v < min || v > max)
        fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return v;
}

bool TomlReader::boolean(const std::string& key, bool def) {
    used_.insert(key);
    const auto* n = find(key);
    if (!n) return def;
    if (!n->is_boolean()) fail(key, "expected true or false");
    return *n->value<bool>();
}

TimeNs TomlReader::duration(const std::string& key, TimeNs def) {
    used_.insert(key);
    const auto* n = find(key);
    if (!n) return def;
    if (n->is_integer()) {
        const auto v = *n->value<std::int64_t>();
        if (v < 0 || v > 31'536'000) fail(key, "must be between 0 and 31536000 seconds");
        return static_cast<TimeNs>(v) * kSecond;
    }
    if (!n->is_string()) fail(key, "expected a duration such as \"10s\" or \"250ms\"");
    const std::string s = *n->value<std::string>();
    std::uint64_t num = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), num);
    const std::string unit(ptr, s.data() + s.size());
    TimeNs mult = 0;
    if (unit == "ms") mult = kMillisecond;
    else if (unit == "s" || unit.empty()) mult = kSecond;
    else if (unit == "m") mult = 60 * kSecond;
    else if (unit == "h") mult = 3600 * kSecond;
    if (ec != std::errc{} || ptr == s.data() || mult == 0 || num > 31'536'000'000ull)
        fail(key, "expected a duration such as \"10s\" or \"250ms\", got \"" + s + "\"");
    return num * mult;
}

std::vector<std::string> TomlReader::string_list(const std::string& key) {
    used_.insert(key);
    std::vector<std::string> out;
    const auto* n = find(key);
    if (!n) return out;
    const auto* arr = n->as_array();
    if (!arr) fail(key, "expected a list of strings");
    for (const auto& e : *arr) {
        if (!e.is_string()) fail(key, "expected a list of strings");
        out.push_back(*e.value<std::string>());
    }
    return out;
}

std::vector<std::string> TomlReader::string_or_integer_list(const std::string& key) {
    used_.insert(key);
    std::vector<std::string> out;
    const auto* n = find(key);
    if (!n) return out;
    const auto* arr = n->as_array();
    if (!arr) fail(key, "expected a list of numbers and strings");
    for (const auto& e : *arr) {
        if (e.is_string()) out.push_back(*e.value<std::string>());
        else if (e.is_integer()) out.push_back(std::to_string(*e.value<std::int64_t>()));
        else fail(key, "expected a list of numbers and strings");
    }
    return out;
}

std::optional<IpPrefix> TomlReader::prefix(const std::string& key) {
    const std::string s = string(key, "");
    if (s.empty()) return std::nullopt;
    auto p = parse_prefix(s);
    if (!p) fail(key, "expected an IP prefix such as 10.8.0.0/24 or fd00::/64, got \"" + s + "\"");
    return p;
}

std::optional<IpPrefix> TomlReader::address(const std::string& key) {
    const std::string s = string(key, "");
    if (s.empty()) return std::nullopt;
    auto p = parse_address(s);
    if (!p) fail(key, "expected an IP address, got \"" + s + "\"");
    return p;
}

std::vector<IpPrefix> TomlReader::prefix_list(const std::string& key) {
    std::vector<IpPrefix> out;
    for (const auto& s : string_list(key)) {
        auto p = parse_prefix(s);
        if (!p) fail(key, "expected IP prefixes such as 10.8.0.0/24, got \"" + s + "\"");
        out.push_back(*p);
    }
    return out;
}

std::vector<IpPrefix> TomlReader::address_list(const std::string& key) {
    std::vector<IpPrefix> out;
    for (const auto& s : string_list(key)) {
        auto p = parse_address(s);
        if (!p) fail(key, "expected IP addresses, got \"" + s + "\"");
        out.push_back(*p);
    }
    return out;
}

std::vector<std::string> TomlReader::table_keys(const std::string& key) {
    // Not marked used: reject_unknown() still walks into each sub-table to catch typos there.
    std::vector<std::string> out;
    const auto* n = find(key);
    if (!n) return out;
    const auto* t = n->as_table();
    if (!t) fail(key, "expected a table");
    for (const auto& [k, v] : *t) {
        if (!v.is_table()) fail(key + "." + std::string(k.str()), "expected a table");
        out.emplace_back(k.str());
    }
    return out;
}

std::size_t TomlReader::table_array_size(const std::string& key) {
    // Not marked used: reject_unknown() walks into each table to catch typos there.
    const auto* n = find(key);
    if (!n) return 0;
    const auto* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables()) fail(key, "expected an array of tables ([[" + key + "]])");
    return arr->size();
}

void TomlReader::check_unknown(const toml::table& t, const std::string& prefix) {
    for (const auto& [k, v] : t) {
        const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        if (used_.count(key)) continue;
        if (const auto* sub = v.as_table()) {
            check_unknown(*sub, key);
            continue;
        }
        if (const auto* arr = v.as_array(); arr && !arr->empty() && arr->is_array_of_tables()) {
            for (std::size_t i = 0; i < arr->size(); ++i)
                check_unknown(*arr->get(i)->as_table(), key + "." + std::to_string(i + 1));
            continue;
        }
        fail(key, "unknown option");
    }
}

void TomlReader::reject_unknown() { check_unknown(*root_, ""); }


}  // namespace udpvpn::app
