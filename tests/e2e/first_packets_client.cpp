// SPDX-License-Identifier: GPL-3.0-or-later
// A small client on the library, over real UDP, for tests/e2e/first_packets.py (issue 10,
// finding 8). It runs COUNT handshakes, one after the other, against a running udpvpn-server, and
// sends its first inner packets right behind its last handshake flight: the datagrams that carry
// CERTIFICATE, CERTIFICATE_VERIFY and FINISHED, then at once PACKETS inner IPv4/UDP packets from
// the client's fixed inner address. The server's loopback test tunnel writes what it delivers to a
// socket of ours; a session counts if all its packets came out there. Then it closes the session
// and waits for the server's ACK of its DISCONNECT.
//
// usage: first-packets-client SERVER_PORT TUNNEL_PEER_PORT PKI_DIR COUNT
// Prints one line per failed session and a summary; exit 0 when every session delivered all its
// packets and received the server's CONFIG.
#include <udpvpn/certificate.hpp>
#include <udpvpn/endpoint.hpp>
#include <udpvpn/rng.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

using namespace udpvpn;

namespace {

constexpr int kPackets = 3;                      // inner packets sent behind the last flight
constexpr const char* kClientInner = "10.77.0.50";   // [clients.alice] ipv4 in the server's file
constexpr const char* kServerInner = "10.77.0.1";

TimeNs now_ns() {
    return static_cast<TimeNs>(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch()).count());
}

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

PeerAddress peer_of(const sockaddr_in& a) {
    std::uint8_t b[6];
    std::memcpy(b, &a.sin_addr, 4);
    std::memcpy(b + 4, &a.sin_port, 2);
    return PeerAddress::from(ByteView(b, 6));
}

int udp_bound(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        std::perror("bind");
        std::exit(2);
    }
    return fd;
}

std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) sum += (std::uint32_t{p[i]} << 8) | p[i + 1];
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

// An IPv4/UDP packet from `src` to the server's inner address carrying `text`.
Bytes ipv4_udp(const char* src, const std::string& text) {
    Bytes p(28 + text.size());
    const std::size_t total = p.size();
    p[0] = 0x45;
    p[2] = static_cast<std::uint8_t>(total >> 8);
    p[3] = static_cast<std::uint8_t>(total);
    p[8] = 64;
    p[9] = 17;
    inet_pton(AF_INET, src, &p[12]);
    inet_pton(AF_INET, kServerInner, &p[16]);
    const std::uint16_t c = checksum(p.data(), 20);
    p[10] = static_cast<std::uint8_t>(c >> 8);
    p[11] = static_cast<std::uint8_t>(c);
    p[20] = 0x9c; p[21] = 0x40;   // port 40000
    p[22] = 0; p[23] = 9;
    const std::size_t udp_len = 8 + text.size();
    p[24] = static_cast<std::uint8_t>(udp_len >> 8);
    p[25] = static_cast<std::uint8_t>(udp_len);
    std::memcpy(&p[28], text.data(), text.size());
    return p;
}

struct Run {
    int sock = -1, tunnel = -1;
    sockaddr_in server{};
    PeerAddress server_peer;
    std::unique_ptr<Endpoint> ep;
    std::uint8_t buf[kMaxDatagram];

    void send_out() {
        for (;;) {
            PeerAddress to;
            auto n = ep->poll_datagram(buf, to);
            if (!n.ok() || n.value == 0) break;
            sendto(sock, buf, n.value, 0, reinterpret_cast<sockaddr*>(&server), sizeof server);
        }
    }
    void seal_and_send(SessionId sid, const Bytes& inner) {
        Sealed s = ep->seal(now_ns(), sid, InnerProtocol::ipv4, inner, buf);
        if (s.status != Error::ok) {
            std::printf("seal failed: %s\n", to_string(s.status));
            return;
        }
        sendto(sock, buf, s.size, 0, reinterpret_cast<sockaddr*>(&server), sizeof server);
    }
    // Feeds what arrives within `ms` to the endpoint and runs its timers; returns on a datagram.
    void service(int ms) {
        pollfd p{sock, POLLIN, 0};
        const TimeNs d = ep->next_deadline();
        const TimeNs now = now_ns();
        if (d <= now) ms = 0;
        else if (d != kNever) ms = std::min<int>(ms, static_cast<int>((d - now) / 1000000 + 1));
        if (poll(&p, 1, ms) > 0) {
            const ssize_t n = recv(sock, buf, sizeof buf, 0);
            if (n > 0) ep->receive(now_ns(), server_peer, MutableByteView(buf, static_cast<std::size_t>(n)));
        }
        if (ep->next_deadline() <= now_ns()) ep->handle_timeout(now_ns());
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s SERVER_PORT TUNNEL_PEER_PORT PKI_DIR COUNT\n", argv[0]);
        return 2;
    }
    const auto server_port = static_cast<std::uint16_t>(std::stoi(argv[1]));
    const auto tunnel_port = static_cast<std::uint16_t>(std::stoi(argv[2]));
    const std::string pki = argv[3];
    const int count = std::stoi(argv[4]);

    auto verifier = X509Verifier::create(slurp(pki + "/ca.crt"), "", VerifierPolicy{},
                                         [] { return static_cast<std::int64_t>(std::time(nullptr)); });
    if (!verifier) {
        std::fprintf(stderr, "verifier: %s\n", to_string(verifier.error));
        return 2;
    }
    Run run;
    run.tunnel = udp_bound(tunnel_port);
    run.server.sin_family = AF_INET;
    run.server.sin_port = htons(server_port);
    run.server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    run.server_peer = peer_of(run.server);

    int delivered_sessions = 0, delivered_packets = 0, handshakes = 0, configs = 0;
    for (int i = 0; i < count; ++i) {
        auto id = load_identity_pem(slurp(pki + "/client.crt"), slurp(pki + "/client.key"));
        if (!id) {
            std::fprintf(stderr, "identity: %s\n", to_string(id.error));
            return 2;
        }
        ClientEndpointConfig cfg;
        cfg.server = run.server_peer;
        cfg.expected_server_name = "vpn.example.test";
        auto made = Endpoint::make_client(cfg, std::move(id.value), verifier.value, std::make_shared<SystemRng>());
        if (!made) return 2;
        run.ep = std::move(made.value);
        run.sock = udp_bound(0);   // a new source port per session, like a new client
        const SessionId sid = run.ep->connect(now_ns()).value;
        run.send_out();
        bool established = false;
        const TimeNs give_up = now_ns() + 5 * kSecond;
        while (!established && now_ns() < give_up) {
            run.service(50);
            while (auto e = run.ep->poll_event()) established |= e->type == EventType::established;
            if (established) {
                // The last flight, then at once the first inner packets, back to back.
                run.send_out();
                for (int k = 0; k < kPackets; ++k)
                    run.seal_and_send(sid, ipv4_udp(kClientInner, "first " + std::to_string(i) + " " + std::to_string(k)));
            } else {
                run.send_out();
            }
        }
        if (!established) {
            std::printf("session %d: no handshake\n", i);
            close(run.sock);
            continue;
        }
        ++handshakes;
        // Wait (serving the session) until the packets come out of the server's tunnel.
        // The server's CONFIG comes at once too (docs/rfc-draft.txt, "CONFIG").
        std::set<int> seen;
        bool config = false;
        const TimeNs wait_until = now_ns() + 1 * kSecond;   // loopback: they come within milliseconds
        while ((static_cast<int>(seen.size()) < kPackets || !config) && now_ns() < wait_until) {
            run.service(5);
            run.send_out();
            while (auto e = run.ep->poll_event()) config |= e->type == EventType::config_received;
            std::uint8_t in[2048];
            for (;;) {
                const ssize_t n = recv(run.tunnel, in, sizeof in, MSG_DONTWAIT);
                if (n <= 28) break;
                const std::string text(reinterpret_cast<const char*>(in) + 28, static_cast<std::size_t>(n) - 28);
                int si = -1, k = -1;
                if (std::sscanf(text.c_str(), "first %d %d", &si, &k) == 2 && si == i) seen.insert(k);
            }
        }
        configs += config;
        delivered_packets += static_cast<int>(seen.size());
        if (static_cast<int>(seen.size()) == kPackets) ++delivered_sessions;
        else std::printf("session %d: %zu of %d first packets delivered\n", i, seen.size(), kPackets);
        if (i + 1 == count) {
            // One packet from an address the server did not assign: it must be counted, not delivered.
            run.seal_and_send(sid, ipv4_udp("10.77.0.99", "spoofed"));
        }
        run.ep->close(now_ns(), sid, Error::closed_locally, "test done");
        run.send_out();
        const TimeNs close_until = now_ns() + 2 * kSecond;
        while (!run.ep->sessions().empty() && now_ns() < close_until) {
            run.service(20);
            run.send_out();
        }
        close(run.sock);
    }
    std::printf("handshakes %d/%d, sessions with all %d first packets delivered %d/%d, packets %d/%d, "
                "CONFIG received %d/%d\n", handshakes, count, kPackets, delivered_sessions, count, delivered_packets,
                count * kPackets, configs, count);
    return delivered_sessions == count && configs == count ? 0 : 1;
}
