// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-pki: a small X.509 CA for udpvpn in the spirit of nebula-cert and easy-rsa.
#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <ctime>
#include <iostream>

using namespace udpvpn::pki;

namespace {

KeyType key_type(const std::string& s) { return *parse_key_type(s); }  // checked by IsMember first

std::string default_dir() {
    const char* env = std::getenv("UDPVPN_PKI_DIR");
    return env && *env ? env : "pki";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"udpvpn-pki: create a CA, issue, revoke and inspect X.509 certificates for udpvpn"};
    app.require_subcommand(1);
    app.set_version_flag("--version", UDPVPN_VERSION);
    std::string dir = default_dir();
    app.add_option("-d,--dir", dir, "CA directory (default: $UDPVPN_PKI_DIR or ./pki)");

    InitCaOptions init;
    auto* init_cmd = app.add_subcommand("init-ca", "Create a new CA in the CA directory");
    init_cmd->add_option("--name", init.name, "CA common name")->capture_default_str();
    std::string init_key_type = "ed25519";
    init_cmd->add_option("--key-type", init_key_type, "key type")
        ->check(CLI::IsMember({"ed25519", "ecdsa-p256"}))
        ->capture_default_str();
    init_cmd->add_option("--days", init.days, "validity in days")->check(CLI::Range(1, 36500))->capture_default_str();

    IssueOptions issue;
    std::string out_dir, pubkey;
    auto* issue_cmd = app.add_subcommand("issue", "Issue a server or client certificate and its key");
    std::string kind;
    issue_cmd->add_option("kind", kind, "server or client")->required()->check(CLI::IsMember({"server", "client"}));
    issue_cmd->add_option("name", issue.name,
                          "identity: the server's DNS name or IP address, or the client's name")
        ->required();
    std::string issue_key_type = "ed25519";
    issue_cmd->add_option("--key-type", issue_key_type, "key type")
        ->check(CLI::IsMember({"ed25519", "ecdsa-p256"}))
        ->capture_default_str();
    issue_cmd->add_option("--days", issue.days, "validity in days")->check(CLI::Range(1, 36500))->capture_default_str();
    issue_cmd->add_option("--san", issue.san, "extra subjectAltName: DNS:name or IP:address (repeat the option)")
        ->allow_extra_args(false);
    issue_cmd->add_option("-o,--out-dir", out_dir,
                          "write NAME.crt, NAME.key and ca.crt here; the key is then not kept in the CA directory");
    issue_cmd->add_option("--public-key", pubkey,
                          "sign this PEM public key instead of generating a key (the private key never leaves its owner)");

    std::string revoke_target, reason_str = "unspecified";
    auto* revoke_cmd = app.add_subcommand("revoke", "Revoke a certificate by name or serial number");
    revoke_cmd->add_option("target", revoke_target, "name of a valid certificate, or its serial (hex)")->required();
    revoke_cmd->add_option("--reason", reason_str,
                           "unspecified, keyCompromise, CACompromise, affiliationChanged, superseded, "
                           "cessationOfOperation, privilegeWithdrawn, AACompromise")
        ->capture_default_str();

    int crl_days = 180;
    auto* crl_cmd = app.add_subcommand("crl", "Publish a CRL of every revoked certificate to crl.pem");
    crl_cmd->add_option("--days", crl_days, "days until the CRL's nextUpdate")
        ->check(CLI::Range(1, 3650))
        ->capture_default_str();

    auto* list_cmd = app.add_subcommand("list", "List every certificate the CA issued");

    std::string show_file;
    auto* show_cmd = app.add_subcommand("show", "Print a certificate or CRL (PEM or DER, from any CA)");
    show_cmd->add_option("file", show_file, "certificate or CRL file")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }

    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    const CaDir ca{dir};
    try {
        if (*init_cmd) {
            init.key_type = key_type(init_key_type);
            cmd_init_ca(ca, init, now, std::cout);
        } else if (*issue_cmd) {
            issue.kind = kind == "server" ? LeafKind::server : LeafKind::client;
            issue.key_type = key_type(issue_key_type);
            if (!out_dir.empty()) issue.out_dir = out_dir;
            if (!pubkey.empty()) issue.public_key = pubkey;
            cmd_issue(ca, issue, now, std::cout);
        } else if (*revoke_cmd) {
            auto reason = parse_crl_reason(reason_str);
            if (!reason) throw PkiError("unknown --reason '" + reason_str + "' (see --help)");
            cmd_revoke(ca, revoke_target, *reason, now, std::cout);
        } else if (*crl_cmd) {
            cmd_crl(ca, crl_days, now, std::cout);
        } else if (*list_cmd) {
            cmd_list(ca, now, std::cout);
        } else if (*show_cmd) {
            cmd_show(show_file, now, std::cout);
        }
    } catch (const PkiError& e) {
        std::cerr << "udpvpn-pki: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "udpvpn-pki: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
