// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-server in PPP mode: one pppd per authenticated session, on its own pty.
//
// The server calls open() only after the endpoint's `established` event, so a client that has not
// proven its certificate never gets a pppd. Frames flow session -> deliver() -> pppd and
// pppd -> Hooks::send -> session. pppd exiting on its own calls Hooks::close with pppd's reason
// (the server closes the session with it); the session closing calls close(), which ends pppd.
#pragma once
#include "ppp_config.hpp"
#include "pppd_link.hpp"

#include <udpvpn/types.hpp>

#include <asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace udpvpn::app {

class PppSessions {
public:
    struct Hooks {
        std::function<void(SessionId, ByteView)> send;                  // a frame for the client
        std::function<void(SessionId, const std::string&)> close;       // pppd ended by itself
    };

    // `max_frame`: largest information field expected from pppd (its mru/mtu).
    PppSessions(asio::io_context& io, PppConfig config, std::size_t max_frame, Hooks hooks);
    ~PppSessions();

    // Starts pppd for an authenticated session. `identity` is the certificate's name (remotename,
    // ipparam, UDPVPN_PEER); `addresses` ("local:remote", may be empty) is passed as a pppd option.
    // Returns "" or why pppd could not be started.
    std::string open(SessionId sid, const std::string& identity, const std::string& addresses);
    // A frame (protocol + information) from the client.
    void deliver(SessionId sid, ByteView frame);
    // The session is gone: end its pppd (hangup, SIGTERM, SIGKILL after the grace period).
    void close(SessionId sid);
    void close_all();

    std::size_t running() const noexcept { return links_.size(); }
    // pppd still shutting down (close() was called, not reaped yet).
    std::size_t stopping() const noexcept { return stopping_.size(); }
    pid_t pid(SessionId sid) const;

private:
    struct Entry {
        std::unique_ptr<PppdLink> link;
        std::string identity;
    };
    void on_exit(SessionId sid, PppdLink* link, const PppdExit& e);
    void dispose(std::unique_ptr<PppdLink> link);

    asio::io_context& io_;
    PppConfig cfg_;
    PppdLinkConfig link_cfg_;
    Hooks hooks_;
    std::map<SessionId, Entry> links_;
    std::map<PppdLink*, Entry> stopping_;
};

}  // namespace udpvpn::app
