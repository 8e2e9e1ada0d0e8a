// SPDX-License-Identifier: GPL-3.0-or-later
// One established session: data keys, replay windows, rekeying, keepalives, dead-peer detection,
// roaming and the control channel (docs/rfc-draft.txt, "Established session").
// Sans-IO: every call takes the caller's time. The data path (open, seal) does not allocate.
#pragma once
#include "control_channel.hpp"
#include "pmtu_probe.hpp"
#include "key_schedule.hpp"
#include "keypair_slots.hpp"
#include "secret.hpp"
#include "data_packet.hpp"

#include <udpvpn/certificate.hpp>
#include <udpvpn/config.hpp>
#include <udpvpn/event.hpp>
#include <udpvpn/types.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>

namespace udpvpn {

class Rng;

struct AeadLimits {
    std::uint64_t rekey_after_packets;
    std::uint64_t reject_after_packets;
    std::uint64_t max_failed_opens;       // integrity limit
};
AeadLimits aead_limits(Suite suite, const CommonConfig& config) noexcept;

struct SessionParams {
    Role role = Role::client;             // our role
    SessionId local_sid = 0;              // what the peer puts in dst_sid for us
    SessionId peer_sid = 0;               // what we put in dst_sid
    Suite suite{};
    PeerAddress address;
    PeerIdentity peer;
    std::vector<Bytes> peer_chain;        // kept for re-verification
    std::string expected_name;            // client: the server name to re-check
};

class Session {
public:
    // `config` and `rng` must outlive the session. Installs epoch 0 keys from `secrets`.
    Session(const CommonConfig& config, Rng& rng, SessionParams params, const DataSecrets& secrets, TimeNs now);
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    struct Opened {
        Error status = Error::ok;
        PayloadType payload{};
        ByteView plaintext;               // into the datagram
        bool address_changed = false;     // a new address was validated: the session moved
        bool path_check_started = false;  // a new address must be challenged: poll_datagram() soon
    };
    // Opens a DATA datagram addressed to us (header already parsed). Does not allocate.
    // Control payloads are consumed here; inner packets are returned to the caller.
    Opened open(TimeNs now, const PeerAddress& from, const DataHeader& header, MutableByteView datagram);

    // Seals an inner packet (or a control/keepalive payload). Errors: invalid_state, buffer_too_small,
    // key_exhausted.
    Result<std::size_t> seal(TimeNs now, PayloadType payload, ByteView plaintext, MutableByteView out);

    // Protocol output (control frames, keepalives, probes, path challenges): 0 when nothing is due.
    // `to` is where the datagram goes: the session's address, or the address being validated.
    Result<std::size_t> poll_datagram(TimeNs now, MutableByteView out, PeerAddress& to);
    TimeNs next_deadline() const;
    void handle_timeout(TimeNs now);
    // Whether a rekey is due and not under way: the send key's packet limit (which no deadline
    // shows) or its age. poll_datagram() and handle_timeout() then start it.
    bool want_rekey(TimeNs now) const noexcept;

    Error send_control(TimeNs now, std::uint8_t msg_type, ByteView body);
    Error ping(TimeNs now, std::uint64_t token);
    Error push_config(TimeNs now, const ConfigPush& config);
    Error start_rekey(TimeNs now);
    // Sends DISCONNECT and enters `closing` (removed once acknowledged or after a short linger).
    // A DISCONNECT from the peer closes at once, after one last payload that acknowledges it.
    void close(TimeNs now, Error reason, std::string_view text);
    // Re-runs the verifier on the stored peer chain; closes the session on failure.
    void reverify(TimeNs now, const CertificateVerifier& verifier);

    bool closed() const noexcept { return closed_; }
    bool closing() const noexcept { return closing_; }
    Error close_reason() const noexcept { return close_reason_; }
    std::optional<Event> poll_event();

    // Accessors for status.
    SessionId local_sid() const noexcept { return local_sid_; }
    SessionId peer_sid() const noexcept { return peer_sid_; }
    const PeerAddress& address() const noexcept { return address_; }
    // The new peer address being validated (docs/rfc-draft.txt, "Roaming"), if any.
    const PeerAddress* address_in_validation() const noexcept { return path_->active ? &path_->candidate : nullptr; }
    Suite suite() const noexcept { return suite_; }
    const PeerIdentity& peer() const noexcept { return params_->peer; }
    const SessionParams& params() const noexcept { return *params_; }
    std::uint32_t epoch() const noexcept { return send_.epoch; }
    std::uint16_t inner_mtu() const noexcept { return inner_mtu_; }
    TimeNs last_handshake() const noexcept { return last_handshake_; }
    TimeNs last_received() const noexcept { return last_received_; }
    // Re-verification needs the verifier, which the endpoint owns: it calls reverify() when due.
    TimeNs next_reverify() const noexcept { return next_reverify_; }
    struct Counters { std::uint64_t tx_bytes = 0, rx_bytes = 0, tx_packets = 0, rx_packets = 0; };
    const Counters& counters() const noexcept { return counters_; }

private:
    void handle_control_message(TimeNs now, std::uint8_t type, ByteView body);
    void on_rekey_init(TimeNs now, ByteView body);
    void on_rekey_resp(TimeNs now, ByteView body);
    void promote_next_epoch(TimeNs now);
    void report_rekeyed(TimeNs now, std::uint32_t epoch);
    void finish_close(Error reason, std::string text);
    void fail_protocol(TimeNs now, const char* why);
    void on_peer_disconnect(TimeNs now, std::string text);
    void emit(Event e);
    void on_probe_acks();
    void on_path_responses(Opened& r);
    void start_path_check(TimeNs now, const PeerAddress& from, std::size_t datagram_size);
    Result<std::size_t> poll_path_challenge(TimeNs now, MutableByteView out, PeerAddress& to);
    bool path_challenge_allowed() const noexcept;

    // --- core state (the size test in tests/session_test.cpp holds it to 4 KiB)
    const CommonConfig& config_;
    Rng& rng_;
    AeadLimits limits_;
    SessionId local_sid_;
    SessionId peer_sid_;
    Suite suite_;
    Role role_;
    PeerAddress address_;
    SendKey send_;
    ReceiveKey current_;
    ReceiveKey other_;
    Secret32 rekey_secret_;               // rekey_n of the current epoch


    // Rekey in progress (its secrets live outside the core, allocated per rekey).
    struct PendingSecrets {
        Secret32 eph_private;
        Secret32 next_send_traffic;       // answering a rekey: send key for epoch+1, installed once used
        Secret32 next_rekey_secret;
    };
    struct PendingRekey {
        bool active = false;
        bool we_initiated = false;
        std::uint32_t epoch = 0;
        std::unique_ptr<PendingSecrets> secrets;
    } pending_;

    TimeNs created_ = 0;
    TimeNs last_sent_ = 0;
    TimeNs last_received_ = 0;
    TimeNs last_handshake_ = 0;
    TimeNs next_reverify_ = kNever;
    TimeNs close_deadline_ = kNever;
    std::uint16_t inner_mtu_ = 0;
    bool closed_ = false;
    bool close_reported_ = false;
    bool closing_ = false;
    bool final_ack_ = false;              // the peer's DISCONNECT: one last payload acknowledges it
    Error close_reason_ = Error::ok;
    Counters counters_;

    // --- side state, allocated once per session: identity, chain, control channel
    std::unique_ptr<SessionParams> params_;
    std::unique_ptr<ControlChannel> control_;
    // Roaming (docs/rfc-draft.txt, "Roaming"): a new peer address is used only once it has echoed a
    // PATH_CHALLENGE; until then it gets nothing but challenges, at most 3x the bytes it sent us.
    struct PathCheck {
        bool active = false;
        PeerAddress candidate;
        std::array<std::uint8_t, 8> token{};
        std::uint64_t received = 0;       // bytes of authenticated DATA datagrams from the candidate
        std::uint64_t sent = 0;           // bytes of PATH_CHALLENGE datagrams sent to it
        TimeNs next_send = 0;
        std::uint8_t tries = 0;
    };
    std::unique_ptr<PathCheck> path_;     // always allocated; active only while a check runs
    std::unique_ptr<PmtuProbe> pmtu_;     // the client probes the path; the server answers
    std::vector<Event> events_;   // a handful at most between polls
};

}  // namespace udpvpn
