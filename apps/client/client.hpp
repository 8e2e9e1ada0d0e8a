// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-client: one initiator Endpoint, a TUN device configured from what the server pushes,
// reconnection with backoff, and undoing every change on exit.
#pragma once
#include "client_config.hpp"
#include "endpoint_driver.hpp"
#include "host_config.hpp"
#include "inet.hpp"
#include "host_network.hpp"
#include "ppp_client.hpp"
#include "tun_device.hpp"
#include "udp_socket.hpp"

#include <udpvpn/endpoint.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>

namespace udpvpn::app {

class Client {
public:
    Client(asio::io_context& io, ClientConfig config);
    ~Client();

    void start(std::unique_ptr<TunDevice> tun = nullptr);   // throws with a message for the log
    // Re-reads the configuration file (SIGHUP): new CA, CRL, certificate, key and timers apply,
    // the CA and CRL to the running session too. A file with an error is refused, the old stays.
    void reload();
    // Sends DISCONNECT, waits for the server's ACK of it (at most 2 s), undoes routes/addresses/DNS,
    // then calls `done`.
    void stop(std::function<void()> done);
    // The server accepted this client (its first authenticated answer after the handshake).
    bool connected() const noexcept { return session_ != 0 && accepted_; }
    int exit_code() const noexcept { return exit_code_; }   // 1 after a fatal error (pppd misconfigured)

private:
    void wait_for_disconnect(std::function<void()> then);
    void finish_stop(std::function<void()> done);
    void connect();
    void schedule_reconnect(const char* why);
    void on_event(const Event& ev);
    bool on_tun_readable();   // true: stopped at the batch limit
    void apply_config(const ConfigPush& push);
    void undo_config();
    HostConfigPolicy host_policy() const;
    void ping_tick();
    void on_accepted();
    static std::string hex_session(SessionId sid);
    std::optional<asio::ip::udp::endpoint> resolve_server();
    void on_pppd_ended(const PppdExit& e);

    asio::io_context& io_;
    ClientConfig cfg_;
    std::shared_ptr<const CertificateVerifier> verifier_;
    std::optional<Identity> identity_;
    std::unique_ptr<TunDevice> tun_;
    std::unique_ptr<EndpointDriver> driver_;   // the endpoint, the UDP socket and the clock
    std::unique_ptr<ReadWatch> tun_watch_;
    std::unique_ptr<PppClient> ppp_;   // PPP mode (tunnel.mode = "ppp") instead of tun_
    std::string server_identity_;      // the server certificate's name, for pppd
    int exit_code_ = 0;
    asio::steady_timer reconnect_timer_, ping_timer_;
    SessionId session_ = 0;
    bool established_ = false;         // our handshake is done: packets may flow
    bool accepted_ = false;            // and the server has answered: it took our certificate
    std::string connected_text_;       // "server (name) at address: session, suite", for the log
    bool stopping_ = false;
    TimeNs backoff_ = 0;
    std::string server_text_;
    asio::ip::udp::endpoint server_ep_;
    std::uint64_t ping_token_ = 0;
    std::vector<std::uint8_t> tun_buf_;

    std::unique_ptr<HostSettings> host_settings_;
    std::unique_ptr<HostConfig> host_config_;   // IP mode: what the pushes changed on the host
};

}  // namespace udpvpn::app
