/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A udpvpn client and server in one process, over two real UDP sockets on 127.0.0.1.
 * The client sends three inner packets through the tunnel; the server echoes each one back.
 *
 *   udpvpn-loopback [PKI_DIR]      (default tests/pki: ca.crt, server.crt/.key, client.crt/.key)
 *
 * The library does no I/O: this file owns the sockets, the clock and the event loop. A real
 * program would read and write inner packets on a TUN device instead of making them up. */
#define _POSIX_C_SOURCE 200809L
#include <udpvpn.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) { /* monotonic: what the library's `now` arguments expect */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UDPVPN_NS_PER_SECOND + (uint64_t)ts.tv_nsec;
}

static int64_t wall_clock(void *user) { (void)user; return (int64_t)time(NULL); } /* for X.509 */

static size_t read_file(const char *dir, const char *name, uint8_t *buf, size_t cap) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static udpvpn_identity *load_identity(const char *dir, const char *crt, const char *key) {
    static uint8_t c[16384], k[4096];
    size_t cn = read_file(dir, crt, c, sizeof c), kn = read_file(dir, key, k, sizeof k);
    udpvpn_identity *id = NULL;
    int rc = udpvpn_identity_new(&id, c, cn, k, kn);
    if (rc != UDPVPN_OK) { fprintf(stderr, "%s: %s\n", crt, udpvpn_strerror(rc)); exit(1); }
    return id;
}

static int udp_socket(struct sockaddr_in *bound) { /* 127.0.0.1, any free port */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t len = sizeof *bound;
    memset(bound, 0, sizeof *bound);
    bound->sin_family = AF_INET;
    bound->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)bound, sizeof *bound) != 0 ||
        getsockname(fd, (struct sockaddr *)bound, &len) != 0) { perror("socket"); exit(1); }
    return fd;
}

/* Sends everything the endpoint wants to send. Peer addresses are sockaddr_in bytes. */
static void flush(udpvpn_endpoint *ep, int fd) {
    uint8_t buf[UDPVPN_MAX_DATAGRAM];
    size_t len;
    udpvpn_addr to;
    while (udpvpn_endpoint_poll_datagram(ep, buf, sizeof buf, &len, &to) == 1)
        sendto(fd, buf, len, 0, (const struct sockaddr *)to.bytes, to.len);
}

static void send_inner(udpvpn_endpoint *ep, int fd, uint32_t session, const void *data, size_t n) {
    uint8_t out[1500];
    size_t len;
    udpvpn_addr to;
    int rc = udpvpn_endpoint_seal(ep, now_ns(), session, UDPVPN_PROTO_IPV4, data, n, out, sizeof out, &len, &to);
    if (rc == UDPVPN_OK) sendto(fd, out, len, 0, (const struct sockaddr *)to.bytes, to.len);
    else fprintf(stderr, "seal: %s\n", udpvpn_strerror(rc));
}

static int echoes;

/* An inner packet came out of the tunnel (from receive() or, for data that overtook the end of the
 * handshake, from poll_inner()): the server echoes it, the client counts it and sends the next. */
static void on_inner(int at_server, udpvpn_endpoint *ep, int fd, uint32_t session, const uint8_t *p, size_t n) {
    printf("%s got \"%.*s\"\n", at_server ? "server" : "client", (int)n, (const char *)p);
    if (at_server) {
        send_inner(ep, fd, session, p, n);
    } else if (++echoes < 3) {
        char msg[16];
        int len = snprintf(msg, sizeof msg, "ping %d", echoes + 1);
        send_inner(ep, fd, session, msg, (size_t)len);
    }
}

int main(int argc, char **argv) {
    const char *pki = argc > 1 ? argv[1] : "tests/pki";
    static uint8_t ca[16384];
    size_t ca_len = read_file(pki, "ca.crt", ca, sizeof ca);
    udpvpn_verifier *verifier = NULL;
    if (udpvpn_verifier_new(&verifier, ca, ca_len, NULL, 0, 0, wall_clock, NULL) != UDPVPN_OK) return 1;
    udpvpn_identity *server_id = load_identity(pki, "server.crt", "server.key");
    udpvpn_identity *client_id = load_identity(pki, "client.crt", "client.key");

    struct sockaddr_in server_addr, client_addr;
    int sfd = udp_socket(&server_addr), cfd = udp_socket(&client_addr);

    udpvpn_config config;
    udpvpn_config_init(&config);
    udpvpn_endpoint *server = NULL, *client = NULL;
    if (udpvpn_server_new(&server, &config, server_id, verifier) != UDPVPN_OK) return 1;
    config.expected_server_name = "vpn.example.test";
    config.server.len = sizeof server_addr;
    memcpy(config.server.bytes, &server_addr, sizeof server_addr);
    if (udpvpn_client_new(&client, &config, client_id, verifier) != UDPVPN_OK) return 1;
    udpvpn_identity_free(server_id); /* the endpoints keep their own references */
    udpvpn_identity_free(client_id);
    udpvpn_verifier_free(verifier);

    uint32_t session = 0;
    udpvpn_endpoint_connect(client, now_ns(), &session);
    int sent = 0;
    const uint64_t give_up = now_ns() + 10 * UDPVPN_NS_PER_SECOND;
    while (echoes < 3 && now_ns() < give_up) {
        udpvpn_endpoint *eps[2] = {client, server};
        int fds[2] = {cfd, sfd};
        for (int i = 0; i < 2; ++i) {
            udpvpn_event ev = {.size = sizeof ev};
            while (udpvpn_endpoint_poll_event(eps[i], &ev) == 1) {
                if (ev.type == UDPVPN_EVENT_ESTABLISHED)
                    printf("%s: established with \"%s\"\n", i ? "server" : "client", ev.peer_common_name);
                if (ev.type == UDPVPN_EVENT_ESTABLISHED && i == 0 && sent++ == 0)
                    send_inner(client, cfd, session, "ping 1", 6);
                if (ev.type == UDPVPN_EVENT_CLOSED) { fprintf(stderr, "closed: %s\n", ev.text); return 1; }
            }
            flush(eps[i], fds[i]);
        }
        /* Sleep until a socket is readable or the earliest deadline. */
        uint64_t dc, ds, now = now_ns();
        udpvpn_endpoint_next_deadline(client, &dc);
        udpvpn_endpoint_next_deadline(server, &ds);
        uint64_t next = dc < ds ? dc : ds;
        int timeout_ms = next <= now ? 0 : next - now > 100000000u ? 100 : (int)((next - now) / 1000000u) + 1;
        struct pollfd p[2] = {{.fd = cfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        poll(p, 2, timeout_ms);
        now = now_ns();
        for (int i = 0; i < 2; ++i) {
            if (!(p[i].revents & POLLIN)) continue;
            uint8_t buf[UDPVPN_MAX_DATAGRAM];
            struct sockaddr_in from;
            socklen_t from_len = sizeof from;
            ssize_t n = recvfrom(fds[i], buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
            if (n <= 0) continue;
            udpvpn_received r = {.size = sizeof r};
            if (udpvpn_endpoint_receive(eps[i], now, &from, from_len, buf, (size_t)n, &r) == 0 && r.has_inner)
                on_inner(i, eps[i], fds[i], i ? r.session : session, r.inner, r.inner_len);
            /* else: dropped (counted by the library) or protocol-only */
            size_t len;
            uint32_t sid;
            while (udpvpn_endpoint_poll_inner(eps[i], buf, sizeof buf, &len, &sid, NULL) == 1)
                on_inner(i, eps[i], fds[i], i ? sid : session, buf, len);
        }
        if (now >= dc) udpvpn_endpoint_handle_timeout(client, now);
        if (now >= ds) udpvpn_endpoint_handle_timeout(server, now);
    }
    udpvpn_endpoint_close(client, now_ns(), session, "done");
    flush(client, cfd);
    udpvpn_endpoint_free(client);
    udpvpn_endpoint_free(server);
    close(cfd);
    close(sfd);
    printf("%d echoes\n", echoes);
    return echoes == 3 ? 0 : 1;
}
