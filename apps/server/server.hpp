// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-server: forwarding by inner destination address, an address pool, a status socket,
// SIGHUP reload and SIGTERM shutdown, on `server.workers` workers. Each worker is a thread with its
// own event loop, responder Endpoint (route byte server_id + worker), UDP socket (one port shared
// through SO_REUSEPORT, steered by worker_steering.hpp) and tunnel queue; a session lives in one
// worker's endpoint only (endpoints are single-threaded). What the workers share (clients and
// their addresses, identities, access rules, counters, the reloadable configuration) sits behind
// one mutex; an inner packet read by a worker that does not own its session goes through the
// owner's HandoffQueue. Worker 0 runs on the caller's io_context, which also serves the status
// socket, the metrics and the signals: with one worker the server is a single thread.
#pragma once
#include "access_filter.hpp"
#include "json_writer.hpp"
#include "control_socket.hpp"
#include "endpoint_driver.hpp"
#include "client_identity.hpp"
#include "handoff_queue.hpp"
#include "client_table.hpp"
#include "identity_clash.hpp"
#include "log_limiter.hpp"
#include "metrics_listener.hpp"
#include "prometheus_text.hpp"
#include "pki_files.hpp"
#include "ppp_sessions.hpp"
#include "server_config.hpp"
#include "tun_device.hpp"
#include "udp_socket.hpp"

#include <udpvpn/endpoint.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace udpvpn::app {

class Server {
public:
    Server(asio::io_context& io, ServerConfig config);
    ~Server();   // stops and joins the workers' threads

    // Opens the device (or uses `tun` if given: tests, one worker), the sockets and the status
    // socket, drops privileges, then starts the workers' threads. Throws ConfigError /
    // std::runtime_error with a message for the log.
    void start(std::unique_ptr<TunDevice> tun = nullptr);
    // SIGHUP: re-reads the configuration file and the CRL; healthy sessions stay.
    void reload();
    // SIGTERM: DISCONNECT to every client with a reason, then `done` once they are out (or 1 s).
    void shutdown(std::function<void()> done);

    std::string status_json() const;
    // Prometheus text exposition of the counters below and the endpoint's (server_metrics.cpp).
    std::string metrics_text() const;
    std::uint16_t port() const;
    unsigned workers() const noexcept { return static_cast<unsigned>(workers_.size()); }
    // Per access rule: packets and bytes it decided, the default's, replies, unreadable packets
    // (status "access"). Counters survive reloads by rule name. A copy taken under the lock: the
    // workers count on the one shared filter.
    AccessCounters access_counters() const {
        std::lock_guard lock(mutex_);
        return access_.counters();
    }

private:
    // Inner packets the server itself dropped, by reason (status socket: "inner_drops"). Each
    // worker counts its own; the status reply and the metrics show the sums.
    struct InnerDrops {
        // From clients (after the endpoint delivered them).
        std::uint64_t unknown_session = 0;        // no client for the session (refused, replaced, closing)
        std::uint64_t malformed = 0;              // not an IP packet of the payload type's version
        std::uint64_t wrong_protocol = 0;         // IP in PPP mode or PPP in IP mode
        std::uint64_t source_address = 0;         // source is not the address assigned to that client
        std::uint64_t source_link_local = 0;      // the same for IPv6 link-local chatter (normal)
        std::uint64_t client_to_client_off = 0;   // to another client while client_to_client is off
        std::uint64_t access_denied = 0;          // refused by the access rules (per rule: "access")
        std::uint64_t forward_failed = 0;         // to another client: its session refused it
        std::uint64_t tunnel_write = 0;           // the tunnel device refused the write
        // To clients (read from the tunnel device).
        std::uint64_t no_route = 0;               // no client has the destination address
        std::uint64_t to_client_malformed = 0;    // not a parseable IP packet
        std::uint64_t seal_failed = 0;            // the client's session refused it (closing, key limit)
        std::uint64_t handoff_full = 0;           // the owner worker's handoff queue was full
        void add(const InnerDrops& o) noexcept;
    };
    // One thread's share of the server (see the top of this file). Everything in it but `inbox`
    // is touched by its own thread only, once the threads run.
    struct Worker {
        unsigned index = 0;
        std::uint8_t route_byte = 0;
        std::unique_ptr<asio::io_context> own_io;   // workers 1..N-1; worker 0 uses the server's
        asio::io_context* io = nullptr;
        std::unique_ptr<EndpointDriver> driver;     // the endpoint, the UDP socket and the clock
        std::unique_ptr<TunDevice> tun;             // this worker's queue of the device
        std::unique_ptr<ReadWatch> tun_watch;
        std::vector<std::uint8_t> tun_buf;
        InnerDrops drops;
        std::uint64_t handed_in = 0;                // inner packets other workers read for us
        HandoffQueue inbox;                         // any thread pushes; this worker takes
        std::thread thread;
    };
    // What the workers' endpoints count, summed; read on each worker's own thread.
    struct WorkerView {
        EndpointStats stats;
        EndpointDriver::Traffic traffic;
        std::uint64_t send_errors = 0;
        InnerDrops drops;
        std::vector<std::uint64_t> handed_in;        // by worker
        std::map<SessionId, SessionInfo> sessions;   // with_sessions only
    };

    void on_event(Worker& w, const Event& ev);
    void on_established(Worker& w, const Event& ev);
    bool make_room(Worker& w, const ClientEntry& c);
    FixedAddress fixed_address(const ClientEntry& c) const;
    ConfigPush push_for(const ClientEntry& c) const;
    void on_closed(Worker& w, const Event& ev);
    void forget(SessionId sid);
    void on_client_packet(Worker& w, SessionId sid, InnerProtocol proto, ByteView packet);
    bool on_tun_readable(Worker& w);   // true: stopped at the batch limit
    // Seals `packet` for `sid` on the worker that owns it: here, or through its inbox.
    void send_to_session(Worker& w, SessionId sid, InnerProtocol proto, ByteView packet, HandoffQueue::Origin origin);
    void take_inbox(Worker& w);
    // Closes a session on the worker that owns it (now if that is `w`, else posted there).
    void close_session(Worker& w, SessionId sid, const std::string& why);
    Worker* owner_of(SessionId sid) const;
    // Runs `fn` on worker `w`'s thread and waits for it (main thread only, never under mutex_).
    void run_on(Worker& w, const std::function<void()>& fn) const;
    WorkerView collect(bool with_sessions) const;
    void start_workers();
    void stop_workers() noexcept;
    bool start_pppd(Worker& w, const ClientEntry& c);
    void on_pppd_ended(SessionId sid, const std::string& reason);
    void setup_device();
    ResponderConfig responder_config(std::uint8_t route_byte, const SharedKey& shared_secret, unsigned workers) const;
    void open_tunnel(unsigned count, std::unique_ptr<TunDevice> given);
    void open_sockets();
    void flush_log_summaries();
    void arm_log_timer();
    KeyPermissions key_permissions() const;
    void write_inner_drops(JsonWriter& j, const WorkerView& v) const;
    void write_handshake_refusals(JsonWriter& j, const WorkerView& v) const;
    void write_workers(JsonWriter& j, const WorkerView& v) const;
    void write_rule_metrics(PrometheusText& m) const;
    void write_access(JsonWriter& j) const;
    void log_access_policy() const;
    EndpointDriver& clock() const { return *workers_.front()->driver; }

    asio::io_context& io_;
    ServerConfig cfg_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::unique_ptr<ControlSocket> status_;
    std::unique_ptr<MetricsListener> metrics_;   // [metrics] listen, off by default
    std::unique_ptr<PppSessions> ppp_;   // PPP mode (tunnel.mode = "ppp", one worker) instead of a tunnel
    asio::steady_timer shutdown_timer_;
    asio::steady_timer log_timer_;
    std::atomic<bool> shutting_down_{false};   // shutdown() began: sessions that complete now are closed
    std::atomic<bool> workers_running_{false};

    // Shared by the workers, under mutex_: what follows, and cfg_'s reloadable fields. Recursive:
    // a worker holding it may call its own driver, which calls the event hook back at once (as it
    // did single-threaded). Nobody waits for another thread while holding it.
    mutable std::recursive_mutex mutex_;
    ClientTable clients_;             // sessions, their inner addresses and identities
    IdentityClashes clashes_;
    AccessFilter access_;             // [[access.rule]] on what clients send
    LogLimiter refusal_log_;          // refusals of peers, per reason: a few lines, then a summary
    // Session events since start, for the metrics (the endpoint counts handshakes and drops).
    struct SessionCounters {
        std::uint64_t rekeys = 0;
        std::map<Error, std::uint64_t> handshakes_failed;   // closed before `established`, by reason
        std::map<Error, std::uint64_t> closed;              // sessions of clients that ended, by reason
        // Completed handshakes the server itself refused, by reason.
        std::uint64_t refused_no_identity_name = 0;      // the certificate lacks the server.identity name
        std::uint64_t refused_identity_in_use = 0;       // identity held from another address
        std::uint64_t refused_fixed_address_in_use = 0;
        std::uint64_t refused_pool_exhausted = 0;
        std::uint64_t refused_shutting_down = 0;
        std::uint64_t refused_pppd_failed = 0;
    } counters_;
};

}  // namespace udpvpn::app
