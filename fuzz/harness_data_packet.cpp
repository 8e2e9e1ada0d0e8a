// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target for DATA packets (docs/rfc-draft.txt, "DATA"): any datagram goes through the
// receive path (parse, replay check, open in place with a fixed key of each suite, commit) without
// crashing; a datagram that opens is one we sealed (the seeds in corpus/data_packet are sealed under
// the same keys). Second property: sealing the input as plaintext round-trips exactly.
#include "harness.hpp"

#include "data_packet.hpp"
#include "replay_window.hpp"

#include <cstdlib>
#include <cstring>
#include <vector>

using namespace udpvpn;

namespace {

// c_data_key / c_data_iv of tests/vectors/key_schedule.vec, handshake-no-admission-key: the seeds are
// the datagrams of tests/vectors/data_packet.vec.
TrafficKeys fixed_keys() {
    static const std::uint8_t key[32] = {0x4b, 0x59, 0x6c, 0x7d, 0xfa, 0x6e, 0x2d, 0x70, 0x56, 0x43, 0x13, 0x37, 0x58, 0xa3, 0x86, 0xc7,
                                         0xf4, 0x4a, 0xa0, 0xe6, 0x59, 0x3f, 0x1a, 0x71, 0x51, 0xc7, 0xcd, 0x48, 0x92, 0x7f, 0x67, 0x78};
    static const std::uint8_t iv[12] = {0xe8, 0x5c, 0x3b, 0x1d, 0x0a, 0x7a, 0xa5, 0x43, 0x09, 0xe1, 0x46, 0xf1};
    TrafficKeys k;
    k.key.assign(key);
    k.iv.assign(iv);
    return k;
}

void receive(const AeadKey& key, ReplayWindow& win, const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> dg(data, data + size);   // own copy: opening works in place
    const auto h = parse_data_header(dg);
    if (!h.ok()) return;
    if (h.value.key_phase > 1 || static_cast<std::uint8_t>(h.value.payload) > 4) std::abort();
    if (!win.check(h.value.counter)) return;
    const auto r = open_data(key, h.value, dg);
    if (!r.ok()) return;
    if (r.value.size() + kDataHeaderSize + kAeadTagSize != size) std::abort();
    if (!win.commit(h.value.counter) || win.check(h.value.counter)) std::abort();
}

}  // namespace

int run_data_packet(const std::uint8_t* data, std::size_t size) {
    static const AeadKey chacha(Suite::chacha20_poly1305, fixed_keys());
    static const AeadKey aes(Suite::aes256_gcm, fixed_keys());   // invalid (opens nothing) without AES-NI
    ReplayWindow win;
    receive(chacha, win, data, size);
    receive(aes, win, data, size);

    // Round trip: header fields from the first bytes, the rest as plaintext.
    if (size >= 1 && size <= 4096) {
        const DataHeader h{static_cast<std::uint8_t>(data[0] & 1), static_cast<PayloadType>((data[0] >> 1) % 5),
                           0x01020304, size * 0x9e3779b97f4a7c15ULL};
        std::vector<std::uint8_t> out(size - 1 + kDataHeaderSize + kAeadTagSize);
        const auto n = seal_data(chacha, h, ByteView(data + 1, size - 1), out);
        if (!n.ok() || n.value != out.size()) std::abort();
        const auto ph = parse_data_header(out);
        if (!ph.ok() || ph.value.counter != h.counter || ph.value.payload != h.payload || ph.value.key_phase != h.key_phase) std::abort();
        const auto r = open_data(chacha, ph.value, out);
        if (!r.ok() || r.value.size() != size - 1 || (size > 1 && std::memcmp(r.value.data(), data + 1, size - 1) != 0)) std::abort();
    }
    return 0;
}
