// SPDX-License-Identifier: GPL-3.0-or-later
// Prints tests/vectors/key_schedule.vec or data_packet.vec from the library's implementation:
//   gen-crypto-vectors key_schedule > tests/vectors/key_schedule.vec
//   gen-crypto-vectors data_packet  > tests/vectors/data_packet.vec
// crypto_vectors.py (same folder) recomputes every value independently from the spec.
// Inputs are fixed below; only rerun this when the protocol changes, then run the checker.
#include "data_packet.hpp"
#include "key_schedule.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <string>

using namespace udpvpn;

namespace {

std::string hex(ByteView b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (std::uint8_t c : b) { s += d[c >> 4]; s += d[c & 15]; }
    return s;
}
Bytes unhex(const char* h) {
    Bytes out(std::strlen(h) / 2);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(std::stoi(std::string(h + 2 * i, 2), nullptr, 16));
    return out;
}
void line(const char* name, ByteView v) { std::printf("%s = %s\n", name, hex(v).c_str()); }
void text(const char* name, const std::string& v) { std::printf("%s = %s\n", name, v.c_str()); }
Hash32 sha256_of(const char* s) {
    Hash32 h;
    crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(s), std::strlen(s));
    return h;
}
Secret32 secret_of(ByteView b) { return Secret32(b); }

// RFC 7748 §6.1 key pairs (Alice = client, Bob = server): the shared secret is published there.
const char* kAlicePriv = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const char* kBobPriv = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";

void traffic(const char* prefix, const Secret32& secret) {
    const TrafficKeys k = TrafficKeys::derive(secret);
    line((std::string(prefix) + "_key").c_str(), k.key.expose());
    line((std::string(prefix) + "_iv").c_str(), k.iv.expose());
}

// Returns rekey0 for the rekey cases.
Secret32 handshake_case(const char* name, const char* comment, const Secret32* admission) {
    std::printf("# %s\ncase = %s\nkind_text = handshake\n", comment, name);
    const Secret32 cpriv = secret_of(unhex(kAlicePriv)), spriv = secret_of(unhex(kBobPriv));
    std::array<std::uint8_t, 32> cpub{}, spub{};
    x25519_public(cpriv, cpub);
    x25519_public(spriv, spub);
    const Hash32 th1 = sha256_of("udpvpn example transcript th1");
    const Hash32 th2 = sha256_of("udpvpn example transcript th2");
    if (admission) line("admission_key", admission->expose());
    line("client_eph_priv", cpriv.expose());
    line("server_eph_priv", spriv.expose());
    line("th1", th1);
    line("th2", th2);
    line("client_eph_pub", cpub);
    line("server_eph_pub", spub);
    Secret32 shared;
    if (!x25519(cpriv, spub, shared)) std::abort();
    line("shared", shared.expose());
    const Secret32 early = derive_early_secret(admission);
    line("early", early.expose());
    const HandshakeSecrets hs = derive_handshake_secrets(early, shared, th1);
    line("hs_secret", hs.hs_secret.expose());
    line("c_hs", hs.client_hs.expose());
    line("s_hs", hs.server_hs.expose());
    traffic("c_hs", hs.client_hs);
    traffic("s_hs", hs.server_hs);
    line("c_finished", hs.client_finished.expose());
    line("s_finished", hs.server_finished.expose());
    const Secret32 derived = expand_label32(hs.hs_secret, "derived", {});
    const Secret32 zero;
    const Secret32 master = hkdf_extract(derived.expose(), zero.expose());
    line("derived", derived.expose());
    line("master", master.expose());
    const DataSecrets d = derive_data_secrets(hs.hs_secret, th2);
    line("c_data", d.client_data.expose());
    line("s_data", d.server_data.expose());
    line("rekey", d.rekey.expose());
    traffic("c_data", d.client_data);
    traffic("s_data", d.server_data);
    std::printf("\n");
    return d.rekey;
}

Secret32 rekey_case(const char* name, const Secret32& rekey_n, std::uint32_t next_epoch, const char* seed) {
    std::printf("# Rekey epoch %u -> %u: rekey_n is the previous case's rekey; ephemerals are SHA-256 of text.\n",
                next_epoch - 1, next_epoch);
    std::printf("case = %s\nkind_text = rekey\n", name);
    const Hash32 cp = sha256_of((std::string(seed) + " client").c_str());
    const Hash32 sp = sha256_of((std::string(seed) + " server").c_str());
    const Secret32 cpriv = secret_of(cp), spriv = secret_of(sp);
    std::array<std::uint8_t, 32> cpub{}, spub{};
    x25519_public(cpriv, cpub);
    x25519_public(spriv, spub);
    line("rekey_n", rekey_n.expose());
    std::printf("next_epoch = %u\n", next_epoch);
    line("client_eph_priv", cpriv.expose());
    line("server_eph_priv", spriv.expose());
    line("client_eph_pub", cpub);
    line("server_eph_pub", spub);
    Secret32 shared;
    if (!x25519(cpriv, spub, shared)) std::abort();
    line("shared", shared.expose());
    line("r_secret", hkdf_extract(rekey_n.expose(), shared.expose()).expose());
    const DataSecrets d = derive_rekey_secrets(rekey_n, shared, next_epoch);
    line("c_data", d.client_data.expose());
    line("s_data", d.server_data.expose());
    line("rekey", d.rekey.expose());
    traffic("c_data", d.client_data);
    traffic("s_data", d.server_data);
    std::printf("key_phase = %u\n\n", next_epoch & 1);
    return d.rekey;
}

void key_schedule() {
    std::printf(
        "# udpvpn key schedule known answers (docs/rfc-draft.txt \"Key schedule\").\n"
        "# Generated by tests/vectors/tools/gen_crypto_vectors.cpp from libudpvpn; recomputed independently by\n"
        "# tests/vectors/tools/crypto_vectors.py (Python hmac/hashlib + RFC 7748 X25519).\n"
        "# kind_text = handshake: inputs admission_key (absent = none), client/server_eph_priv, th1, th2;\n"
        "#   every other field is derived. <x>_key / <x>_iv = Expand-Label(<x>, \"key\"/\"iv\", \"\", 32/12).\n"
        "# kind_text = rekey: inputs rekey_n, next_epoch, ephemeral privs; r_secret = HKDF-Extract(rekey_n, shared).\n"
        "# kind_text = x25519: priv, peer_pub -> shared, or expect = fail when the result is all zero.\n\n");
    const Secret32 rekey0 = handshake_case("handshake-no-admission-key",
        "Ephemerals are the RFC 7748 section 6.1 key pairs (shared secret 4a5d9d5b... is published there).", nullptr);
    Secret32 adm;
    for (std::size_t i = 0; i < 32; ++i) adm.expose_mut()[i] = static_cast<std::uint8_t>(0xa0 + i);
    handshake_case("handshake-with-admission-key", "Same inputs with an admission key: only early changes first.", &adm);
    const Secret32 rekey1 = rekey_case("rekey-epoch-1", rekey0, 1, "udpvpn example rekey epoch 1");
    rekey_case("rekey-epoch-2", rekey1, 2, "udpvpn example rekey epoch 2");

    std::printf("# RFC 7748 section 6.1 (published answer).\ncase = x25519-rfc7748\nkind_text = x25519\n");
    line("priv", unhex(kAlicePriv));
    line("peer_pub", unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
    line("shared", unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"));
    std::printf("\n");
    struct Bad { const char* name; const char* pub; const char* why; };
    const Bad bad[] = {
        {"x25519-zero-point", "0000000000000000000000000000000000000000000000000000000000000000", "u = 0 (order 2): all-zero shared secret"},
        {"x25519-one-point", "0100000000000000000000000000000000000000000000000000000000000000", "u = 1 (order 4): all-zero shared secret"},
        {"x25519-order-8-point", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "point of order 8: all-zero shared secret"},
        {"x25519-p-minus-1", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "u = p - 1 (order 2): all-zero shared secret"},
    };
    for (const Bad& b : bad) {
        const Secret32 priv = secret_of(unhex(kAlicePriv));
        Secret32 shared;
        if (x25519(priv, unhex(b.pub), shared)) std::abort();
        std::printf("case = %s\nkind_text = x25519\n", b.name);
        line("priv", priv.expose());
        line("peer_pub", unhex(b.pub));
        text("expect", "fail");
        text("reason_text", b.why);
        std::printf("\n");
    }
}

const char* suite_name(Suite s) { return s == Suite::aes256_gcm ? "aes256_gcm" : "chacha20_poly1305"; }

void data_packet() {
    std::printf(
        "# DATA packet known answers (docs/rfc-draft.txt \"DATA\"): header || AEAD(plaintext) || tag,\n"
        "# AAD = the 13-byte header, nonce = iv XOR (0^4 || counter u64 BE).\n"
        "# Generated by tests/vectors/tools/gen_crypto_vectors.cpp; crypto_vectors.py recomputes them with\n"
        "# Python `cryptography`. key/iv are c_data_key/c_data_iv of key_schedule.vec handshake-no-admission-key.\n"
        "# Positive: suite_text, key, iv, key_phase, payload_type (0 ipv4 1 ipv6 2 ppp 3 control 4 keepalive),\n"
        "#   dst_sid (4 bytes), counter (decimal), plaintext -> datagram.\n"
        "# Negative (expect = fail): suite_text, key, iv, datagram; error_text = malformed (header parse\n"
        "#   rejects it) or bad_tag (parses, the AEAD open fails).\n\n");
    // The same keys as key_schedule.vec, case handshake-no-admission-key, client to server.
    const Secret32 cpriv = secret_of(unhex(kAlicePriv)), spriv = secret_of(unhex(kBobPriv));
    std::array<std::uint8_t, 32> spub{};
    x25519_public(spriv, spub);
    Secret32 shared;
    if (!x25519(cpriv, spub, shared)) std::abort();
    const HandshakeSecrets hs = derive_handshake_secrets(derive_early_secret(nullptr), shared,
                                                         sha256_of("udpvpn example transcript th1"));
    const DataSecrets d = derive_data_secrets(hs.hs_secret, sha256_of("udpvpn example transcript th2"));
    const TrafficKeys tk = TrafficKeys::derive(d.client_data);

    for (Suite suite : {Suite::chacha20_poly1305, Suite::aes256_gcm}) {
        const AeadKey key(suite, tk);
        if (!key.valid()) std::abort();
        const std::string sn = suite_name(suite);
        struct Pos { const char* name; std::uint8_t phase; PayloadType pt; SessionId sid; std::uint64_t ctr; Bytes plain; };
        Bytes ipv4(60), ctrl = unhex("0100000000020008a1b2c3d4e5f60718"), v6(200);
        for (std::size_t i = 0; i < ipv4.size(); ++i) ipv4[i] = static_cast<std::uint8_t>(0x45 + i);
        for (std::size_t i = 0; i < v6.size(); ++i) v6[i] = static_cast<std::uint8_t>(0x60 ^ (i * 7));
        const Pos pos[] = {
            {"keepalive-counter-0", 0, PayloadType::keepalive, 0x01000001, 0, {}},
            {"ipv4-counter-1", 0, PayloadType::ipv4, 0x01abcdef, 1, ipv4},
            {"control-phase-1-large-counter", 1, PayloadType::control, 0x7f000042, 0x100000005ULL, ctrl},
            {"ipv6-counter-all-bytes", 0, PayloadType::ipv6, 0xdeadbeef, 0x0123456789abcdefULL, v6},
            {"ppp-counter-1000", 1, PayloadType::ppp, 0x02000003, 1000, unhex("c0210102000a0506deadbeef")},
        };
        Bytes first_valid;
        for (const Pos& p : pos) {
            Bytes out(p.plain.size() + 29);
            const DataHeader h{p.phase, p.pt, p.sid, p.ctr};
            if (!seal_data(key, h, p.plain, out)) std::abort();
            if (first_valid.empty() && !p.plain.empty()) first_valid = out;
            std::printf("case = %s-%s\n", sn.c_str(), p.name);
            text("suite_text", sn);
            line("key", tk.key.expose());
            line("iv", tk.iv.expose());
            std::printf("key_phase = %u\npayload_type = %u\n", p.phase, static_cast<unsigned>(p.pt));
            const std::uint8_t sid[4] = {std::uint8_t(p.sid >> 24), std::uint8_t(p.sid >> 16), std::uint8_t(p.sid >> 8), std::uint8_t(p.sid)};
            line("dst_sid", sid);
            std::printf("counter = %llu\n", static_cast<unsigned long long>(p.ctr));
            line("plaintext", p.plain);
            line("datagram", out);
            std::printf("\n");
        }
        auto negative = [&](const char* name, const Bytes& dg, const char* err, const char* why) {
            std::printf("case = %s-%s\n", sn.c_str(), name);
            text("suite_text", sn);
            line("key", tk.key.expose());
            line("iv", tk.iv.expose());
            line("datagram", dg);
            text("expect", "fail");
            text("error_text", err);
            text("reason_text", why);
            std::printf("\n");
        };
        Bytes b = first_valid;   // ipv4-counter-1
        b.back() ^= 0x01;
        negative("flipped-tag-bit", b, "bad_tag", "ipv4-counter-1 with the last tag bit flipped");
        b = first_valid;
        b[20] ^= 0x80;
        negative("flipped-ciphertext-bit", b, "bad_tag", "ipv4-counter-1 with one ciphertext bit flipped");
        b = first_valid;
        b[4] ^= 0x01;
        negative("flipped-header-bit", b, "bad_tag", "ipv4-counter-1 with a dst_sid bit flipped: the header is the AAD");
        b = first_valid;
        b[12] ^= 0x01;
        negative("flipped-counter-bit", b, "bad_tag", "ipv4-counter-1 claiming counter 0: the counter is both AAD and nonce");
        b = first_valid;
        b[0] ^= 0x08;
        negative("wrong-key-phase", b, "bad_tag", "ipv4-counter-1 (sealed with key_phase 0) with the key-phase bit set: the phase is authenticated");
        b = first_valid;
        b.pop_back();
        negative("truncated-by-one", b, "bad_tag", "ipv4-counter-1 missing its last byte");
        b.assign(first_valid.begin(), first_valid.begin() + 28);
        negative("truncated-below-minimum", b, "malformed", "28 bytes: shorter than header (13) + tag (16)");
        b.assign(first_valid.begin(), first_valid.begin() + 13);
        negative("header-only", b, "malformed", "13-byte header without a tag");
        // Reserved payload types, sealed correctly: only the header rule rejects them.
        for (std::uint8_t type : {std::uint8_t{0x15}, std::uint8_t{0x1f}}) {
            Bytes dg = unhex("00010000010000000000000007aabbccdd");
            dg[0] = type;
            dg.resize(dg.size() + 16);
            key.seal(7, ByteView(dg).first(13), MutableByteView(dg).subspan(13, 4), dg.data() + 17);
            negative(type == 0x15 ? "reserved-payload-type-5" : "reserved-payload-type-7-phase-1", dg, "malformed",
                     "payload type 5..7 is reserved: dropped even though the tag verifies");
        }
        b = first_valid;
        b[0] = 0x20;
        negative("not-a-data-type", b, "malformed", "first byte 0x20 is not in 0x10..0x1f");
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (sodium_init() < 0) return 1;
    const std::string what = argc > 1 ? argv[1] : "";
    if (what == "key_schedule") key_schedule();
    else if (what == "data_packet") data_packet();
    else {
        std::fprintf(stderr, "usage: %s key_schedule|data_packet\n", argv[0]);
        return 2;
    }
    return 0;
}
