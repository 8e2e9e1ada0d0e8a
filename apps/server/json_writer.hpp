// SPDX-License-Identifier: GPL-3.0-or-later
// A tiny JSON writer for the status reply (one line, no dependency).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace udpvpn::app {

class JsonWriter {
public:
    JsonWriter& begin_object() { sep(); out_ += '{'; first_ = true; return *this; }
    JsonWriter& end_object() { out_ += '}'; first_ = false; return *this; }
    JsonWriter& begin_array() { sep(); out_ += '['; first_ = true; return *this; }
    JsonWriter& end_array() { out_ += ']'; first_ = false; return *this; }
    JsonWriter& key(std::string_view k) { sep(); quote(k); out_ += ':'; first_ = true; return *this; }
    JsonWriter& value(std::string_view v) { sep(); quote(v); return *this; }
    JsonWriter& value(const char* v) { return value(std::string_view(v)); }
    JsonWriter& value(std::uint64_t v) { sep(); out_ += std::to_string(v); return *this; }
    JsonWriter& value(std::int64_t v) { sep(); out_ += std::to_string(v); return *this; }
    JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
    JsonWriter& value(bool v) { sep(); out_ += v ? "true" : "false"; return *this; }
    template <typename T>
    JsonWriter& field(std::string_view k, T v) { key(k); return value(v); }
    const std::string& str() const noexcept { return out_; }

private:
    void sep() {
        if (!first_) out_ += ',';
        first_ = false;
    }
    void quote(std::string_view s) {
        out_ += '"';
        for (const unsigned char c : s) {
            switch (c) {
            case '"': out_ += "\\\""; break;
            case '\\': out_ += "\\\\"; break;
            case '\n': out_ += "\\n"; break;
            case '\r': out_ += "\\r"; break;
            case '\t': out_ += "\\t"; break;
            default:
                if (c < 0x20) {
                    char b[8];
                    std::snprintf(b, sizeof b, "\\u%04x", c);
                    out_ += b;
                } else {
                    out_ += static_cast<char>(c);
                }
            }
        }
        out_ += '"';
    }
    std::string out_;
    bool first_ = true;
};

}  // namespace udpvpn::app
