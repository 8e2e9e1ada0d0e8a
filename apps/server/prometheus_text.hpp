// SPDX-License-Identifier: GPL-3.0-or-later
// Prometheus text exposition format 0.0.4: families with their # HELP and # TYPE lines, samples
// with escaped label values. Only what udpvpn-server exports: counters and gauges of integers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace udpvpn::app {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

class PrometheusText {
public:
    using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

    // Starts a family: every sample that follows belongs to it until the next family. A counter's
    // name ends in "_total" (the caller names it so). Names are the caller's constants, not input.
    PrometheusText& counter(std::string_view name, std::string_view help);
    PrometheusText& gauge(std::string_view name, std::string_view help);
    // One sample of the current family. Label values may hold any bytes: \, " and newline are
    // escaped as the format requires.
    PrometheusText& sample(std::uint64_t value, const Labels& labels = {});
    const std::string& str() const noexcept { return out_; }

    static std::string escape_label_value(std::string_view v);
    static std::string escape_help(std::string_view v);

private:
    PrometheusText& family(std::string_view name, std::string_view help, const char* type);
    std::string out_;
    std::string name_;
};

}  // namespace udpvpn::app
