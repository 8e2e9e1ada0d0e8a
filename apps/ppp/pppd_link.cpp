// SPDX-License-Identifier: GPL-3.0-or-later
// pppd on a pty, HDLC framing in both directions, child lifetime (pppd_link.hpp).
#include "pppd_link.hpp"

#include <asio/post.hpp>

#include <cerrno>
#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace udpvpn::app {
namespace {

constexpr std::size_t kReadBufferSize = 16 * 1024;
constexpr auto kWaitpidPollInterval = std::chrono::milliseconds(50);

int pidfd_open(pid_t pid) noexcept {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

bool set_nonblocking(int fd) noexcept {
    const int fl = ::fcntl(fd, F_GETFL);
    return fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

bool printable(const std::string& s) noexcept {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7F) return false;
    return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ChildWatch: waits for one child without a SIGCHLD handler. A pidfd becomes readable when the
// process exits; without pidfd support, waitpid(WNOHANG) is polled. Whoever holds the last
// reference to an unreaped child kills and reaps it, so pppd never outlives the daemon's loop.

class ChildWatch : public std::enable_shared_from_this<ChildWatch> {
public:
    using ExitFn = std::function<void(int wstatus, bool known)>;

    ChildWatch(asio::io_context& io, pid_t pid) : pid_(pid), pidfd_(io), poll_(io) {
        const int fd = pidfd_open(pid);
        if (fd >= 0) pidfd_.assign(fd);
    }
    ~ChildWatch() {
        if (reaped_) return;
        signal(SIGKILL);
        int st = 0;
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
        }
    }
    ChildWatch(const ChildWatch&) = delete;
    ChildWatch& operator=(const ChildWatch&) = delete;

    bool reaped() const noexcept { return reaped_; }

    void signal(int sig) noexcept {
        if (reaped_) return;
#ifdef SYS_pidfd_send_signal
        if (pidfd_.is_open() && ::syscall(SYS_pidfd_send_signal, pidfd_.native_handle(), sig, nullptr, 0) == 0)
            return;
#endif
        ::kill(pid_, sig);   // safe: the pid is ours and not yet reaped, so it cannot be reused
    }

    // Calls fn once, on the io_context, when the child has exited and been reaped.
    void async_wait_exit(ExitFn fn) {
        if (pidfd_.is_open()) {
            pidfd_.async_wait(asio::posix::stream_descriptor::wait_read,
                              [self = shared_from_this(), fn = std::move(fn)](const asio::error_code& ec) mutable {
                                  if (ec == asio::error::operation_aborted) return;
                                  if (!self->try_reap(fn)) self->async_wait_exit(std::move(fn));
                              });
            return;
        }
        poll_.expires_after(kWaitpidPollInterval);
        poll_.async_wait([self = shared_from_this(), fn = std::move(fn)](const asio::error_code& ec) mutable {
            if (ec == asio::error::operation_aborted) return;
            if (!self->try_reap(fn)) self->async_wait_exit(std::move(fn));
        });
    }

private:
    bool try_reap(ExitFn& fn) {
        if (reaped_) return true;
        int st = 0;
        const pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == 0) return false;
        if (r < 0 && errno == EINTR) return false;
        reaped_ = true;   // r == pid, or ECHILD when someone set SIGCHLD to SIG_IGN
        asio::error_code ignored;
        pidfd_.close(ignored);
        fn(st, r == pid_);
        return true;
    }

    pid_t pid_;
    asio::posix::stream_descriptor pidfd_;
    asio::steady_timer poll_;
    bool reaped_ = false;
};

// ---------------------------------------------------------------------------------------------

const char* pppd_exit_reason(int status) noexcept {
    switch (status) {
    case 0: return "link terminated by the peer";
    case 1: return "fatal error";
    case 2: return "error in options";
    case 3: return "not running as root";
    case 4: return "kernel has no PPP support";
    case 5: return "terminated by a signal";
    case 6: return "serial port could not be locked";
    case 7: return "serial port could not be opened";
    case 8: return "connect script failed";
    case 9: return "pty command could not be run";
    case 10: return "PPP negotiation failed";
    case 11: return "peer failed to authenticate";
    case 12: return "idle timeout";
    case 13: return "connect time limit reached";
    case 14: return "callback negotiated";
    case 15: return "peer not responding to LCP echo requests";
    case 16: return "link hung up";
    case 17: return "serial loopback detected";
    case 18: return "init script failed";
    case 19: return "failed to authenticate to the peer";
    case 127: return "pppd could not be executed";
    default: return "unknown exit status";
    }
}

PppdLink::PppdLink(asio::io_context& io, PppdLinkConfig config)
    : io_(io),
      config_(std::move(config)),
      decoder_(config_.decoder),
      in_(io),
      out_(io),
      timer_(io) {
    read_buf_.resize(kReadBufferSize);
    encode_buf_.resize(hdlc::max_encoded_size(hdlc::kMaxMru + 2));
    backlog_.reserve(config_.max_queued_bytes);
}

PppdLink::~PppdLink() {
    alive_.reset();   // pending handlers see the link is gone
    close_io();
    if (child_ && !child_->reaped()) {
        // Background reaper: SIGTERM now, SIGKILL after the grace period, reap on exit. The
        // handlers own the watch; if the loop ends first, ~ChildWatch kills and reaps.
        auto child = child_;
        if (!stop_requested_) child->signal(SIGTERM);
        auto kill_timer = std::make_shared<asio::steady_timer>(io_);
        kill_timer->expires_after(config_.kill_grace);
        kill_timer->async_wait([child, kill_timer](const asio::error_code& ec) {
            if (!ec) child->signal(SIGKILL);
        });
        child->async_wait_exit([kill_timer](int, bool) { kill_timer->cancel(); });
    }
}

std::vector<std::string> PppdLink::build_args(const std::string& pty, const std::string& identity,
                                              const std::string& options_file,
                                              const std::vector<std::string>& extra_args) const {
    std::vector<std::string> a{config_.pppd_path, pty, "nodetach"};
    if (!options_file.empty()) {
        a.emplace_back("file");
        a.push_back(options_file);
    }
    if (!identity.empty()) {
        if (config_.pass_remotename) {
            a.emplace_back("remotename");
            a.push_back(identity);
        }
        if (config_.pass_ipparam) {
            a.emplace_back("ipparam");
            a.push_back(identity);
        }
        // pppd gives its scripts an empty environment plus what `set` adds (pppd(8) SCRIPTS).
        a.emplace_back("set");
        a.push_back("UDPVPN_PEER=" + identity);
    }
    a.insert(a.end(), extra_args.begin(), extra_args.end());
    return a;
}

Error PppdLink::start(const std::string& identity, const std::string& options_file,
                      const std::vector<std::string>& extra_args) {
    if (state_ != State::idle) return Error::invalid_state;
    if (!printable(identity)) return Error::invalid_argument;

    const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return Error::internal;
    char name[128];
    if (::grantpt(master) != 0 || ::unlockpt(master) != 0 || ::ptsname_r(master, name, sizeof name) != 0) {
        const int e = errno;
        ::close(master);
        errno = e;
        return Error::internal;
    }
    // Hold the slave open until pppd exits: the master then never reads EIO before pppd opened
    // it, and raw mode keeps the line discipline from echoing our frames back before pppd
    // installs N_PPP.
    const int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    termios tio{};
    if (slave < 0 || ::tcgetattr(slave, &tio) != 0 || (::cfmakeraw(&tio), ::tcsetattr(slave, TCSANOW, &tio)) != 0 ||
        !set_nonblocking(master)) {
        const int e = errno;
        if (slave >= 0) ::close(slave);
        ::close(master);
        errno = e;
        return Error::internal;
    }

    // Everything the child needs is prepared before fork(): only async-signal-safe calls after it.
    const std::vector<std::string> args = build_args(name, identity, options_file, extra_args);
    std::vector<char*> argv;
    for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    const std::string peer_env = "UDPVPN_PEER=" + identity;
    char path_env[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::vector<char*> envp{path_env, const_cast<char*>(peer_env.c_str()), nullptr};

    const pid_t pid = ::fork();
    if (pid < 0) {
        const int e = errno;
        ::close(slave);
        ::close(master);
        errno = e;
        return Error::internal;
    }
    if (pid == 0) {
        // Child: own session (pppd opens the pty as its controlling tty, so closing the master
        // hangs it up), default signals, stdin from /dev/null, stdout (pppd's log) to our stderr.
        ::setsid();
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2}) ::signal(sig, SIG_DFL);
        const int devnull = ::open("/dev/null", O_RDWR);
        if (devnull >= 0) ::dup2(devnull, 0);
        ::dup2(2, 1);
#ifdef SYS_close_range
        if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
        {
            for (int fd = 3; fd < 65536; ++fd) ::close(fd);
        }
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }

    pid_ = pid;
    slave_fd_ = slave;
    pty_name_ = name;
    in_.assign(master);
    state_ = State::running;
    child_ = std::make_shared<ChildWatch>(io_, pid);
    watch_child();
    start_reading();
    return Error::ok;
}

Error PppdLink::attach(int in_fd, int out_fd) {
    if (state_ != State::idle) return Error::invalid_state;
    if (in_fd < 0 || out_fd < 0 || !set_nonblocking(in_fd) || !set_nonblocking(out_fd)) return Error::invalid_argument;
    in_.assign(in_fd);
    if (out_fd != in_fd) {
        out_.assign(out_fd);
        separate_out_ = true;
    }
    state_ = State::running;
    start_reading();
    return Error::ok;
}

void PppdLink::start_reading() {
    in_.async_read_some(asio::buffer(read_buf_),
                        [this, alive = std::weak_ptr<bool>(alive_)](const asio::error_code& ec, std::size_t n) {
                            if (alive.expired() || ec == asio::error::operation_aborted) return;
                            if (ec) {
                                // EOF/EIO: the other side closed the pty or pipe.
                                input_closed_ = true;
                                if (!child_ && state_ == State::running) {
                                    PppdExit e;
                                    e.reason = "pppd closed the link";
                                    finish(std::move(e));
                                }
                                return;
                            }
                            decoder_.feed_all(ByteView(read_buf_.data(), n), [&](ByteView frame) {
                                if (state_ == State::running && on_frame_) on_frame_(frame);
                            });
                            if (alive.expired()) return;
                            if (state_ == State::running) start_reading();
                        });
}

void PppdLink::write_frame(ByteView protocol_and_info) {
    if (state_ != State::running) {
        ++dropped_out_;
        return;
    }
    const auto r = hdlc::encode(config_.encoder, protocol_and_info, encode_buf_);
    if (!r.ok()) {
        ++dropped_out_;
        return;
    }
    ByteView bytes(encode_buf_.data(), r.value);
    if (backlog_.size() - backlog_off_ + bytes.size() > config_.max_queued_bytes) {
        ++dropped_out_;   // pppd is not reading: PPP tolerates loss better than unbounded memory
        return;
    }
    ++frames_out_;
    backlog_.insert(backlog_.end(), bytes.begin(), bytes.end());
    // Coalesce: every frame queued during this turn of the loop (a batch of datagrams) goes to the
    // pty in one write(). Each pty write costs a syscall plus a tty flip-buffer push to pppd's line
    // discipline, which dominated the relay's cost per frame.
    if (flush_posted_ || write_armed_) return;
    flush_posted_ = true;
    asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.expired()) return;
        flush_posted_ = false;
        flush_backlog();
    });
}

void PppdLink::flush_backlog() {
    if (write_armed_ || state_ != State::running) return;
    auto& sd = separate_out_ ? out_ : in_;
    while (backlog_off_ < backlog_.size()) {
        const ssize_t w = ::write(sd.native_handle(), backlog_.data() + backlog_off_, backlog_.size() - backlog_off_);
        if (w > 0) {
            backlog_off_ += static_cast<std::size_t>(w);
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        backlog_.clear();   // pty closed: the exit path reports it
        backlog_off_ = 0;
        return;
    }
    if (backlog_off_ == backlog_.size()) {
        backlog_.clear();
        backlog_off_ = 0;
        return;
    }
    if (backlog_off_ > backlog_.size() / 2) {   // compact now and then, not on every partial write
        backlog_.erase(backlog_.begin(), backlog_.begin() + static_cast<std::ptrdiff_t>(backlog_off_));
        backlog_off_ = 0;
    }
    write_armed_ = true;
    sd.async_wait(asio::posix::stream_descriptor::wait_write,
                  [this, alive = std::weak_ptr<bool>(alive_)](const asio::error_code& ec) {
                      if (alive.expired()) return;
                      write_armed_ = false;
                      if (!ec) flush_backlog();
                  });
}

void PppdLink::watch_child() {
    child_->async_wait_exit([this, alive = std::weak_ptr<bool>(alive_)](int wstatus, bool known) {
        if (alive.expired()) return;
        PppdExit e;
        e.requested = stop_requested_;
        char buf[160];
        if (!known) {
            std::snprintf(buf, sizeof buf, "pppd exited (status unknown)");
        } else if (WIFEXITED(wstatus)) {
            e.exited = true;
            e.status = WEXITSTATUS(wstatus);
            std::snprintf(buf, sizeof buf, "pppd exited with status %d (%s)", e.status, pppd_exit_reason(e.status));
        } else if (WIFSIGNALED(wstatus)) {
            e.signal = WTERMSIG(wstatus);
            std::snprintf(buf, sizeof buf, "pppd killed by signal %d (%s)", e.signal, ::strsignal(e.signal));
        } else {
            std::snprintf(buf, sizeof buf, "pppd ended (wait status 0x%x)", static_cast<unsigned>(wstatus));
        }
        e.reason = buf;
        finish(std::move(e));
    });
}

void PppdLink::stop() {
    if (state_ == State::idle) {
        state_ = State::done;
        return;
    }
    if (state_ != State::running) return;
    state_ = State::stopping;
    stop_requested_ = true;
    close_io();   // hangs up the pty: pppd sees SIGHUP, runs ip-down, exits
    if (!child_) {
        asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
            if (alive.expired()) return;
            PppdExit e;
            e.requested = true;
            e.reason = "stopped";
            finish(std::move(e));
        });
        return;
    }
    child_->signal(SIGTERM);
    timer_.expires_after(config_.kill_grace);
    timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const asio::error_code& ec) {
        if (alive.expired() || ec) return;
        if (child_ && !child_->reaped()) child_->signal(SIGKILL);
    });
}

void PppdLink::finish(PppdExit e) {
    if (state_ == State::done) return;
    state_ = State::done;
    timer_.cancel();
    close_io();
    pid_ = -1;
    if (on_exit_) {
        auto h = on_exit_;   // the handler may replace on_exit_
        h(e);
    }
}

void PppdLink::close_io() noexcept {
    asio::error_code ignored;
    in_.close(ignored);
    out_.close(ignored);
    if (slave_fd_ >= 0) {
        ::close(slave_fd_);
        slave_fd_ = -1;
    }
    backlog_.clear();
    backlog_off_ = 0;
}

PppdLinkStats PppdLink::stats() const noexcept {
    PppdLinkStats s;
    s.decoder = decoder_.stats();
    s.frames_out = frames_out_;
    s.dropped_out = dropped_out_;
    return s;
}

}  // namespace udpvpn::app
