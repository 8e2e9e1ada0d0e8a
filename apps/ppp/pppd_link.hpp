// SPDX-License-Identifier: GPL-3.0-or-later
// PPP mode plumbing: one pppd per session, on a pty, driven from an Asio event loop.
//
// pppd bytes on the pty --HDLC decode--> on_frame(protocol + information) --> tunnel
// tunnel --> write_frame(protocol + information) --HDLC encode--> pty --> pppd
//
// The link either starts pppd itself (start(): posix_openpt, fork+exec "pppd /dev/pts/N nodetach
// ..." with the peer's certificate identity passed as remotename, ipparam and UDPVPN_PEER for the
// scripts) or attaches to file descriptors of a pppd the user started (attach(): e.g. the stdin and
// stdout that `pppd pty "udpvpn-client ..."` gives its child).
//
// pppd's exit is watched with a pidfd (waitpid on our own pid only, so no SIGCHLD handler is needed
// and other children are never reaped by mistake; SIGCHLD must not be set to SIG_IGN). stop() ends
// pppd gracefully (hangup + SIGTERM, so ip-down and accounting plugins run), then SIGKILL after a
// grace period. Destroying a running link hands the child to a background reaper that does the same.
//
// Single-threaded: every call and callback runs on the io_context's thread. A callback may call
// stop() but must not destroy the link (post the destruction instead).
#pragma once
#include "hdlc.hpp"
#include "pppd_exit.hpp"

#include <udpvpn/error.hpp>
#include <udpvpn/types.hpp>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace udpvpn::app {

class ChildWatch;   // pppd_link.cpp: waits for and reaps one child process

struct PppdLinkConfig {
    std::string pppd_path = "/usr/sbin/pppd";
    hdlc::DecoderConfig decoder;        // raise decoder.mru if the pppd are configured with a larger mru
    hdlc::EncoderConfig encoder;
    // What to pass with the peer's identity (the certificate's name). UDPVPN_PEER is always set.
    bool pass_remotename = true;        // `remotename <identity>`: secrets lookup, logs
    bool pass_ipparam = true;           // `ipparam <identity>`: 6th argument of ip-up/ip-down
    std::chrono::milliseconds kill_grace{3000};   // SIGTERM -> SIGKILL
    std::size_t max_queued_bytes = 256 * 1024;    // pty write backlog; frames beyond it are dropped
};

struct PppdLinkStats {
    hdlc::DecoderStats decoder;
    std::uint64_t frames_out = 0;
    std::uint64_t dropped_out = 0;      // frames dropped: backlog full or invalid protocol field
};

class PppdLink {
public:
    using FrameHandler = std::function<void(ByteView protocol_and_info)>;
    using ExitHandler = std::function<void(const PppdExit&)>;

    explicit PppdLink(asio::io_context& io, PppdLinkConfig config = {});
    ~PppdLink();
    PppdLink(const PppdLink&) = delete;
    PppdLink& operator=(const PppdLink&) = delete;

    // Set before start()/attach(). Frames are views valid only during the call.
    void on_frame(FrameHandler h) { on_frame_ = std::move(h); }
    void on_exit(ExitHandler h) { on_exit_ = std::move(h); }

    // Starts `pppd <pty> nodetach [file options_file] [remotename id] [ipparam id]
    // set UDPVPN_PEER=id extra_args...`. The identity must be printable (no control characters).
    // Errors: invalid_state (already started), invalid_argument (identity), internal (pty, fork,
    // pidfd; errno is preserved). pppd failing later (bad option, no kernel PPP) reports on_exit.
    Error start(const std::string& identity, const std::string& options_file,
                const std::vector<std::string>& extra_args = {});

    // Uses a pppd the user started: reads HDLC bytes from in_fd, writes to out_fd (may be equal).
    // The link takes ownership of both descriptors. End of file on in_fd reports on_exit.
    Error attach(int in_fd, int out_fd);

    // Encodes and queues one frame (protocol field + information) for pppd; the frames queued in one
    // turn of the event loop are written together. Never blocks; drops
    // (and counts) the frame if the backlog is full or the link is not running.
    void write_frame(ByteView protocol_and_info);

    // Ends pppd (hangup + SIGTERM, SIGKILL after kill_grace); on_exit follows with requested=true.
    // Idempotent.
    void stop();

    bool running() const noexcept { return state_ == State::running; }
    pid_t pid() const noexcept { return pid_; }
    const std::string& pty_name() const noexcept { return pty_name_; }
    PppdLinkStats stats() const noexcept;

    // The argument vector start() would exec (argv[0] = pppd_path). Exposed for tests and logs.
    std::vector<std::string> build_args(const std::string& pty, const std::string& identity,
                                        const std::string& options_file,
                                        const std::vector<std::string>& extra_args) const;

private:
    enum class State { idle, running, stopping, done };

    void start_reading();
    void flush_backlog();
    void watch_child();
    void finish(PppdExit e);
    void close_io() noexcept;

    asio::io_context& io_;
    PppdLinkConfig config_;
    hdlc::Decoder decoder_;
    FrameHandler on_frame_;
    ExitHandler on_exit_;

    State state_ = State::idle;
    asio::posix::stream_descriptor in_;
    asio::posix::stream_descriptor out_;     // used only when attach() got two descriptors
    bool separate_out_ = false;
    int slave_fd_ = -1;                      // kept open so the master never sees EIO before pppd opens it
    std::string pty_name_;
    pid_t pid_ = -1;
    std::shared_ptr<ChildWatch> child_;      // null in attach() mode
    asio::steady_timer timer_;               // SIGKILL escalation after stop()
    bool stop_requested_ = false;
    bool input_closed_ = false;

    std::vector<std::uint8_t> read_buf_;
    std::vector<std::uint8_t> encode_buf_;
    std::vector<std::uint8_t> backlog_;      // encoded bytes pppd has not taken yet, from backlog_off_
    std::size_t backlog_off_ = 0;
    bool write_armed_ = false;
    bool flush_posted_ = false;              // a flush is queued for the end of this loop turn
    std::uint64_t frames_out_ = 0, dropped_out_ = 0;

    // Guards callbacks against the link being stopped inside them.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Human-readable meaning of pppd's exit status (pppd(8) EXIT STATUS).
const char* pppd_exit_reason(int status) noexcept;

}  // namespace udpvpn::app
