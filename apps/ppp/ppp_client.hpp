// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-client in PPP mode: the pppd end of the tunnel.
//
// Two ways to meet pppd:
//  - spawn (default): a new pppd on a pty for every established session, with the server's
//    certificate name as remotename/ipparam/UDPVPN_PEER; the session closing ends it, and pppd
//    exiting by itself closes the session (the client then reconnects, with a new pppd).
//  - stdio (ppp.stdio = true): the user's pppd started us with its `pty` option; HDLC flows on our
//    stdin/stdout for the life of the process. While the tunnel reconnects frames are dropped
//    (pppd's LCP echo notices if that takes too long). pppd closing the pty ends the client.
#pragma once
#include "ppp_config.hpp"
#include "pppd_exit.hpp"

#include <udpvpn/types.hpp>

#include <asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace udpvpn::app {

// ppp_client.cpp on POSIX; on Windows (no pppd) construction throws with a message saying so.
class PppClient {
public:
    struct Hooks {
        std::function<void(ByteView)> send;                // a frame for the server
        std::function<void(const PppdExit&)> ended;        // pppd ended without stop()/session_down()
    };

    PppClient(asio::io_context& io, PppConfig config, std::size_t max_frame, Hooks hooks);
    ~PppClient();

    bool stdio() const noexcept;
    // stdio mode: attaches to fds 0 and 1 now. Throws std::runtime_error.
    void start();
    // Spawn mode: starts pppd for a new session. Returns "" or why it could not.
    std::string session_up(const std::string& server_identity);
    // Spawn mode: ends the session's pppd.
    void session_down();
    // A frame from the server.
    void deliver(ByteView frame);
    // Ends pppd (client exiting) and calls `done` once it has exited (ip-down ran), at most after
    // the link's SIGKILL grace period.
    void stop(std::function<void()> done);

private:
    struct Impl;   // the pppd side: platform-specific
    std::unique_ptr<Impl> impl_;
};

}  // namespace udpvpn::app
