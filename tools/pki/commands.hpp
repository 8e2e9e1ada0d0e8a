// SPDX-License-Identifier: GPL-3.0-or-later
// The udpvpn-pki commands, separate from argument parsing. Each takes the time from the caller and
// throws PkiError with a message for the user on failure.
#pragma once
#include "ca_dir.hpp"
#include "cert_builder.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace udpvpn::pki {

struct InitCaOptions {
    std::string name = "udpvpn CA";
    KeyType key_type = KeyType::ed25519;
    int days = 3650;
};
void cmd_init_ca(const CaDir& ca, const InitCaOptions& opt, std::int64_t now, std::ostream& out);

struct IssueOptions {
    LeafKind kind = LeafKind::client;
    std::string name;
    KeyType key_type = KeyType::ed25519;
    int days = 825;
    std::vector<std::string> san;                     // extra subjectAltNames (names.hpp syntax)
    std::optional<std::filesystem::path> out_dir;     // key + cert + ca.crt go here; key not kept in the CA
    std::optional<std::filesystem::path> public_key;  // sign this PEM public key; no key is generated
};
void cmd_issue(const CaDir& ca, const IssueOptions& opt, std::int64_t now, std::ostream& out);

// target: the name of a valid certificate, or a serial number (hex, colons allowed).
void cmd_revoke(const CaDir& ca, const std::string& target, int reason, std::int64_t now, std::ostream& out);

void cmd_crl(const CaDir& ca, int days, std::int64_t now, std::ostream& out);

void cmd_list(const CaDir& ca, std::int64_t now, std::ostream& out);

void cmd_show(const std::filesystem::path& file, std::int64_t now, std::ostream& out);

}  // namespace udpvpn::pki
