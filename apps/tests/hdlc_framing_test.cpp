// SPDX-License-Identifier: GPL-3.0-or-later
// RFC 1662 HDLC-like framing: FCS, escapes, ACCM, streaming in any chunking, bad-frame handling.
#include <doctest/doctest.h>
#include "hdlc.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace udpvpn;
using namespace udpvpn::hdlc;

namespace {

Bytes hex(const std::string& s) {
    Bytes out;
    int hi = -1;
    for (char ch : s) {
        int v;
        if (ch >= '0' && ch <= '9') v = ch - '0';
        else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
        else continue;
        if (hi < 0) hi = v;
        else { out.push_back(static_cast<std::uint8_t>(hi << 4 | v)); hi = -1; }
    }
    return out;
}

Bytes str(const char* s) { return Bytes(s, s + std::strlen(s)); }

using VecCase = std::map<std::string, std::string>;

// tests/vectors/README.md format: paragraphs of `name = value`, `#` comments.
std::vector<VecCase> load_vectors(const std::string& file) {
    const char* dir = std::getenv("UDPVPN_VECTORS");
    std::string path = std::string(dir ? dir : "tests/vectors") + "/" + file;
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    std::vector<VecCase> cases;
    VecCase cur;
    std::string line;
    auto flush = [&] { if (!cur.empty()) cases.push_back(cur); cur.clear(); };
    while (std::getline(in, line)) {
        if (line.empty()) { flush(); continue; }
        if (line[0] == '#') continue;
        auto eq = line.find(" = ");
        if (eq == std::string::npos) continue;
        cur[line.substr(0, eq)] = line.substr(eq + 3);
    }
    flush();
    return cases;
}

// Decodes `stream` fed in the given chunk sizes (cycled) and returns every frame.
std::vector<Bytes> decode_chunked(Decoder& d, ByteView stream, const std::vector<std::size_t>& chunks) {
    std::vector<Bytes> frames;
    std::size_t pos = 0, k = 0;
    while (pos < stream.size()) {
        std::size_t n = std::min(chunks[k++ % chunks.size()], stream.size() - pos);
        d.feed_all(stream.subspan(pos, n), [&](ByteView f) { frames.emplace_back(f.begin(), f.end()); });
        pos += n;
    }
    return frames;
}

std::vector<Bytes> decode_all(ByteView stream, const DecoderConfig& cfg = {}) {
    Decoder d(cfg);
    return decode_chunked(d, stream, {stream.size() ? stream.size() : 1});
}

Bytes encode_one(ByteView frame, const EncoderConfig& cfg = {}) {
    Bytes out(max_encoded_size(frame.size()));
    auto r = encode(cfg, frame, out);
    REQUIRE(r.ok());
    out.resize(r.value);
    return out;
}

void append(Bytes& a, const Bytes& b) { a.insert(a.end(), b.begin(), b.end()); }

// An IPv4-protocol frame (0x0021) whose information is `info`.
Bytes ip_frame(const Bytes& info) {
    Bytes f{0x00, 0x21};
    append(f, info);
    return f;
}

Bytes random_frame(std::mt19937& rng, std::size_t max_info) {
    static const std::uint16_t protocols[] = {0x0021, 0x0057, 0x8021, 0xC021, 0xC023, 0x80FD, 0x002D};
    const std::uint16_t p = protocols[rng() % std::size(protocols)];
    Bytes f{static_cast<std::uint8_t>(p >> 8), static_cast<std::uint8_t>(p)};
    const std::size_t n = rng() % (max_info + 1);
    // Bias towards the bytes that need escaping.
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned r = rng() % 8;
        f.push_back(r == 0 ? 0x7E : r == 1 ? 0x7D : r == 2 ? static_cast<std::uint8_t>(rng() % 0x20)
                                                            : static_cast<std::uint8_t>(rng()));
    }
    return f;
}

}  // namespace

TEST_CASE("FCS-16 matches the CRC-16/X-25 check value and a frame plus its FCS yields the good FCS") {
    // CRC-16/IBM-SDLC catalogue check value for "123456789" is 0x906E.
    const Bytes check = str("123456789");
    CHECK((fcs16(kFcs16Init, check) ^ 0xFFFF) == 0x906E);

    std::mt19937 rng(1662);
    for (int i = 0; i < 200; ++i) {
        Bytes data(rng() % 300);
        for (auto& b : data) b = static_cast<std::uint8_t>(rng());
        const std::uint16_t fcs = static_cast<std::uint16_t>(fcs16(kFcs16Init, data) ^ 0xFFFF);
        data.push_back(static_cast<std::uint8_t>(fcs));        // least significant byte first
        data.push_back(static_cast<std::uint8_t>(fcs >> 8));
        CHECK(fcs16(kFcs16Init, data) == kFcs16Good);
        data[rng() % data.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        CHECK(fcs16(kFcs16Init, data) != kFcs16Good);          // any single-bit error is detected
    }
}

TEST_CASE("FCS-32 matches the CRC-32 check value and a frame plus its FCS yields the good FCS") {
    const Bytes check = str("123456789");
    CHECK((fcs32(kFcs32Init, check) ^ 0xFFFFFFFF) == 0xCBF43926);
    std::mt19937 rng(1570);
    for (int i = 0; i < 100; ++i) {
        Bytes data(rng() % 300);
        for (auto& b : data) b = static_cast<std::uint8_t>(rng());
        std::uint32_t fcs = fcs32(kFcs32Init, data) ^ 0xFFFFFFFF;
        for (int k = 0; k < 4; ++k, fcs >>= 8) data.push_back(static_cast<std::uint8_t>(fcs));
        CHECK(fcs32(kFcs32Init, data) == kFcs32Good);
    }
}

TEST_CASE("known LCP Configure-Request frames encode to and decode from the vector bytes") {
    const auto cases = load_vectors("hdlc_framing.vec");
    REQUIRE(cases.size() >= 2);
    for (const auto& c : cases) {
        CAPTURE(c.at("case"));
        const FcsType type = c.at("fcs_text") == "fcs32" ? FcsType::fcs32 : FcsType::fcs16;
        const Bytes frame = hex(c.at("frame"));
        const Bytes wire = hex(c.at("wire"));
        const Bytes accm = hex(c.at("accm"));
        EncoderConfig ec;
        ec.fcs = type;
        ec.transmit_accm = static_cast<Accm>(accm[0] << 24 | accm[1] << 16 | accm[2] << 8 | accm[3]);
        CHECK(encode_one(frame, ec) == wire);

        DecoderConfig dc;
        dc.fcs = type;
        const auto frames = decode_all(wire, dc);
        REQUIRE(frames.size() == 1);
        CHECK(frames[0] == frame);
    }
}

TEST_CASE("every chunking of a stream yields the same frames") {
    std::mt19937 rng(7);
    std::vector<Bytes> sent;
    Bytes stream;
    for (int i = 0; i < 60; ++i) {
        sent.push_back(random_frame(rng, 200));
        EncoderConfig ec;
        // Mix the compressed and uncompressed header forms and ACCMs a peer may use.
        ec.address_control_compression = (i % 3) == 1;
        ec.protocol_compression = (i % 4) == 2;
        ec.transmit_accm = (i % 2) ? kAccmAll : 0;
        append(stream, encode_one(sent.back(), ec));
        if (i % 5 == 0) stream.push_back(kFlag);   // extra inter-frame fill flags are allowed
    }

    SUBCASE("all at once") { CHECK(decode_all(stream) == sent); }
    SUBCASE("byte by byte") {
        Decoder d;
        CHECK(decode_chunked(d, stream, {1}) == sent);
        CHECK(d.stats().frames == sent.size());
        CHECK(d.stats().bad_fcs == 0);
    }
    SUBCASE("random splits") {
        for (int trial = 0; trial < 50; ++trial) {
            std::vector<std::size_t> chunks;
            for (int k = 0; k < 17; ++k) chunks.push_back(1 + rng() % 97);
            Decoder d;
            CHECK(decode_chunked(d, stream, chunks) == sent);
        }
    }
    SUBCASE("every split point of two frames") {
        Bytes two = encode_one(sent[0]);
        append(two, encode_one(sent[1]));
        for (std::size_t cut = 0; cut <= two.size(); ++cut) {
            Decoder d;
            std::vector<Bytes> got;
            auto sink = [&](ByteView f) { got.emplace_back(f.begin(), f.end()); };
            d.feed_all(ByteView(two).first(cut), sink);
            d.feed_all(ByteView(two).subspan(cut), sink);
            CHECK(got == std::vector<Bytes>{sent[0], sent[1]});
        }
    }
}

TEST_CASE("flag, escape and ACCM characters are escaped on send and restored on receive") {
    Bytes info;
    for (int c = 0; c < 0x20; ++c) info.push_back(static_cast<std::uint8_t>(c));
    info.push_back(0x7E);
    info.push_back(0x7D);
    info.push_back(0x5E);   // what 0x7E becomes after the XOR: must pass through unescaped
    const Bytes frame = ip_frame(info);

    SUBCASE("default ACCM escapes every control character") {
        const Bytes wire = encode_one(frame);
        for (std::size_t i = 1; i + 1 < wire.size(); ++i) {
            CHECK(wire[i] != kFlag);
            CHECK(wire[i] >= 0x20);
            if (wire[i] == kEscape) CHECK(i + 1 < wire.size() - 1);
        }
        CHECK(decode_all(wire) == std::vector<Bytes>{frame});
    }
    SUBCASE("ACCM 0 leaves control characters raw but still escapes 7E and 7D") {
        EncoderConfig ec;
        ec.transmit_accm = 0;
        const Bytes wire = encode_one(frame, ec);
        // header FF 03 00 21, then 0x00..0x1F raw
        CHECK(wire[5] == 0x00);
        CHECK(wire[5 + 0x11] == 0x11);
        const Bytes esc_flag{kEscape, 0x5E}, esc_esc{kEscape, 0x5D};
        CHECK(std::search(wire.begin(), wire.end(), esc_flag.begin(), esc_flag.end()) != wire.end());
        CHECK(std::search(wire.begin(), wire.end(), esc_esc.begin(), esc_esc.end()) != wire.end());
        CHECK(decode_all(wire) == std::vector<Bytes>{frame});
    }
    SUBCASE("an XON/XOFF map escapes exactly 0x11 and 0x13") {
        EncoderConfig ec;
        ec.transmit_accm = (1u << 0x11) | (1u << 0x13);
        const Bytes wire = encode_one(ip_frame({0x10, 0x11, 0x12, 0x13}), ec);
        CHECK(Bytes(wire.begin() + 5, wire.begin() + 11) == Bytes{0x10, 0x7D, 0x31, 0x12, 0x7D, 0x33});
    }
}

TEST_CASE("characters in the receive ACCM are discarded when they arrive unescaped") {
    const Bytes frame = ip_frame({0x01, 0x11, 0x02});
    const Bytes wire = encode_one(frame);   // 0x11 goes out escaped as 7D 31
    // A DCE inserts raw XON (0x11) characters, even between an escape and its character.
    Bytes noisy;
    for (std::size_t i = 0; i < wire.size(); ++i) {
        noisy.push_back(wire[i]);
        if (i > 0 && i + 1 < wire.size()) noisy.push_back(0x11);
    }
    DecoderConfig dc;
    dc.receive_accm = 1u << 0x11;
    Decoder d(dc);
    CHECK(decode_chunked(d, noisy, {1}) == std::vector<Bytes>{frame});
    CHECK(d.stats().discarded_chars == wire.size() - 2);

    // With the default receive ACCM (0) the inserted characters are data: the FCS then fails.
    Decoder plain;
    CHECK(decode_chunked(plain, noisy, {3}).empty());
    CHECK(plain.stats().bad_fcs == 1);
}

TEST_CASE("a frame with a corrupt FCS is counted and dropped and the next frame still arrives") {
    const Bytes a = ip_frame(str("first frame")), b = ip_frame(str("second frame"));
    Bytes stream = encode_one(a);
    stream[8] ^= 0x04;   // a data byte ('i' -> 'm'), not an escape or flag
    append(stream, encode_one(b));
    Decoder d;
    CHECK(decode_chunked(d, stream, {5}) == std::vector<Bytes>{b});
    CHECK(d.stats().bad_fcs == 1);
    CHECK(d.stats().frames == 1);
}

TEST_CASE("an abort sequence (7D 7E) drops the frame in progress") {
    const Bytes a = ip_frame(str("aborted")), b = ip_frame(str("kept"));
    Bytes stream = encode_one(a);
    stream.resize(stream.size() - 3);   // cut inside the frame
    stream.push_back(kEscape);
    stream.push_back(kFlag);
    append(stream, encode_one(b));
    Decoder d;
    CHECK(decode_chunked(d, stream, {1}) == std::vector<Bytes>{b});
    CHECK(d.stats().aborted == 1);
    CHECK(d.stats().bad_fcs == 0);
}

TEST_CASE("an oversized frame is dropped and the decoder resynchronises on the next flag") {
    DecoderConfig dc;
    dc.mru = 100;
    const Bytes at_limit = ip_frame(Bytes(100, 0xAB));
    const Bytes over = ip_frame(Bytes(101, 0xAB));
    const Bytes huge = ip_frame(Bytes(5000, 0x7E));   // every byte escaped: 10 kB on the wire
    const Bytes small = ip_frame(str("after"));
    Bytes stream = encode_one(over);
    append(stream, encode_one(huge));
    append(stream, encode_one(at_limit));
    append(stream, encode_one(small));
    Decoder d(dc);
    CHECK(decode_chunked(d, stream, {64}) == std::vector<Bytes>{at_limit, small});
    CHECK(d.stats().too_long == 2);
    CHECK(d.stats().bad_fcs == 0);
}

TEST_CASE("frames shorter than four octets are runts, not FCS errors") {
    const Bytes stream{kFlag, 0x21, 0x00, kFlag, 0x01, kFlag, kFlag};
    Decoder d;
    CHECK(decode_chunked(d, stream, {1}).empty());
    CHECK(d.stats().runt == 2);
    CHECK(d.stats().bad_fcs == 0);
}

TEST_CASE("bytes before the first flag are ignored") {
    const Bytes frame = ip_frame(str("x"));
    Bytes stream = {0x12, 0x34, 0xFF, 0x03};
    append(stream, encode_one(frame));
    Decoder d;
    CHECK(decode_chunked(d, stream, {2}) == std::vector<Bytes>{frame});
    CHECK(d.stats().bad_fcs == 0);
    CHECK(d.stats().runt == 0);
}

TEST_CASE("compressed address/control and protocol fields are expanded to the tunnel form") {
    EncoderConfig ec;
    ec.address_control_compression = true;
    ec.protocol_compression = true;
    const Bytes ip = ip_frame(str("compressed"));
    const Bytes wire = encode_one(ip, ec);
    CHECK(wire[1] == 0x21);   // no FF 03, one-byte protocol
    CHECK(decode_all(wire) == std::vector<Bytes>{ip});

    // LCP keeps its full header (RFC 1661 §6.6) and its protocol cannot be compressed.
    const Bytes lcp{0xC0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00};
    const Bytes lcp_wire = encode_one(lcp, ec);
    CHECK(Bytes(lcp_wire.begin(), lcp_wire.begin() + 5) == Bytes{kFlag, 0xFF, 0x7D, 0x23, 0xC0});
    CHECK(decode_all(lcp_wire) == std::vector<Bytes>{lcp});
}

TEST_CASE("frames with a bad address, control or protocol field are counted and dropped") {
    auto with_fcs = [](Bytes body) {
        const std::uint16_t fcs = static_cast<std::uint16_t>(fcs16(kFcs16Init, body) ^ 0xFFFF);
        body.push_back(static_cast<std::uint8_t>(fcs));
        body.push_back(static_cast<std::uint8_t>(fcs >> 8));
        Bytes out{kFlag};
        for (auto c : body) {
            if (c == kFlag || c == kEscape || c < 0x20) { out.push_back(kEscape); out.push_back(c ^ 0x20); }
            else out.push_back(c);
        }
        out.push_back(kFlag);
        return out;
    };
    Bytes stream = with_fcs({0xFF, 0x05, 0x00, 0x21, 0x45});   // control not 03
    append(stream, with_fcs({0xFF, 0x03, 0x00, 0x20, 0x45}));  // protocol low byte even
    append(stream, with_fcs({0xFF, 0x03, 0x01, 0x21, 0x45}));  // 0x01 is odd: a 1-byte protocol 0x0001
    Decoder d;
    const auto frames = decode_chunked(d, stream, {1});
    CHECK(d.stats().bad_header == 2);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0] == Bytes{0x00, 0x01, 0x21, 0x45});
}

TEST_CASE("FCS-32 frames round-trip and are rejected by an FCS-16 decoder") {
    EncoderConfig ec;
    ec.fcs = FcsType::fcs32;
    DecoderConfig dc;
    dc.fcs = FcsType::fcs32;
    std::mt19937 rng(32);
    std::vector<Bytes> sent;
    Bytes stream;
    for (int i = 0; i < 20; ++i) {
        sent.push_back(random_frame(rng, 300));
        append(stream, encode_one(sent.back(), ec));
    }
    Decoder d32(dc);
    CHECK(decode_chunked(d32, stream, {13}) == sent);
    Decoder d16;
    CHECK(decode_chunked(d16, stream, {13}).empty());
    CHECK(d16.stats().bad_fcs == sent.size());

    Bytes corrupt = encode_one(sent[0], ec);
    corrupt[3] ^= 0x40;
    Decoder d(dc);
    CHECK(decode_chunked(d, corrupt, {1}).empty());
    CHECK(d.stats().bad_fcs == 1);
}

TEST_CASE("the encoder rejects an invalid protocol field and a short buffer") {
    Bytes out(64);
    CHECK(encode({}, Bytes{0x00}, out).error == Error::invalid_argument);
    CHECK(encode({}, Bytes{0x00, 0x20, 0x01}, out).error == Error::invalid_argument);
    CHECK(encode({}, Bytes{0x01, 0x21, 0x01}, out).error == Error::invalid_argument);
    const Bytes frame = ip_frame(Bytes(40, 0x7E));
    CHECK(encode({}, frame, out).error == Error::buffer_too_small);
    Bytes big(max_encoded_size(frame.size()));
    CHECK(encode({}, frame, big).ok());
}

TEST_CASE("reset() drops a partial frame and waits for a flag") {
    const Bytes a = ip_frame(str("one")), b = ip_frame(str("two"));
    const Bytes wa = encode_one(a), wb = encode_one(b);
    Decoder d;
    std::vector<Bytes> got;
    auto sink = [&](ByteView f) { got.emplace_back(f.begin(), f.end()); };
    d.feed_all(ByteView(wa).first(4), sink);
    d.reset();
    d.feed_all(ByteView(wa).subspan(4), sink);   // the rest of `a` is skipped until its closing flag
    d.feed_all(wb, sink);
    CHECK(got == std::vector<Bytes>{b});
}
