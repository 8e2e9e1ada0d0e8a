// SPDX-License-Identifier: GPL-3.0-or-later
// Test tool for tests/ppp: relays PPP between two real pppd through two PppdLinks, the way
// udpvpn's server and client do minus the tunnel: pppd A -pty-> HDLC decode -> frame -> HDLC
// encode -pty-> pppd B, and back. Proves the codec and the pty/child handling against pppd.
//
//   ppp_relay PPPD_A OPTIONS_A IDENTITY_A PPPD_B OPTIONS_B IDENTITY_B
//
// PPPD_x is the program to run as pppd (a wrapper that enters a network namespace). Runs until
// SIGTERM/SIGINT (then stops both pppd, exit 0) or until one pppd exits (exit 1). Prints the
// frame counters of both links at the end.
#include "pppd_link.hpp"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <cstdio>

using namespace udpvpn;
using namespace udpvpn::app;

int main(int argc, char** argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: %s PPPD_A OPTIONS_A IDENTITY_A PPPD_B OPTIONS_B IDENTITY_B\n", argv[0]);
        return 2;
    }
    asio::io_context io;
    PppdLinkConfig ca, cb;
    ca.pppd_path = argv[1];
    cb.pppd_path = argv[4];
    PppdLink a(io, ca), b(io, cb);
    a.on_frame([&](ByteView f) { b.write_frame(f); });
    b.on_frame([&](ByteView f) { a.write_frame(f); });

    int rc = 0, exited = 0;
    auto on_exit = [&](const char* name, PppdLink* other) {
        return [&rc, &exited, &io, name, other](const PppdExit& e) {
            std::fprintf(stderr, "ppp_relay: pppd %s: %s%s\n", name, e.reason.c_str(), e.requested ? " (stopped)" : "");
            if (!e.requested) rc = 1;
            other->stop();
            if (++exited == 2) io.stop();
        };
    };
    a.on_exit(on_exit("A", &b));
    b.on_exit(on_exit("B", &a));

    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const asio::error_code& ec, int) {
        if (ec) return;
        a.stop();
        b.stop();
    });
    if (a.start(argv[3], argv[2]) != Error::ok || b.start(argv[6], argv[5]) != Error::ok) {
        std::perror("ppp_relay: start");
        return 1;
    }
    std::fprintf(stderr, "ppp_relay: pppd A pid %d on %s, pppd B pid %d on %s\n", a.pid(), a.pty_name().c_str(),
                 b.pid(), b.pty_name().c_str());
    io.run();
    for (auto [name, link] : {std::pair{"A", &a}, std::pair{"B", &b}}) {
        const auto s = link->stats();
        std::printf("relay %s: frames_in=%llu frames_out=%llu dropped_out=%llu bad_fcs=%llu too_long=%llu "
                    "aborted=%llu runt=%llu bad_header=%llu\n",
                    name, (unsigned long long)s.decoder.frames, (unsigned long long)s.frames_out,
                    (unsigned long long)s.dropped_out, (unsigned long long)s.decoder.bad_fcs,
                    (unsigned long long)s.decoder.too_long, (unsigned long long)s.decoder.aborted,
                    (unsigned long long)s.decoder.runt, (unsigned long long)s.decoder.bad_header);
    }
    return rc;
}
