// SPDX-License-Identifier: GPL-3.0-or-later
// Reading the files a configuration names (the configuration itself, certificates, CRLs, keys):
// the whole file or a ConfigError that names the option, the path, what is wrong and what to do.
// Secrets are read straight into a buffer that is wiped when it goes (no stream buffers).
#pragma once
#include <cstddef>
#include <string>

namespace udpvpn::app {

// Larger inputs are refused (the library bounds PEM input the same way).
constexpr std::size_t kMaxConfigFile = 16u << 20;

// The text of a file that may hold a secret; wiped (sodium_memzero) when destroyed or moved from.
class SecretText {
public:
    SecretText() = default;
    explicit SecretText(std::string s) noexcept : s_(std::move(s)) {}
    SecretText(SecretText&& o) noexcept;
    SecretText& operator=(SecretText&& o) noexcept;
    SecretText(const SecretText&) = delete;
    SecretText& operator=(const SecretText&) = delete;
    ~SecretText();
    const std::string& str() const noexcept { return s_; }
    std::string& str() noexcept { return s_; }
    void wipe() noexcept;

private:
    std::string s_;
};

// Reads a whole regular file. `option` names where the path came from ("pki.ca") and `holds` what
// the file should hold ("the CA certificate(s)"), for messages such as
// "pki.ca: /etc/udpvpn is a directory; name the file that holds the CA certificate(s)".
std::string read_config_file(const std::string& path, const std::string& option, const std::string& holds);
SecretText read_secret_file(const std::string& path, const std::string& option, const std::string& holds);

// Who else may read a file that holds a secret: "" if only its owner (and root), else a
// description such as "mode 0644: readable by group and others". Never throws. (On Windows, ""
// always: files there carry ACLs, not modes.)
std::string secret_file_exposure(const std::string& path);

}  // namespace udpvpn::app
