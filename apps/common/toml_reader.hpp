// SPDX-License-Identifier: GPL-3.0-or-later
// Typed access to a TOML configuration file with errors a person can act on: every error names the
// file, the line and the option ("server.toml:12: tunnel.mtu: must be between 1280 and 9000").
// Options nobody asked for are reported as unknown (a typo must not silently fall back to a default).
#pragma once
#include "inet.hpp"

#include <udpvpn/types.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace toml { inline namespace v3 { class table; class node; } }

namespace udpvpn::app {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class TomlReader {
public:
    // Throws ConfigError when the file cannot be read or does not parse.
    static TomlReader from_file(const std::string& path);
    static TomlReader from_string(std::string_view text, const std::string& name);
    ~TomlReader();
    TomlReader(TomlReader&&) noexcept;

    // `key` is dotted ("tunnel.mtu"). Absent: the default. Present with the wrong type or out of
    // range: ConfigError.
    std::string string(const std::string& key, const std::string& def);
    std::int64_t integer(const std::string& key, std::int64_t def, std::int64_t min, std::int64_t max);
    bool boolean(const std::string& key, bool def);
    // "250ms", "10s", "5m", "1h" or a plain number of seconds.
    TimeNs duration(const std::string& key, TimeNs def);
    std::vector<std::string> string_list(const std::string& key);
    // A list of strings and integers, integers in decimal ("ports = [22, \"8000-8080\"]").
    std::vector<std::string> string_or_integer_list(const std::string& key);
    std::optional<IpPrefix> prefix(const std::string& key);     // "a.b.c.d/n", "x::/n"
    std::optional<IpPrefix> address(const std::string& key);    // no length
    std::vector<IpPrefix> prefix_list(const std::string& key);
    std::vector<IpPrefix> address_list(const std::string& key);
    bool has(const std::string& key) const;
    // Names of the sub-tables of a table ("clients" -> {"alice", "bob"}).
    std::vector<std::string> table_keys(const std::string& key);
    // How many tables an array of tables ([[access.rule]]) holds; 0 when absent. The n-th (from 1)
    // is addressed as "<key>.<n>" ("access.rule.2.action"), which errors name as well.
    std::size_t table_array_size(const std::string& key);

    // Throws for the first option that no getter asked for.
    void reject_unknown();
    [[noreturn]] void fail(const std::string& key, const std::string& message) const;
    const std::string& path() const noexcept { return path_; }

private:
    TomlReader() = default;
    const toml::node* find(const std::string& key) const;
    std::string where(const std::string& key) const;
    void check_unknown(const toml::table& t, const std::string& prefix);

    std::string path_;
    std::unique_ptr<toml::table> root_;
    std::set<std::string> used_;
};

}  // namespace udpvpn::app
