// SPDX-License-Identifier: GPL-3.0-or-later
// One line per event on stderr (or a file: log_to_file). Under systemd (JOURNAL_STREAM set) each line starts with a `<N>`
// syslog priority prefix and carries no timestamp (the journal adds it). Callers never pass secrets.
#pragma once
#include <string>
#include <string_view>

namespace udpvpn::app {

enum class LogLevel : int { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// `program` prefixes every line; lines above `max_level` are dropped.
void log_init(std::string_view program, LogLevel max_level);
void log_set_level(LogLevel max_level);
// Appends to `path` instead of stderr (a Windows service has no console). False if it cannot be
// opened; logging then stays on stderr.
bool log_to_file(const std::string& path);
bool log_enabled(LogLevel level) noexcept;
// Parses "error", "warning", "notice", "info", "debug"; false if unknown.
bool parse_log_level(std::string_view text, LogLevel& out) noexcept;

void logf(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace udpvpn::app

#define UVLOG_ERROR(...) ::udpvpn::app::logf(::udpvpn::app::LogLevel::error, __VA_ARGS__)
#define UVLOG_WARN(...) ::udpvpn::app::logf(::udpvpn::app::LogLevel::warning, __VA_ARGS__)
#define UVLOG_NOTICE(...) ::udpvpn::app::logf(::udpvpn::app::LogLevel::notice, __VA_ARGS__)
#define UVLOG_INFO(...) ::udpvpn::app::logf(::udpvpn::app::LogLevel::info, __VA_ARGS__)
#define UVLOG_DEBUG(...)                                                                  \
    do {                                                                                  \
        if (::udpvpn::app::log_enabled(::udpvpn::app::LogLevel::debug))                   \
            ::udpvpn::app::logf(::udpvpn::app::LogLevel::debug, __VA_ARGS__);             \
    } while (0)
