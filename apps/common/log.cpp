// SPDX-License-Identifier: GPL-3.0-or-later
#include "log.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <unistd.h>

namespace udpvpn::app {
namespace {
std::string g_program = "udpvpn";
std::atomic<LogLevel> g_max = LogLevel::info;   // SIGHUP changes it while worker threads log
bool g_journal = false;
int g_fd = STDERR_FILENO;

const char* level_name(LogLevel l) {
    switch (l) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::notice: return "notice";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
    }
    return "?";
}
}  // namespace

void log_init(std::string_view program, LogLevel max_level) {
    g_program = std::string(program);
    g_max = max_level;
    // systemd sets JOURNAL_STREAM when stderr is connected to the journal.
    g_journal = std::getenv("JOURNAL_STREAM") != nullptr;
}

void log_set_level(LogLevel max_level) { g_max = max_level; }

bool log_to_file(const std::string& path) {
    // Kept open for the life of the process; line-sized writes in append mode do not interleave.
    std::FILE* f = std::fopen(path.c_str(), "a");
    if (!f) return false;
    g_fd = fileno(f);
    g_journal = false;
    return true;
}

bool log_enabled(LogLevel level) noexcept { return static_cast<int>(level) <= static_cast<int>(g_max.load()); }

bool parse_log_level(std::string_view t, LogLevel& out) noexcept {
    for (LogLevel l : {LogLevel::error, LogLevel::warning, LogLevel::notice, LogLevel::info, LogLevel::debug}) {
        if (t == level_name(l)) { out = l; return true; }
    }
    if (t == "warn") { out = LogLevel::warning; return true; }
    return false;
}

void logf(LogLevel level, const char* fmt, ...) {
    if (!log_enabled(level)) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    // One write per line so concurrent writers never interleave mid-line.
    char line[1200];
    int n;
    if (g_journal) {
        n = std::snprintf(line, sizeof line, "<%d>%s\n", static_cast<int>(level), msg);
    } else {
        std::time_t t = std::time(nullptr);
        std::tm tm{};
        localtime_r(&t, &tm);
        char ts[32];
        std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
        n = std::snprintf(line, sizeof line, "%s %s[%d] %s: %s\n", ts, g_program.c_str(),
                          static_cast<int>(getpid()), level_name(level), msg);
    }
    if (n < 0) return;
    std::size_t len = static_cast<std::size_t>(n) < sizeof line ? static_cast<std::size_t>(n) : sizeof line - 1;
    if (len > 0 && line[len - 1] != '\n') line[len - 1] = '\n';
    const auto w = ::write(g_fd, line, static_cast<unsigned>(len));
    (void)w;
}

}  // namespace udpvpn::app
