// SPDX-License-Identifier: GPL-3.0-or-later
#include <doctest/doctest.h>

#include "control_channel.hpp"
#include "control_messages.hpp"
#include "vectors.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <vector>

using namespace udpvpn;

namespace {

constexpr std::size_t kPayloadBuf = 1203;   // max_datagram 1232 - 29 bytes of DATA overhead

// One direction of a simulated network on a virtual clock: drops, duplicates and reorders
// (every packet gets a random delay, so later packets overtake earlier ones).
struct LossyLink {
    explicit LossyLink(std::mt19937_64& r) : rng(r) {}
    std::mt19937_64& rng;
    double drop = 0.0;
    double dup = 0.0;
    TimeNs min_delay = 10 * kMillisecond;
    TimeNs max_delay = 60 * kMillisecond;
    std::multimap<TimeNs, Bytes> in_flight;
    std::size_t sent = 0, dropped = 0;

    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
    void push(TimeNs now, ByteView p) {
        ++sent;
        const int copies = chance(dup) ? 2 : 1;
        for (int i = 0; i < copies; ++i) {
            if (chance(drop)) { ++dropped; continue; }
            const TimeNs d = std::uniform_int_distribution<TimeNs>(min_delay, max_delay)(rng);
            in_flight.emplace(now + d, Bytes(p.begin(), p.end()));
        }
    }
    TimeNs next_arrival() const { return in_flight.empty() ? kNever : in_flight.begin()->first; }
    // Packets that have arrived by `now`.
    std::vector<Bytes> take(TimeNs now) {
        std::vector<Bytes> out;
        while (!in_flight.empty() && in_flight.begin()->first <= now) {
            out.push_back(std::move(in_flight.begin()->second));
            in_flight.erase(in_flight.begin());
        }
        return out;
    }
};

Bytes body_for(std::uint32_t i, std::mt19937_64& rng) {
    // Distinct content per message, sizes from 4 to the 1100-byte maximum.
    const std::size_t n = std::uniform_int_distribution<std::size_t>(4, ControlChannel::kMaxBody)(rng);
    Bytes b(n);
    for (std::size_t k = 0; k < n; ++k) b[k] = static_cast<std::uint8_t>((i * 131 + k * 7) & 0xFF);
    b[0] = static_cast<std::uint8_t>(i >> 24);
    b[1] = static_cast<std::uint8_t>(i >> 16);
    b[2] = static_cast<std::uint8_t>(i >> 8);
    b[3] = static_cast<std::uint8_t>(i);
    return b;
}

std::uint32_t index_of(const Bytes& b) {
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

// Sends `total` messages each way between two channels over lossy links and checks every message
// arrives complete, in order and exactly once. Returns the virtual time it took.
TimeNs run_transfer(std::uint64_t seed, double drop, double dup, std::uint32_t total) {
    std::mt19937_64 rng(seed);
    Timers timers;
    ControlChannel a(timers), b(timers);
    LossyLink ab(rng), ba(rng);
    ab.drop = ba.drop = drop;
    ab.dup = ba.dup = dup;
    std::uint32_t sent_a = 0, sent_b = 0, got_a = 0, got_b = 0;
    // The sender's and the checker's body generators start from the same seed.
    std::mt19937_64 gen_a(seed + 10), gen_b(seed + 20), exp_a(seed + 10), exp_b(seed + 20);
    TimeNs now = 0;
    Bytes buf(kPayloadBuf);
    for (int iter = 0; iter < 2'000'000; ++iter) {
        while (sent_a < total && a.queued() < ControlChannel::kMaxQueued) {
            REQUIRE(a.send(now, ctrl_msg::ping, body_for(sent_a, gen_a)) == Error::ok);
            ++sent_a;
        }
        while (sent_b < total && b.queued() < ControlChannel::kMaxQueued) {
            REQUIRE(b.send(now, ctrl_msg::pong, body_for(sent_b, gen_b)) == Error::ok);
            ++sent_b;
        }
        CHECK(a.queued() <= ControlChannel::kMaxQueued);
        for (std::size_t n; (n = a.poll_payload(now, buf)) != 0;) ab.push(now, ByteView(buf).first(n));
        for (std::size_t n; (n = b.poll_payload(now, buf)) != 0;) ba.push(now, ByteView(buf).first(n));
        for (const Bytes& p : ab.take(now)) REQUIRE(b.on_payload(now, p) == Error::ok);
        for (const Bytes& p : ba.take(now)) REQUIRE(a.on_payload(now, p) == Error::ok);
        while (auto m = b.poll_message()) {
            REQUIRE(m->type == ctrl_msg::ping);
            REQUIRE(index_of(m->body) == got_b);
            REQUIRE(m->body == body_for(got_b, exp_a));
            ++got_b;
        }
        while (auto m = a.poll_message()) {
            REQUIRE(m->type == ctrl_msg::pong);
            REQUIRE(index_of(m->body) == got_a);
            REQUIRE(m->body == body_for(got_a, exp_b));
            ++got_a;
        }
        if (got_a == total && got_b == total && !a.has_unacked() && !b.has_unacked()) break;
        // Anything left to write now? Otherwise jump to the next event.
        const TimeNs next = std::min({ab.next_arrival(), ba.next_arrival(), a.next_deadline(), b.next_deadline()});
        REQUIRE(next != kNever);
        now = std::max(now, next);
    }
    CHECK(got_a == total);
    CHECK(got_b == total);
    CHECK_FALSE(a.has_unacked());
    CHECK_FALSE(b.has_unacked());
    CHECK_FALSE(a.poll_message());
    CHECK_FALSE(b.poll_message());
    MESSAGE("drop=" << drop << " dup=" << dup << ": " << total << " msgs each way in "
                    << now / kMillisecond << " ms virtual, " << ab.sent << " payloads A->B (" << ab.dropped << " lost)");
    return now;
}

// One poll_payload() call; returns the payload written (empty if nothing was due).
Bytes poll(ControlChannel& c, TimeNs now, std::size_t cap = kPayloadBuf) {
    Bytes buf(cap);
    buf.resize(c.poll_payload(now, buf));
    return buf;
}

std::size_t count_msg_frames(ByteView p) {
    // Walks MSG and ACK frames only (what a sender without probes writes).
    std::size_t n = 0, i = 0;
    while (i < p.size()) {
        if (p[i] == ctrl_frame::ack) { i += 9; continue; }
        REQUIRE(p[i] == ctrl_frame::msg);
        const std::size_t len = (std::size_t{p[i + 6]} << 8) | p[i + 7];
        i += 8 + len;
        ++n;
    }
    REQUIRE(i == p.size());
    return n;
}

}  // namespace

TEST_CASE("1000 messages arrive complete, in order and exactly once over a clean link") {
    run_transfer(1, 0.0, 0.0, 1000);
}

TEST_CASE("1000 messages arrive complete, in order and exactly once despite 30% loss, duplication and reordering") {
    for (std::uint64_t seed : {7u, 8u, 9u}) {
        CAPTURE(seed);
        run_transfer(seed, 0.30, 0.10, 1000);
    }
}

TEST_CASE("a message is delivered once even when its payload arrives twice") {
    Timers t;
    ControlChannel a(t), b(t);
    REQUIRE(a.send(0, ctrl_msg::ping, encode_ping_token(42)) == Error::ok);
    const Bytes p = poll(a, 0);
    REQUIRE(b.on_payload(0, p) == Error::ok);
    REQUIRE(b.on_payload(0, p) == Error::ok);
    auto m = b.poll_message();
    REQUIRE(m);
    CHECK(m->type == ctrl_msg::ping);
    CHECK(decode_ping_token(m->body).value == 42);
    CHECK_FALSE(b.poll_message());
}

TEST_CASE("send rejects bodies over 1100 bytes and more than 64 unacknowledged messages") {
    Timers t;
    ControlChannel a(t);
    CHECK(a.send(0, ctrl_msg::config, Bytes(ControlChannel::kMaxBody + 1)) == Error::invalid_argument);
    CHECK(a.queued() == 0);
    CHECK(a.send(0, ctrl_msg::config, Bytes(ControlChannel::kMaxBody)) == Error::ok);
    for (int i = 1; i < 64; ++i) REQUIRE(a.send(0, ctrl_msg::ping, encode_ping_token(i)) == Error::ok);
    CHECK(a.queued() == 64);
    CHECK(a.send(0, ctrl_msg::ping, encode_ping_token(99)) == Error::queue_full);
    CHECK(a.queued() == 64);
    CHECK(a.has_unacked());
}

TEST_CASE("no more than 32 messages are in flight until the peer acknowledges") {
    Timers t;
    ControlChannel a(t), b(t);
    for (int i = 0; i < 64; ++i) REQUIRE(a.send(0, ctrl_msg::ping, encode_ping_token(i)) == Error::ok);
    std::vector<Bytes> payloads;
    std::size_t frames = 0;
    for (Bytes p; !(p = poll(a, 0)).empty();) {
        frames += count_msg_frames(p);
        payloads.push_back(p);
    }
    CHECK(frames == 32);
    for (const Bytes& p : payloads) REQUIRE(b.on_payload(0, p) == Error::ok);
    const Bytes ack = poll(b, 0);
    REQUIRE(a.on_payload(1, ack) == Error::ok);
    CHECK(a.queued() == 32);
    frames = 0;
    for (Bytes p; !(p = poll(a, 1)).empty();) {
        frames += count_msg_frames(p);
        REQUIRE(b.on_payload(1, p) == Error::ok);
    }
    CHECK(frames == 32);
    int n = 0;
    while (auto m = b.poll_message()) CHECK(decode_ping_token(m->body).value == static_cast<std::uint64_t>(n++));
    CHECK(n == 64);
}

TEST_CASE("retransmission timeout starts at control_rto, doubles up to 5 s and resets on an ACK") {
    Timers t;   // control_rto = 300 ms
    ControlChannel a(t), b(t);
    REQUIRE(a.send(0, ctrl_msg::ping, encode_ping_token(1)) == Error::ok);
    CHECK(a.next_deadline() == 0);        // due at once: it has not been written yet
    Bytes first = poll(a, 0);
    REQUIRE(count_msg_frames(first) == 1);
    // Every retransmission is lost; record when they go out.
    const TimeNs ms = kMillisecond;
    const std::vector<TimeNs> expected = {300 * ms, 900 * ms, 2100 * ms, 4500 * ms, 9300 * ms, 14300 * ms, 19300 * ms};
    std::vector<TimeNs> seen;
    TimeNs now = 0;
    while (seen.size() < expected.size()) {
        const TimeNs d = a.next_deadline();
        REQUIRE(d != kNever);
        CHECK(poll(a, d - 1).empty());   // not a nanosecond early
        now = d;
        Bytes p = poll(a, now);
        REQUIRE(count_msg_frames(p) == 1);
        CHECK(p == first);
        seen.push_back(now);
    }
    CHECK(seen == expected);
    CHECK(a.rto() == ControlChannel::kMaxRto);
    // The peer finally gets it; its ACK ends the backoff and the timer.
    REQUIRE(b.on_payload(now, first) == Error::ok);
    REQUIRE(a.on_payload(now + ms, poll(b, now)) == Error::ok);
    CHECK(a.rto() == t.control_rto);
    CHECK(a.next_deadline() == kNever);
    CHECK_FALSE(a.has_unacked());
    // The next message starts from control_rto again.
    REQUIRE(a.send(now, ctrl_msg::ping, encode_ping_token(2)) == Error::ok);
    REQUIRE_FALSE(poll(a, now + ms).empty());
    CHECK(a.next_deadline() == now + ms + t.control_rto);
}

TEST_CASE("a selectively acknowledged message is not retransmitted") {
    Timers t;
    ControlChannel a(t), b(t);
    for (int i = 0; i < 3; ++i) REQUIRE(a.send(0, ctrl_msg::ping, encode_ping_token(i)) == Error::ok);
    // Write each message in its own payload (the buffer fits one MSG frame).
    std::vector<Bytes> ps;
    for (Bytes p; !(p = poll(a, 0, 8 + 8)).empty();) ps.push_back(p);
    REQUIRE(ps.size() == 3);
    // Message 0 is lost; 1 and 2 arrive and are SACKed.
    REQUIRE(b.on_payload(0, ps[1]) == Error::ok);
    REQUIRE(b.on_payload(0, ps[2]) == Error::ok);
    CHECK_FALSE(b.poll_message());   // 1 and 2 wait for 0
    REQUIRE(a.on_payload(0, poll(b, 0)) == Error::ok);
    CHECK(a.queued() == 3);   // seq 0 still unacked, 1..2 held until it is
    const Bytes re = poll(a, a.next_deadline());
    CHECK(re == ps[0]);       // only the lost one goes again
    REQUIRE(b.on_payload(1, re) == Error::ok);
    for (int i = 0; i < 3; ++i) {
        auto m = b.poll_message();
        REQUIRE(m);
        CHECK(decode_ping_token(m->body).value == static_cast<std::uint64_t>(i));
    }
    REQUIRE(a.on_payload(1, poll(b, 1)) == Error::ok);
    CHECK_FALSE(a.has_unacked());
}

TEST_CASE("a receiver that does not poll messages slows the sender down without losing any") {
    Timers t;
    ControlChannel a(t), b(t);
    TimeNs now = 0;
    std::uint32_t sent = 0;
    for (int round = 0; round < 50; ++round) {
        while (sent < 200 && a.send(now, ctrl_msg::ping, encode_ping_token(sent)) == Error::ok) ++sent;
        for (Bytes p; !(p = poll(a, now)).empty();) REQUIRE(b.on_payload(now, p) == Error::ok);
        for (Bytes p; !(p = poll(b, now)).empty();) REQUIRE(a.on_payload(now, p) == Error::ok);
        now = std::max(now + kMillisecond, std::min(a.next_deadline(), now + kSecond));
    }
    // Nobody polled b: it holds at most kMaxDelivered + its receive window.
    CHECK(sent < 200);
    std::uint64_t expect = 0;
    for (int round = 0; round < 200 && expect < 200; ++round) {
        while (auto m = b.poll_message()) CHECK(decode_ping_token(m->body).value == expect++);
        while (sent < 200 && a.send(now, ctrl_msg::ping, encode_ping_token(sent)) == Error::ok) ++sent;
        for (Bytes p; !(p = poll(a, now)).empty();) REQUIRE(b.on_payload(now, p) == Error::ok);
        for (Bytes p; !(p = poll(b, now)).empty();) REQUIRE(a.on_payload(now, p) == Error::ok);
        now = std::max(now + kMillisecond, std::min(a.next_deadline(), now + kSecond));
    }
    CHECK(expect == 200);
}

TEST_CASE("malformed payloads are rejected and change nothing") {
    Timers t;
    ControlChannel a(t), b(t);
    // a has sent seq 0 and 1; b has received nothing.
    REQUIRE(a.send(0, ctrl_msg::ping, encode_ping_token(1)) == Error::ok);
    REQUIRE(a.send(0, ctrl_msg::ping, encode_ping_token(2)) == Error::ok);
    const Bytes sent = poll(a, 0);
    REQUIRE(count_msg_frames(sent) == 2);
    const TimeNs deadline = a.next_deadline();

    const Bytes valid_msg = {0x01, 0, 0, 0, 0, 0x02, 0x00, 0x01, 0xAA};
    const Bytes ack_all = {0x02, 0, 0, 0, 2, 0, 0, 0, 0};
    const std::vector<std::pair<const char*, Bytes>> bad = {
        {"empty payload", {}},
        {"unknown frame type", {0x05, 0, 0, 0, 0}},
        {"zero frame type", {0x00}},
        {"truncated MSG header", {0x01, 0, 0, 0}},
        {"MSG body shorter than its length", {0x01, 0, 0, 0, 0, 0x02, 0x00, 0x08, 1, 2, 3}},
        {"ACK truncated", {0x02, 0, 0, 0, 1, 0, 0}},
        {"ACK for a message never sent", {0x02, 0, 0, 0, 3, 0, 0, 0, 0}},
        {"SACK for a message never sent", {0x02, 0, 0, 0, 0, 0, 0, 0, 0x02}},
        {"PROBE with non-zero padding", {0x03, 0, 0, 0, 1, 0, 0, 1}},
        {"PROBE truncated", {0x03, 0, 0}},
        {"PROBE_ACK truncated", {0x04, 0, 0, 0, 1, 5}},
    };
    for (const auto& [why, p] : bad) {
        const auto& reason = why;   // clang 14 cannot capture a structured binding
        CAPTURE(reason);
        CHECK(a.on_payload(1, p) == Error::malformed);
        CHECK(b.on_payload(1, p) == Error::malformed);
    }
    // Valid frames followed by garbage: the valid part is not applied either.
    Bytes msg_then_junk = valid_msg;
    msg_then_junk.push_back(0x7F);
    CHECK(b.on_payload(1, msg_then_junk) == Error::malformed);
    Bytes ack_then_junk = ack_all;
    ack_then_junk.push_back(0x01);
    CHECK(a.on_payload(1, ack_then_junk) == Error::malformed);
    Bytes oversized(8 + ControlChannel::kMaxBody + 1, 0);
    oversized[0] = 0x01;
    oversized[6] = static_cast<std::uint8_t>((ControlChannel::kMaxBody + 1) >> 8);
    oversized[7] = static_cast<std::uint8_t>(ControlChannel::kMaxBody + 1);
    CHECK(b.on_payload(1, oversized) == Error::malformed);

    // Nothing changed: b owes no ACK and has no message, a still waits for both.
    CHECK(poll(b, 1).empty());
    CHECK_FALSE(b.poll_message());
    CHECK_FALSE(b.poll_probe_ack());
    CHECK(a.queued() == 2);
    CHECK(a.next_deadline() == deadline);
    CHECK(poll(a, 1).empty());
    // And the channel still works afterwards.
    REQUIRE(b.on_payload(2, sent) == Error::ok);
    REQUIRE(a.on_payload(3, poll(b, 2)) == Error::ok);
    CHECK_FALSE(a.has_unacked());
    CHECK(b.poll_message());
    CHECK(b.poll_message());
}

TEST_CASE("a PROBE is answered with a PROBE_ACK carrying its id and datagram size") {
    Timers t;
    ControlChannel a(t), b(t);
    Bytes buf(1500);
    const std::size_t payload = 1400 - kDataOverhead;
    REQUIRE(write_probe_payload(0xDEADBEEF, payload, buf) == payload);
    CHECK(buf[0] == ctrl_frame::probe);
    CHECK(std::all_of(buf.begin() + 5, buf.begin() + static_cast<std::ptrdiff_t>(payload), [](auto c) { return c == 0; }));
    REQUIRE(b.on_payload(0, ByteView(buf).first(payload)) == Error::ok);
    CHECK_FALSE(b.poll_message());
    const Bytes reply = poll(b, 0);
    REQUIRE(reply.size() == ControlChannel::kProbeAckFrameSize);   // no ACK: a probe is not a message
    REQUIRE(a.on_payload(0, reply) == Error::ok);
    const auto ack = a.poll_probe_ack();
    REQUIRE(ack);
    CHECK(ack->first == 0xDEADBEEF);
    CHECK(ack->second == 1400);
    CHECK_FALSE(a.poll_probe_ack());
    // Probes are not retransmitted and leave the reliable state alone.
    CHECK_FALSE(a.has_unacked());
    CHECK(a.next_deadline() == kNever);
}

TEST_CASE("a PROBE with one non-zero padding byte anywhere is malformed") {
    Timers t;
    const std::size_t payload = 1400 - kDataOverhead;
    for (const std::size_t at : {std::size_t{5}, std::size_t{12}, std::size_t{700}, payload - 9, payload - 1}) {
        ControlChannel b(t);
        Bytes buf(payload);
        REQUIRE(write_probe_payload(7, payload, buf) == payload);
        buf[at] = 0x80;
        CHECK(b.on_payload(0, buf) == Error::malformed);
        CHECK(poll(b, 0).empty());   // nothing owed: the probe was not taken
    }
}

TEST_CASE("write_probe_payload refuses sizes that cannot hold a PROBE frame or do not fit") {
    Bytes buf(100);
    CHECK(write_probe_payload(1, 4, buf) == 0);
    CHECK(write_probe_payload(1, 101, buf) == 0);
    CHECK(write_probe_payload(1, 5, buf) == 5);
}

TEST_CASE("probe acknowledgements owed and received are bounded") {
    Timers t;
    ControlChannel a(t), b(t);
    Bytes probe(64);
    REQUIRE(write_probe_payload(1, probe.size(), probe) == probe.size());
    for (int i = 0; i < 100; ++i) REQUIRE(b.on_payload(0, probe) == Error::ok);
    std::size_t acks = 0;
    for (Bytes p; !(p = poll(b, 0)).empty();) {
        acks += p.size() / ControlChannel::kProbeAckFrameSize;
        REQUIRE(a.on_payload(0, p) == Error::ok);
    }
    CHECK(acks == ControlChannel::kMaxProbeAcks);
    std::size_t got = 0;
    while (a.poll_probe_ack()) ++got;
    CHECK(got == ControlChannel::kMaxProbeAcks);
}

TEST_CASE("random payloads never crash the channel and leave it usable") {
    std::mt19937_64 rng(1234);
    Timers t;
    ControlChannel a(t), b(t);
    REQUIRE(a.send(0, ctrl_msg::ping, encode_ping_token(5)) == Error::ok);
    const Bytes sent = poll(a, 0);
    for (int i = 0; i < 20000; ++i) {
        Bytes p(std::uniform_int_distribution<std::size_t>(0, 64)(rng));
        for (auto& c : p) c = static_cast<std::uint8_t>(rng() & 0x0F);   // small values hit valid types
        (void)a.on_payload(1, p);
        (void)b.on_payload(1, p);
        Bytes out(kPayloadBuf);
        (void)a.poll_payload(1, out);
        (void)b.poll_payload(1, out);
        while (b.poll_message()) {}
        while (a.poll_message()) {}
        while (a.poll_probe_ack()) {}
        while (b.poll_probe_ack()) {}
    }
    CHECK(a.queued() <= ControlChannel::kMaxQueued);
}

TEST_CASE("payload vectors: the receiver answers with the listed frames or rejects the payload") {
    const auto cases = test::load_vectors("control_channel.vec");
    REQUIRE(cases.size() >= 15);
    for (const auto& c : cases) {
        CAPTURE(c.name());
        Timers t;
        ControlChannel ch(t);
        REQUIRE(ch.send(0, ctrl_msg::ping, encode_ping_token(0)) == Error::ok);
        REQUIRE(ch.send(0, ctrl_msg::ping, encode_ping_token(1)) == Error::ok);
        REQUIRE(count_msg_frames(poll(ch, 0)) == 2);
        const Error e = ch.on_payload(1, c.hex("payload"));
        if (c.expect_fail()) {
            CHECK(e == Error::malformed);
            CHECK(poll(ch, 1).empty());
            CHECK_FALSE(ch.poll_message());
            CHECK(ch.queued() == 2);
            continue;
        }
        REQUIRE(e == Error::ok);
        CHECK(poll(ch, 1) == (c.has("reply") ? c.hex("reply") : Bytes{}));
        std::uint64_t delivered = 0;
        while (ch.poll_message()) ++delivered;
        CHECK(delivered == c.uint("delivered"));
    }
}
