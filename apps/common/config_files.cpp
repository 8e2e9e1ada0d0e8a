// SPDX-License-Identifier: GPL-3.0-or-later
#include "config_files.hpp"

#include "toml_reader.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

namespace udpvpn::app {

SecretText::SecretText(SecretText&& o) noexcept : s_(std::move(o.s_)) { o.wipe(); }

SecretText& SecretText::operator=(SecretText&& o) noexcept {
    if (this != &o) {
        wipe();
        s_ = std::move(o.s_);
        o.wipe();
    }
    return *this;
}

SecretText::~SecretText() { wipe(); }

void SecretText::wipe() noexcept {
    // The whole capacity: a shorter string may have held longer contents before. Growing to the
    // capacity never reallocates.
    s_.resize(s_.capacity());
    if (!s_.empty()) sodium_memzero(s_.data(), s_.size());
    s_.clear();
}

namespace {

[[noreturn]] void fail(const std::string& option, const std::string& what) { throw ConfigError(option + ": " + what); }

// Fills `out` (already sized to the file) without any intermediate buffer: stdio unbuffered.
void read_into(const std::string& path, const std::string& option, std::string& out) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
        const int err = ec ? ec.value() : ENOENT;
        fail(option, "cannot read " + path + ": " + std::strerror(err));
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) fail(option, "cannot read " + path + ": " + std::strerror(errno));
    std::setvbuf(f.get(), nullptr, _IONBF, 0);
    const auto size = fs::file_size(path, ec);
    if (ec) fail(option, "cannot read " + path + ": " + ec.message());
    if (size > kMaxConfigFile) fail(option, path + " is larger than 16 MiB: is it the right file?");
    out.resize(static_cast<std::size_t>(size));
    std::size_t got = 0;
    while (got < out.size()) {
        const std::size_t n = std::fread(out.data() + got, 1, out.size() - got, f.get());
        if (n == 0) break;
        got += n;
    }
    if (std::ferror(f.get())) fail(option, "cannot read " + path + ": " + std::strerror(errno));
    out.resize(got);   // shrinking never reallocates
    if (std::fgetc(f.get()) != EOF) fail(option, path + " changed while it was read; try again");
}

void check_regular(const std::string& path, const std::string& option, const std::string& holds) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (fs::is_directory(st)) fail(option, path + " is a directory; name the file that holds " + holds);
    if (fs::exists(st) && !fs::is_regular_file(st))
        fail(option, path + " is not a regular file; name the file that holds " + holds);
}

}  // namespace

std::string read_config_file(const std::string& path, const std::string& option, const std::string& holds) {
    if (path.empty()) fail(option, "no file named; give the file that holds " + holds);
    check_regular(path, option, holds);
    std::string out;
    read_into(path, option, out);
    return out;
}

SecretText read_secret_file(const std::string& path, const std::string& option, const std::string& holds) {
    if (path.empty()) fail(option, "no file named; give the file that holds " + holds);
    check_regular(path, option, holds);
    SecretText out;
    // Sized once before reading: the secret is never copied by a reallocation.
    try {
        read_into(path, option, out.str());
    } catch (...) {
        out.wipe();
        throw;
    }
    return out;
}

}  // namespace udpvpn::app
