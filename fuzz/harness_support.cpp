// SPDX-License-Identifier: GPL-3.0-or-later
#include "harness_support.hpp"

#include "key_schedule.hpp"
#include "transcript.hpp"
#include "wire_format.hpp"

#include <udpvpn/endpoint.hpp>
#include <udpvpn/rng.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace udpvpn::fuzz {
namespace {

std::string read_pki(const std::string& file) {
    const char* env = std::getenv("UDPVPN_TEST_PKI");
    const std::string path = std::string(env && *env ? env : UDPVPN_SOURCE_PKI) + "/" + file;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "fuzz harness: cannot read %s (set UDPVPN_TEST_PKI)\n", path.c_str());
        std::abort();
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

const Pki& pki() {
    static const Pki* p = [] {
        auto* q = new Pki;
        auto s = load_identity_pem(read_pki("server.crt"), read_pki("server.key"));
        auto c = load_identity_pem(read_pki("client.crt"), read_pki("client.key"));
        auto v = X509Verifier::create(read_pki("ca.crt"), "", {}, [] { return std::int64_t{1780272000}; });
        check(s.ok() && c.ok() && v.ok(), "test PKI loads");
        q->server = s.value;
        q->client = c.value;
        q->verifier = v.value;
        return q;
    }();
    return *p;
}

Bytes& datagram_buffer() {
    static Bytes* b = new Bytes(70000);
    return *b;
}

std::optional<AeadKey> handshake_key(std::uint64_t seed, bool seed_is_client, ByteView initial,
                                     ByteView server_hello, const SharedKey& admission,
                                     bool client_to_server) {
    auto ini = parse_initial(initial);
    auto sh = parse_server_hello(server_hello);
    if (!ini.ok() || !sh.ok()) return std::nullopt;
    DeterministicRng rng(seed);
    std::array<std::uint8_t, 32> random{};
    Secret32 priv, shared;
    rng.fill(random);
    rng.fill(priv.expose_mut());
    const ByteView peer_pub = seed_is_client ? ByteView(sh.value.server_eph_pub) : ByteView(ini.value.client_eph_pub);
    if (!x25519(priv, peer_pub, shared)) return std::nullopt;
    Transcript t;
    t.update(ini.value.client_hello);
    t.update(server_hello);
    std::optional<Secret32> key;
    if (admission) key.emplace(admission->expose());
    const HandshakeSecrets hs =
        derive_handshake_secrets(derive_early_secret(key ? &*key : nullptr), shared, t.snapshot());
    return AeadKey(Suite::chacha20_poly1305, TrafficKeys::derive(client_to_server ? hs.client_hs : hs.server_hs));
}

Bytes seal_handshake(const AeadKey& key, SessionId dst_sid, std::uint32_t pn, ByteView frames) {
    Bytes dg(kHandshakeHeaderSize + frames.size() + kHandshakeTagSize);
    encode_handshake_header({dst_sid, pn}, dg);
    std::copy(frames.begin(), frames.end(), dg.begin() + kHandshakeHeaderSize);
    key.seal(pn, ByteView(dg).first(kHandshakeHeaderSize), MutableByteView(dg).subspan(kHandshakeHeaderSize, frames.size()),
             dg.data() + kHandshakeHeaderSize + frames.size());
    return dg;
}

bool printable(const std::string& text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) return false;
    }
    return true;
}

std::optional<Bytes> mutated_replay(const std::vector<Bytes>& sent, ByteView bytes) {
    if (sent.empty()) return std::nullopt;
    Bytes dg = sent[bytes.empty() ? sent.size() - 1 : bytes[0] % sent.size()];
    if (bytes.size() > 2 && !dg.empty())
        for (std::size_t i = 2; i < bytes.size(); ++i) dg[(bytes[1] + i - 2) % dg.size()] ^= bytes[i];
    return dg;
}

std::optional<Bytes> seal_from_peer(Session& session, TimeNs now, ByteView bytes, SealedSet& sealed) {
    if (bytes.empty()) return std::nullopt;
    const auto pt = static_cast<PayloadType>(bytes[0] % 5);
    ByteView body = bytes.subspan(1);
    if (pt == PayloadType::keepalive) body = {};
    Bytes out(body.size() + kDataOverhead);
    auto n = session.seal(now, pt, body, out);
    if (!n.ok()) return std::nullopt;
    if (pt <= PayloadType::ppp && !body.empty()) sealed.insert({static_cast<int>(pt), Bytes(body.begin(), body.end())});
    out.resize(n.value);
    return out;
}

}  // namespace udpvpn::fuzz
