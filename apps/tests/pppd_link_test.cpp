// SPDX-License-Identifier: GPL-3.0-or-later
// PppdLink against fake_pppd (a loopback stand-in for pppd): frames reach the pty HDLC-framed and
// come back decoded, the peer identity reaches pppd, pppd's exit is reported with a reason, and
// stop()/destruction end pppd.
#include <doctest/doctest.h>

#include "pppd_link.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <sys/socket.h>
#include <poll.h>
#include <unistd.h>

using namespace udpvpn;
using namespace udpvpn::app;
using namespace std::chrono_literals;

namespace {

PppdLinkConfig fake_config() {
    const char* fake = std::getenv("UDPVPN_FAKE_PPPD");
    REQUIRE_MESSAGE(fake != nullptr, "UDPVPN_FAKE_PPPD not set (run through meson test)");
    PppdLinkConfig c;
    c.pppd_path = fake;
    c.kill_grace = 300ms;
    return c;
}

// Runs the loop until `done` or the deadline.
template <typename Pred>
bool run_until(asio::io_context& io, Pred done, std::chrono::milliseconds limit = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) {
        io.restart();
        io.run_for(10ms);
    }
    return done();
}

bool file_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

std::string temp_path(const char* tag) {
    return "/tmp/pppd_link_test_" + std::to_string(::getpid()) + "_" + tag;
}

}  // namespace

TEST_CASE("pppd gets the pty, nodetach, the options file, the peer identity and extra arguments") {
    asio::io_context io;
    PppdLink link(io, fake_config());
    const auto args = link.build_args("/dev/pts/9", "alice@example", "/etc/udpvpn/ppp-options", {"debug"});
    const std::vector<std::string> want{fake_config().pppd_path, "/dev/pts/9", "nodetach", "file",
                                        "/etc/udpvpn/ppp-options", "remotename", "alice@example",
                                        "ipparam", "alice@example", "set", "UDPVPN_PEER=alice@example",
                                        "debug"};
    CHECK(args == want);
}

TEST_CASE("frames written to pppd are HDLC-framed on the pty and frames from pppd are decoded") {
    asio::io_context io;
    PppdLink link(io, fake_config());
    const Bytes probe{0xC0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04};
    std::vector<Bytes> got;
    int probes = 0;
    link.on_frame([&](ByteView f) {
        if (Bytes(f.begin(), f.end()) == probe) ++probes;
        else got.emplace_back(f.begin(), f.end());
    });
    const std::string report = temp_path("args");
    REQUIRE(link.start("CN=client one", "", {"fake-report", report}) == Error::ok);
    CHECK(link.running());
    CHECK(link.pid() > 0);
    CHECK(link.pty_name().rfind("/dev/pts/", 0) == 0);

    // fake_pppd echoes what it reads, so our own frames come back through the decoder.
    std::vector<Bytes> sent;
    for (int i = 0; i < 50; ++i) {
        Bytes f{0x00, 0x21};
        for (int k = 0; k < 40 + i * 23; ++k) f.push_back(static_cast<std::uint8_t>(k * 7 + i));
        f.push_back(0x7E);
        f.push_back(0x7D);
        sent.push_back(f);
    }
    // fake_pppd may open the pty after our first writes; pppd flushes it too. Resend until echoed.
    REQUIRE(run_until(io, [&] {
        if (probes == 0) link.write_frame(probe);
        return probes > 0;
    }));
    for (const auto& f : sent) link.write_frame(f);
    REQUIRE(run_until(io, [&] { return got.size() >= sent.size(); }));
    CHECK(got == sent);
    CHECK(link.stats().decoder.bad_fcs == 0);

    std::ifstream in(report);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    CHECK(text.find("\nnodetach\n") != std::string::npos);
    CHECK(text.find("\nremotename\nCN=client one\n") != std::string::npos);
    CHECK(text.find("\nipparam\nCN=client one\n") != std::string::npos);
    CHECK(text.find("\nset\nUDPVPN_PEER=CN=client one\n") != std::string::npos);
    CHECK(text.find("env UDPVPN_PEER=CN=client one\n") != std::string::npos);
    ::unlink(report.c_str());
}

TEST_CASE("pppd exiting on its own is reported with its status and reason") {
    asio::io_context io;
    PppdLink link(io, fake_config());
    std::optional<PppdExit> ex;
    link.on_exit([&](const PppdExit& e) { ex = e; });
    REQUIRE(link.start("bob", "", {"fake-exit", "10"}) == Error::ok);
    REQUIRE(run_until(io, [&] { return ex.has_value(); }));
    CHECK_FALSE(ex->requested);
    CHECK(ex->exited);
    CHECK(ex->status == 10);
    CHECK(ex->reason.find("PPP negotiation failed") != std::string::npos);
    CHECK_FALSE(link.running());
}

TEST_CASE("a pppd that cannot be executed is reported as exit status 127") {
    asio::io_context io;
    auto cfg = fake_config();
    cfg.pppd_path = "/nonexistent/pppd";
    PppdLink link(io, cfg);
    std::optional<PppdExit> ex;
    link.on_exit([&](const PppdExit& e) { ex = e; });
    REQUIRE(link.start("bob", "", {}) == Error::ok);
    REQUIRE(run_until(io, [&] { return ex.has_value(); }));
    CHECK(ex->status == 127);
}

TEST_CASE("stop() hangs up and terminates pppd and reports a requested exit") {
    asio::io_context io;
    PppdLink link(io, fake_config());
    std::optional<PppdExit> ex;
    link.on_exit([&](const PppdExit& e) { ex = e; });
    REQUIRE(link.start("carol", "", {}) == Error::ok);
    const pid_t pid = link.pid();
    run_until(io, [] { return false; }, 100ms);   // let it open the pty
    link.stop();
    link.stop();   // idempotent
    REQUIRE(run_until(io, [&] { return ex.has_value(); }));
    CHECK(ex->requested);
    CHECK((ex->signal == SIGHUP || ex->signal == SIGTERM || ex->status == 16));
    CHECK(process_gone(pid));
    link.write_frame(Bytes{0x00, 0x21, 0x45});   // after the end: dropped, no crash
    CHECK(link.stats().dropped_out == 1);
}

TEST_CASE("a pppd ignoring SIGTERM is killed after the grace period") {
    asio::io_context io;
    PppdLink link(io, fake_config());
    std::optional<PppdExit> ex;
    link.on_exit([&](const PppdExit& e) { ex = e; });
    const std::string ready = temp_path("dave");
    REQUIRE(link.start("dave", "", {"fake-ignore-term", "fake-report", ready}) == Error::ok);
    REQUIRE(run_until(io, [&] { return file_exists(ready); }));   // its signal dispositions are set
    ::unlink(ready.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    link.stop();
    REQUIRE(run_until(io, [&] { return ex.has_value(); }));
    CHECK(ex->signal == SIGKILL);
    CHECK(std::chrono::steady_clock::now() - t0 >= 250ms);
}

TEST_CASE("destroying a running link ends its pppd") {
    asio::io_context io;
    pid_t pid;
    {
        PppdLink link(io, fake_config());
        const std::string ready = temp_path("erin");
        REQUIRE(link.start("erin", "", {"fake-ignore-term", "fake-report", ready}) == Error::ok);
        pid = link.pid();
        REQUIRE(run_until(io, [&] { return file_exists(ready); }));
        ::unlink(ready.c_str());
    }
    CHECK_FALSE(process_gone(pid));
    REQUIRE(run_until(io, [&] { return process_gone(pid); }));
}

TEST_CASE("identities with control characters are refused before pppd starts") {
    asio::io_context io;
    PppdLink link(io, fake_config());
    CHECK(link.start("evil\nname", "", {}) == Error::invalid_argument);
    CHECK_FALSE(link.running());
    CHECK(link.pid() == -1);
}

TEST_CASE("attach() carries frames over descriptors of a pppd started by the user") {
    asio::io_context io;
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    PppdLink link(io, fake_config());
    std::vector<Bytes> got;
    std::optional<PppdExit> ex;
    link.on_frame([&](ByteView f) { got.emplace_back(f.begin(), f.end()); });
    link.on_exit([&](const PppdExit& e) { ex = e; });
    REQUIRE(link.attach(sv[0], sv[0]) == Error::ok);

    // The "user's pppd" side: one frame split across two writes.
    const Bytes frame{0x80, 0x21, 0x01, 0x01, 0x00, 0x04};
    Bytes wire(hdlc::max_encoded_size(frame.size()));
    const auto r = hdlc::encode({}, frame, wire);
    REQUIRE(r.ok());
    REQUIRE(::write(sv[1], wire.data(), 5) == 5);
    run_until(io, [] { return false; }, 30ms);
    REQUIRE(::write(sv[1], wire.data() + 5, r.value - 5) == static_cast<ssize_t>(r.value - 5));
    REQUIRE(run_until(io, [&] { return !got.empty(); }));
    CHECK(got[0] == frame);

    link.write_frame(frame);
    // Frames queued in one loop turn are written together, at the end of it.
    REQUIRE(run_until(io, [&] {
        pollfd p{sv[1], POLLIN, 0};
        return ::poll(&p, 1, 0) == 1;
    }));
    std::uint8_t buf[256];
    const ssize_t n = ::read(sv[1], buf, sizeof buf);
    CHECK(Bytes(buf, buf + n) == Bytes(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(r.value)));

    ::close(sv[1]);
    REQUIRE(run_until(io, [&] { return ex.has_value(); }));
    CHECK_FALSE(ex->requested);
    CHECK(ex->reason == "pppd closed the link");
}
