// SPDX-License-Identifier: GPL-3.0-or-later
// The C ABI (bindings/c/include/udpvpn.h) where a caller hands it bytes: certificate, key, CA and
// CRL loading in PEM or DER, and the size-prefixed structs (`size` first, read and written only as
// far as the caller's size says).
// Input: mode (1), then
//   mode % 3 == 0: identity: len (2, big-endian) | chain (len bytes) | key (the rest)
//   mode % 3 == 1: verifier: flags (1) | len (2) | CA (len bytes) | CRLs (the rest)
//   mode % 3 == 2: a struct: which (1) | declared size (2) | its bytes (the rest; zero-filled)
//     which % 6: 0 udpvpn_config (server_new and client_new), 1 udpvpn_config_push (push_config),
//     2 udpvpn_event (poll_event), 3 udpvpn_session_info, 4 udpvpn_stats, 5 udpvpn_received
//     (receive of the bytes after the struct); but which >= 224: an array of 1..4 batch items,
//     udpvpn_seal_item (seal_batch) if which is even, else udpvpn_receive_item (receive_batch)
//     of the datagram after the items.
//     The struct (array) lives in a heap block of exactly its declared size (at least
//     sizeof(size_t)), so ASan reports any access past it; its pointer fields, where the size
//     covers them, are replaced by valid ones.
// Invariants: no crash or sanitizer report; *out is set exactly on success; every error is one the
// header documents for that call; a size below the first released layout is INVALID_ARGUMENT;
// output structs keep the caller's size and read as zero past sizeof.
#include "harness.hpp"
#include "harness_support.hpp"

#include "udpvpn.h"

#include <cstddef>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

using udpvpn::fuzz::check;

namespace {

std::string read_pki(const char* file) {
    const char* env = std::getenv("UDPVPN_TEST_PKI");
    const std::string path = std::string(env && *env ? env : UDPVPN_SOURCE_PKI) + "/" + file;
    std::ifstream in(path, std::ios::binary);
    check(static_cast<bool>(in), "test PKI readable (set UDPVPN_TEST_PKI)");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::int64_t fixed_clock(void*) { return 1780272000; }

const std::uint8_t* u8(const std::string& s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

bool one_of(int rc, std::initializer_list<int> allowed) {
    for (int a : allowed)
        if (rc == a) return true;
    return false;
}

// Made once through the C ABI itself: our identity, the verifier and a server endpoint.
struct Fixture {
    udpvpn_identity* identity = nullptr;
    udpvpn_verifier* verifier = nullptr;
    udpvpn_endpoint* server = nullptr;
};
const Fixture& fixture() {
    static const Fixture* f = [] {
        auto* x = new Fixture;
        const std::string crt = read_pki("server.crt"), key = read_pki("server.key"), ca = read_pki("ca.crt");
        check(udpvpn_identity_new(&x->identity, u8(crt), crt.size(), u8(key), key.size()) == 0, "fixture identity");
        check(udpvpn_verifier_new(&x->verifier, u8(ca), ca.size(), nullptr, 0, 0, fixed_clock, nullptr) == 0,
              "fixture verifier");
        udpvpn_config c;
        udpvpn_config_init(&c);
        check(udpvpn_server_new(&x->server, &c, x->identity, x->verifier) == 0, "fixture server");
        return x;
    }();
    return *f;
}

void load_identity(const std::uint8_t* d, std::size_t n) {
    if (n < 2) return;
    const std::size_t len = std::min<std::size_t>((std::size_t{d[0]} << 8) | d[1], n - 2);
    const std::uint8_t* chain = d + 2;
    const std::uint8_t* key = chain + len;
    const std::size_t key_len = n - 2 - len;
    udpvpn_identity* id = reinterpret_cast<udpvpn_identity*>(&id);   // must be overwritten
    const int rc = udpvpn_identity_new(&id, chain, len, key, key_len);
    check(one_of(rc, {0, UDPVPN_ERR_INVALID_ARGUMENT, UDPVPN_ERR_CERT_UNSUPPORTED_KEY, UDPVPN_ERR_NO_MEMORY,
                      UDPVPN_ERR_INTERNAL}),
          "udpvpn_identity_new: undocumented error");
    check((rc == 0) == (id != nullptr), "udpvpn_identity_new: *out set exactly on success");
    if (rc != 0) return;
    // What loads must be usable: a server endpoint takes it.
    udpvpn_config c;
    udpvpn_config_init(&c);
    udpvpn_endpoint* ep = nullptr;
    check(udpvpn_server_new(&ep, &c, id, fixture().verifier) == 0, "a loaded identity makes a server");
    udpvpn_endpoint_free(ep);
    udpvpn_identity_free(id);
}

void load_verifier(const std::uint8_t* d, std::size_t n) {
    if (n < 3) return;
    const unsigned flags = d[0] & 0x0F;   // bit 3 is not a flag: must be refused
    const std::size_t len = std::min<std::size_t>((std::size_t{d[1]} << 8) | d[2], n - 3);
    const std::uint8_t* ca = d + 3;
    const std::uint8_t* crl = ca + len;
    udpvpn_verifier* v = reinterpret_cast<udpvpn_verifier*>(&v);
    const int rc = udpvpn_verifier_new(&v, ca, len, crl, n - 3 - len, flags, fixed_clock, nullptr);
    check(one_of(rc, {0, UDPVPN_ERR_INVALID_ARGUMENT, UDPVPN_ERR_NO_MEMORY, UDPVPN_ERR_INTERNAL}),
          "udpvpn_verifier_new: undocumented error");
    check((rc == 0) == (v != nullptr), "udpvpn_verifier_new: *out set exactly on success");
    if (flags & 8) check(rc == UDPVPN_ERR_INVALID_ARGUMENT, "udpvpn_verifier_new accepts an unknown flag");
    udpvpn_verifier_free(v);
}

// A struct of the caller's declared size in a block of exactly that size.
struct Block {
    std::vector<std::uint8_t> storage;   // heap, exactly `size` bytes
    template <typename T>
    T* as() { return reinterpret_cast<T*>(storage.data()); }
    template <typename T, typename F>
    bool covers(F T::*field) const {
        const T* t = nullptr;
        const auto off = reinterpret_cast<std::size_t>(&(t->*field));
        return off + sizeof(F) <= storage.size();
    }
};

template <typename T>
void output_kept(Block& b, std::size_t declared) {
    check(b.as<T>()->size == declared, "an output struct's size changed");
    for (std::size_t i = sizeof(T); i < declared; ++i) check(b.storage[i] == 0, "an output struct's tail past sizeof is not zero");
}

// An array of batch items of the declared size each (the stride), pointers replaced by buffers.
// Bit 3 of `which` gives the last item another size: the whole call must then be refused.
template <typename Item>
void batch_items(std::uint8_t which, std::size_t declared, const std::uint8_t* d, std::size_t n) {
    const std::size_t count = 1 + ((which >> 1) & 3);
    const bool mixed = (which & 8) && count > 1;
    Block b;
    b.storage.assign(declared * count, 0);
    std::memcpy(b.storage.data(), d, std::min(b.storage.size(), n));
    static std::uint8_t bufs[4][4200];   // out (or datagram) at 0, a separate inner at 2100
    // from_len goes up to 39 (past UDPVPN_ADDR_MAX, to be refused): the buffer holds that many bytes.
    static const std::uint8_t from[40] = {192, 0, 2, 1, 0x13, 0x37};
    bool layout_ok = declared >= sizeof(Item) && declared % alignof(Item) == 0 && !mixed;
    for (std::size_t i = 0; i < count; ++i) {
        std::uint8_t* item = b.storage.data() + i * declared;
        const std::size_t size = mixed && i == count - 1 ? declared - sizeof(std::size_t) : declared;
        std::memcpy(item, &size, sizeof size);
        if (declared < sizeof(Item) || declared % alignof(Item) != 0) continue;
        for (std::size_t k = sizeof(Item); k < declared; ++k) layout_ok &= item[k] == 0;
        Item& it = *reinterpret_cast<Item*>(item);
        if constexpr (std::is_same_v<Item, udpvpn_seal_item>) {
            it.inner_len %= 2100;
            it.out_cap %= 2100;
            it.inner = (it.protocol & 0x100) ? bufs[i] + UDPVPN_DATA_INNER_OFFSET : bufs[i] + 2100;
            it.out = bufs[i];
            it.protocol &= 0xFF;
        } else {
            it.from = from;
            it.from_len %= 40;
            it.datagram_len %= 2100;
            it.datagram = bufs[i];
            // The bytes after the items are every item's datagram.
            std::memset(bufs[i], 0, 2100);
            if (n > b.storage.size()) std::memcpy(bufs[i], d + b.storage.size(), std::min<std::size_t>(n - b.storage.size(), 2100));
        }
    }
    const Fixture& f = fixture();
    Item* items = reinterpret_cast<Item*>(b.storage.data());
    int rc;
    if constexpr (std::is_same_v<Item, udpvpn_seal_item>) {
        rc = udpvpn_endpoint_seal_batch(f.server, 1, items, count);
    } else {
        udpvpn_config c;
        udpvpn_config_init(&c);
        udpvpn_endpoint* ep = nullptr;
        check(udpvpn_server_new(&ep, &c, f.identity, f.verifier) == 0, "a server per input");
        rc = udpvpn_endpoint_receive_batch(ep, 1, items, count);
        udpvpn_endpoint_free(ep);
    }
    check(rc == UDPVPN_ERR_INVALID_ARGUMENT || (rc >= 0 && static_cast<std::size_t>(rc) <= count),
          "batch: undocumented result");
    if (!layout_ok) check(rc == UDPVPN_ERR_INVALID_ARGUMENT, "batch accepts a bad item layout");
    if (rc < 0) return;
    for (std::size_t i = 0; i < count; ++i) {
        const Item& it = *reinterpret_cast<const Item*>(b.storage.data() + i * declared);
        if constexpr (std::is_same_v<Item, udpvpn_seal_item>) {
            // The fixture server has no session: nothing can be sealed.
            check(one_of(it.status, {UDPVPN_ERR_NOT_FOUND, UDPVPN_ERR_BUFFER_TOO_SMALL}), "seal_batch: undocumented item status");
        } else {
            check(it.status == 0 || udpvpn_err_is_drop(it.status), "receive_batch: an item status is not a drop code");
            if (it.has_inner) check(it.inner >= it.datagram && it.inner + it.inner_len <= it.datagram + it.datagram_len,
                                    "receive_batch: inner outside its datagram");
        }
    }
}

void fill_struct(const std::uint8_t* d, std::size_t n) {
    if (n < 3) return;
    if (d[0] >= 224) {
        const std::size_t item = (d[0] & 1) ? sizeof(udpvpn_receive_item) : sizeof(udpvpn_seal_item);
        const std::size_t declared = std::max<std::size_t>(((std::size_t{d[1]} << 8) | d[2]) % (item + 65), sizeof(std::size_t));
        if (d[0] & 1) batch_items<udpvpn_receive_item>(d[0], declared, d + 3, n - 3);
        else batch_items<udpvpn_seal_item>(d[0], declared, d + 3, n - 3);
        return;
    }
    const std::uint8_t which = d[0] % 6;
    static constexpr std::size_t kSizes[6] = {sizeof(udpvpn_config), sizeof(udpvpn_config_push), sizeof(udpvpn_event),
                                              sizeof(udpvpn_session_info), sizeof(udpvpn_stats), sizeof(udpvpn_received)};
    const std::size_t declared = std::max<std::size_t>(((std::size_t{d[1]} << 8) | d[2]) % (kSizes[which] + 65), sizeof(std::size_t));
    Block b;
    b.storage.assign(declared, 0);
    const std::size_t body = std::min(declared, n - 3);
    std::memcpy(b.storage.data(), d + 3, body);
    std::memcpy(b.storage.data(), &declared, sizeof declared);   // `size` is the declared size
    const std::uint8_t* rest = d + 3 + body;
    const std::size_t rest_len = n - 3 - body;
    const Fixture& f = fixture();
    switch (which) {
    case 0: {
        auto* c = b.as<udpvpn_config>();
        if (b.covers(&udpvpn_config::expected_server_name))
            c->expected_server_name = (d[0] & 0x40) ? "vpn.example.test" : nullptr;
        if (b.covers(&udpvpn_config::random)) c->random = nullptr;
        if (b.covers(&udpvpn_config::random_user)) c->random_user = nullptr;
        for (int role = 0; role < 2; ++role) {
            udpvpn_endpoint* ep = reinterpret_cast<udpvpn_endpoint*>(&ep);
            const int rc = role == 0 ? udpvpn_server_new(&ep, c, f.identity, f.verifier)
                                     : udpvpn_client_new(&ep, c, f.identity, f.verifier);
            check(one_of(rc, {0, UDPVPN_ERR_INVALID_ARGUMENT, UDPVPN_ERR_NO_MEMORY, UDPVPN_ERR_INTERNAL}),
                  "endpoint_new: undocumented error");
            check((rc == 0) == (ep != nullptr), "endpoint_new: *out set exactly on success");
            if (declared < offsetof(udpvpn_config, allow_any_server_name))
                check(rc == UDPVPN_ERR_INVALID_ARGUMENT, "endpoint_new accepts a config below ABI 1's layout");
            if (rc == 0 && role == 1) {
                std::uint32_t sid = 0;
                check(udpvpn_endpoint_connect(ep, 1, &sid) == 0, "connect on a new client");
            }
            udpvpn_endpoint_free(ep);
        }
        break;
    }
    case 1: {
        auto* p = b.as<udpvpn_config_push>();
        static udpvpn_ipv4_prefix r4[64];
        static udpvpn_ipv6_prefix r6[64];
        static std::uint8_t dns[64 * 16];
        auto fix = [&](auto ptr_field, auto n_field, auto* array) {
            if (!b.covers(ptr_field) || !b.covers(n_field)) return;
            (p->*n_field) %= 65;
            p->*ptr_field = ((p->*n_field) == 0 && (d[0] & 0x40)) ? nullptr : array;
        };
        fix(&udpvpn_config_push::routes4, &udpvpn_config_push::n_routes4, r4);
        fix(&udpvpn_config_push::routes6, &udpvpn_config_push::n_routes6, r6);
        fix(&udpvpn_config_push::dns4, &udpvpn_config_push::n_dns4, dns);
        fix(&udpvpn_config_push::dns6, &udpvpn_config_push::n_dns6, dns);
        const int rc = udpvpn_endpoint_push_config(f.server, 1, 0x01020304, p);
        check(one_of(rc, {UDPVPN_ERR_INVALID_ARGUMENT, UDPVPN_ERR_NOT_FOUND}), "push_config: undocumented error");
        if (declared < sizeof(udpvpn_config_push)) check(rc == UDPVPN_ERR_INVALID_ARGUMENT, "push_config accepts a short struct");
        break;
    }
    case 2: {
        const int rc = udpvpn_endpoint_poll_event(f.server, b.as<udpvpn_event>());
        check(one_of(rc, {0, 1, UDPVPN_ERR_INVALID_ARGUMENT}), "poll_event: undocumented error");
        if (declared < sizeof(udpvpn_event)) check(rc == UDPVPN_ERR_INVALID_ARGUMENT, "poll_event accepts a short struct");
        break;
    }
    case 3: {
        const int rc = udpvpn_endpoint_session_info(f.server, 0x01020304, b.as<udpvpn_session_info>());
        check(one_of(rc, {UDPVPN_ERR_INVALID_ARGUMENT, UDPVPN_ERR_NOT_FOUND}), "session_info: undocumented error");
        if (declared < sizeof(udpvpn_session_info)) check(rc == UDPVPN_ERR_INVALID_ARGUMENT, "session_info accepts a short struct");
        break;
    }
    case 4: {
        const int rc = udpvpn_endpoint_stats(f.server, b.as<udpvpn_stats>());
        check(one_of(rc, {0, UDPVPN_ERR_INVALID_ARGUMENT}), "stats: undocumented error");
        // ABI 1's first layout (up to handshakes_completed) is still accepted and filled.
        check((rc == 0) == (declared >= offsetof(udpvpn_stats, resets_sent)),
              "stats: a struct below ABI 1's layout refused, any other filled");
        if (rc == 0) output_kept<udpvpn_stats>(b, declared);
        break;
    }
    default: {
        // A fresh server per input, so that inputs do not depend on each other.
        udpvpn_config c;
        udpvpn_config_init(&c);
        udpvpn_endpoint* ep = nullptr;
        check(udpvpn_server_new(&ep, &c, f.identity, f.verifier) == 0, "a server per input");
        const std::uint8_t from[6] = {192, 0, 2, 1, 0x13, 0x37};
        std::vector<std::uint8_t> dg(rest, rest + rest_len);
        const int rc = udpvpn_endpoint_receive(ep, 1, from, sizeof from, dg.data(), dg.size(), b.as<udpvpn_received>());
        check(rc != UDPVPN_ERR_INTERNAL && rc != UDPVPN_ERR_NO_MEMORY, "receive poisons the endpoint");
        if (declared < sizeof(udpvpn_received) || dg.empty())
            check(rc == UDPVPN_ERR_INVALID_ARGUMENT, "receive accepts a short result struct or no datagram");
        if (rc == 0) output_kept<udpvpn_received>(b, declared);
        std::vector<std::uint8_t> out(UDPVPN_MAX_DATAGRAM);
        for (int i = 0; i < 16; ++i) {
            std::size_t len = 0;
            const int r = udpvpn_endpoint_poll_datagram(ep, out.data(), out.size(), &len, nullptr);
            check(r == 0 || r == 1, "poll_datagram with UDPVPN_MAX_DATAGRAM bytes");
            if (r == 0) break;
        }
        udpvpn_endpoint_free(ep);
        break;
    }
    }
}

}  // namespace

int run_c_abi(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    switch (data[0] % 3) {
    case 0: load_identity(data + 1, size - 1); break;
    case 1: load_verifier(data + 1, size - 1); break;
    default: fill_struct(data + 1, size - 1); break;
    }
    return 0;
}
