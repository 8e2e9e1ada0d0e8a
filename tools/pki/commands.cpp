// SPDX-License-Identifier: GPL-3.0-or-later
#include "commands.hpp"

#include "cert_show.hpp"
#include "names.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>
#include <system_error>

namespace fs = std::filesystem;

namespace udpvpn::pki {
namespace {

constexpr std::int64_t kDay = 86400;
// Leaves start 5 minutes in the past so a peer whose clock lags the CA's still accepts them.
constexpr std::int64_t kBackdate = 300;

struct LoadedCa {
    X509Ptr cert;
    PkeyPtr key;
    CertInfo info;
};

LoadedCa load_ca(const CaDir& ca) {
    ca.require_initialized();
    LoadedCa l;
    l.cert = cert_from_pem(read_text_file(ca.ca_cert()), ca.ca_cert().string());
    std::string key_pem = read_text_file(ca.ca_key());
    try {
        l.key = private_key_from_pem(key_pem, ca.ca_key().string());
    } catch (...) {
        OPENSSL_cleanse(key_pem.data(), key_pem.size());
        throw;
    }
    OPENSSL_cleanse(key_pem.data(), key_pem.size());
    if (X509_check_private_key(l.cert.get(), l.key.get()) != 1) {
        ERR_clear_error();
        throw PkiError(ca.ca_key().string() + " does not match " + ca.ca_cert().string());
    }
    l.info = describe_cert(l.cert.get());
    return l;
}

bool path_exists(const fs::path& p) {
    std::error_code ec;
    return fs::symlink_status(p, ec).type() != fs::file_type::not_found;
}

void refuse_existing(const fs::path& p) {
    if (path_exists(p)) throw PkiError(p.string() + " already exists; refusing to overwrite it");
}

void rename_file(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) throw PkiError("cannot move " + from.string() + " to " + to.string() + ": " + ec.message());
}

// The certificate file an index entry points to, wherever it is now.
fs::path entry_cert_path(const CaDir& ca, const IndexEntry& e) {
    return e.file.empty() ? ca.archived_cert(e.serial_hex) : ca.root() / e.file;
}

std::string kind_of(const fs::path& cert_file) {
    try {
        auto cert = cert_from_pem(read_text_file(cert_file), cert_file.string());
        const auto info = describe_cert(cert.get());
        std::string kind;
        for (const auto& e : info.ext_key_usage) {
            if (e == "serverAuth") kind += kind.empty() ? "server" : "+server";
            if (e == "clientAuth") kind += kind.empty() ? "client" : "+client";
        }
        return kind.empty() ? "-" : kind;
    } catch (const PkiError&) {
        return "?";
    }
}

}  // namespace

void cmd_init_ca(const CaDir& ca, const InitCaOptions& opt, std::int64_t now, std::ostream& out) {
    if (opt.name.empty() || opt.name.size() > 64) throw PkiError("the CA name must be 1 to 64 characters");
    ca.create_layout();
    auto lock = ca.lock();
    auto key = generate_key(opt.key_type);
    auto serial = random_serial();
    const Validity v{now - kBackdate, now + opt.days * kDay};
    auto cert = make_ca_cert(key.get(), opt.name, v, serial.get());
    write_new_file(ca.ca_key(), private_key_pem(key.get()), 0600);
    write_new_file(ca.ca_cert(), cert_pem(cert.get()), 0644);
    if (!path_exists(ca.index())) write_file_atomic(ca.index(), "", 0644);
    const auto info = describe_cert(cert.get());
    out << "created CA '" << opt.name << "' (" << info.key_type << ") in " << ca.root().string() << "\n"
        << "  certificate: " << ca.ca_cert().string() << " (give this to every server and client)\n"
        << "  private key: " << ca.ca_key().string() << " (keep it secret and offline if you can)\n"
        << "  valid until: " << format_utc(info.not_after_unix) << "\n"
        << "  fingerprint: " << info.fingerprint_sha256 << "\n";
}

void cmd_issue(const CaDir& ca, const IssueOptions& opt, std::int64_t now, std::ostream& out) {
    validate_identity_name(opt.name);
    std::vector<std::string> san;
    if (opt.kind == LeafKind::server) {
        // The client checks the name it was told to expect against the server's subjectAltName.
        try {
            san.push_back(san_entry(opt.name));
        } catch (const PkiError&) {
            throw PkiError("a server name must be a DNS name or an IP address (got '" + opt.name +
                           "'); clients check it against the server they connect to");
        }
    }
    for (const auto& s : opt.san) {
        const std::string e = san_entry(s);
        if (std::find(san.begin(), san.end(), e) == san.end()) san.push_back(e);
    }

    ca.require_initialized();
    auto lock = ca.lock();
    LoadedCa l = load_ca(ca);
    if (now >= l.info.not_after_unix)
        throw PkiError("the CA certificate expired on " + format_utc(l.info.not_after_unix));
    auto index = ca.read_index();
    for (const auto& e : index) {
        if (e.status == 'V' && e.name() == opt.name && e.not_after_unix > now)
            throw PkiError("'" + opt.name + "' already has a valid certificate (serial " + e.serial_hex +
                           ", until " + format_utc(e.not_after_unix) + "); revoke it first");
    }

    const fs::path cert_path = ca.issued_cert(opt.name);
    const fs::path key_path = opt.out_dir ? *opt.out_dir / (opt.name + ".key") : ca.private_key(opt.name);
    // An expired certificate of the same name leaves issued/ for the archive.
    bool archived = false;
    for (auto& e : index) {
        if (e.status == 'V' && e.name() == opt.name && !e.file.empty() && e.file == "issued/" + opt.name + ".crt") {
            rename_file(cert_path, ca.archived_cert(e.serial_hex));
            if (path_exists(ca.private_key(opt.name))) rename_file(ca.private_key(opt.name), ca.archived_key(e.serial_hex));
            e.file = "archive/" + e.serial_hex + ".crt";
            archived = true;
        }
    }
    if (archived) ca.write_index(index);
    refuse_existing(cert_path);
    if (!opt.public_key) refuse_existing(key_path);
    if (opt.out_dir) {
        std::error_code ec;
        fs::create_directories(*opt.out_dir, ec);
        if (ec) throw PkiError("cannot create " + opt.out_dir->string() + ": " + ec.message());
        refuse_existing(*opt.out_dir / (opt.name + ".crt"));
    }

    PkeyPtr key = opt.public_key
                      ? public_key_from_pem(read_text_file(*opt.public_key), opt.public_key->string())
                      : generate_key(opt.key_type);
    BnPtr serial;
    std::string serial_str;
    do {
        serial = random_serial();
        char* hex = BN_bn2hex(serial.get());
        serial_str = hex ? hex : "";
        OPENSSL_free(hex);
    } while (std::any_of(index.begin(), index.end(), [&](const IndexEntry& e) { return e.serial_hex == serial_str; }));

    Validity v{now - kBackdate, now + opt.days * kDay};
    if (v.not_after_unix > l.info.not_after_unix) {
        v.not_after_unix = l.info.not_after_unix;
        out << "note: validity shortened to the CA's, " << format_utc(v.not_after_unix) << "\n";
    }
    auto cert = make_leaf_cert(l.cert.get(), l.key.get(), key.get(), opt.kind, opt.name, san, v, serial.get());
    const std::string pem = cert_pem(cert.get());

    if (!opt.public_key) write_new_file(key_path, private_key_pem(key.get()), 0600);
    write_new_file(cert_path, pem, 0644);
    if (opt.out_dir) {
        write_new_file(*opt.out_dir / (opt.name + ".crt"), pem, 0644);
        write_file_atomic(*opt.out_dir / "ca.crt", read_text_file(ca.ca_cert()), 0644);
    }
    IndexEntry e;
    e.status = 'V';
    e.not_after_unix = v.not_after_unix;
    e.serial_hex = serial_hex(X509_get0_serialNumber(cert.get()));
    e.file = "issued/" + opt.name + ".crt";
    e.subject = "/CN=" + opt.name;
    index.push_back(e);
    ca.write_index(index);

    const auto info = describe_cert(cert.get());
    out << "issued " << to_string(opt.kind) << " certificate '" << opt.name << "' (" << info.key_type << ", serial "
        << e.serial_hex << ", until " << format_utc(info.not_after_unix) << ")\n"
        << "  certificate: " << (opt.out_dir ? (*opt.out_dir / (opt.name + ".crt")).string() : cert_path.string())
        << "\n";
    if (!opt.public_key) out << "  private key: " << key_path.string() << " (mode 0600)\n";
    out << "  CA:          " << (opt.out_dir ? (*opt.out_dir / "ca.crt").string() : ca.ca_cert().string()) << "\n";
    if (!san.empty()) {
        out << "  names:      ";
        for (const auto& s : san) out << " " << s;
        out << "\n";
    }
}

void cmd_revoke(const CaDir& ca, const std::string& target, int reason, std::int64_t now, std::ostream& out) {
    ca.require_initialized();
    auto lock = ca.lock();
    auto index = ca.read_index();
    IndexEntry* hit = nullptr;
    for (auto& e : index)
        if (e.status == 'V' && e.name() == target && e.file == "issued/" + target + ".crt") hit = &e;
    if (!hit) {
        if (auto serial = normalize_serial(target)) {
            for (auto& e : index) {
                if (e.serial_hex != *serial) continue;
                if (e.status == 'R')
                    throw PkiError("serial " + e.serial_hex + " ('" + e.name() + "') is already revoked");
                hit = &e;
            }
        }
    }
    if (!hit) throw PkiError("no valid certificate named or numbered '" + target + "' (see `udpvpn-pki list`)");

    const std::string name = hit->name();
    if (hit->file == "issued/" + name + ".crt" && path_exists(ca.issued_cert(name))) {
        rename_file(ca.issued_cert(name), ca.archived_cert(hit->serial_hex));
        if (path_exists(ca.private_key(name))) rename_file(ca.private_key(name), ca.archived_key(hit->serial_hex));
        hit->file = "archive/" + hit->serial_hex + ".crt";
    }
    hit->status = 'R';
    hit->revoked_at_unix = now;
    hit->reason = reason;
    const std::string serial = hit->serial_hex;
    ca.write_index(index);
    out << "revoked '" << name << "' (serial " << serial << ", reason " << crl_reason_name(reason) << ")\n"
        << "next: publish it with `udpvpn-pki crl`, copy crl.pem to the servers and reload them\n"
        << "      (systemctl reload udpvpn-server@INSTANCE, or send SIGHUP)\n";
}

void cmd_crl(const CaDir& ca, int days, std::int64_t now, std::ostream& out) {
    ca.require_initialized();
    auto lock = ca.lock();
    LoadedCa l = load_ca(ca);
    std::vector<RevokedEntry> revoked;
    for (const auto& e : ca.read_index())
        if (e.status == 'R') revoked.push_back({e.serial_hex, e.revoked_at_unix, e.reason});
    std::int64_t next = now + days * kDay;
    if (next > l.info.not_after_unix) next = l.info.not_after_unix;
    const std::uint64_t number = ca.take_crl_number();
    auto crl = make_crl(l.cert.get(), l.key.get(), revoked, now, next, number);
    write_file_atomic(ca.crl(), crl_pem(crl.get()), 0644);
    out << "published CRL #" << number << " with " << revoked.size() << " revoked certificate"
        << (revoked.size() == 1 ? "" : "s") << ": " << ca.crl().string() << "\n"
        << "  next update: " << format_utc(next)
        << " (publish again before then: servers refuse clients once it has passed)\n";
}

void cmd_list(const CaDir& ca, std::int64_t now, std::ostream& out) {
    ca.require_initialized();
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-8s %-7s %-32s %-34s %s\n", "STATUS", "KIND", "NAME", "SERIAL", "EXPIRES");
    out << buf;
    for (const auto& e : ca.read_index()) {
        const char* status = e.status == 'R' ? "revoked" : (e.not_after_unix <= now ? "expired" : "valid");
        std::snprintf(buf, sizeof buf, "%-8s %-7s %-32s %-34s %s\n", status, kind_of(entry_cert_path(ca, e)).c_str(),
                      e.name().c_str(), e.serial_hex.c_str(), format_utc(e.not_after_unix).c_str());
        out << buf;
    }
}

void cmd_show(const fs::path& file, std::int64_t now, std::ostream& out) {
    const auto objects = load_pki_objects(read_text_file(file), file.string());
    bool first = true;
    for (const auto& c : objects.certs) {
        if (!first) out << "\n";
        first = false;
        out << format_cert_text(describe_cert(c.get()), now);
    }
    for (const auto& c : objects.crls) {
        if (!first) out << "\n";
        first = false;
        out << format_crl_text(describe_crl(c.get()), now);
    }
}

}  // namespace udpvpn::pki
