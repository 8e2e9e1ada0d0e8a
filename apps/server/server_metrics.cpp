// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-server's counters as Prometheus text (GET /metrics on [metrics] listen; udpvpn.conf(5)
// lists every family). Label values are fixed reason names, so a scrape's cardinality is bounded.
#include "server.hpp"

#include "prometheus_text.hpp"

#include <udpvpn/error.hpp>

#include <string>

namespace udpvpn::app {

// A reason as a label value: the Error's identifier, stable across releases.
static const char* error_label(Error e) {
    switch (e) {
    case Error::ok: return "ok";
    case Error::malformed: return "malformed";
    case Error::bad_tag: return "bad_tag";
    case Error::replayed: return "replayed";
    case Error::unknown_session: return "unknown_session";
    case Error::unexpected_packet: return "unexpected_packet";
    case Error::admission_denied: return "admission_denied";
    case Error::amplification_limit: return "amplification_limit";
    case Error::rate_limited: return "rate_limited";
    case Error::version_unsupported: return "version_unsupported";
    case Error::stale_key: return "stale_key";
    case Error::cert_expired: return "cert_expired";
    case Error::cert_not_yet_valid: return "cert_not_yet_valid";
    case Error::cert_unknown_ca: return "cert_unknown_ca";
    case Error::cert_revoked: return "cert_revoked";
    case Error::crl_expired: return "crl_expired";
    case Error::cert_wrong_purpose: return "cert_wrong_purpose";
    case Error::cert_name_mismatch: return "cert_name_mismatch";
    case Error::cert_invalid: return "cert_invalid";
    case Error::bad_signature: return "bad_signature";
    case Error::bad_finished: return "bad_finished";
    case Error::unsupported_extension: return "unsupported_extension";
    case Error::no_common_suite: return "no_common_suite";
    case Error::handshake_timeout: return "handshake_timeout";
    case Error::peer_timeout: return "peer_timeout";
    case Error::key_exhausted: return "key_exhausted";
    case Error::protocol_violation: return "protocol_violation";
    case Error::peer_closed: return "peer_closed";
    case Error::closed_locally: return "closed_locally";
    case Error::internal: return "internal";
    case Error::cert_unsupported_key: return "cert_unsupported_key";
    case Error::buffer_too_small: return "buffer_too_small";
    case Error::invalid_state: return "invalid_state";
    case Error::invalid_argument: return "invalid_argument";
    case Error::not_found: return "not_found";
    case Error::queue_full: return "queue_full";
    }
    return "unknown";
}

// One sample per close-class reason, zeros included: a series exists before its first event, so
// rate() and alerts see it start from 0.
static void write_by_close_reason(PrometheusText& m, const std::map<Error, std::uint64_t>& counts) {
    for (int v = static_cast<int>(Error::cert_expired); v <= static_cast<int>(Error::cert_unsupported_key); ++v) {
        const auto it = counts.find(static_cast<Error>(v));
        m.sample(it == counts.end() ? 0 : it->second, {{"reason", error_label(static_cast<Error>(v))}});
    }
}

// Main thread: the workers' counters first (never under mutex_), then the shared ones.
std::string Server::metrics_text() const {
    const WorkerView view = collect(false);
    std::lock_guard lock(mutex_);
    const EndpointStats& st = view.stats;
    const EndpointDriver::Traffic& tr = view.traffic;
    PrometheusText m;

    m.gauge("udpvpn_start_time_seconds", "Unix time the server started.")
        .sample(static_cast<std::uint64_t>(workers_.empty() ? 0 : clock().unix_seconds(clock().started())));
    m.gauge("udpvpn_sessions", "Sessions now, by state: established (clients with a session) or half_open "
                               "(handshakes in progress).")
        .sample(clients_.size(), {{"state", "established"}})
        .sample(st.half_open, {{"state", "half_open"}});

    m.counter("udpvpn_handshakes_completed_total", "Handshakes that completed (certificates verified).")
        .sample(st.handshakes_completed);
    m.counter("udpvpn_handshakes_failed_total",
              "Handshakes of address-validated peers that ended without a session, by reason.");
    write_by_close_reason(m, counters_.handshakes_failed);
    m.counter("udpvpn_sessions_refused_total",
              "Completed handshakes the server refused, by reason (policy, addresses, shutdown).")
        .sample(counters_.refused_no_identity_name, {{"reason", "no_identity_name"}})
        .sample(counters_.refused_identity_in_use, {{"reason", "identity_in_use"}})
        .sample(counters_.refused_fixed_address_in_use, {{"reason", "fixed_address_in_use"}})
        .sample(counters_.refused_pool_exhausted, {{"reason", "pool_exhausted"}})
        .sample(counters_.refused_shutting_down, {{"reason", "shutting_down"}})
        .sample(counters_.refused_pppd_failed, {{"reason", "pppd_failed"}});
    const UnvalidatedRefusals& u = st.unvalidated;
    m.counter("udpvpn_handshake_refusals_total",
              "Handshake datagrams of peers whose address is not validated yet, refused by reason.")
        .sample(u.oversized, {{"reason", "oversized"}})
        .sample(u.bad_cookie, {{"reason", "bad_cookie"}})
        .sample(u.replayed_cookie, {{"reason", "replayed_cookie"}})
        .sample(u.wrong_address, {{"reason", "wrong_address"}})
        .sample(u.source_half_open, {{"reason", "source_half_open"}})
        .sample(u.prefix_half_open, {{"reason", "prefix_half_open"}})
        .sample(u.source_rate, {{"reason", "source_rate"}})
        .sample(u.prefix_rate, {{"reason", "prefix_rate"}})
        .sample(u.table_full, {{"reason", "table_full"}})
        .sample(u.no_session_id, {{"reason", "no_session_id"}})
        .sample(u.over_budget, {{"reason", "over_budget"}});
    m.counter("udpvpn_retries_sent_total", "RETRY packets (address validation cookies) sent.").sample(st.retries_sent);
    m.counter("udpvpn_stateless_resets_total",
              "Stateless resets for DATA of sessions this server does not know (cluster.key), by outcome.")
        .sample(st.resets_sent, {{"outcome", "sent"}})
        .sample(st.resets_rate_limited, {{"outcome", "rate_limited"}});
    m.counter("udpvpn_rekeys_total", "Rekeys completed by sessions.").sample(counters_.rekeys);
    m.counter("udpvpn_sessions_closed_total", "Sessions of clients that ended, by reason.");
    write_by_close_reason(m, counters_.closed);

    m.counter("udpvpn_datagrams_dropped_total", "UDP datagrams the protocol endpoint discarded, by reason.");
    for (int v = 1; v < 100 && v < static_cast<int>(std::size(st.dropped)); ++v) {
        const Error e = static_cast<Error>(v);
        const char* name = error_label(e);
        if (std::string_view(name) == "unknown") continue;
        m.sample(st.dropped[v], {{"reason", name}});
    }
    const InnerDrops& d = view.drops;
    const InnerDropStats& lib = st.inner_dropped;
    m.counter("udpvpn_inner_packets_dropped_total", "Inner packets dropped, by direction and reason.")
        .sample(d.unknown_session, {{"direction", "from_clients"}, {"reason", "unknown_session"}})
        .sample(d.malformed, {{"direction", "from_clients"}, {"reason", "malformed"}})
        .sample(d.wrong_protocol, {{"direction", "from_clients"}, {"reason", "wrong_protocol"}})
        .sample(d.source_address, {{"direction", "from_clients"}, {"reason", "source_address"}})
        .sample(d.source_link_local, {{"direction", "from_clients"}, {"reason", "source_link_local"}})
        .sample(d.client_to_client_off, {{"direction", "from_clients"}, {"reason", "client_to_client_off"}})
        .sample(d.forward_failed, {{"direction", "from_clients"}, {"reason", "forward_failed"}})
        .sample(d.tunnel_write, {{"direction", "from_clients"}, {"reason", "tunnel_write"}})
        .sample(d.access_denied, {{"direction", "from_clients"}, {"reason", "access_denied"}})
        .sample(lib.early_refused, {{"direction", "from_clients"}, {"reason", "early_refused"}})
        .sample(lib.early_unopened, {{"direction", "from_clients"}, {"reason", "early_unopened"}})
        .sample(lib.queue_full, {{"direction", "from_clients"}, {"reason", "queue_full"}})
        .sample(d.no_route, {{"direction", "to_clients"}, {"reason", "no_route"}})
        .sample(d.to_client_malformed, {{"direction", "to_clients"}, {"reason", "malformed"}})
        .sample(d.seal_failed, {{"direction", "to_clients"}, {"reason", "seal_failed"}})
        .sample(d.handoff_full, {{"direction", "to_clients"}, {"reason", "handoff_full"}});

    m.counter("udpvpn_udp_datagrams_total", "UDP datagrams received and sent on the server's socket.")
        .sample(tr.udp_in_datagrams, {{"direction", "in"}})
        .sample(tr.udp_out_datagrams, {{"direction", "out"}});
    m.counter("udpvpn_udp_bytes_total", "UDP payload bytes received and sent on the server's socket.")
        .sample(tr.udp_in_bytes, {{"direction", "in"}})
        .sample(tr.udp_out_bytes, {{"direction", "out"}});
    m.counter("udpvpn_udp_send_errors_total", "UDP datagrams the kernel refused to send.")
        .sample(view.send_errors);
    m.counter("udpvpn_inner_packets_total",
              "Inner packets received from clients (authenticated) and sealed for clients.")
        .sample(tr.inner_in_packets, {{"direction", "from_clients"}})
        .sample(tr.inner_out_packets, {{"direction", "to_clients"}});
    m.counter("udpvpn_inner_bytes_total", "Bytes of the inner packets counted in udpvpn_inner_packets_total.")
        .sample(tr.inner_in_bytes, {{"direction", "from_clients"}})
        .sample(tr.inner_out_bytes, {{"direction", "to_clients"}});
    write_rule_metrics(m);
    return m.str();
}

// The access rules' counters ([[access.rule]], udpvpn.conf(5)): one series per rule by its name,
// the default action's and the reply flows' apart, and the packets refused unread by reason.
void Server::write_rule_metrics(PrometheusText& m) const {
    const AccessCounters& c = access_.counters();
    const char* default_action = access_.policy().default_allow ? "allow" : "deny";
    if (!c.rules.empty()) {   // a family without a sample says nothing
        m.counter("udpvpn_access_rule_packets_total", "Inner packets from clients each access rule decided, by rule name.");
        for (const auto& r : c.rules) m.sample(r.matched.packets, {{"rule", r.name}, {"action", r.allow ? "allow" : "deny"}});
        m.counter("udpvpn_access_rule_bytes_total", "Bytes of the inner packets in udpvpn_access_rule_packets_total.");
        for (const auto& r : c.rules) m.sample(r.matched.bytes, {{"rule", r.name}, {"action", r.allow ? "allow" : "deny"}});
    }
    m.counter("udpvpn_access_default_packets_total", "Inner packets no access rule matched, decided by access.default.")
        .sample(c.default_action.packets, {{"action", default_action}});
    m.counter("udpvpn_access_default_bytes_total", "Bytes of the inner packets in udpvpn_access_default_packets_total.")
        .sample(c.default_action.bytes, {{"action", default_action}});
    m.counter("udpvpn_access_reply_packets_total", "Client-to-client replies let through by an open flow.")
        .sample(c.replies.packets);
    m.counter("udpvpn_access_unreadable_packets_total", "Inner packets the access rules refused unread, by reason.");
    for (std::size_t i = 1; i < kInnerProblems; ++i)
        m.sample(c.unreadable[i], {{"reason", inner_problem_name(static_cast<InnerProblem>(i))}});
}

}  // namespace udpvpn::app
