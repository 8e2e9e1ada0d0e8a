// SPDX-License-Identifier: GPL-3.0-or-later
// The client endpoint alone, before any server answers: what it refuses to be made with, its first
// flight, caller misuse before the session exists, closing and timing out a handshake.
// tests/endpoint_test.cpp runs it against a server.
#include "sim_setup.hpp"
#include "data_packet.hpp"
#include "wire_format.hpp"

#include <doctest/doctest.h>

using namespace udpvpn;
using namespace udpvpn::sim;

namespace {

constexpr TimeNs kT0 = 5 * kSecond;

PeerAddress server_address() { return PeerAddress::ipv4({192, 0, 2, 10}, 4433); }

ClientEndpointConfig client_config() {
    ClientEndpointConfig c;
    c.expected_server_name = "vpn.example.test";
    c.server = server_address();
    return c;
}

// Every datagram the endpoint wants to send now.
std::vector<std::pair<PeerAddress, Bytes>> drain(Endpoint& ep) {
    std::vector<std::pair<PeerAddress, Bytes>> out;
    for (;;) {
        Bytes buf(kMaxDatagram);
        PeerAddress to;
        Result<std::size_t> n = ep.poll_datagram(buf, to);
        REQUIRE(n.ok());
        if (n.value == 0) return out;
        buf.resize(n.value);
        out.emplace_back(to, std::move(buf));
    }
}

std::optional<Event> closed_event(Endpoint& ep) {
    while (auto e = ep.poll_event())
        if (e->type == EventType::closed) return e;
    return std::nullopt;
}

}  // namespace

TEST_CASE("a client endpoint needs a server name (or leave to accept any), keys and suites") {
    auto make = [](ClientEndpointConfig c, bool with_rng = true) {
        return Endpoint::make_client(std::move(c), pki_identity("client.crt", "client.key"), pki_verifier(),
                                        with_rng ? std::make_shared<DeterministicRng>(1) : nullptr);
    };
    CHECK(make(client_config()).ok());
    ClientEndpointConfig anonymous = client_config();
    anonymous.expected_server_name.clear();
    CHECK(make(anonymous).error == Error::invalid_argument);
    anonymous.allow_any_server_name = true;
    CHECK(make(anonymous).ok());
    CHECK(make(client_config(), false).error == Error::invalid_argument);
    ClientEndpointConfig no_suites = client_config();
    no_suites.suites.clear();
    CHECK(make(no_suites).error == Error::invalid_argument);
    CHECK(Endpoint::make_client(client_config(), Identity{}, pki_verifier(), std::make_shared<DeterministicRng>(1))
              .error == Error::invalid_argument);
    CHECK(Endpoint::make_client(client_config(), pki_identity("client.crt", "client.key"), nullptr,
                                   std::make_shared<DeterministicRng>(1))
              .error == Error::invalid_argument);
}

TEST_CASE("connect sends INITIAL and pad_datagrams PADs, full size, to the server") {
    ClientEndpointConfig c = client_config();
    c.pad_datagrams = 2;
    auto ep = make_client(c, 7);
    Result<SessionId> sid = ep->connect(kT0);
    REQUIRE(sid.ok());
    CHECK(sid.value != 0);
    const auto flight = drain(*ep);
    REQUIRE(flight.size() == 3);
    CHECK(flight[0].second[0] == static_cast<std::uint8_t>(PacketType::initial));
    CHECK(flight[1].second[0] == static_cast<std::uint8_t>(PacketType::pad));
    CHECK(flight[2].second[0] == static_cast<std::uint8_t>(PacketType::pad));
    for (const auto& [to, d] : flight) {
        CHECK(to == server_address());
        CHECK(d.size() == c.max_datagram);   // 1232: at least kMinInitialSize, as §1.1 asks
        CHECK(d.size() >= kMinInitialSize);
    }
    // A new attempt is a new session ID.
    Result<SessionId> again = ep->connect(kT0);
    REQUIRE(again.ok());
    CHECK(again.value != sid.value);
    CHECK(drain(*ep).size() == 3);
}

TEST_CASE("before its session exists the client refuses data, control and unknown packets") {
    auto ep = make_client(client_config(), 7);
    const SessionId sid = ep->connect(kT0).value;
    drain(*ep);
    Bytes out(256);
    const Bytes inner(20, 0x45);
    CHECK(ep->seal(kT0, sid, InnerProtocol::ipv4, inner, out).status == Error::invalid_state);
    CHECK(ep->seal(kT0, sid + 1, InnerProtocol::ipv4, inner, out).status == Error::not_found);
    CHECK(ep->ping(kT0, sid, 1) == Error::invalid_state);
    CHECK(ep->rekey(kT0, sid) == Error::invalid_state);
    CHECK(ep->push_config(kT0, sid, ConfigPush{}) == Error::invalid_state);   // only servers push
    CHECK(ep->push_config(kT0, sid + 1, ConfigPush{}) == Error::not_found);
    CHECK_FALSE(ep->session_info(sid));
    CHECK(ep->sessions().empty());

    Bytes data(64, 0);
    data[0] = kDataTypeBase;   // DATA for our session ID, before there are keys
    data[1] = static_cast<std::uint8_t>(sid >> 24);
    data[2] = static_cast<std::uint8_t>(sid >> 16);
    data[3] = static_cast<std::uint8_t>(sid >> 8);
    data[4] = static_cast<std::uint8_t>(sid);
    CHECK(ep->receive(kT0, server_address(), data).status == Error::unknown_session);
    Bytes initial(1200, 0);
    initial[0] = static_cast<std::uint8_t>(PacketType::initial);   // a server's packet type only
    CHECK(ep->receive(kT0, server_address(), initial).status == Error::malformed);
    Bytes empty;
    CHECK(ep->receive(kT0, server_address(), empty).status == Error::malformed);
    CHECK(ep->stats().dropped[static_cast<int>(Error::unknown_session)] == 1);
    CHECK(ep->stats().dropped[static_cast<int>(Error::malformed)] == 2);
    CHECK_FALSE(ep->poll_event());
}

TEST_CASE("closing during the handshake ends the attempt at once with the caller's reason") {
    auto ep = make_client(client_config(), 7);
    const SessionId sid = ep->connect(kT0).value;
    drain(*ep);
    CHECK(ep->close(kT0, sid + 1, Error::closed_locally, "") == Error::not_found);
    CHECK(ep->close(kT0, sid, Error::closed_locally, "user quit") == Error::ok);
    std::optional<Event> e = closed_event(*ep);
    REQUIRE(e);
    CHECK(e->session == sid);
    CHECK(e->reason == Error::closed_locally);
    CHECK(e->text == "user quit");
    CHECK(ep->next_deadline() == kNever);
    CHECK(drain(*ep).empty());
}

TEST_CASE("an unanswered handshake retransmits its INITIAL and fails at handshake_timeout") {
    ClientEndpointConfig c = client_config();
    c.pad_datagrams = 0;
    auto ep = make_client(c, 7);
    const SessionId sid = ep->connect(kT0).value;
    REQUIRE(drain(*ep).size() == 1);
    const TimeNs first_pto = ep->next_deadline();
    CHECK(first_pto == kT0 + c.timers.handshake_pto);
    ep->handle_timeout(first_pto);
    const auto resent = drain(*ep);
    REQUIRE(resent.size() == 1);
    CHECK(resent[0].second[0] == static_cast<std::uint8_t>(PacketType::initial));
    CHECK(ep->next_deadline() > first_pto);   // backed off
    TimeNs now = first_pto;
    std::optional<Event> e;
    for (int i = 0; i < 100 && !e; ++i) {
        now = ep->next_deadline();
        REQUIRE(now != kNever);
        ep->handle_timeout(now);
        drain(*ep);
        e = closed_event(*ep);
    }
    REQUIRE(e);
    CHECK(e->session == sid);
    CHECK(e->reason == Error::handshake_timeout);
    CHECK(now == kT0 + c.timers.handshake_timeout);
    CHECK(ep->next_deadline() == kNever);
}
