// SPDX-License-Identifier: GPL-3.0-or-later
// HANDSHAKE packet protection and packetization (docs/rfc-draft.txt, Sections 7.5, 7.6, 9.6):
// two channels with swapped keys, as a client and a server hold them, passing packets directly.
#include "handshake_channel.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace udpvpn;

namespace {

constexpr SessionId kSid = 0x0A0B0C0D;

struct ChannelPair {
    HandshakeChannel client, server;

    ChannelPair() {
        Secret32 c, s;
        for (std::size_t i = 0; i < 32; ++i) {
            c.expose_mut()[i] = static_cast<std::uint8_t>(i);
            s.expose_mut()[i] = static_cast<std::uint8_t>(0x80 + i);
        }
        client.install(c, s);
        server.install(s, c);
    }

    // One packet built by `from`, at most `limit` bytes.
    static Bytes build(HandshakeChannel& from, std::size_t limit = kMaxHandshakeDatagram) {
        Bytes out(kMaxHandshakeDatagram);
        bool frag = false;
        const std::size_t n = from.build(kSid, out, limit, frag);
        out.resize(n);
        return out;
    }

    // Opens and applies `packet` at `to`; the error of whichever step failed.
    static Error deliver(HandshakeChannel& to, ByteView packet, HandshakeChannel::Incoming& in) {
        HandshakeChannel::Plaintext plain;
        std::size_t size = 0;
        const Error e = to.open(packet, plain, size);
        if (e != Error::ok) return e;
        return to.apply(ByteView(plain).first(size), in);
    }
};

Bytes message_of(std::size_t size) {
    Bytes m(size);
    for (std::size_t i = 0; i < size; ++i) m[i] = static_cast<std::uint8_t>(i * 13);
    return m;
}

}  // namespace

TEST_CASE("stream bytes cross in FRAG frames and their ACK clears the sender's stream") {
    ChannelPair p;
    const Bytes msg = message_of(3000);   // more than one packet's worth
    REQUIRE(p.client.send_stream().append(msg) == Error::ok);
    CHECK(p.client.wants_to_send());
    int packets = 0;
    while (p.client.wants_to_send()) {
        Bytes pkt = ChannelPair::build(p.client);
        REQUIRE(!pkt.empty());
        CHECK(pkt.size() <= kMaxHandshakeDatagram);
        HandshakeChannel::Incoming in;
        REQUIRE(ChannelPair::deliver(p.server, pkt, in) == Error::ok);
        CHECK(in.had_frag);
        CHECK(p.server.last_open_newest());
        ++packets;
    }
    CHECK(packets >= 3);
    CHECK(p.client.packets_sent() == static_cast<std::uint32_t>(packets));
    CHECK(Bytes(p.server.recv_stream().contiguous().begin(), p.server.recv_stream().contiguous().end()) == msg);
    // Stream data received must be acknowledged: the server owes an ACK.
    REQUIRE(p.server.wants_to_send());
    Bytes ack = ChannelPair::build(p.server);
    HandshakeChannel::Incoming in;
    REQUIRE(ChannelPair::deliver(p.client, ack, in) == Error::ok);
    CHECK(in.ack_progress);
    CHECK_FALSE(in.had_frag);
    CHECK(p.client.send_stream().all_acked());
    CHECK_FALSE(p.server.wants_to_send());
}

TEST_CASE("a packet changed in flight, or opened with the sender's own key, is refused") {
    ChannelPair p;
    REQUIRE(p.client.send_stream().append(message_of(100)) == Error::ok);
    const Bytes pkt = ChannelPair::build(p.client);
    REQUIRE(!pkt.empty());
    HandshakeChannel::Plaintext plain;
    std::size_t size = 99;
    for (std::size_t at : {std::size_t{5}, kHandshakeHeaderSize, pkt.size() - 1}) {
        CAPTURE(at);
        Bytes bad = pkt;
        bad[at] ^= 0x01;
        CHECK(p.server.open(bad, plain, size) == Error::bad_tag);
        CHECK(size == 0);
    }
    CHECK(p.client.open(pkt, plain, size) == Error::bad_tag);   // each direction has its own key
    CHECK(p.server.open(pkt, plain, size) == Error::ok);
    CHECK(size == pkt.size() - kHandshakeHeaderSize - kHandshakeTagSize);
}

TEST_CASE("a datagram above kMaxHandshakeDatagram, or before keys, is not opened") {
    HandshakeChannel fresh;
    CHECK_FALSE(fresh.ready());
    CHECK_FALSE(fresh.wants_to_send());
    HandshakeChannel::Plaintext plain;
    std::size_t size = 0;
    const Bytes any(100, 0x40);
    CHECK(fresh.open(any, plain, size) == Error::unexpected_packet);
    ChannelPair p;
    const Bytes huge(kMaxHandshakeDatagram + 1, 0x40);
    CHECK(p.server.open(huge, plain, size) == Error::malformed);
}

TEST_CASE("a replayed packet opens but is not the newest; a late one neither") {
    ChannelPair p;
    REQUIRE(p.client.send_stream().append(message_of(2000)) == Error::ok);
    const Bytes first = ChannelPair::build(p.client);
    const Bytes second = ChannelPair::build(p.client);
    REQUIRE(!second.empty());
    HandshakeChannel::Plaintext plain;
    std::size_t size = 0;
    REQUIRE(p.server.open(second, plain, size) == Error::ok);
    CHECK(p.server.last_open_newest());
    REQUIRE(p.server.open(first, plain, size) == Error::ok);
    CHECK_FALSE(p.server.last_open_newest());   // reordered: older than one already seen
    REQUIRE(p.server.open(second, plain, size) == Error::ok);
    CHECK_FALSE(p.server.last_open_newest());   // replayed
}

TEST_CASE("a CLOSE carries its code and text, and nothing is built after it") {
    ChannelPair p;
    REQUIRE(p.server.send_stream().append(message_of(500)) == Error::ok);
    p.server.queue_close(0x0102, std::string(300, 'x'));   // the text is cut to kMaxCloseText
    CHECK(p.server.close_queued());
    const Bytes pkt = ChannelPair::build(p.server);
    REQUIRE(!pkt.empty());
    CHECK(p.server.close_sent());
    CHECK_FALSE(p.server.close_queued());
    HandshakeChannel::Incoming in;
    REQUIRE(ChannelPair::deliver(p.client, pkt, in) == Error::ok);
    CHECK(in.peer_closed);
    CHECK(in.close_code == 0x0102);
    CHECK(in.close_text == std::string(kMaxCloseText, 'x'));
    CHECK_FALSE(in.had_frag);   // the CLOSE went alone, without the queued stream bytes
    CHECK(ChannelPair::build(p.server).empty());
    p.server.queue_close(0x0103, "again");
    CHECK_FALSE(p.server.close_queued());
}

TEST_CASE("a probe request sends a PADDING packet; a limit too small builds nothing") {
    ChannelPair p;
    CHECK_FALSE(p.client.wants_to_send());
    p.client.request_probe();
    CHECK(p.client.wants_to_send());
    REQUIRE(p.client.send_stream().append(message_of(100)) == Error::ok);
    CHECK(ChannelPair::build(p.client, kHandshakeHeaderSize + kHandshakeTagSize).empty());
    const Bytes probe_and_data = ChannelPair::build(p.client);
    REQUIRE(!probe_and_data.empty());
    HandshakeChannel::Incoming in;
    REQUIRE(ChannelPair::deliver(p.server, probe_and_data, in) == Error::ok);
    CHECK(in.had_frag);
    p.client.request_probe();
    const Bytes probe = ChannelPair::build(p.client);
    REQUIRE(!probe.empty());
    HandshakeChannel::Incoming padding;
    REQUIRE(ChannelPair::deliver(p.server, probe, padding) == Error::ok);
    CHECK_FALSE(padding.had_frag);
    CHECK_FALSE(padding.peer_closed);
}

TEST_CASE("an empty plaintext or a malformed frame is a protocol violation") {
    ChannelPair p;
    HandshakeChannel::Incoming in;
    CHECK(p.server.apply({}, in) == Error::protocol_violation);
    const std::uint8_t unknown_frame[] = {0x7F, 0x00};
    CHECK(p.server.apply(unknown_frame, in) == Error::protocol_violation);
}
