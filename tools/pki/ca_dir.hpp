// SPDX-License-Identifier: GPL-3.0-or-later
// The CA directory on disk, laid out like easy-rsa's and indexed in OpenSSL's index.txt format, so
// `openssl ca` and people who know it can read it:
//
//   ca.crt              the CA certificate (hand this to every server and client)
//   private/ca.key      the CA private key (0600; directory 0700)
//   private/NAME.key    keys of issued certificates, unless --out-dir sent them elsewhere (0600)
//   issued/NAME.crt     certificates currently valid, by name
//   archive/SERIAL.crt  certificates no longer current: revoked, or replaced after expiry (the name
//                       becomes free again); their keys move to private/SERIAL.key
//   index.txt           one line per certificate ever issued (see IndexEntry)
//   crlnumber           the next cRLNumber, decimal
//   crl.pem             the last published CRL
//   .lock               flock()ed while a command changes the directory
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace udpvpn::pki {

// One index.txt line: status TAB expiry TAB revocation[,reason] TAB serial TAB file TAB subject.
// Times are ASN.1 UTCTime "YYMMDDHHMMSSZ" (GeneralizedTime from 2050), as `openssl ca` writes them.
struct IndexEntry {
    char status = 'V';                 // 'V' valid, 'R' revoked
    std::int64_t not_after_unix = 0;
    std::int64_t revoked_at_unix = 0;  // 0 unless revoked
    int reason = -1;                   // CRLReason code, -1 = unspecified
    std::string serial_hex;            // uppercase, no separators
    std::string file;                  // certificate path relative to the CA directory
    std::string subject;               // "/CN=name"

    std::string name() const;          // the CN from `subject`
};

std::string format_index_line(const IndexEntry& e);
// Throws PkiError naming the line number on a malformed line.
IndexEntry parse_index_line(std::string_view line, std::size_t line_no);

// Uppercase, colons and a leading "0x" removed, leading zero nibbles dropped to OpenSSL's even-length
// form; nullopt if not hex.
std::optional<std::string> normalize_serial(std::string_view s);

class CaDir {
public:
    explicit CaDir(std::filesystem::path root);

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path ca_cert() const { return root_ / "ca.crt"; }
    std::filesystem::path ca_key() const { return root_ / "private" / "ca.key"; }
    std::filesystem::path index() const { return root_ / "index.txt"; }
    std::filesystem::path crl() const { return root_ / "crl.pem"; }
    std::filesystem::path issued_cert(const std::string& name) const;
    std::filesystem::path private_key(const std::string& name) const;
    std::filesystem::path archived_cert(const std::string& serial_hex) const;
    std::filesystem::path archived_key(const std::string& serial_hex) const;

    bool initialized() const;
    // Throws PkiError telling the user to run init-ca when the directory holds no CA.
    void require_initialized() const;
    // Creates the directory tree (private/ 0700). Refuses if a CA is already there.
    void create_layout() const;

    // Serializes commands that change the directory (advisory flock on .lock, released on destruction).
    class Lock {
    public:
        explicit Lock(int fd) : fd_(fd) {}
        Lock(Lock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;
        ~Lock();
    private:
        int fd_;
    };
    Lock lock() const;

    std::vector<IndexEntry> read_index() const;
    void write_index(const std::vector<IndexEntry>& entries) const;
    // Returns the current cRLNumber and stores the next one.
    std::uint64_t take_crl_number() const;

private:
    std::filesystem::path root_;
};

// Whole-file helpers. Errors throw PkiError naming the path.
std::string read_text_file(const std::filesystem::path& p);
// Writes to a temporary file in the same directory, fsyncs, renames over `p`.
void write_file_atomic(const std::filesystem::path& p, std::string_view content, unsigned mode);
// Creates `p` (never overwrites: refuses if it exists) with `mode`.
void write_new_file(const std::filesystem::path& p, std::string_view content, unsigned mode);

}  // namespace udpvpn::pki
