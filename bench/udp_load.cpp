// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-udp-load: many clients on the library, over real UDP, against one running udpvpn-server
// (bench/udp_load.sh sets up the namespaces and the server). Client i has a socket of its own bound
// to 10.99.P.H (P = i / 50, H = i % 50 + 1: 50 hosts per /24, so the server's per-host and
// per-prefix limits stay at their defaults; the caller routes 10.99.0.0/16 to this host as local)
// and the certificate CERT_DIR/c<i % CERTS>.crt. At most 200 handshakes are in flight at once. Each
// established client pings the server's inner address once through the tunnel; a session counts
// when the echo reply comes back.
//   udpvpn-udp-load SERVER_IP PORT CERT_DIR CERTS COUNT SERVER_INNER_IP
// Prints what it reached; exit 0 when every session passed its ping.
#include <udpvpn/certificate.hpp>
#include <udpvpn/endpoint.hpp>
#include <udpvpn/rng.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace udpvpn;

namespace {

constexpr std::size_t kInFlight = 200;
constexpr std::size_t kHostsPerPrefix = 50;

TimeNs now_ns() {
    return static_cast<TimeNs>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) sum += (std::uint32_t{p[i]} << 8) | p[i + 1];
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

// An ICMP echo request from `src` to `dst`, identifier `id`.
std::vector<std::uint8_t> echo_request(const std::array<std::uint8_t, 4>& src, const in_addr& dst, std::uint16_t id) {
    std::vector<std::uint8_t> p(20 + 8 + 8, 0);
    p[0] = 0x45;
    p[3] = static_cast<std::uint8_t>(p.size());
    p[8] = 64;   // TTL
    p[9] = 1;    // ICMP
    std::memcpy(&p[12], src.data(), 4);
    std::memcpy(&p[16], &dst, 4);
    const std::uint16_t ip_sum = checksum(p.data(), 20);
    p[10] = static_cast<std::uint8_t>(ip_sum >> 8);
    p[11] = static_cast<std::uint8_t>(ip_sum);
    p[20] = 8;   // echo request
    p[24] = static_cast<std::uint8_t>(id >> 8);
    p[25] = static_cast<std::uint8_t>(id);
    const std::uint16_t icmp_sum = checksum(p.data() + 20, p.size() - 20);
    p[22] = static_cast<std::uint8_t>(icmp_sum >> 8);
    p[23] = static_cast<std::uint8_t>(icmp_sum);
    return p;
}

struct Client {
    int fd = -1;
    std::unique_ptr<Endpoint> ep;
    SessionId sid = 0;
    bool up = false, pinged = false, passed = false;
    TimeNs next_ping = 0;
    std::optional<std::array<std::uint8_t, 4>> inner;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: %s SERVER_IP PORT CERT_DIR CERTS COUNT SERVER_INNER_IP\n", argv[0]);
        return 2;
    }
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
    in_addr server_inner{};
    if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1 || inet_pton(AF_INET, argv[6], &server_inner) != 1) return 2;
    const std::string dir = argv[3];
    const std::size_t certs = std::strtoul(argv[4], nullptr, 10), count = std::strtoul(argv[5], nullptr, 10);
    if (certs == 0 || count == 0 || count > 250 * kHostsPerPrefix * 256) return 2;

    rlimit rl{count + 64, count + 64};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) { std::perror("setrlimit"); return 2; }
    auto verifier = X509Verifier::create(slurp(dir + "/ca.crt"), "", VerifierPolicy{}, [] { return std::int64_t(std::time(nullptr)); });
    if (!verifier) { std::fprintf(stderr, "cannot load %s/ca.crt\n", dir.c_str()); return 2; }
    std::vector<Identity> ids;
    for (std::size_t k = 0; k < certs; ++k) {
        auto id = load_identity_pem(slurp(dir + "/c" + std::to_string(k) + ".crt"), slurp(dir + "/c" + std::to_string(k) + ".key"));
        if (!id) { std::fprintf(stderr, "cannot load c%zu\n", k); return 2; }
        ids.push_back(id.value);
    }
    std::uint8_t sb[6];
    std::memcpy(sb, &server.sin_addr, 4);
    std::memcpy(sb + 4, &server.sin_port, 2);
    const PeerAddress server_peer = PeerAddress::from(ByteView(sb, 6));

    const int ep = epoll_create1(0);
    std::vector<Client> clients(count);
    std::uint8_t buf[65536];
    auto flush = [&](Client& c) {
        for (;;) {
            PeerAddress to;
            auto n = c.ep->poll_datagram(buf, to);
            if (!n.ok() || n.value == 0) return;
            sendto(c.fd, buf, n.value, 0, reinterpret_cast<sockaddr*>(&server), sizeof server);
        }
    };
    auto start = [&](std::size_t i) -> bool {
        Client& c = clients[i];
        c.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(40000);
        const std::size_t prefix = i / kHostsPerPrefix;
        const std::uint32_t ip = (10u << 24) | (99u << 16) | std::uint32_t(prefix << 8) | std::uint32_t(i % kHostsPerPrefix + 1);
        a.sin_addr.s_addr = htonl(ip);
        if (c.fd < 0 || bind(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) { std::perror("bind"); return false; }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        ClientEndpointConfig cc;
        cc.server = server_peer;
        cc.expected_server_name = "vpn.example.test";
        c.ep = Endpoint::make_client(cc, ids[i % certs], verifier.value, std::make_shared<SystemRng>()).value;
        if (!c.ep) return false;
        c.sid = c.ep->connect(now_ns()).value;
        flush(c);
        return true;
    };

    std::size_t pings_repeated = 0;
    // One echo request through the tunnel, again each second until the reply comes: a datagram the
    // kernel dropped under load is not a session lost.
    auto ping = [&](Client& c, std::size_t i, TimeNs now) {
        if (!c.up || !c.inner || c.passed || (c.pinged && now < c.next_ping)) return;
        const auto packet = echo_request(*c.inner, server_inner, static_cast<std::uint16_t>(i));
        Sealed s = c.ep->seal(now, c.sid, InnerProtocol::ipv4, packet, MutableByteView(buf, sizeof buf));
        if (s.status == Error::ok) sendto(c.fd, buf, s.size, 0, reinterpret_cast<sockaddr*>(&server), sizeof server);
        if (c.pinged) pings_repeated++;
        c.pinged = true;
        c.next_ping = now + kSecond;
    };
    const TimeNs t0 = now_ns();
    TimeNs last_up = t0;
    std::size_t started = 0, up = 0, passed = 0, connecting = 0;
    const TimeNs give_up = t0 + 300 * kSecond;
    while (passed < count && now_ns() < give_up) {
        while (started < count && connecting < kInFlight) {
            if (!start(started++)) return 1;
            connecting++;
        }
        epoll_event evs[256];
        const int n = epoll_wait(ep, evs, 256, 5);
        const TimeNs now = now_ns();
        for (int e = 0; e < n; ++e) {
            Client& c = clients[evs[e].data.u64];
            for (;;) {
                const ssize_t r = recv(c.fd, buf, sizeof buf, 0);
                if (r <= 0) break;
                Received got = c.ep->receive(now, server_peer, MutableByteView(buf, std::size_t(r)));
                if (got.has_inner && got.inner.size() >= 28 && got.inner[20] == 0 && !c.passed) {
                    c.passed = true;
                    passed++;
                }
            }
            while (auto ev = c.ep->poll_event()) {
                if (ev->type == EventType::established && !c.up) {
                    c.up = true;
                    up++;
                    connecting--;
                    last_up = now;
                }
                if (ev->type == EventType::config_received && ev->config.ipv4) c.inner = ev->config.ipv4->addr;
                if (ev->type == EventType::closed) {
                    std::fprintf(stderr, "client %zu closed: %s\n", std::size_t(evs[e].data.u64), ev->text.c_str());
                    if (!c.up) connecting--;
                }
            }
            ping(c, std::size_t(evs[e].data.u64), now);
            flush(c);
        }
        // Timers of the clients not done yet (retransmissions, keepalives, pings to repeat).
        for (std::size_t i = 0; i < started; ++i) {
            Client& c = clients[i];
            if (c.passed) continue;
            ping(c, i, now);
            if (c.ep->next_deadline() > now) continue;
            c.ep->handle_timeout(now);
            flush(c);
        }
    }
    const double secs = double(last_up - t0) / 1e9;
    std::printf("clients started %zu, established %zu, ping through the tunnel %zu (%zu pings repeated), lost %zu\n",
                started, up, passed, pings_repeated, count - passed);
    std::printf("handshakes: %zu in %.2f s wall = %.0f per second (at most %zu in flight)\n", up, secs, double(up) / secs, kInFlight);
    for (Client& c : clients)
        if (c.ep) {
            c.ep->close(now_ns(), c.sid, Error::closed_locally, "load done");
            flush(c);
        }
    return passed == count ? 0 : 1;
}
