// SPDX-License-Identifier: GPL-3.0-or-later
// The C ABI (bindings/c/include/udpvpn.h) over the C++ core: the only extern "C" code.
//
// Rules this file keeps: every entry point checks its arguments before touching the core, catches
// every exception (std::bad_alloc -> UDPVPN_ERR_NO_MEMORY, anything else -> UDPVPN_ERR_INTERNAL),
// and copies C structs through their leading `size` field only. Credentials (PEM or DER) go to the
// library's loaders as they are.
#include "udpvpn.h"

#include <udpvpn/certificate.hpp>
#include <udpvpn/config.hpp>
#include <udpvpn/config_push.hpp>
#include <udpvpn/endpoint.hpp>
#include <udpvpn/error.hpp>
#include <udpvpn/event.hpp>
#include <udpvpn/rng.hpp>

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#ifndef UDPVPN_VERSION_STRING
#define UDPVPN_VERSION_STRING "unknown"
#endif

namespace {

using udpvpn::Error;

// The C codes are the C++ Error values negated; the tables must never drift apart.
constexpr int code(Error e) noexcept { return -static_cast<int>(e); }
static_assert(code(Error::malformed) == UDPVPN_ERR_MALFORMED);
static_assert(code(Error::stale_key) == UDPVPN_ERR_STALE_KEY);
static_assert(code(Error::cert_expired) == UDPVPN_ERR_CERT_EXPIRED);
static_assert(code(Error::cert_revoked) == UDPVPN_ERR_CERT_REVOKED);
static_assert(code(Error::cert_unknown_ca) == UDPVPN_ERR_CERT_UNKNOWN_CA);
static_assert(code(Error::closed_locally) == UDPVPN_ERR_CLOSED_LOCALLY);
static_assert(code(Error::internal) == UDPVPN_ERR_INTERNAL);
static_assert(code(Error::cert_unsupported_key) == UDPVPN_ERR_CERT_UNSUPPORTED_KEY);
static_assert(code(Error::buffer_too_small) == UDPVPN_ERR_BUFFER_TOO_SMALL);
static_assert(code(Error::queue_full) == UDPVPN_ERR_QUEUE_FULL);
static_assert(udpvpn::kDataOverhead == UDPVPN_DATA_OVERHEAD);
static_assert(udpvpn::kDataInnerOffset == UDPVPN_DATA_INNER_OFFSET);
static_assert(udpvpn::kMaxDatagram == UDPVPN_MAX_DATAGRAM);
static_assert(sizeof(udpvpn::PeerAddress{}.bytes) == UDPVPN_ADDR_MAX);
static_assert(static_cast<int>(udpvpn::InnerProtocol::ppp) == UDPVPN_PROTO_PPP);
static_assert(static_cast<int>(udpvpn::Suite::aes256_gcm) == UDPVPN_SUITE_AES256_GCM);
static_assert(sizeof(udpvpn::EndpointStats{}.dropped) == sizeof(udpvpn_stats{}.dropped));

// Sizes of the first released layouts (ABI 1): a caller's `size` may not be smaller. When a field
// is appended, these stay as they are.
constexpr std::size_t kConfigV1 = offsetof(udpvpn_config, allow_any_server_name);
constexpr std::size_t kReceivedV1 = sizeof(udpvpn_received);
constexpr std::size_t kEventV1 = sizeof(udpvpn_event);
constexpr std::size_t kConfigPushV1 = sizeof(udpvpn_config_push);
constexpr std::size_t kSessionInfoV1 = sizeof(udpvpn_session_info);
constexpr std::size_t kStatsV1 = offsetof(udpvpn_stats, resets_sent);

// Trust anchors, CRLs and chains are configuration, but still bounded (as the C++ loader is).
constexpr std::size_t kMaxCredentialInput = 16u << 20;
// DISCONNECT / CLOSE text limit (docs/rfc-draft.txt, Sections 7.6, 13.3).
constexpr std::size_t kMaxCloseText = 200;

// ------------------------------------------------------------------------------------------------
// Exception barrier.

template <typename F>
int guarded(F&& f) noexcept {
    try {
        return f();
    } catch (const std::bad_alloc&) {
        return UDPVPN_ERR_NO_MEMORY;
    } catch (...) {
        return UDPVPN_ERR_INTERNAL;
    }
}

// ------------------------------------------------------------------------------------------------
// Versioned structs: `size` first; we read or write only what both sides know.

template <typename T>
bool size_ok(const T* p, std::size_t min_size) noexcept {
    return p != nullptr && p->size >= min_size;
}

// Input struct: defaults for fields the caller's (older) layout lacks; refuses a newer caller's
// nonzero fields we do not know (they would be silently ignored otherwise).
template <typename T>
bool copy_in(const T* p, std::size_t min_size, T& out) noexcept {
    if (!size_ok(p, min_size)) return false;
    const auto* bytes = reinterpret_cast<const unsigned char*>(p);
    for (std::size_t i = sizeof(T); i < p->size; ++i)
        if (bytes[i] != 0) return false;
    const std::size_t n = std::min(p->size, sizeof(T));
    std::memcpy(&out, p, n);
    out.size = sizeof(T);
    return true;
}

// Output struct: our fields up to the caller's size; a newer caller's extra fields read as zero.
template <typename T>
void copy_out(const T& value, T* p) noexcept {
    const std::size_t caller = p->size;
    const std::size_t n = std::min(caller, sizeof(T));
    auto* dst = reinterpret_cast<unsigned char*>(p);
    std::memcpy(dst, &value, n);
    if (caller > sizeof(T)) std::memset(dst + sizeof(T), 0, caller - sizeof(T));
    p->size = caller;
}

// ------------------------------------------------------------------------------------------------
// Credentials: PEM or DER, both read by the library (OpenSSL).

bool bad_buffer(const void* p, std::size_t n) noexcept { return p == nullptr && n > 0; }

// ------------------------------------------------------------------------------------------------
// Injected randomness.

class CallbackRng final : public udpvpn::Rng {
public:
    CallbackRng(udpvpn_random_fn fn, void* user) noexcept : fn_(fn), user_(user) {}
    void fill(udpvpn::MutableByteView out) noexcept override { fn_(user_, out.data(), out.size()); }

private:
    udpvpn_random_fn fn_;
    void* user_;
};

udpvpn::PeerAddress to_cpp(const udpvpn_addr& a) noexcept {
    udpvpn::PeerAddress p;
    p.len = a.len;
    std::memcpy(p.bytes.data(), a.bytes, a.len);
    return p;
}

udpvpn_addr to_c(const udpvpn::PeerAddress& p) noexcept {
    udpvpn_addr a{};
    a.len = std::min<std::uint8_t>(p.len, UDPVPN_ADDR_MAX);
    std::memcpy(a.bytes, p.bytes.data(), a.len);
    return a;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// The opaque handles.

struct udpvpn_identity {
    udpvpn::Identity identity;
};

struct udpvpn_verifier {
    std::shared_ptr<const udpvpn::CertificateVerifier> verifier;
};

struct udpvpn_endpoint {
    std::unique_ptr<udpvpn::Endpoint> core;
    bool client = false;
    // Set when the core threw out of a state-changing call: its state is unknown from then on.
    bool poisoned = false;

    // An event popped from the core but not yet handed to the caller (conversion ran out of memory).
    std::optional<udpvpn::Event> pending;
    // Storage behind the pointers of the last event handed out (valid until the next poll_event).
    struct EventStorage {
        std::string text, common_name, fingerprint;
        std::vector<udpvpn_ipv4_prefix> routes4;
        std::vector<udpvpn_ipv6_prefix> routes6;
        std::vector<std::uint8_t> dns4, dns6;
        udpvpn_config_push push{};
    } last_event;
};

namespace {

// Runs `f` on a usable endpoint. Exceptions from the core poison it (see udpvpn.h).
template <typename F>
int with_endpoint(udpvpn_endpoint* h, F&& f) noexcept {
    if (h == nullptr || !h->core) return UDPVPN_ERR_INVALID_ARGUMENT;
    if (h->poisoned) return UDPVPN_ERR_INTERNAL;
    try {
        return f(*h);
    } catch (const std::bad_alloc&) {
        h->poisoned = true;
        return UDPVPN_ERR_NO_MEMORY;
    } catch (...) {
        h->poisoned = true;
        return UDPVPN_ERR_INTERNAL;
    }
}

// Read-only calls cannot corrupt the endpoint: no poisoning.
template <typename F>
int with_endpoint_const(const udpvpn_endpoint* h, F&& f) noexcept {
    if (h == nullptr || !h->core) return UDPVPN_ERR_INVALID_ARGUMENT;
    if (h->poisoned) return UDPVPN_ERR_INTERNAL;
    return guarded([&]() -> int { return f(*h); });
}

bool valid_protocol(int p) noexcept { return p == UDPVPN_PROTO_IPV4 || p == UDPVPN_PROTO_IPV6 || p == UDPVPN_PROTO_PPP; }

// udpvpn_config -> the C++ common part. False only where the C layout cannot say it (the suite
// array's bound); the rules on the values are the library's (udpvpn::validate, which
// udpvpn::Endpoint::make_initiator / make_responder apply: INVALID_ARGUMENT).
bool fill_common(const udpvpn_config& c, udpvpn::CommonConfig& out) {
    if (c.n_suites > 4) return false;
    out.suites.clear();
    for (std::uint32_t i = 0; i < c.n_suites; ++i) out.suites.push_back(static_cast<udpvpn::Suite>(c.suites[i]));
    if (c.has_admission_key) out.admission_key = udpvpn::make_shared_key(c.admission_key);
    out.timers.rekey_after_time = c.rekey_after_time;
    out.timers.reject_after_time = c.reject_after_time;
    out.timers.rekey_grace = c.rekey_grace;
    out.timers.keepalive_interval = c.keepalive_interval;
    out.timers.dead_peer_timeout = c.dead_peer_timeout;
    out.timers.handshake_timeout = c.handshake_timeout;
    out.timers.handshake_pto = c.handshake_pto;
    out.timers.reverify_interval = c.reverify_interval;
    out.timers.control_rto = c.control_rto;
    out.reverify_on_rekey = c.reverify_on_rekey != 0;
    out.rekey_after_packets = c.rekey_after_packets;
    out.reject_after_packets = c.reject_after_packets;
    out.max_datagram = c.max_datagram;
    out.inner_mtu = static_cast<std::uint16_t>(udpvpn::inner_for_datagram(c.max_probe_datagram));
    out.inner_protocols = c.inner_protocols;
    return true;
}

std::shared_ptr<udpvpn::Rng> make_rng(const udpvpn_config& c) {
    if (c.random == nullptr) return std::make_shared<udpvpn::SystemRng>();
    return std::make_shared<CallbackRng>(c.random, c.random_user);
}

// A count of the C layout into size_t (what it may be is udpvpn::validate's to say).
bool to_size(std::uint64_t v, std::size_t& out) noexcept {
    if (v > SIZE_MAX) return false;
    out = static_cast<std::size_t>(v);
    return true;
}

int new_endpoint(udpvpn_endpoint** out, const udpvpn_config* config, const udpvpn_identity* identity,
                 const udpvpn_verifier* verifier, bool client) noexcept {
    if (out == nullptr) return UDPVPN_ERR_INVALID_ARGUMENT;
    *out = nullptr;
    if (identity == nullptr || verifier == nullptr || !verifier->verifier) return UDPVPN_ERR_INVALID_ARGUMENT;
    return guarded([&]() -> int {
        udpvpn_config c{};
        struct Wipe {   // our copy of the caller's configuration holds its keys
            udpvpn_config& c;
            ~Wipe() {
                sodium_memzero(c.admission_key, sizeof c.admission_key);
                sodium_memzero(c.cluster_key, sizeof c.cluster_key);
            }
        } const wipe_copy{c};
        udpvpn_config_init(&c);
        if (!copy_in(config, kConfigV1, c)) return UDPVPN_ERR_INVALID_ARGUMENT;
        auto h = std::make_unique<udpvpn_endpoint>();
        h->client = client;
        udpvpn::Result<std::unique_ptr<udpvpn::Endpoint>> made;
        if (client) {
            udpvpn::InitiatorConfig ic;
            if (!fill_common(c, ic)) return UDPVPN_ERR_INVALID_ARGUMENT;
            if (c.expected_server_name != nullptr)   // longer than 253 (a DNS name): refused by validate()
                ic.expected_server_name.assign(c.expected_server_name, strnlen(c.expected_server_name, 256));
            ic.allow_any_server_name = c.allow_any_server_name != 0;   // make_initiator refuses "" without it
            if (c.server.len > UDPVPN_ADDR_MAX) return UDPVPN_ERR_INVALID_ARGUMENT;
            ic.server = to_cpp(c.server);
            ic.pad_datagrams = c.pad_datagrams;
            made = udpvpn::Endpoint::make_initiator(ic, identity->identity, verifier->verifier,
                                                   make_rng(c));
        } else {
            udpvpn::ResponderConfig rc;
            if (!fill_common(c, rc)) return UDPVPN_ERR_INVALID_ARGUMENT;
            rc.server_id = c.server_id;
            if (c.has_cluster_key) rc.cluster_key = udpvpn::make_shared_key(c.cluster_key);
            rc.stateless_reset_rate = c.stateless_reset_rate;
            rc.cookie_clock_offset = c.cookie_clock_offset;
            if (!to_size(c.max_sessions, rc.max_sessions) || !to_size(c.max_half_open, rc.max_half_open) ||
                !to_size(c.cookie_threshold, rc.cookie_threshold))
                return UDPVPN_ERR_INVALID_ARGUMENT;
            if (c.early_data_limit > SIZE_MAX) return UDPVPN_ERR_INVALID_ARGUMENT;
            rc.early_data_limit = static_cast<std::size_t>(c.early_data_limit);
            made = udpvpn::Endpoint::make_responder(rc, identity->identity, verifier->verifier,
                                                   make_rng(c));
        }
        if (!made) return code(made.error);
        if (!made.value) return UDPVPN_ERR_INTERNAL;
        h->core = std::move(made.value);
        *out = h.release();
        return UDPVPN_OK;
    });
}

// udpvpn_config_push (caller's) -> ConfigPush. False if malformed.
bool push_from_c(const udpvpn_config_push& c, udpvpn::ConfigPush& out) {
    if (bad_buffer(c.routes4, c.n_routes4) || bad_buffer(c.routes6, c.n_routes6) ||
        bad_buffer(c.dns4, c.n_dns4) || bad_buffer(c.dns6, c.n_dns6))
        return false;
    if (c.has_ipv4) {
        if (c.ipv4.prefix > 32) return false;
        udpvpn::Ipv4Prefix p;
        std::memcpy(p.addr.data(), c.ipv4.addr, 4);
        p.prefix = c.ipv4.prefix;
        out.ipv4 = p;
    }
    if (c.has_ipv6) {
        if (c.ipv6.prefix > 128) return false;
        udpvpn::Ipv6Prefix p;
        std::memcpy(p.addr.data(), c.ipv6.addr, 16);
        p.prefix = c.ipv6.prefix;
        out.ipv6 = p;
    }
    for (std::size_t i = 0; i < c.n_routes4; ++i) {
        if (c.routes4[i].prefix > 32) return false;
        udpvpn::Ipv4Prefix p;
        std::memcpy(p.addr.data(), c.routes4[i].addr, 4);
        p.prefix = c.routes4[i].prefix;
        out.routes4.push_back(p);
    }
    for (std::size_t i = 0; i < c.n_routes6; ++i) {
        if (c.routes6[i].prefix > 128) return false;
        udpvpn::Ipv6Prefix p;
        std::memcpy(p.addr.data(), c.routes6[i].addr, 16);
        p.prefix = c.routes6[i].prefix;
        out.routes6.push_back(p);
    }
    for (std::size_t i = 0; i < c.n_dns4; ++i) {
        std::array<std::uint8_t, 4> a{};
        std::memcpy(a.data(), c.dns4 + 4 * i, 4);
        out.dns4.push_back(a);
    }
    for (std::size_t i = 0; i < c.n_dns6; ++i) {
        std::array<std::uint8_t, 16> a{};
        std::memcpy(a.data(), c.dns6 + 16 * i, 16);
        out.dns6.push_back(a);
    }
    if (c.has_mtu) out.mtu = c.mtu;
    return true;
}

// Event -> C view. Builds the new storage first, so a bad_alloc leaves the old one intact.
void event_to_c(const udpvpn::Event& e, udpvpn_endpoint::EventStorage& storage, udpvpn_event& out) {
    udpvpn_endpoint::EventStorage s;
    s.text = e.text;
    s.common_name = e.peer.common_name;
    s.fingerprint = e.peer.fingerprint_sha256;
    const udpvpn::ConfigPush& c = e.config;
    for (const auto& r : c.routes4) {
        udpvpn_ipv4_prefix p{};
        std::memcpy(p.addr, r.addr.data(), 4);
        p.prefix = r.prefix;
        s.routes4.push_back(p);
    }
    for (const auto& r : c.routes6) {
        udpvpn_ipv6_prefix p{};
        std::memcpy(p.addr, r.addr.data(), 16);
        p.prefix = r.prefix;
        s.routes6.push_back(p);
    }
    for (const auto& a : c.dns4) s.dns4.insert(s.dns4.end(), a.begin(), a.end());
    for (const auto& a : c.dns6) s.dns6.insert(s.dns6.end(), a.begin(), a.end());
    storage = std::move(s);   // no allocation: vectors and strings move

    udpvpn_config_push& p = storage.push;
    p = udpvpn_config_push{};
    p.size = sizeof p;
    if (c.ipv4) {
        p.has_ipv4 = 1;
        std::memcpy(p.ipv4.addr, c.ipv4->addr.data(), 4);
        p.ipv4.prefix = c.ipv4->prefix;
    }
    if (c.ipv6) {
        p.has_ipv6 = 1;
        std::memcpy(p.ipv6.addr, c.ipv6->addr.data(), 16);
        p.ipv6.prefix = c.ipv6->prefix;
    }
    p.routes4 = storage.routes4.empty() ? nullptr : storage.routes4.data();
    p.n_routes4 = storage.routes4.size();
    p.routes6 = storage.routes6.empty() ? nullptr : storage.routes6.data();
    p.n_routes6 = storage.routes6.size();
    p.dns4 = storage.dns4.empty() ? nullptr : storage.dns4.data();
    p.n_dns4 = c.dns4.size();
    p.dns6 = storage.dns6.empty() ? nullptr : storage.dns6.data();
    p.n_dns6 = c.dns6.size();
    if (c.mtu) {
        p.has_mtu = 1;
        p.mtu = *c.mtu;
    }

    out = udpvpn_event{};
    out.size = sizeof out;
    out.type = static_cast<int>(e.type) + 1;   // EventType starts at 0, the C enum at 1
    out.session = e.session;
    out.reason = code(e.reason);
    out.text = storage.text.c_str();
    out.peer_common_name = storage.common_name.c_str();
    out.peer_fingerprint = storage.fingerprint.c_str();
    out.suite = static_cast<int>(e.suite);
    out.address = to_c(e.address);
    out.epoch = e.epoch;
    out.config = e.type == udpvpn::EventType::config_received ? &storage.push : nullptr;
    out.token = e.token;
    out.mtu = e.mtu;
}

static_assert(static_cast<int>(udpvpn::EventType::established) + 1 == UDPVPN_EVENT_ESTABLISHED);
static_assert(static_cast<int>(udpvpn::EventType::control_message) + 1 == UDPVPN_EVENT_CONTROL_MESSAGE);

// Copies `s` (plus NUL) into buf; the udpvpn_endpoint_peer_identity contract.
int copy_string(const std::string& s, char* buf, std::size_t cap, std::size_t* len) noexcept {
    if (cap < s.size() + 1) {
        *len = s.size() + 1;
        return UDPVPN_ERR_BUFFER_TOO_SMALL;
    }
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    *len = s.size();
    return UDPVPN_OK;
}

bool overlaps(const void* a, std::size_t an, const void* b, std::size_t bn) noexcept {
    const auto x = reinterpret_cast<std::uintptr_t>(a), y = reinterpret_cast<std::uintptr_t>(b);
    return x < y + bn && y < x + an;
}

// ------------------------------------------------------------------------------------------------
// Batches: arrays of versioned items whose stride is the items' `size` (udpvpn.h, "Batches").

// Items converted per chunk on the stack: no allocation, whatever the batch size.
constexpr std::size_t kBatchChunk = 64;

// The items of a batch as the caller laid them out: `size` of the first is the stride of all.
template <typename T>
class ItemArray {
public:
    ItemArray(T* items, std::size_t count) noexcept
        : base_(reinterpret_cast<unsigned char*>(items)), count_(count),
          stride_(count && items ? items->size : sizeof(T)) {}
    T& operator[](std::size_t i) const noexcept { return *reinterpret_cast<T*>(base_ + i * stride_); }
    std::size_t size() const noexcept { return count_; }

    // Every item has the stride as its size, at least our layout (ABI 1's first), aligned, and a
    // newer caller's unknown tail is zero: otherwise we would misread the array.
    bool layout_ok() const noexcept {
        if (count_ == 0) return true;
        if (base_ == nullptr || count_ > static_cast<std::size_t>(INT32_MAX) || stride_ < sizeof(T) ||
            stride_ % alignof(T) != 0)
            return false;
        for (std::size_t i = 0; i < count_; ++i) {
            if ((*this)[i].size != stride_) return false;
            const unsigned char* item = base_ + i * stride_;
            for (std::size_t b = sizeof(T); b < stride_; ++b)
                if (item[b] != 0) return false;
        }
        return true;
    }

private:
    unsigned char* base_;
    std::size_t count_;
    std::size_t stride_;
};

// The inner packet lies exactly where sealing puts it (in place), or apart from `out`.
bool seal_item_ok(const udpvpn_seal_item& it) noexcept {
    if (it.inner == nullptr || it.inner_len == 0 || it.inner_len > UDPVPN_MAX_INNER || bad_buffer(it.out, it.out_cap) ||
        !valid_protocol(it.protocol))
        return false;
    if (it.out_cap < it.inner_len + UDPVPN_DATA_OVERHEAD) return true;   // BUFFER_TOO_SMALL, per item
    return it.inner == it.out + UDPVPN_DATA_INNER_OFFSET || !overlaps(it.inner, it.inner_len, it.out, it.out_cap);
}

bool receive_item_ok(const udpvpn_receive_item& it) noexcept {
    return !bad_buffer(it.from, it.from_len) && it.from_len <= UDPVPN_ADDR_MAX && it.datagram != nullptr &&
           it.datagram_len > 0 && it.datagram_len <= UDPVPN_MAX_DATAGRAM;
}

}  // namespace

// ================================================================================================
// The C entry points.

extern "C" {

int udpvpn_abi_version(void) { return UDPVPN_ABI_VERSION; }

const char* udpvpn_version_string(void) { return UDPVPN_VERSION_STRING; }

const char* udpvpn_strerror(int c) {
    if (c == UDPVPN_ERR_NO_MEMORY) return "out of memory";
    if (c > 0 || c < -255) return "unknown error";
    return udpvpn::to_string(static_cast<Error>(-c));
}

int udpvpn_err_is_fatal(int c) {
    if (c == UDPVPN_ERR_NO_MEMORY || c == UDPVPN_ERR_INTERNAL) return 1;
    return c <= -100 && c > -200 ? 1 : 0;
}

int udpvpn_err_is_drop(int c) { return c < 0 && c > -100 ? 1 : 0; }

// --- identities and verifiers -------------------------------------------------------------------

int udpvpn_identity_new(udpvpn_identity** out, const std::uint8_t* chain, std::size_t chain_len,
                        const std::uint8_t* key, std::size_t key_len) {
    if (out == nullptr) return UDPVPN_ERR_INVALID_ARGUMENT;
    *out = nullptr;
    if (chain == nullptr || key == nullptr || chain_len == 0 || key_len == 0 ||
        chain_len > kMaxCredentialInput || key_len > kMaxCredentialInput)
        return UDPVPN_ERR_INVALID_ARGUMENT;
    return guarded([&]() -> int {
        auto loaded = udpvpn::load_identity_pem({reinterpret_cast<const char*>(chain), chain_len},
                                                {reinterpret_cast<const char*>(key), key_len});
        if (!loaded) return code(loaded.error);
        *out = new udpvpn_identity{std::move(loaded.value)};
        return UDPVPN_OK;
    });
}

void udpvpn_identity_free(udpvpn_identity* identity) { delete identity; }

int udpvpn_verifier_new(udpvpn_verifier** out, const std::uint8_t* ca, std::size_t ca_len,
                        const std::uint8_t* crl, std::size_t crl_len, unsigned flags,
                        udpvpn_wall_clock_fn wall_clock, void* user) {
    if (out == nullptr) return UDPVPN_ERR_INVALID_ARGUMENT;
    *out = nullptr;
    if (ca == nullptr || ca_len == 0 || bad_buffer(crl, crl_len) || wall_clock == nullptr ||
        ca_len > kMaxCredentialInput || crl_len > kMaxCredentialInput ||
        (flags & ~(UDPVPN_VERIFY_REQUIRE_CRL | UDPVPN_VERIFY_ALLOW_EXPIRED_CRL | UDPVPN_VERIFY_ALLOW_NO_EKU)) != 0)
        return UDPVPN_ERR_INVALID_ARGUMENT;
    return guarded([&]() -> int {
        const std::string_view ca_in(reinterpret_cast<const char*>(ca), ca_len);
        const std::string_view crl_in(crl_len > 0 ? reinterpret_cast<const char*>(crl) : "", crl_len);
        udpvpn::VerifierPolicy policy;
        policy.require_crl = (flags & UDPVPN_VERIFY_REQUIRE_CRL) != 0;
        policy.reject_expired_crl = (flags & UDPVPN_VERIFY_ALLOW_EXPIRED_CRL) == 0;
        policy.allow_missing_eku = (flags & UDPVPN_VERIFY_ALLOW_NO_EKU) != 0;
        auto v = udpvpn::X509Verifier::create(ca_in, crl_in, policy,
                                              [wall_clock, user] { return wall_clock(user); });
        if (!v) return code(v.error);
        *out = new udpvpn_verifier{std::move(v.value)};
        return UDPVPN_OK;
    });
}

void udpvpn_verifier_free(udpvpn_verifier* verifier) { delete verifier; }

// --- configuration ------------------------------------------------------------------------------

int udpvpn_config_init(udpvpn_config* c) {
    if (c == nullptr) return UDPVPN_ERR_INVALID_ARGUMENT;
    const udpvpn::InitiatorConfig ic;   // the C++ defaults are the source of truth
    const udpvpn::ResponderConfig rc;
    *c = udpvpn_config{};
    c->size = sizeof *c;
    c->n_suites = 0;
    for (udpvpn::Suite s : ic.suites)
        if (c->n_suites < 4) c->suites[c->n_suites++] = static_cast<std::uint16_t>(s);
    c->rekey_after_time = ic.timers.rekey_after_time;
    c->reject_after_time = ic.timers.reject_after_time;
    c->rekey_grace = ic.timers.rekey_grace;
    c->keepalive_interval = ic.timers.keepalive_interval;
    c->dead_peer_timeout = ic.timers.dead_peer_timeout;
    c->handshake_timeout = ic.timers.handshake_timeout;
    c->handshake_pto = ic.timers.handshake_pto;
    c->reverify_interval = ic.timers.reverify_interval;
    c->control_rto = ic.timers.control_rto;
    c->reverify_on_rekey = ic.reverify_on_rekey ? 1 : 0;
    c->rekey_after_packets = ic.rekey_after_packets;
    c->reject_after_packets = ic.reject_after_packets;
    c->max_datagram = ic.max_datagram;
    c->max_probe_datagram = static_cast<std::uint16_t>(udpvpn::datagram_for_inner(ic.inner_mtu));
    c->inner_protocols = ic.inner_protocols;
    c->pad_datagrams = ic.pad_datagrams;
    c->server_id = rc.server_id;
    c->max_sessions = rc.max_sessions;
    c->max_half_open = rc.max_half_open;
    c->cookie_threshold = rc.cookie_threshold;
    c->early_data_limit = rc.early_data_limit;
    c->stateless_reset_rate = rc.stateless_reset_rate;
    c->cookie_clock_offset = rc.cookie_clock_offset;
    return UDPVPN_OK;
}

// --- endpoints ----------------------------------------------------------------------------------

int udpvpn_client_new(udpvpn_endpoint** out, const udpvpn_config* config, const udpvpn_identity* identity,
                      const udpvpn_verifier* verifier) {
    return new_endpoint(out, config, identity, verifier, true);
}

int udpvpn_server_new(udpvpn_endpoint** out, const udpvpn_config* config, const udpvpn_identity* identity,
                      const udpvpn_verifier* verifier) {
    return new_endpoint(out, config, identity, verifier, false);
}

void udpvpn_endpoint_free(udpvpn_endpoint* endpoint) {
    // Destructors of the core do not throw; a throwing one would terminate, never cross into C.
    delete endpoint;
}

int udpvpn_endpoint_connect(udpvpn_endpoint* endpoint, std::uint64_t now, std::uint32_t* session) {
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        if (!h.client) return UDPVPN_ERR_INVALID_STATE;
        auto r = h.core->connect(now);
        if (!r) return code(r.error);
        if (session != nullptr) *session = r.value;
        return UDPVPN_OK;
    });
}

int udpvpn_endpoint_receive(udpvpn_endpoint* endpoint, std::uint64_t now, const void* from, std::size_t from_len,
                            std::uint8_t* datagram, std::size_t datagram_len, udpvpn_received* result) {
    if (bad_buffer(from, from_len) || from_len > UDPVPN_ADDR_MAX || datagram == nullptr || datagram_len == 0 ||
        datagram_len > UDPVPN_MAX_DATAGRAM || (result != nullptr && !size_ok(result, kReceivedV1)))
        return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        const udpvpn::PeerAddress addr =
            udpvpn::PeerAddress::from({static_cast<const std::uint8_t*>(from), from_len});
        const udpvpn::Received r = h.core->receive(now, addr, {datagram, datagram_len});
        if (result != nullptr) {
            udpvpn_received c{};
            c.size = sizeof c;
            c.session = r.session;
            if (r.status == Error::ok && r.has_inner) {
                // The core decrypts in place: the view must lie inside the caller's buffer.
                const std::uint8_t* p = r.inner.data();
                if (p < datagram || p + r.inner.size() > datagram + datagram_len) return UDPVPN_ERR_INTERNAL;
                c.has_inner = 1;
                c.protocol = static_cast<int>(r.protocol);
                c.inner = datagram + (p - datagram);
                c.inner_len = r.inner.size();
            }
            copy_out(c, result);
        }
        return code(r.status);
    });
}

int udpvpn_endpoint_seal(udpvpn_endpoint* endpoint, std::uint64_t now, std::uint32_t session, int protocol,
                         const std::uint8_t* inner, std::size_t inner_len, std::uint8_t* out, std::size_t out_cap,
                         std::size_t* out_len, udpvpn_addr* to) {
    if (inner == nullptr || inner_len == 0 || inner_len > UDPVPN_MAX_INNER || bad_buffer(out, out_cap) ||
        out_len == nullptr || !valid_protocol(protocol))
        return UDPVPN_ERR_INVALID_ARGUMENT;
    const std::size_t needed = inner_len + UDPVPN_DATA_OVERHEAD;
    if (out_cap >= needed && overlaps(inner, inner_len, out, out_cap)) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        // Checked here so that a short buffer never costs a counter or changes any state.
        if (out_cap < needed) {
            *out_len = needed;
            return UDPVPN_ERR_BUFFER_TOO_SMALL;
        }
        const udpvpn::Sealed s = h.core->seal(now, session, static_cast<udpvpn::InnerProtocol>(protocol),
                                              {inner, inner_len}, {out, out_cap});
        if (s.status == Error::buffer_too_small) {
            *out_len = needed;
            return UDPVPN_ERR_BUFFER_TOO_SMALL;
        }
        if (s.status != Error::ok) return code(s.status);
        if (s.size > out_cap) return UDPVPN_ERR_INTERNAL;
        *out_len = s.size;
        if (to != nullptr) *to = to_c(s.to);
        return UDPVPN_OK;
    });
}

int udpvpn_endpoint_seal_batch(udpvpn_endpoint* endpoint, std::uint64_t now, udpvpn_seal_item* items,
                               std::size_t count) {
    const ItemArray<udpvpn_seal_item> a(items, count);
    if (!a.layout_ok()) return UDPVPN_ERR_INVALID_ARGUMENT;
    for (std::size_t i = 0; i < count; ++i)
        if (!seal_item_ok(a[i])) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        int sealed = 0;
        udpvpn::SealItem core[kBatchChunk];
        std::size_t index[kBatchChunk];
        for (std::size_t start = 0; start < count;) {
            // A short buffer is answered here, as udpvpn_endpoint_seal() does: it costs no counter.
            std::size_t n = 0;
            for (; start < count && n < kBatchChunk; ++start) {
                udpvpn_seal_item& it = a[start];
                const std::size_t needed = it.inner_len + UDPVPN_DATA_OVERHEAD;
                it.to = udpvpn_addr{};
                if (it.out_cap < needed) {
                    it.status = UDPVPN_ERR_BUFFER_TOO_SMALL;
                    it.out_len = needed;
                    continue;
                }
                core[n] = udpvpn::SealItem{it.session, static_cast<udpvpn::InnerProtocol>(it.protocol),
                                           {it.inner, it.inner_len}, {it.out, it.out_cap}, {}};
                index[n++] = start;
            }
            h.core->seal_batch(now, {core, n});
            for (std::size_t k = 0; k < n; ++k) {
                udpvpn_seal_item& it = a[index[k]];
                const udpvpn::Sealed& s = core[k].result;
                it.status = code(s.status);
                it.out_len = 0;
                if (s.status == Error::buffer_too_small) it.out_len = it.inner_len + UDPVPN_DATA_OVERHEAD;
                if (s.status != Error::ok) continue;
                if (s.size > it.out_cap) return UDPVPN_ERR_INTERNAL;
                it.out_len = s.size;
                it.to = to_c(s.to);
                ++sealed;
            }
        }
        return sealed;
    });
}

int udpvpn_endpoint_receive_batch(udpvpn_endpoint* endpoint, std::uint64_t now, udpvpn_receive_item* items,
                                  std::size_t count) {
    const ItemArray<udpvpn_receive_item> a(items, count);
    if (!a.layout_ok()) return UDPVPN_ERR_INVALID_ARGUMENT;
    for (std::size_t i = 0; i < count; ++i)
        if (!receive_item_ok(a[i])) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        int delivered = 0;
        udpvpn::ReceiveItem core[kBatchChunk];
        for (std::size_t start = 0; start < count; start += kBatchChunk) {
            const std::size_t n = std::min(kBatchChunk, count - start);
            for (std::size_t k = 0; k < n; ++k) {
                const udpvpn_receive_item& it = a[start + k];
                core[k].from = udpvpn::PeerAddress::from({static_cast<const std::uint8_t*>(it.from), it.from_len});
                core[k].datagram = {it.datagram, it.datagram_len};
                core[k].result = {};
            }
            h.core->receive_batch(now, {core, n});
            for (std::size_t k = 0; k < n; ++k) {
                udpvpn_receive_item& it = a[start + k];
                const udpvpn::Received& r = core[k].result;
                it.status = code(r.status);
                it.session = r.session;
                it.has_inner = 0;
                it.protocol = 0;
                it.inner = nullptr;
                it.inner_len = 0;
                if (r.status != Error::ok || !r.has_inner) continue;
                // The core decrypts in place: the view must lie inside this item's buffer.
                const std::uint8_t* p = r.inner.data();
                if (p < it.datagram || p + r.inner.size() > it.datagram + it.datagram_len) return UDPVPN_ERR_INTERNAL;
                it.has_inner = 1;
                it.protocol = static_cast<int>(r.protocol);
                it.inner = it.datagram + (p - it.datagram);
                it.inner_len = r.inner.size();
                ++delivered;
            }
        }
        return delivered;
    });
}

int udpvpn_endpoint_poll_datagram(udpvpn_endpoint* endpoint, std::uint8_t* out, std::size_t out_cap,
                                  std::size_t* out_len, udpvpn_addr* to) {
    if (bad_buffer(out, out_cap) || out_len == nullptr) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        udpvpn::PeerAddress dst;
        const auto r = h.core->poll_datagram({out, out_cap}, dst);
        if (r.error == Error::buffer_too_small) {
            *out_len = r.value;
            return UDPVPN_ERR_BUFFER_TOO_SMALL;
        }
        if (!r) return code(r.error);
        if (r.value > out_cap) return UDPVPN_ERR_INTERNAL;
        *out_len = r.value;
        if (r.value == 0) return 0;
        if (to != nullptr) *to = to_c(dst);
        return 1;
    });
}

int udpvpn_endpoint_poll_inner(udpvpn_endpoint* endpoint, std::uint8_t* out, std::size_t out_cap,
                               std::size_t* out_len, std::uint32_t* session, int* protocol) {
    if (bad_buffer(out, out_cap) || out_len == nullptr) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        const auto r = h.core->poll_inner({out, out_cap});
        if (r.error == Error::buffer_too_small) {
            *out_len = r.value.size;
            return UDPVPN_ERR_BUFFER_TOO_SMALL;
        }
        if (!r) return code(r.error);
        if (r.value.size > out_cap) return UDPVPN_ERR_INTERNAL;
        *out_len = r.value.size;
        if (r.value.size == 0) return 0;
        if (session != nullptr) *session = r.value.session;
        if (protocol != nullptr) *protocol = static_cast<int>(r.value.protocol);
        return 1;
    });
}

int udpvpn_endpoint_poll_event(udpvpn_endpoint* endpoint, udpvpn_event* event) {
    if (!size_ok(event, kEventV1)) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        if (!h.pending) h.pending = h.core->poll_event();
        if (!h.pending) return 0;
        // A failed conversion keeps the event queued and does not poison the endpoint.
        udpvpn_event c{};
        const int rc = guarded([&]() -> int {
            event_to_c(*h.pending, h.last_event, c);
            return UDPVPN_OK;
        });
        if (rc != UDPVPN_OK) return rc;
        h.pending.reset();
        copy_out(c, event);
        return 1;
    });
}

int udpvpn_endpoint_next_deadline(const udpvpn_endpoint* endpoint, std::uint64_t* deadline) {
    if (deadline == nullptr) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint_const(endpoint, [&](const udpvpn_endpoint& h) -> int {
        *deadline = h.core->next_deadline();
        return UDPVPN_OK;
    });
}

int udpvpn_endpoint_handle_timeout(udpvpn_endpoint* endpoint, std::uint64_t now) {
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        h.core->handle_timeout(now);
        return UDPVPN_OK;
    });
}

int udpvpn_endpoint_push_config(udpvpn_endpoint* endpoint, std::uint64_t now, std::uint32_t session,
                                const udpvpn_config_push* config) {
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        udpvpn_config_push c{};
        if (!copy_in(config, kConfigPushV1, c)) return UDPVPN_ERR_INVALID_ARGUMENT;
        if (h.client) return UDPVPN_ERR_INVALID_STATE;
        udpvpn::ConfigPush push;
        if (!push_from_c(c, push)) return UDPVPN_ERR_INVALID_ARGUMENT;
        return code(h.core->push_config(now, session, push));
    });
}

int udpvpn_endpoint_ping(udpvpn_endpoint* endpoint, std::uint64_t now, std::uint32_t session, std::uint64_t token) {
    return with_endpoint(endpoint,
                         [&](udpvpn_endpoint& h) -> int { return code(h.core->ping(now, session, token)); });
}

int udpvpn_endpoint_close(udpvpn_endpoint* endpoint, std::uint64_t now, std::uint32_t session, const char* text) {
    std::size_t n = 0;
    if (text != nullptr) {
        n = strnlen(text, kMaxCloseText + 1);
        if (n > kMaxCloseText) return UDPVPN_ERR_INVALID_ARGUMENT;
    }
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        return code(h.core->close(now, session, Error::closed_locally, std::string_view(text ? text : "", n)));
    });
}

int udpvpn_endpoint_rekey(udpvpn_endpoint* endpoint, std::uint64_t now, std::uint32_t session) {
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int { return code(h.core->rekey(now, session)); });
}

int udpvpn_endpoint_reverify_certificates(udpvpn_endpoint* endpoint, std::uint64_t now) {
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        h.core->reverify_certificates(now);
        return UDPVPN_OK;
    });
}

int udpvpn_endpoint_set_verifier(udpvpn_endpoint* endpoint, std::uint64_t now, const udpvpn_verifier* verifier) {
    if (verifier == nullptr || !verifier->verifier) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint(endpoint, [&](udpvpn_endpoint& h) -> int {
        h.core->set_verifier(now, verifier->verifier);
        return UDPVPN_OK;
    });
}

int udpvpn_endpoint_sessions(const udpvpn_endpoint* endpoint, std::uint32_t* out, std::size_t cap,
                             std::size_t* count) {
    if (count == nullptr || bad_buffer(out, cap)) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint_const(endpoint, [&](const udpvpn_endpoint& h) -> int {
        const std::vector<udpvpn::SessionId> ids = h.core->sessions();
        *count = ids.size();
        if (cap < ids.size()) return UDPVPN_ERR_BUFFER_TOO_SMALL;
        std::copy(ids.begin(), ids.end(), out);
        return UDPVPN_OK;
    });
}

int udpvpn_endpoint_session_info(const udpvpn_endpoint* endpoint, std::uint32_t session,
                                 udpvpn_session_info* info) {
    if (!size_ok(info, kSessionInfoV1)) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint_const(endpoint, [&](const udpvpn_endpoint& h) -> int {
        const auto i = h.core->session_info(session);
        if (!i) return UDPVPN_ERR_NOT_FOUND;
        udpvpn_session_info c{};
        c.size = sizeof c;
        c.session = i->session;
        c.established = i->established ? 1 : 0;
        c.suite = static_cast<int>(i->suite);
        c.address = to_c(i->address);
        c.epoch = i->epoch;
        c.established_at = i->established_at;
        c.last_handshake = i->last_handshake;
        c.tx_bytes = i->tx_bytes;
        c.rx_bytes = i->rx_bytes;
        c.tx_packets = i->tx_packets;
        c.rx_packets = i->rx_packets;
        c.inner_mtu = i->inner_mtu;
        c.peer_not_after = i->peer.not_after_unix;
        copy_out(c, info);
        return UDPVPN_OK;
    });
}

int udpvpn_endpoint_peer_identity(const udpvpn_endpoint* endpoint, std::uint32_t session, int field,
                                  std::size_t index, char* buf, std::size_t cap, std::size_t* len) {
    if (len == nullptr || bad_buffer(buf, cap)) return UDPVPN_ERR_INVALID_ARGUMENT;
    if (field < UDPVPN_PEER_COMMON_NAME || field > UDPVPN_PEER_ORGANIZATIONAL_UNIT) return UDPVPN_ERR_INVALID_ARGUMENT;
    const bool listed = field == UDPVPN_PEER_DNS_NAME || field == UDPVPN_PEER_EMAIL || field == UDPVPN_PEER_URI ||
                        field == UDPVPN_PEER_ORGANIZATIONAL_UNIT;
    if (!listed && index != 0) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint_const(endpoint, [&](const udpvpn_endpoint& h) -> int {
        const auto i = h.core->session_info(session);
        if (!i) return UDPVPN_ERR_NOT_FOUND;
        if (!i->established) return UDPVPN_ERR_INVALID_STATE;
        switch (field) {
        case UDPVPN_PEER_COMMON_NAME: return copy_string(i->peer.common_name, buf, cap, len);
        case UDPVPN_PEER_FINGERPRINT: return copy_string(i->peer.fingerprint_sha256, buf, cap, len);
        case UDPVPN_PEER_SUBJECT: return copy_string(i->peer.subject, buf, cap, len);
        case UDPVPN_PEER_ISSUER: return copy_string(i->peer.issuer, buf, cap, len);
        case UDPVPN_PEER_ORGANIZATIONAL_UNIT: {
            const auto groups = udpvpn::organizational_units(i->peer);
            if (index >= groups.size()) return UDPVPN_ERR_NOT_FOUND;
            return copy_string(groups[index], buf, cap, len);
        }
        default: {
            const auto& list = field == UDPVPN_PEER_DNS_NAME ? i->peer.dns_names
                               : field == UDPVPN_PEER_EMAIL  ? i->peer.email_names
                                                             : i->peer.uri_names;
            if (index >= list.size()) return UDPVPN_ERR_NOT_FOUND;
            return copy_string(list[index], buf, cap, len);
        }
        }
    });
}

int udpvpn_endpoint_stats(const udpvpn_endpoint* endpoint, udpvpn_stats* stats) {
    if (!size_ok(stats, kStatsV1)) return UDPVPN_ERR_INVALID_ARGUMENT;
    return with_endpoint_const(endpoint, [&](const udpvpn_endpoint& h) -> int {
        const udpvpn::EndpointStats& s = h.core->stats();
        udpvpn_stats c{};
        c.size = sizeof c;
        std::memcpy(c.dropped, s.dropped, sizeof c.dropped);
        c.sessions = s.sessions;
        c.half_open = s.half_open;
        c.retries_sent = s.retries_sent;
        c.handshakes_completed = s.handshakes_completed;
        c.resets_sent = s.resets_sent;
        c.resets_rate_limited = s.resets_rate_limited;
        c.resets_received = s.resets_received;
        copy_out(c, stats);
        return UDPVPN_OK;
    });
}

}  // extern "C"
