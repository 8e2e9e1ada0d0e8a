// SPDX-License-Identifier: GPL-3.0-or-later
#include "ca_dir.hpp"

#include <openssl/crypto.h>

#include "cert_builder.hpp"
#include "openssl_util.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <sstream>

namespace fs = std::filesystem;

namespace udpvpn::pki {
namespace {

[[noreturn]] void throw_errno(const std::string& what, const fs::path& p) {
    throw PkiError(what + " " + p.string() + ": " + std::strerror(errno));
}

std::string index_time(std::int64_t t) {
    const time_t tt = static_cast<time_t>(t);
    struct tm tm {};
    gmtime_r(&tt, &tm);
    char buf[32];
    // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime after (OpenSSL's index does the same).
    const char* fmt = tm.tm_year + 1900 < 2050 ? "%y%m%d%H%M%SZ" : "%Y%m%d%H%M%SZ";
    strftime(buf, sizeof buf, fmt, &tm);
    return buf;
}

std::optional<std::int64_t> parse_index_time(std::string_view s) {
    if (s.size() != 13 && s.size() != 15) return std::nullopt;
    if (s.back() != 'Z') return std::nullopt;
    for (std::size_t i = 0; i + 1 < s.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    auto num = [&](std::size_t pos, std::size_t len) { return std::stoi(std::string(s.substr(pos, len))); };
    struct tm tm {};
    std::size_t p = 0;
    if (s.size() == 13) {
        const int yy = num(0, 2);
        tm.tm_year = (yy < 50 ? 2000 + yy : 1900 + yy) - 1900;
        p = 2;
    } else {
        tm.tm_year = num(0, 4) - 1900;
        p = 4;
    }
    tm.tm_mon = num(p, 2) - 1;
    tm.tm_mday = num(p + 2, 2);
    tm.tm_hour = num(p + 4, 2);
    tm.tm_min = num(p + 6, 2);
    tm.tm_sec = num(p + 8, 2);
    return static_cast<std::int64_t>(timegm(&tm));
}

std::vector<std::string_view> split_tabs(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t tab = line.find('\t', start);
        out.push_back(line.substr(start, tab == line.npos ? line.npos : tab - start));
        if (tab == line.npos) return out;
        start = tab + 1;
    }
}

}  // namespace

std::string IndexEntry::name() const {
    const std::size_t p = subject.find("/CN=");
    if (p == std::string::npos) return subject;
    const std::size_t end = subject.find('/', p + 4);
    return subject.substr(p + 4, end == std::string::npos ? std::string::npos : end - p - 4);
}

std::string format_index_line(const IndexEntry& e) {
    std::string rev;
    if (e.status == 'R') {
        rev = index_time(e.revoked_at_unix);
        if (e.reason >= 0) rev += std::string(",") + crl_reason_name(e.reason);
    }
    return std::string(1, e.status) + "\t" + index_time(e.not_after_unix) + "\t" + rev + "\t" + e.serial_hex +
           "\t" + (e.file.empty() ? "unknown" : e.file) + "\t" + e.subject;
}

IndexEntry parse_index_line(std::string_view line, std::size_t line_no) {
    auto fail = [&](const char* why) -> IndexEntry {
        throw PkiError("index.txt line " + std::to_string(line_no) + ": " + why);
    };
    const auto f = split_tabs(line);
    if (f.size() != 6) return fail("expected 6 tab-separated fields");
    IndexEntry e;
    if (f[0] != "V" && f[0] != "R" && f[0] != "E") return fail("status must be V, R or E");
    e.status = f[0][0] == 'E' ? 'V' : f[0][0];  // expiry is recomputed from the date, not stored
    auto na = parse_index_time(f[1]);
    if (!na) return fail("bad expiry time");
    e.not_after_unix = *na;
    if (e.status == 'R') {
        const std::string_view rv = f[2];
        const std::size_t comma = rv.find(',');
        auto ra = parse_index_time(rv.substr(0, comma));
        if (!ra) return fail("bad revocation time");
        e.revoked_at_unix = *ra;
        if (comma != rv.npos) {
            auto reason = parse_crl_reason(rv.substr(comma + 1));
            e.reason = reason ? *reason : -1;
        }
    }
    auto serial = normalize_serial(f[3]);
    if (!serial) return fail("bad serial");
    e.serial_hex = *serial;
    e.file = f[4] == "unknown" ? "" : std::string(f[4]);
    e.subject = std::string(f[5]);
    return e;
}

std::optional<std::string> normalize_serial(std::string_view s) {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
    std::string hex;
    for (char c : s) {
        if (c == ':') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
        hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    const std::size_t nz = hex.find_first_not_of('0');
    if (hex.empty() || hex.size() > 40) return std::nullopt;
    hex = nz == std::string::npos ? "00" : hex.substr(nz);
    if (hex.size() % 2) hex.insert(hex.begin(), '0');
    return hex;
}

CaDir::CaDir(fs::path root) : root_(std::move(root)) {}

fs::path CaDir::issued_cert(const std::string& name) const { return root_ / "issued" / (name + ".crt"); }
fs::path CaDir::private_key(const std::string& name) const { return root_ / "private" / (name + ".key"); }
fs::path CaDir::archived_cert(const std::string& serial_hex) const {
    return root_ / "archive" / (serial_hex + ".crt");
}
fs::path CaDir::archived_key(const std::string& serial_hex) const {
    return root_ / "private" / (serial_hex + ".key");
}

bool CaDir::initialized() const {
    std::error_code ec;
    return fs::exists(ca_cert(), ec) && fs::exists(ca_key(), ec);
}

void CaDir::require_initialized() const {
    if (!initialized())
        throw PkiError("no CA in " + root_.string() + " (run `udpvpn-pki init-ca` first, or pass --dir)");
}

void CaDir::create_layout() const {
    std::error_code ec;
    if (fs::exists(ca_cert(), ec) || fs::exists(ca_key(), ec))
        throw PkiError("a CA already exists in " + root_.string() + "; refusing to overwrite it");
    auto mk = [&](const fs::path& p, unsigned mode) {
        if (::mkdir(p.c_str(), mode) != 0 && errno != EEXIST) throw_errno("cannot create", p);
    };
    fs::create_directories(root_.parent_path().empty() ? fs::path(".") : root_.parent_path(), ec);
    mk(root_, 0755);
    mk(root_ / "private", 0700);
    if (::chmod((root_ / "private").c_str(), 0700) != 0) throw_errno("cannot chmod", root_ / "private");
    mk(root_ / "issued", 0755);
    mk(root_ / "archive", 0755);
}

CaDir::Lock::~Lock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

CaDir::Lock CaDir::lock() const {
    const fs::path p = root_ / ".lock";
    const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw_errno("cannot open", p);
    if (::flock(fd, LOCK_EX) != 0) {
        ::close(fd);
        throw_errno("cannot lock", p);
    }
    return Lock(fd);
}

std::vector<IndexEntry> CaDir::read_index() const {
    std::vector<IndexEntry> out;
    std::error_code ec;
    if (!fs::exists(index(), ec)) return out;
    std::istringstream in(read_text_file(index()));
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty()) continue;
        out.push_back(parse_index_line(line, n));
    }
    return out;
}

void CaDir::write_index(const std::vector<IndexEntry>& entries) const {
    std::string text;
    for (const auto& e : entries) text += format_index_line(e) + "\n";
    write_file_atomic(index(), text, 0644);
}

std::uint64_t CaDir::take_crl_number() const {
    const fs::path p = root_ / "crlnumber";
    std::uint64_t n = 1;
    std::error_code ec;
    if (fs::exists(p, ec)) {
        const std::string s = read_text_file(p);
        try {
            n = std::stoull(s);
        } catch (const std::exception&) {
            throw PkiError(p.string() + ": not a number");
        }
    }
    write_file_atomic(p, std::to_string(n + 1) + "\n", 0644);
    return n;
}

std::string read_text_file(const fs::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("cannot read", p);
    // Read straight into a string sized from fstat: a CA key passes through no stack buffer and
    // no reallocation, so the caller's OPENSSL_cleanse of the result wipes its only copy.
    struct stat st{};
    if (::fstat(fd, &st) != 0) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        throw_errno("cannot read", p);
    }
    if (st.st_size > (16 << 20)) {
        ::close(fd);
        throw PkiError(p.string() + ": larger than 16 MiB");
    }
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < out.size()) {
        const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            OPENSSL_cleanse(out.data(), out.size());
            errno = saved;
            throw_errno("cannot read", p);
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    out.resize(got);   // shrinking never reallocates
    return out;
}

namespace {
void write_all(int fd, std::string_view content, const fs::path& p) {
    while (!content.empty()) {
        const ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("cannot write", p);
        }
        content.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fsync(fd) != 0) throw_errno("cannot sync", p);
}
}  // namespace

void write_file_atomic(const fs::path& p, std::string_view content, unsigned mode) {
    fs::path tmp = p;
    tmp += ".tmp";
    ::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) throw_errno("cannot create", tmp);
    try {
        if (::fchmod(fd, mode) != 0) throw_errno("cannot chmod", tmp);
        write_all(fd, content, tmp);
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), p.c_str()) != 0) {
        const int saved = errno;
        ::unlink(tmp.c_str());
        errno = saved;
        throw_errno("cannot replace", p);
    }
}

void write_new_file(const fs::path& p, std::string_view content, unsigned mode) {
    // O_EXCL: never clobber an existing key or certificate, and never follow a planted symlink.
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        if (errno == EEXIST) throw PkiError(p.string() + " already exists; refusing to overwrite it");
        throw_errno("cannot create", p);
    }
    try {
        if (::fchmod(fd, mode) != 0) throw_errno("cannot chmod", p);
        write_all(fd, content, p);
    } catch (...) {
        ::close(fd);
        ::unlink(p.c_str());
        throw;
    }
    ::close(fd);
}

}  // namespace udpvpn::pki
