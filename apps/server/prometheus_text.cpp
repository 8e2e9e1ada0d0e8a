// SPDX-License-Identifier: GPL-3.0-or-later
#include "prometheus_text.hpp"

namespace udpvpn::app {

std::string PrometheusText::escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (const char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string PrometheusText::escape_help(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (const char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

PrometheusText& PrometheusText::family(std::string_view name, std::string_view help, const char* type) {
    name_ = std::string(name);
    out_ += "# HELP " + name_ + " " + escape_help(help) + "\n";
    out_ += "# TYPE " + name_ + " " + type + "\n";
    return *this;
}

PrometheusText& PrometheusText::counter(std::string_view name, std::string_view help) {
    return family(name, help, "counter");
}

PrometheusText& PrometheusText::gauge(std::string_view name, std::string_view help) {
    return family(name, help, "gauge");
}

PrometheusText& PrometheusText::sample(std::uint64_t value, const Labels& labels) {
    out_ += name_;
    if (!labels.empty()) {
        out_ += '{';
        bool first = true;
        for (const auto& [k, v] : labels) {
            if (!first) out_ += ',';
            first = false;
            out_.append(k);
            out_ += "=\"" + escape_label_value(v) + "\"";
        }
        out_ += '}';
    }
    out_ += ' ' + std::to_string(value) + '\n';
    return *this;
}

}  // namespace udpvpn::app
