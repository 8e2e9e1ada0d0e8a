/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The C API, driven through udpvpn.h only (C11, built with ASan + UBSan): a client and a server
 * endpoint in one process, datagrams passed between them in memory, time virtual. */
#include "udpvpn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static const char *current_test = "";

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "%s:%d: [%s] CHECK failed: %s\n", __FILE__, __LINE__, current_test, #cond); \
            failures++;                                                                           \
        }                                                                                         \
    } while (0)

#define CHECK_RC(expr, want)                                                                      \
    do {                                                                                          \
        const int rc_ = (expr);                                                                   \
        if (rc_ != (want)) {                                                                      \
            fprintf(stderr, "%s:%d: [%s] %s returned %d (%s), expected %d (%s)\n", __FILE__,      \
                    __LINE__, current_test, #expr, rc_, udpvpn_strerror(rc_), (int)(want),        \
                    udpvpn_strerror(want));                                                       \
            failures++;                                                                           \
        }                                                                                         \
    } while (0)

/* --- test PKI ---------------------------------------------------------------------------------- */

#define TEST_TIME INT64_C(1780272000) /* 2026-06-01: every "valid" test certificate is valid */

typedef struct { uint8_t *data; size_t len; } buffer;

static buffer read_pki(const char *name) {
    const char *dir = getenv("UDPVPN_TEST_PKI");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "tests/pki", name);
    buffer b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot read %s (set UDPVPN_TEST_PKI)\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.data = malloc((size_t)n + 1);
    if (!b.data || fread(b.data, 1, (size_t)n, f) != (size_t)n) exit(2);
    b.len = (size_t)n;
    fclose(f);
    return b;
}

/* PEM -> concatenated DER (every block of the file), to feed the DER paths of the API. */
static int b64_value(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static buffer pem_to_der(buffer pem) {
    buffer der = {malloc(pem.len), 0};
    if (!der.data) exit(2);
    const char *s = (const char *)pem.data, *end = s + pem.len;
    while (s < end) {
        const char *line_end = memchr(s, '\n', (size_t)(end - s));
        if (!line_end) line_end = end;
        if (*s != '-') { /* a base64 line */
            unsigned acc = 0;
            int bits = 0;
            for (const char *p = s; p < line_end; ++p) {
                const int v = b64_value(*p);
                if (v < 0) continue;
                acc = (acc << 6) | (unsigned)v;
                bits += 6;
                if (bits >= 8) {
                    bits -= 8;
                    der.data[der.len++] = (uint8_t)(acc >> bits);
                }
            }
        }
        s = line_end + 1;
    }
    return der;
}

static int64_t fixed_clock(void *user) { return *(const int64_t *)user; }
static int64_t test_time = TEST_TIME;

/* splitmix64: reproducible test randomness (never for production). */
static void test_random(void *user, uint8_t *out, size_t len) {
    uint64_t *state = user;
    for (size_t i = 0; i < len; ++i) {
        uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        out[i] = (uint8_t)(z ^ (z >> 31));
    }
}

static udpvpn_identity *identity(const char *name) {
    char crt[64], key[64];
    snprintf(crt, sizeof crt, "%s.crt", name);
    snprintf(key, sizeof key, "%s.key", name);
    buffer c = read_pki(crt), k = read_pki(key);
    udpvpn_identity *id = NULL;
    CHECK_RC(udpvpn_identity_new(&id, c.data, c.len, k.data, k.len), UDPVPN_OK);
    free(c.data);
    free(k.data);
    return id;
}

static udpvpn_verifier *verifier(const char *ca_file, const char *crl_file) {
    buffer ca = read_pki(ca_file), crl = {NULL, 0};
    if (crl_file) crl = read_pki(crl_file);
    udpvpn_verifier *v = NULL;
    CHECK_RC(udpvpn_verifier_new(&v, ca.data, ca.len, crl.data, crl.len, 0, fixed_clock, &test_time),
             UDPVPN_OK);
    free(ca.data);
    free(crl.data);
    return v;
}

/* --- an in-memory world: one client, one server, a virtual clock ------------------------------ */

#define MAX_EVENTS 64
#define MAX_INNER 16

typedef struct {
    udpvpn_event list[MAX_EVENTS]; /* only scalar fields are kept: pointers die at the next poll */
    char cn[MAX_EVENTS][64];
    char text[MAX_EVENTS][256];
    int n;
} event_log;

typedef struct {
    uint8_t data[1500];
    size_t len;
    int protocol;
    uint32_t session;
} inner_packet;

typedef struct {
    udpvpn_endpoint *ep;
    udpvpn_addr addr; /* our address as the peer sees it */
    event_log events;
    inner_packet inner[MAX_INNER];
    int n_inner;
    uint64_t rng_state;
    udpvpn_config_push last_config;
    udpvpn_ipv4_prefix last_routes4[8];
    uint8_t last_dns4[8][4];
} side;

typedef struct {
    side client, server;
    uint64_t now;
    uint32_t client_session, server_session;
} world;

static void record_events(side *s) {
    udpvpn_event e;
    for (;;) {
        e.size = sizeof e;
        const int rc = udpvpn_endpoint_poll_event(s->ep, &e);
        CHECK(rc >= 0);
        if (rc <= 0) return;
        if (s->events.n >= MAX_EVENTS) continue;
        const int i = s->events.n++;
        s->events.list[i] = e;
        snprintf(s->events.cn[i], sizeof s->events.cn[i], "%s", e.peer_common_name);
        snprintf(s->events.text[i], sizeof s->events.text[i], "%s", e.text);
        s->events.list[i].peer_common_name = s->events.cn[i];
        s->events.list[i].text = s->events.text[i];
        s->events.list[i].peer_fingerprint = "";
        s->events.list[i].config = NULL;
        if (e.type == UDPVPN_EVENT_CONFIG_RECEIVED) {
            CHECK(e.config != NULL);
            if (e.config && e.config->size >= sizeof(udpvpn_config_push)) {
                s->last_config = *e.config;
                for (size_t r = 0; r < e.config->n_routes4 && r < 8; ++r) s->last_routes4[r] = e.config->routes4[r];
                for (size_t r = 0; r < e.config->n_dns4 && r < 8; ++r) memcpy(s->last_dns4[r], e.config->dns4 + 4 * r, 4);
                s->last_config.routes4 = s->last_routes4;
                s->last_config.dns4 = &s->last_dns4[0][0];
            }
        }
    }
}

static const udpvpn_event *find_event(const side *s, int type) {
    for (int i = 0; i < s->events.n; ++i)
        if (s->events.list[i].type == type) return &s->events.list[i];
    return NULL;
}

static void deliver(side *to, const udpvpn_addr *from, uint8_t *d, size_t len, uint64_t now) {
    udpvpn_received r;
    r.size = sizeof r;
    const int rc = udpvpn_endpoint_receive(to->ep, now, from->bytes, from->len, d, len, &r);
    CHECK(rc == 0 || udpvpn_err_is_drop(rc));
    if (rc == 0 && r.has_inner && to->n_inner < MAX_INNER && r.inner_len <= sizeof to->inner[0].data) {
        inner_packet *p = &to->inner[to->n_inner++];
        memcpy(p->data, r.inner, r.inner_len);
        p->len = r.inner_len;
        p->protocol = r.protocol;
        p->session = r.session;
    }
    for (;;) { /* early data delivered outside receive() */
        inner_packet *p = &to->inner[to->n_inner < MAX_INNER ? to->n_inner : MAX_INNER - 1];
        size_t n = 0;
        uint32_t sid = 0;
        int proto = -1;
        const int got = udpvpn_endpoint_poll_inner(to->ep, p->data, sizeof p->data, &n, &sid, &proto);
        CHECK(got >= 0);
        if (got <= 0) break;
        p->len = n;
        p->protocol = proto;
        p->session = sid;
        if (to->n_inner < MAX_INNER) to->n_inner++;
    }
}

/* Moves every pending datagram from `from` to `to`. Returns how many. */
static int flush(world *w, side *from, side *to) {
    int moved = 0;
    uint8_t buf[UDPVPN_MAX_DATAGRAM];
    for (;;) {
        size_t len = 0;
        udpvpn_addr dst;
        const int rc = udpvpn_endpoint_poll_datagram(from->ep, buf, sizeof buf, &len, &dst);
        CHECK(rc >= 0);
        if (rc <= 0) break;
        deliver(to, &from->addr, buf, len, w->now);
        moved++;
    }
    record_events(from);
    record_events(to);
    return moved;
}

/* Exchanges datagrams until both sides are quiet; when quiet, jumps to the next deadline while
 * `until` is not yet reached. */
static void pump(world *w, uint64_t until) {
    for (int rounds = 0; rounds < 10000; ++rounds) {
        const int a = flush(w, &w->client, &w->server);
        const int b = flush(w, &w->server, &w->client);
        if (a + b > 0) continue;
        uint64_t dc = UDPVPN_NEVER, ds = UDPVPN_NEVER;
        CHECK_RC(udpvpn_endpoint_next_deadline(w->client.ep, &dc), UDPVPN_OK);
        CHECK_RC(udpvpn_endpoint_next_deadline(w->server.ep, &ds), UDPVPN_OK);
        uint64_t next = dc < ds ? dc : ds;
        if (next == UDPVPN_NEVER || next > until) return;
        if (next > w->now) w->now = next;
        CHECK_RC(udpvpn_endpoint_handle_timeout(w->client.ep, w->now), UDPVPN_OK);
        CHECK_RC(udpvpn_endpoint_handle_timeout(w->server.ep, w->now), UDPVPN_OK);
    }
}

static void set_addr(udpvpn_addr *a, const char *name) {
    memset(a, 0, sizeof *a);
    a->len = (uint8_t)strlen(name);
    memcpy(a->bytes, name, a->len);
}

/* When set, world_init gives the server this cluster key (docs/rfc-draft.txt, Section 10.5). */
static const uint8_t *world_cluster_key;

/* A world whose client uses `client_id` and trusts `client_ca`; the server uses "server" and
 * trusts ca.crt (+ `server_crl`). */
static void world_init(world *w, udpvpn_identity *client_id, udpvpn_verifier *client_v,
                       udpvpn_identity *server_id, udpvpn_verifier *server_v) {
    memset(w, 0, sizeof *w);
    w->now = UDPVPN_NS_PER_SECOND; /* any origin */
    set_addr(&w->client.addr, "client:1");
    set_addr(&w->server.addr, "server:1");
    w->client.rng_state = 1;
    w->server.rng_state = 2;

    udpvpn_config c;
    CHECK_RC(udpvpn_config_init(&c), UDPVPN_OK);
    c.random = test_random;
    c.random_user = &w->server.rng_state;
    c.server_id = 7;
    if (world_cluster_key) {
        c.has_cluster_key = 1;
        memcpy(c.cluster_key, world_cluster_key, sizeof c.cluster_key);
    }
    CHECK_RC(udpvpn_server_new(&w->server.ep, &c, server_id, server_v), UDPVPN_OK);

    CHECK_RC(udpvpn_config_init(&c), UDPVPN_OK);
    c.random = test_random;
    c.random_user = &w->client.rng_state;
    c.expected_server_name = "vpn.example.test";
    c.server = w->server.addr;
    CHECK_RC(udpvpn_client_new(&w->client.ep, &c, client_id, client_v), UDPVPN_OK);
}

static void world_free(world *w) {
    udpvpn_endpoint_free(w->client.ep);
    udpvpn_endpoint_free(w->server.ep);
}

/* A world with the standard PKI, handshake done. */
static void world_established(world *w) {
    udpvpn_identity *cid = identity("client"), *sid = identity("server");
    udpvpn_verifier *v = verifier("ca.crt", NULL);
    world_init(w, cid, v, sid, v);
    /* The endpoints hold their own references. */
    udpvpn_identity_free(cid);
    udpvpn_identity_free(sid);
    udpvpn_verifier_free(v);
    CHECK_RC(udpvpn_endpoint_connect(w->client.ep, w->now, &w->client_session), UDPVPN_OK);
    pump(w, w->now + 5 * UDPVPN_NS_PER_SECOND);
    const udpvpn_event *ce = find_event(&w->client, UDPVPN_EVENT_ESTABLISHED);
    const udpvpn_event *se = find_event(&w->server, UDPVPN_EVENT_ESTABLISHED);
    CHECK(ce != NULL);
    CHECK(se != NULL);
    if (se) w->server_session = se->session;
    if (ce) CHECK(ce->session == w->client_session);
}

/* Seals `msg` on one side and delivers it to the other; returns whether it arrived intact. */
static bool send_inner(world *w, side *from, uint32_t session, side *to, const char *msg) {
    uint8_t out[256];
    size_t len = 0;
    udpvpn_addr dst;
    const size_t n = strlen(msg);
    const int before = to->n_inner;
    CHECK_RC(udpvpn_endpoint_seal(from->ep, w->now, session, UDPVPN_PROTO_IPV4, (const uint8_t *)msg, n, out,
                                  sizeof out, &len, &dst),
             UDPVPN_OK);
    CHECK(len == n + UDPVPN_DATA_OVERHEAD);
    deliver(to, &from->addr, out, len, w->now);
    if (to->n_inner != before + 1) return false;
    const inner_packet *p = &to->inner[before];
    return p->len == n && memcmp(p->data, msg, n) == 0 && p->protocol == UDPVPN_PROTO_IPV4;
}

/* --- tests ------------------------------------------------------------------------------------ */

static void test_versions_and_errors(void) {
    current_test = "versions and errors";
    CHECK(udpvpn_abi_version() == UDPVPN_ABI_VERSION);
    CHECK(strlen(udpvpn_version_string()) > 0);
    CHECK(strcmp(udpvpn_strerror(UDPVPN_ERR_CERT_REVOKED), "certificate revoked") == 0);
    CHECK(strcmp(udpvpn_strerror(UDPVPN_ERR_NO_MEMORY), "out of memory") == 0);
    const int odd[] = {1, 12345, -99, -199, -251, -100000, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; ++i) CHECK(udpvpn_strerror(odd[i]) != NULL);
    CHECK(udpvpn_err_is_fatal(UDPVPN_ERR_CERT_REVOKED));
    CHECK(udpvpn_err_is_fatal(UDPVPN_ERR_NO_MEMORY));
    CHECK(!udpvpn_err_is_fatal(UDPVPN_OK));
    CHECK(!udpvpn_err_is_fatal(UDPVPN_ERR_BAD_TAG));
    CHECK(!udpvpn_err_is_fatal(UDPVPN_ERR_BUFFER_TOO_SMALL));
    CHECK(udpvpn_err_is_drop(UDPVPN_ERR_REPLAYED));
    CHECK(!udpvpn_err_is_drop(UDPVPN_ERR_CERT_REVOKED));
    CHECK(!udpvpn_err_is_drop(UDPVPN_OK));
}

static void test_handshake_and_data_both_ways(void) {
    current_test = "handshake and data both ways";
    world w;
    world_established(&w);
    const udpvpn_event *se = find_event(&w.server, UDPVPN_EVENT_ESTABLISHED);
    const udpvpn_event *ce = find_event(&w.client, UDPVPN_EVENT_ESTABLISHED);
    if (se) CHECK(strcmp(se->peer_common_name, "alice") == 0);
    if (se) CHECK(se->address.len == w.client.addr.len && memcmp(se->address.bytes, "client:1", 8) == 0);
    if (ce) CHECK(ce->suite == UDPVPN_SUITE_CHACHA20_POLY1305 || ce->suite == UDPVPN_SUITE_AES256_GCM);

    CHECK(send_inner(&w, &w.client, w.client_session, &w.server, "hello from the client"));
    CHECK(send_inner(&w, &w.server, w.server_session, &w.client, "hello from the server"));
    for (int i = 0; i < 5; ++i) {
        CHECK(send_inner(&w, &w.client, w.client_session, &w.server, "c->s"));
        CHECK(send_inner(&w, &w.server, w.server_session, &w.client, "s->c"));
    }
    if (w.server.n_inner > 0) CHECK(w.server.inner[0].session == w.server_session);

    /* The verified identity is readable after the handshake. */
    char name[64];
    size_t len = 0;
    CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, w.server_session, UDPVPN_PEER_COMMON_NAME, 0, name,
                                           sizeof name, &len),
             UDPVPN_OK);
    CHECK(len == 5 && strcmp(name, "alice") == 0);
    CHECK_RC(udpvpn_endpoint_peer_identity(w.client.ep, w.client_session, UDPVPN_PEER_DNS_NAME, 0, name,
                                           sizeof name, &len),
             UDPVPN_OK);
    CHECK(strcmp(name, "vpn.example.test") == 0);
    CHECK_RC(udpvpn_endpoint_peer_identity(w.client.ep, w.client_session, UDPVPN_PEER_DNS_NAME, 1, name,
                                           sizeof name, &len),
             UDPVPN_ERR_NOT_FOUND);
    char fp[65];
    CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, w.server_session, UDPVPN_PEER_FINGERPRINT, 0, fp,
                                           sizeof fp, &len),
             UDPVPN_OK);
    CHECK(len == 64);
    /* Issuer and subject: what names the client within its CA (RFC 4514). */
    CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, w.server_session, UDPVPN_PEER_SUBJECT, 0, name,
                                           sizeof name, &len),
             UDPVPN_OK);
    CHECK(strcmp(name, "O=udpvpn tests,CN=alice") == 0);
    CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, w.server_session, UDPVPN_PEER_ISSUER, 0, name,
                                           sizeof name, &len),
             UDPVPN_OK);
    CHECK(strcmp(name, "O=udpvpn tests,CN=udpvpn test root CA") == 0);
    CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, w.server_session, UDPVPN_PEER_EMAIL, 0, name,
                                           sizeof name, &len),
             UDPVPN_ERR_NOT_FOUND);
    CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, w.server_session, UDPVPN_PEER_URI, 0, name,
                                           sizeof name, &len),
             UDPVPN_ERR_NOT_FOUND);
    CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, w.server_session, UDPVPN_PEER_ISSUER, 1, name,
                                           sizeof name, &len),
             UDPVPN_ERR_INVALID_ARGUMENT);

    udpvpn_session_info info;
    info.size = sizeof info;
    CHECK_RC(udpvpn_endpoint_session_info(w.server.ep, w.server_session, &info), UDPVPN_OK);
    CHECK(info.established);
    CHECK(info.session == w.server_session);
    CHECK(info.rx_packets >= 6 && info.tx_packets >= 6);
    CHECK(info.peer_not_after > TEST_TIME);

    uint32_t ids[4];
    size_t count = 0;
    CHECK_RC(udpvpn_endpoint_sessions(w.server.ep, ids, 4, &count), UDPVPN_OK);
    CHECK(count == 1 && ids[0] == w.server_session);

    udpvpn_stats st;
    st.size = sizeof st;
    CHECK_RC(udpvpn_endpoint_stats(w.server.ep, &st), UDPVPN_OK);
    CHECK(st.handshakes_completed == 1);
    CHECK(st.sessions == 1);

    /* A replayed datagram is dropped, counted, and not fatal. */
    uint8_t out[128], copy[128];
    size_t n = 0;
    CHECK_RC(udpvpn_endpoint_seal(w.client.ep, w.now, w.client_session, UDPVPN_PROTO_IPV6,
                                  (const uint8_t *)"x", 1, out, sizeof out, &n, NULL),
             UDPVPN_OK);
    memcpy(copy, out, n);
    udpvpn_received r;
    r.size = sizeof r;
    CHECK_RC(udpvpn_endpoint_receive(w.server.ep, w.now, w.client.addr.bytes, w.client.addr.len, out, n, &r),
             UDPVPN_OK);
    CHECK(r.has_inner && r.protocol == UDPVPN_PROTO_IPV6 && r.inner_len == 1 && r.inner >= out &&
          r.inner < out + n);
    const int replay =
        udpvpn_endpoint_receive(w.server.ep, w.now, w.client.addr.bytes, w.client.addr.len, copy, n, &r);
    CHECK(replay == UDPVPN_ERR_REPLAYED);
    CHECK(udpvpn_err_is_drop(replay) && !udpvpn_err_is_fatal(replay));
    st.size = sizeof st;
    CHECK_RC(udpvpn_endpoint_stats(w.server.ep, &st), UDPVPN_OK);
    CHECK(st.dropped[-UDPVPN_ERR_REPLAYED] == 1);
    world_free(&w);
}

static void test_control_channel(void) {
    current_test = "ping, config push, rekey and close";
    world w;
    world_established(&w);

    CHECK_RC(udpvpn_endpoint_ping(w.client.ep, w.now, w.client_session, 0xfeedbeef), UDPVPN_OK);
    pump(&w, w.now);
    const udpvpn_event *pong = find_event(&w.client, UDPVPN_EVENT_PONG);
    CHECK(pong != NULL);
    if (pong) CHECK(pong->token == 0xfeedbeef);

    udpvpn_ipv4_prefix routes[2] = {{{10, 0, 0, 0}, 8}, {{192, 168, 5, 0}, 24}};
    const uint8_t dns[4] = {10, 0, 0, 53};
    udpvpn_config_push push;
    memset(&push, 0, sizeof push);
    push.size = sizeof push;
    push.has_ipv4 = 1;
    memcpy(push.ipv4.addr, (uint8_t[4]){10, 8, 0, 2}, 4);
    push.ipv4.prefix = 24;
    push.routes4 = routes;
    push.n_routes4 = 2;
    push.dns4 = dns;
    push.n_dns4 = 1;
    push.has_mtu = 1;
    push.mtu = 1380;
    CHECK_RC(udpvpn_endpoint_push_config(w.server.ep, w.now, w.server_session, &push), UDPVPN_OK);
    pump(&w, w.now);
    CHECK(find_event(&w.client, UDPVPN_EVENT_CONFIG_RECEIVED) != NULL);
    const udpvpn_config_push *got = &w.client.last_config;
    CHECK(got->has_ipv4 && got->ipv4.prefix == 24 && got->ipv4.addr[3] == 2);
    CHECK(got->n_routes4 == 2 && got->routes4[1].prefix == 24 && got->routes4[1].addr[1] == 168);
    CHECK(got->n_dns4 == 1 && got->dns4[3] == 53);
    CHECK(got->has_mtu && got->mtu == 1380);
    CHECK(!got->has_ipv6 && got->n_routes6 == 0 && got->routes6 == NULL);

    CHECK_RC(udpvpn_endpoint_rekey(w.client.ep, w.now, w.client_session), UDPVPN_OK);
    pump(&w, w.now + UDPVPN_NS_PER_SECOND);
    CHECK(find_event(&w.client, UDPVPN_EVENT_REKEYED) != NULL);
    CHECK(send_inner(&w, &w.client, w.client_session, &w.server, "after rekey"));
    CHECK(send_inner(&w, &w.server, w.server_session, &w.client, "after rekey"));

    CHECK_RC(udpvpn_endpoint_close(w.client.ep, w.now, w.client_session, "bye"), UDPVPN_OK);
    pump(&w, w.now + UDPVPN_NS_PER_SECOND);
    const udpvpn_event *cc = find_event(&w.client, UDPVPN_EVENT_CLOSED);
    const udpvpn_event *sc = find_event(&w.server, UDPVPN_EVENT_CLOSED);
    CHECK(cc != NULL);
    CHECK(sc != NULL);
    if (cc) CHECK(cc->reason == UDPVPN_ERR_CLOSED_LOCALLY);
    if (sc) CHECK(sc->reason == UDPVPN_ERR_PEER_CLOSED && strstr(sc->text, "bye") != NULL);
    if (sc) CHECK(udpvpn_err_is_fatal(sc->reason));
    /* The session is gone: data for it is refused. */
    uint8_t out[64];
    size_t n = 0;
    const int rc = udpvpn_endpoint_seal(w.server.ep, w.now, w.server_session, UDPVPN_PROTO_IPV4,
                                        (const uint8_t *)"late", 4, out, sizeof out, &n, NULL);
    CHECK(rc == UDPVPN_ERR_NOT_FOUND || rc == UDPVPN_ERR_INVALID_STATE);
    world_free(&w);
}

static void test_too_small_buffers(void) {
    current_test = "too-small output buffers say how large they must be";
    udpvpn_identity *cid = identity("client"), *sid = identity("server");
    udpvpn_verifier *v = verifier("ca.crt", NULL);
    world w;
    world_init(&w, cid, v, sid, v);
    CHECK_RC(udpvpn_endpoint_connect(w.client.ep, w.now, &w.client_session), UDPVPN_OK);

    /* The INITIAL datagram is at least 1200 bytes: a 16-byte buffer is too small, and the
     * datagram stays queued until a large enough buffer comes. */
    uint8_t small[16], big[UDPVPN_MAX_DATAGRAM];
    size_t need = 0, len = 0;
    CHECK_RC(udpvpn_endpoint_poll_datagram(w.client.ep, small, sizeof small, &need, NULL),
             UDPVPN_ERR_BUFFER_TOO_SMALL);
    CHECK(need >= 1200);
    CHECK_RC(udpvpn_endpoint_poll_datagram(w.client.ep, NULL, 0, &len, NULL), UDPVPN_ERR_BUFFER_TOO_SMALL);
    CHECK(len == need);
    CHECK_RC(udpvpn_endpoint_poll_datagram(w.client.ep, big, need, &len, NULL), 1);
    CHECK(len == need && big[0] == 0x01); /* INITIAL */
    deliver(&w.server, &w.client.addr, big, len, w.now);
    pump(&w, w.now + 5 * UDPVPN_NS_PER_SECOND);
    const udpvpn_event *se = find_event(&w.server, UDPVPN_EVENT_ESTABLISHED);
    CHECK(se != NULL);
    if (se) w.server_session = se->session;

    uint8_t out[8];
    len = 0;
    CHECK_RC(udpvpn_endpoint_seal(w.client.ep, w.now, w.client_session, UDPVPN_PROTO_IPV4,
                                  (const uint8_t *)"0123456789", 10, out, sizeof out, &len, NULL),
             UDPVPN_ERR_BUFFER_TOO_SMALL);
    CHECK(len == 10 + UDPVPN_DATA_OVERHEAD);
    /* The refused seal cost nothing: the next packet still arrives. */
    CHECK(send_inner(&w, &w.client, w.client_session, &w.server, "after a short buffer"));

    char name[3];
    CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, w.server_session, UDPVPN_PEER_COMMON_NAME, 0, name,
                                           sizeof name, &len),
             UDPVPN_ERR_BUFFER_TOO_SMALL);
    CHECK(len == 6); /* "alice" + NUL */
    CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, w.server_session, UDPVPN_PEER_COMMON_NAME, 0, NULL, 0,
                                           &len),
             UDPVPN_ERR_BUFFER_TOO_SMALL);
    CHECK(len == 6);

    size_t count = 0;
    CHECK_RC(udpvpn_endpoint_sessions(w.server.ep, NULL, 0, &count), UDPVPN_ERR_BUFFER_TOO_SMALL);
    CHECK(count == 1);

    world_free(&w);
    udpvpn_identity_free(cid);
    udpvpn_identity_free(sid);
    udpvpn_verifier_free(v);
}

static void test_der_credentials(void) {
    current_test = "DER certificates, keys, CA and CRL work like PEM";
    /* Client: P-256 (client_ecdsa, CN bob); server: Ed25519. Both from DER. */
    buffer crt = read_pki("client_ecdsa.crt"), key = read_pki("client_ecdsa.key"), ca = read_pki("ca.crt"),
           crl = read_pki("crl.pem"), ekey = read_pki("server.key"), ecrt = read_pki("server.crt");
    buffer crt_der = pem_to_der(crt), key_der = pem_to_der(key), ca_der = pem_to_der(ca), crl_der = pem_to_der(crl),
           ekey_der = pem_to_der(ekey), ecrt_der = pem_to_der(ecrt);
    CHECK(crt_der.len > 100 && crt_der.data[0] == 0x30);

    udpvpn_identity *cid = NULL, *sid = NULL;
    CHECK_RC(udpvpn_identity_new(&cid, crt_der.data, crt_der.len, key_der.data, key_der.len), UDPVPN_OK);
    CHECK_RC(udpvpn_identity_new(&sid, ecrt_der.data, ecrt_der.len, ekey_der.data, ekey_der.len), UDPVPN_OK);
    udpvpn_verifier *v = NULL;
    CHECK_RC(udpvpn_verifier_new(&v, ca_der.data, ca_der.len, crl_der.data, crl_der.len, 0, fixed_clock,
                                 &test_time),
             UDPVPN_OK);

    /* Truncated DER is refused, not read past its end. */
    udpvpn_identity *bad = NULL;
    CHECK_RC(udpvpn_identity_new(&bad, crt_der.data, crt_der.len - 1, key_der.data, key_der.len),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK(bad == NULL);
    CHECK_RC(udpvpn_identity_new(&bad, crt_der.data, crt_der.len, key_der.data, key_der.len - 1),
             UDPVPN_ERR_INVALID_ARGUMENT);

    if (cid && sid && v) {
        world w;
        world_init(&w, cid, v, sid, v);
        CHECK_RC(udpvpn_endpoint_connect(w.client.ep, w.now, &w.client_session), UDPVPN_OK);
        pump(&w, w.now + 5 * UDPVPN_NS_PER_SECOND);
        const udpvpn_event *se = find_event(&w.server, UDPVPN_EVENT_ESTABLISHED);
        CHECK(se != NULL);
        if (se) CHECK(strcmp(se->peer_common_name, "bob") == 0);
        world_free(&w);
    }
    udpvpn_identity_free(cid);
    udpvpn_identity_free(sid);
    udpvpn_verifier_free(v);
    buffer all[] = {crt, key, ca, crl, ekey, ecrt, crt_der, key_der, ca_der, crl_der, ekey_der, ecrt_der};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) free(all[i].data);
}

static void test_rsa_identities(void) {
    current_test = "RSA leaves (RSA-PSS) in both roles; unsupported keys get CERT_UNSUPPORTED_KEY";
    /* Client: RSA-2048 from DER (a PKCS#1 RSAPrivateKey); server: RSA-4096 from PEM (PKCS#8). */
    buffer crt = read_pki("client_rsa.crt"), key = read_pki("client_rsa_pkcs1.der");
    buffer crt_der = pem_to_der(crt);
    udpvpn_identity *cid = NULL;
    CHECK_RC(udpvpn_identity_new(&cid, crt_der.data, crt_der.len, key.data, key.len), UDPVPN_OK);
    udpvpn_identity *sid = identity("server_rsa");
    udpvpn_verifier *v = verifier("ca.crt", NULL);
    if (cid && sid && v) {
        world w;
        world_init(&w, cid, v, sid, v);
        CHECK_RC(udpvpn_endpoint_connect(w.client.ep, w.now, &w.client_session), UDPVPN_OK);
        pump(&w, w.now + 5 * UDPVPN_NS_PER_SECOND);
        const udpvpn_event *se = find_event(&w.server, UDPVPN_EVENT_ESTABLISHED);
        CHECK(se != NULL);
        if (se) CHECK(strcmp(se->peer_common_name, "frank") == 0);
        CHECK(find_event(&w.client, UDPVPN_EVENT_ESTABLISHED) != NULL);
        world_free(&w);
    }
    const char *unsupported[] = {"client_rsa1024", "client_p384"};
    for (size_t i = 0; i < 2; ++i) {
        char c_name[64], k_name[64];
        snprintf(c_name, sizeof c_name, "%s.crt", unsupported[i]);
        snprintf(k_name, sizeof k_name, "%s.key", unsupported[i]);
        buffer uc = read_pki(c_name), uk = read_pki(k_name);
        udpvpn_identity *bad = (udpvpn_identity *)&bad;
        CHECK_RC(udpvpn_identity_new(&bad, uc.data, uc.len, uk.data, uk.len), UDPVPN_ERR_CERT_UNSUPPORTED_KEY);
        CHECK(bad == NULL);
        free(uc.data);
        free(uk.data);
    }
    CHECK(strstr(udpvpn_strerror(UDPVPN_ERR_CERT_UNSUPPORTED_KEY), "RSA of 2048 to 4096 bits") != NULL);
    udpvpn_identity_free(cid);
    udpvpn_identity_free(sid);
    udpvpn_verifier_free(v);
    free(crt.data);
    free(key.data);
    free(crt_der.data);
}

/* What an embedder applying its own access rules reads: a client in the groups "ops" and
 * "on call" (subject OUs), with its issuer, subject and fingerprint. */
static void test_peer_groups(void) {
    current_test = "the peer's organizational units (groups) are readable by index";
    udpvpn_identity *cid = identity("client_groups"), *sid = identity("server");
    udpvpn_verifier *v = verifier("ca.crt", NULL);
    if (cid && sid && v) {
        world w;
        world_init(&w, cid, v, sid, v);
        CHECK_RC(udpvpn_endpoint_connect(w.client.ep, w.now, &w.client_session), UDPVPN_OK);
        pump(&w, w.now + 5 * UDPVPN_NS_PER_SECOND);
        const udpvpn_event *se = find_event(&w.server, UDPVPN_EVENT_ESTABLISHED);
        CHECK(se != NULL);
        const uint32_t s = se ? se->session : 0;
        char name[128];
        size_t len = 0, n = 0;
        const char *want[] = {"ops", "on call"};
        for (;; ++n) {
            const int rc = udpvpn_endpoint_peer_identity(w.server.ep, s, UDPVPN_PEER_ORGANIZATIONAL_UNIT, n, name,
                                                         sizeof name, &len);
            if (rc == UDPVPN_ERR_NOT_FOUND) break;
            CHECK_RC(rc, UDPVPN_OK);
            if (rc != UDPVPN_OK || n >= 2) break;
            CHECK(len == strlen(want[n]) && strcmp(name, want[n]) == 0);
        }
        CHECK(n == 2);
        /* Size query: BUFFER_TOO_SMALL says how much is needed, NUL included. */
        CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, s, UDPVPN_PEER_ORGANIZATIONAL_UNIT, 1, name, 3, &len),
                 UDPVPN_ERR_BUFFER_TOO_SMALL);
        CHECK(len == 8);
        CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, s, UDPVPN_PEER_SUBJECT, 0, name, sizeof name, &len),
                 UDPVPN_OK);
        CHECK(strcmp(name, "O=udpvpn tests,OU=on call,OU=ops,CN=carol") == 0);
        CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, s, UDPVPN_PEER_ISSUER, 0, name, sizeof name, &len),
                 UDPVPN_OK);
        CHECK(strcmp(name, "O=udpvpn tests,CN=udpvpn test root CA") == 0);
        /* A client without OUs has none; a field past the last one is an invalid argument. */
        CHECK_RC(udpvpn_endpoint_peer_identity(w.client.ep, w.client_session, UDPVPN_PEER_ORGANIZATIONAL_UNIT, 0,
                                               name, sizeof name, &len),
                 UDPVPN_ERR_NOT_FOUND);
        CHECK_RC(udpvpn_endpoint_peer_identity(w.server.ep, s, UDPVPN_PEER_ORGANIZATIONAL_UNIT + 1, 0, name,
                                               sizeof name, &len),
                 UDPVPN_ERR_INVALID_ARGUMENT);
        world_free(&w);
    }
    udpvpn_identity_free(cid);
    udpvpn_identity_free(sid);
    udpvpn_verifier_free(v);
}

static int count_events(const side *s, int type);

static void test_strict_defaults(void) {
    current_test = "strict defaults: no-EKU leaves refused unless UDPVPN_VERIFY_ALLOW_NO_EKU";
    udpvpn_identity *noeku = identity("noeku"), *cid = identity("client"), *sid = identity("server");
    buffer ca = read_pki("ca.crt");
    udpvpn_verifier *strict = verifier("ca.crt", NULL), *relaxed = NULL;
    CHECK_RC(udpvpn_verifier_new(&relaxed, ca.data, ca.len, NULL, 0, UDPVPN_VERIFY_ALLOW_NO_EKU, fixed_clock,
                                 &test_time),
             UDPVPN_OK);
    /* noeku as the server: the strict client refuses it with WRONG_PURPOSE, the relaxed one connects. */
    for (int relax = 0; relax < 2; ++relax) {
        world w;
        world_init(&w, cid, relax ? relaxed : strict, noeku, strict);
        CHECK_RC(udpvpn_endpoint_connect(w.client.ep, w.now, &w.client_session), UDPVPN_OK);
        pump(&w, w.now + 5 * UDPVPN_NS_PER_SECOND);
        if (relax) {
            CHECK(find_event(&w.client, UDPVPN_EVENT_ESTABLISHED) != NULL);
        } else {
            const udpvpn_event *closed = find_event(&w.client, UDPVPN_EVENT_CLOSED);
            CHECK(closed != NULL);
            if (closed) CHECK(closed->reason == UDPVPN_ERR_CERT_WRONG_PURPOSE);
            CHECK(count_events(&w.server, UDPVPN_EVENT_ESTABLISHED) == 0);
        }
        world_free(&w);
    }
    udpvpn_identity_free(noeku);
    udpvpn_identity_free(cid);
    udpvpn_identity_free(sid);
    udpvpn_verifier_free(strict);
    udpvpn_verifier_free(relaxed);
    free(ca.data);
}

static int count_events(const side *s, int type) {
    int n = 0;
    for (int i = 0; i < s->events.n; ++i) n += s->events.list[i].type == type;
    return n;
}

static void test_unknown_ca(void) {
    current_test = "a server certificate from an unknown CA closes the handshake";
    udpvpn_identity *cid = identity("client"), *sid = identity("server");
    udpvpn_verifier *good = verifier("ca.crt", NULL), *other = verifier("other_ca.crt", NULL);
    world w;
    world_init(&w, cid, other, sid, good);
    CHECK_RC(udpvpn_endpoint_connect(w.client.ep, w.now, &w.client_session), UDPVPN_OK);
    pump(&w, w.now + 2 * UDPVPN_NS_PER_SECOND);
    const udpvpn_event *closed = find_event(&w.client, UDPVPN_EVENT_CLOSED);
    CHECK(closed != NULL);
    if (closed) CHECK(closed->reason == UDPVPN_ERR_CERT_UNKNOWN_CA);
    if (closed) CHECK(udpvpn_err_is_fatal(closed->reason));
    CHECK(count_events(&w.client, UDPVPN_EVENT_ESTABLISHED) == 0);
    CHECK(count_events(&w.server, UDPVPN_EVENT_ESTABLISHED) == 0);
    world_free(&w);
    udpvpn_identity_free(cid);
    udpvpn_identity_free(sid);
    udpvpn_verifier_free(good);
    udpvpn_verifier_free(other);
}

static void test_revoked_client(void) {
    current_test = "a revoked client certificate is refused with the CRL";
    udpvpn_identity *cid = identity("client_revoked"), *sid = identity("server");
    udpvpn_verifier *plain = verifier("ca.crt", NULL), *with_crl = verifier("ca.crt", "crl.pem");
    world w;
    world_init(&w, cid, plain, sid, with_crl);
    CHECK_RC(udpvpn_endpoint_connect(w.client.ep, w.now, &w.client_session), UDPVPN_OK);
    pump(&w, w.now + 2 * UDPVPN_NS_PER_SECOND);
    CHECK(count_events(&w.server, UDPVPN_EVENT_ESTABLISHED) == 0);
    /* The server refuses with the reason; the client (established once it sent its flight,
     * docs/rfc-draft.txt, Section 9.3) is told by the server's CLOSE and its session ends. */
    const udpvpn_event *sclosed = find_event(&w.server, UDPVPN_EVENT_CLOSED);
    CHECK(sclosed != NULL);
    if (sclosed) CHECK(sclosed->reason == UDPVPN_ERR_CERT_REVOKED);
    const udpvpn_event *closed = find_event(&w.client, UDPVPN_EVENT_CLOSED);
    CHECK(closed != NULL);
    if (closed) CHECK(closed->reason == UDPVPN_ERR_PEER_CLOSED && strstr(closed->text, "revoked") != NULL);
    /* No data gets through. */
    uint8_t out[64];
    size_t n = 0;
    const int rc = udpvpn_endpoint_seal(w.client.ep, w.now, w.client_session, UDPVPN_PROTO_IPV4,
                                        (const uint8_t *)"x", 1, out, sizeof out, &n, NULL);
    if (rc == UDPVPN_OK) {
        deliver(&w.server, &w.client.addr, out, n, w.now);
        CHECK(w.server.n_inner == 0);
    }
    world_free(&w);
    udpvpn_identity_free(cid);
    udpvpn_identity_free(sid);
    udpvpn_verifier_free(plain);
    udpvpn_verifier_free(with_crl);
}

static void test_credential_errors(void) {
    current_test = "bad credentials are refused with INVALID_ARGUMENT";
    buffer crt = read_pki("client.crt"), key = read_pki("server.key"), ca = read_pki("ca.crt");
    udpvpn_identity *id = (udpvpn_identity *)&id; /* must be reset to NULL on failure */
    CHECK_RC(udpvpn_identity_new(&id, crt.data, crt.len, key.data, key.len), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK(id == NULL);
    const uint8_t junk[] = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
    CHECK_RC(udpvpn_identity_new(&id, junk, sizeof junk - 1, key.data, key.len), UDPVPN_ERR_INVALID_ARGUMENT);
    const uint8_t bytes[] = {0x30, 0x82, 0xff, 0xff, 0x00};
    CHECK_RC(udpvpn_identity_new(&id, bytes, sizeof bytes, key.data, key.len), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_identity_new(&id, crt.data, 0, key.data, key.len), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_identity_new(&id, NULL, 10, key.data, key.len), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_identity_new(NULL, crt.data, crt.len, key.data, key.len), UDPVPN_ERR_INVALID_ARGUMENT);

    udpvpn_verifier *v = NULL;
    CHECK_RC(udpvpn_verifier_new(&v, ca.data, ca.len, NULL, 0, 0, NULL, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_verifier_new(&v, NULL, 0, NULL, 0, 0, fixed_clock, &test_time), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_verifier_new(&v, ca.data, ca.len, NULL, 5, 0, fixed_clock, &test_time),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_verifier_new(&v, ca.data, ca.len, NULL, 0, 0x80, fixed_clock, &test_time),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_verifier_new(&v, junk, sizeof junk - 1, NULL, 0, 0, fixed_clock, &test_time),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_verifier_new(&v, ca.data, ca.len, junk, sizeof junk - 1, 0, fixed_clock, &test_time),
             UDPVPN_ERR_INVALID_ARGUMENT);
    /* The CA certificate given as the CRL holds no CRL: refused, never a verifier without revocation. */
    CHECK_RC(udpvpn_verifier_new(&v, ca.data, ca.len, ca.data, ca.len, 0, fixed_clock, &test_time),
             UDPVPN_ERR_INVALID_ARGUMENT);
    const uint8_t text[] = "no CRL in here\n";
    CHECK_RC(udpvpn_verifier_new(&v, ca.data, ca.len, text, sizeof text - 1, 0, fixed_clock, &test_time),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK(v == NULL);
    free(crt.data);
    free(key.data);
    free(ca.data);
}

static void test_misuse(void) {
    current_test = "misuse: NULL handles, bad sizes, wrong state";
    uint8_t buf[64] = {0};
    size_t len = 0;
    uint64_t t = 0;
    udpvpn_event ev;
    ev.size = sizeof ev;
    udpvpn_received r;
    r.size = sizeof r;
    udpvpn_stats st;
    st.size = sizeof st;
    udpvpn_session_info info;
    info.size = sizeof info;
    udpvpn_config_push push;
    memset(&push, 0, sizeof push);
    push.size = sizeof push;

    /* NULL handles: an error, never a crash; free(NULL) is fine. */
    udpvpn_endpoint_free(NULL);
    udpvpn_identity_free(NULL);
    udpvpn_verifier_free(NULL);
    CHECK_RC(udpvpn_config_init(NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_connect(NULL, 0, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_receive(NULL, 0, "a", 1, buf, 10, &r), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_seal(NULL, 0, 1, 0, buf, 1, buf + 8, 40, &len, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_poll_datagram(NULL, buf, sizeof buf, &len, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_poll_inner(NULL, buf, sizeof buf, &len, NULL, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_poll_event(NULL, &ev), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_next_deadline(NULL, &t), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_handle_timeout(NULL, 0), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_push_config(NULL, 0, 1, &push), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_ping(NULL, 0, 1, 1), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_close(NULL, 0, 1, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_rekey(NULL, 0, 1), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_reverify_certificates(NULL, 0), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_set_verifier(NULL, 0, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_sessions(NULL, NULL, 0, &len), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_session_info(NULL, 1, &info), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_peer_identity(NULL, 1, UDPVPN_PEER_COMMON_NAME, 0, (char *)buf, sizeof buf, &len),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_stats(NULL, &st), UDPVPN_ERR_INVALID_ARGUMENT);

    udpvpn_identity *cid = identity("client"), *sid = identity("server");
    udpvpn_verifier *v = verifier("ca.crt", NULL);
    udpvpn_config c;
    udpvpn_config_init(&c);
    /* Safe defaults of the appended fields: a server name is required, rekeys re-verify. */
    CHECK(c.allow_any_server_name == 0);
    CHECK(c.reverify_on_rekey == 1);
    /* The library's inner_mtu default (1423), as the datagram of this layout. */
    CHECK(c.max_datagram == 1232 && c.max_probe_datagram == 1452);
    udpvpn_endpoint *ep = (udpvpn_endpoint *)&ep;
    CHECK_RC(udpvpn_client_new(&ep, NULL, cid, v), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK(ep == NULL);
    CHECK_RC(udpvpn_client_new(&ep, &c, NULL, v), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_server_new(&ep, &c, sid, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_server_new(NULL, &c, sid, v), UDPVPN_ERR_INVALID_ARGUMENT);

    /* Config: out-of-range fields and struct sizes. */
    udpvpn_config bad = c;
    bad.size = offsetof(udpvpn_config, allow_any_server_name) - 8;   /* below the first layout */
    CHECK_RC(udpvpn_server_new(&ep, &bad, sid, v), UDPVPN_ERR_INVALID_ARGUMENT);
    /* The first released layout (a program built before allow_any_server_name) still works. */
    bad = c;
    bad.size = offsetof(udpvpn_config, allow_any_server_name);
    CHECK_RC(udpvpn_server_new(&ep, &bad, sid, v), UDPVPN_OK);
    udpvpn_endpoint_free(ep);
    ep = NULL;
    bad = c;
    bad.n_suites = 0;
    CHECK_RC(udpvpn_server_new(&ep, &bad, sid, v), UDPVPN_ERR_INVALID_ARGUMENT);
    bad = c;
    bad.suites[0] = 0x7777;
    CHECK_RC(udpvpn_server_new(&ep, &bad, sid, v), UDPVPN_ERR_INVALID_ARGUMENT);
    bad = c;
    bad.max_datagram = 500;
    CHECK_RC(udpvpn_server_new(&ep, &bad, sid, v), UDPVPN_ERR_INVALID_ARGUMENT);
    bad = c;
    bad.handshake_timeout = 0;
    CHECK_RC(udpvpn_client_new(&ep, &bad, cid, v), UDPVPN_ERR_INVALID_ARGUMENT);
    bad = c;
    bad.server.len = UDPVPN_ADDR_MAX + 1;
    CHECK_RC(udpvpn_client_new(&ep, &bad, cid, v), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK(ep == NULL);
    {
        /* A program built against a newer header: a larger struct is fine while its unknown tail
         * is zero, and refused when it asks for something this library does not know. */
        struct { udpvpn_config base; uint64_t future; } newer;
        memset(&newer, 0, sizeof newer);
        newer.base = c;
        newer.base.size = sizeof newer;
        CHECK_RC(udpvpn_server_new(&ep, &newer.base, sid, v), UDPVPN_OK);
        udpvpn_endpoint_free(ep);
        newer.future = 1;
        CHECK_RC(udpvpn_server_new(&ep, &newer.base, sid, v), UDPVPN_ERR_INVALID_ARGUMENT);
    }

    udpvpn_endpoint *server = NULL, *client = NULL;
    CHECK_RC(udpvpn_server_new(&server, &c, sid, v), UDPVPN_OK);
    /* A client needs the server's name, or an explicit opt-out of the name check. */
    c.expected_server_name = NULL;
    CHECK_RC(udpvpn_client_new(&client, &c, cid, v), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK(client == NULL);
    c.expected_server_name = "";
    CHECK_RC(udpvpn_client_new(&client, &c, cid, v), UDPVPN_ERR_INVALID_ARGUMENT);
    c.allow_any_server_name = 1;
    CHECK_RC(udpvpn_client_new(&client, &c, cid, v), UDPVPN_OK);
    udpvpn_endpoint_free(client);
    client = NULL;
    c.allow_any_server_name = 0;
    c.expected_server_name = "vpn.example.test";
    CHECK_RC(udpvpn_client_new(&client, &c, cid, v), UDPVPN_OK);

    /* Wrong state. */
    CHECK_RC(udpvpn_endpoint_connect(server, 0, NULL), UDPVPN_ERR_INVALID_STATE);
    CHECK_RC(udpvpn_endpoint_poll_datagram(client, buf, sizeof buf, &len, NULL), 0); /* nothing before connect */
    CHECK(len == 0);
    CHECK_RC(udpvpn_endpoint_poll_event(client, &ev), 0);
    CHECK_RC(udpvpn_endpoint_poll_inner(client, buf, sizeof buf, &len, NULL, NULL), 0);
    int rc = udpvpn_endpoint_seal(client, 0, 12345, UDPVPN_PROTO_IPV4, buf, 1, buf + 8, 40, &len, NULL);
    CHECK(rc == UDPVPN_ERR_NOT_FOUND || rc == UDPVPN_ERR_INVALID_STATE);
    CHECK_RC(udpvpn_endpoint_push_config(client, 0, 1, &push), UDPVPN_ERR_INVALID_STATE);
    rc = udpvpn_endpoint_ping(server, 0, 42, 1);
    CHECK(rc == UDPVPN_ERR_NOT_FOUND);
    CHECK_RC(udpvpn_endpoint_session_info(server, 42, &info), UDPVPN_ERR_NOT_FOUND);
    CHECK_RC(udpvpn_endpoint_peer_identity(server, 42, UDPVPN_PEER_COMMON_NAME, 0, (char *)buf, sizeof buf, &len),
             UDPVPN_ERR_NOT_FOUND);
    uint32_t sess = 0;
    CHECK_RC(udpvpn_endpoint_connect(client, 0, &sess), UDPVPN_OK);
    CHECK(sess != 0);
    rc = udpvpn_endpoint_seal(client, 0, sess, UDPVPN_PROTO_IPV4, buf, 1, buf + 8, 40, &len, NULL);
    CHECK(rc == UDPVPN_ERR_INVALID_STATE || rc == UDPVPN_ERR_NOT_FOUND); /* handshake not done */
    rc = udpvpn_endpoint_peer_identity(client, sess, UDPVPN_PEER_COMMON_NAME, 0, (char *)buf, sizeof buf, &len);
    CHECK(rc == UDPVPN_ERR_INVALID_STATE || rc == UDPVPN_ERR_NOT_FOUND);

    /* Zero-length and oversized buffers. */
    static uint8_t huge[UDPVPN_MAX_DATAGRAM + 1];
    CHECK_RC(udpvpn_endpoint_receive(server, 0, "a", 1, buf, 0, &r), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_receive(server, 0, "a", 1, NULL, 0, &r), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_receive(server, 0, "a", 1, huge, sizeof huge, &r), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_receive(server, 0, huge, UDPVPN_ADDR_MAX + 1, buf, 10, &r),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_receive(server, 0, NULL, 4, buf, 10, &r), UDPVPN_ERR_INVALID_ARGUMENT);
    r.size = 4;
    CHECK_RC(udpvpn_endpoint_receive(server, 0, "a", 1, buf, 10, &r), UDPVPN_ERR_INVALID_ARGUMENT);
    r.size = sizeof r;
    /* Garbage of every small size from the network is dropped, not fatal. */
    for (size_t n = 1; n < sizeof buf; ++n) {
        memset(buf, (int)n, sizeof buf);
        buf[0] = (uint8_t)(n % 0x20);
        rc = udpvpn_endpoint_receive(server, 0, "a", 1, buf, n, &r);
        CHECK(rc == 0 || udpvpn_err_is_drop(rc));
        rc = udpvpn_endpoint_receive(client, 0, "b", 1, buf, n, NULL);
        CHECK(rc == 0 || udpvpn_err_is_drop(rc));
    }
    rc = udpvpn_endpoint_receive(server, 0, NULL, 0, huge, UDPVPN_MAX_DATAGRAM, NULL); /* largest: fine */
    CHECK(rc == 0 || udpvpn_err_is_drop(rc));
    CHECK_RC(udpvpn_endpoint_seal(client, 0, sess, UDPVPN_PROTO_IPV4, buf, 0, huge, 100, &len, NULL),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_seal(client, 0, sess, UDPVPN_PROTO_IPV4, huge, UDPVPN_MAX_INNER + 1, huge, 10, &len,
                                  NULL),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_seal(client, 0, sess, 9, buf, 1, huge, 100, &len, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_seal(client, 0, sess, UDPVPN_PROTO_IPV4, huge, 10, huge + 5, 100, &len, NULL),
             UDPVPN_ERR_INVALID_ARGUMENT); /* overlapping */
    CHECK_RC(udpvpn_endpoint_seal(client, 0, sess, UDPVPN_PROTO_IPV4, buf, 1, NULL, 100, &len, NULL),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_poll_datagram(client, NULL, 10, &len, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_poll_datagram(client, buf, sizeof buf, NULL, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    ev.size = 3;
    CHECK_RC(udpvpn_endpoint_poll_event(client, &ev), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_poll_event(client, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    st.size = 0;
    CHECK_RC(udpvpn_endpoint_stats(client, &st), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_next_deadline(client, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_set_verifier(client, 0, NULL), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_sessions(client, NULL, 3, &len), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_peer_identity(client, sess, 99, 0, (char *)buf, sizeof buf, &len),
             UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_peer_identity(client, sess, UDPVPN_PEER_COMMON_NAME, 1, (char *)buf, sizeof buf, &len),
             UDPVPN_ERR_INVALID_ARGUMENT);
    char long_text[300];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    CHECK_RC(udpvpn_endpoint_close(client, 0, sess, long_text), UDPVPN_ERR_INVALID_ARGUMENT);
    push.has_ipv4 = 1;
    push.ipv4.prefix = 33;
    CHECK_RC(udpvpn_endpoint_push_config(server, 0, 1, &push), UDPVPN_ERR_INVALID_ARGUMENT);
    push.has_ipv4 = 0;
    push.n_routes4 = 2; /* with no array */
    CHECK_RC(udpvpn_endpoint_push_config(server, 0, 1, &push), UDPVPN_ERR_INVALID_ARGUMENT);

    /* A larger output struct: the unknown tail reads as zero. */
    struct { udpvpn_stats base; uint64_t future[2]; } big_stats;
    memset(&big_stats, 0xab, sizeof big_stats);
    big_stats.base.size = sizeof big_stats;
    CHECK_RC(udpvpn_endpoint_stats(server, &big_stats.base), UDPVPN_OK);
    CHECK(big_stats.future[0] == 0 && big_stats.future[1] == 0);
    CHECK(big_stats.base.size == sizeof big_stats);

    /* Everything still works after all that. */
    CHECK_RC(udpvpn_endpoint_next_deadline(client, &t), UDPVPN_OK);
    CHECK(t != UDPVPN_NEVER); /* the handshake retransmission timer */
    CHECK_RC(udpvpn_endpoint_handle_timeout(client, t), UDPVPN_OK);

    udpvpn_endpoint_free(client);
    udpvpn_endpoint_free(server);
    udpvpn_identity_free(cid);
    udpvpn_identity_free(sid);
    udpvpn_verifier_free(v);
}

/* Two servers share a cluster key: the one that does not know the client's session answers its
 * DATA with a stateless reset, and the client's session ends at once. */
static void test_stateless_reset(void) {
    current_test = "stateless_reset";
    udpvpn_config c;
    CHECK_RC(udpvpn_config_init(&c), UDPVPN_OK);
    CHECK(c.stateless_reset_rate == 100);
    CHECK(!c.has_cluster_key);

    static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    world w;
    world_cluster_key = key;
    world_established(&w);
    world_cluster_key = NULL;

    side other;
    memset(&other, 0, sizeof other);
    set_addr(&other.addr, "server:1");   /* the balancer's address: the client cannot tell */
    other.rng_state = 3;
    udpvpn_identity *sid = identity("server");
    udpvpn_verifier *v = verifier("ca.crt", NULL);
    CHECK_RC(udpvpn_config_init(&c), UDPVPN_OK);
    c.random = test_random;
    c.random_user = &other.rng_state;
    c.server_id = 8;
    c.has_cluster_key = 1;
    memcpy(c.cluster_key, key, sizeof key);
    CHECK_RC(udpvpn_server_new(&other.ep, &c, sid, v), UDPVPN_OK);
    udpvpn_identity_free(sid);
    udpvpn_verifier_free(v);

    CHECK(!send_inner(&w, &w.client, w.client_session, &other, "after the fail-over"));
    CHECK(flush(&w, &other, &w.client) == 1);   /* the reset */
    const udpvpn_event *closed = find_event(&w.client, UDPVPN_EVENT_CLOSED);
    CHECK(closed != NULL);
    if (closed) CHECK(strstr(closed->text, "stateless reset") != NULL);

    udpvpn_stats st;
    st.size = sizeof st;
    CHECK_RC(udpvpn_endpoint_stats(other.ep, &st), UDPVPN_OK);
    CHECK(st.resets_sent == 1);
    CHECK_RC(udpvpn_endpoint_stats(w.client.ep, &st), UDPVPN_OK);
    CHECK(st.resets_received == 1);
    /* A caller built against the first layout still gets the fields it knows. */
    struct { udpvpn_stats base; } old_stats;
    old_stats.base.size = offsetof(udpvpn_stats, resets_sent);
    CHECK_RC(udpvpn_endpoint_stats(w.client.ep, &old_stats.base), UDPVPN_OK);

    udpvpn_endpoint_free(other.ep);
    world_free(&w);
}

/* Batches: the client seals 16 inner packets in place (some items failing alone), the server
 * receives them in one call; then the size and argument rules of batch arrays. */
#define BATCH 16
static void test_batches(void) {
    current_test = "batches";
    world w;
    world_established(&w);
    static uint8_t buf[BATCH][1500];
    udpvpn_seal_item seal[BATCH];
    memset(seal, 0, sizeof seal);
    for (size_t i = 0; i < BATCH; ++i) {
        const size_t n = 100 + 50 * i;
        memset(buf[i] + UDPVPN_DATA_INNER_OFFSET, (int)i, n); /* where a TUN read would put it */
        seal[i].size = sizeof seal[i];
        seal[i].session = w.client_session;
        seal[i].protocol = UDPVPN_PROTO_IPV4;
        seal[i].inner = buf[i] + UDPVPN_DATA_INNER_OFFSET;
        seal[i].inner_len = n;
        seal[i].out = buf[i];
        seal[i].out_cap = sizeof buf[i];
    }
    seal[3].session = w.client_session ^ 1u; /* no such session */
    seal[5].out_cap = seal[5].inner_len;     /* too short */
    seal[5].inner = buf[5] + 600;            /* (apart from out's first inner_len bytes) */
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, seal, BATCH), BATCH - 2);
    CHECK_RC(seal[3].status, UDPVPN_ERR_NOT_FOUND);
    CHECK_RC(seal[5].status, UDPVPN_ERR_BUFFER_TOO_SMALL);
    CHECK(seal[5].out_len == seal[5].inner_len + UDPVPN_DATA_OVERHEAD);
    for (size_t i = 0; i < BATCH; ++i) {
        if (i == 3 || i == 5) continue;
        CHECK_RC(seal[i].status, UDPVPN_OK);
        CHECK(seal[i].out_len == seal[i].inner_len + UDPVPN_DATA_OVERHEAD);
        CHECK(seal[i].to.len == w.server.addr.len && memcmp(seal[i].to.bytes, w.server.addr.bytes, w.server.addr.len) == 0);
    }

    udpvpn_receive_item recv[BATCH];
    memset(recv, 0, sizeof recv);
    size_t n = 0;
    for (size_t i = 0; i < BATCH; ++i) {
        if (i == 3 || i == 5) continue;
        recv[n].size = sizeof recv[n];
        recv[n].from = w.client.addr.bytes;
        recv[n].from_len = w.client.addr.len;
        recv[n].datagram = buf[i];
        recv[n].datagram_len = seal[i].out_len;
        n++;
    }
    buf[7][30] ^= 1; /* a forged datagram: it fails alone */
    CHECK_RC(udpvpn_endpoint_receive_batch(w.server.ep, w.now, recv, n), (int)n - 1);
    for (size_t k = 0, i = 0; k < n; ++k, ++i) {
        if (i == 3 || i == 5) ++i;
        if (i == 7) {
            CHECK_RC(recv[k].status, UDPVPN_ERR_BAD_TAG);
            CHECK(!recv[k].has_inner && recv[k].inner == NULL);
            continue;
        }
        CHECK_RC(recv[k].status, UDPVPN_OK);
        CHECK(recv[k].has_inner);
        CHECK(recv[k].session == w.server_session);
        CHECK(recv[k].protocol == UDPVPN_PROTO_IPV4);
        CHECK(recv[k].inner == buf[i] + UDPVPN_DATA_INNER_OFFSET);
        CHECK(recv[k].inner_len == 100 + 50 * i);
        CHECK(recv[k].inner_len > 0 && recv[k].inner[0] == (uint8_t)i && recv[k].inner[recv[k].inner_len - 1] == (uint8_t)i);
    }

    /* Argument rules: nothing is processed when any item is wrong. */
    udpvpn_session_info info;
    info.size = sizeof info;
    CHECK_RC(udpvpn_endpoint_session_info(w.client.ep, w.client_session, &info), UDPVPN_OK);
    const uint64_t tx = info.tx_packets;
    for (size_t i = 0; i < 2; ++i) {
        seal[i].session = w.client_session;
        seal[i].inner = buf[i] + UDPVPN_DATA_INNER_OFFSET;
        seal[i].inner_len = 100;
        seal[i].out_cap = sizeof buf[i];
        seal[i].status = 1; /* untouched on INVALID_ARGUMENT */
    }
    CHECK_RC(udpvpn_endpoint_seal_batch(NULL, w.now, seal, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, NULL, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, NULL, 0), 0);
    seal[1].size = sizeof seal[1] - 8; /* sizes differ */
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, seal, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    seal[0].size = seal[1].size; /* below the first layout */
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, seal, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    seal[0].size = seal[1].size = sizeof seal[0];
    seal[1].protocol = 9;
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, seal, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    seal[1].protocol = UDPVPN_PROTO_IPV6;
    seal[1].inner = buf[1] + 5; /* overlaps out, but not in place */
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, seal, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    seal[1].inner = NULL;
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, seal, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    seal[1].inner = buf[1] + UDPVPN_DATA_INNER_OFFSET;
    seal[1].inner_len = UDPVPN_MAX_INNER + 1;
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, seal, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    seal[1].inner_len = 100;
    CHECK(seal[0].status == 1 && seal[1].status == 1);
    CHECK_RC(udpvpn_endpoint_session_info(w.client.ep, w.client_session, &info), UDPVPN_OK);
    CHECK(info.tx_packets == tx);

    /* A program built against a newer header: larger items (the stride), unknown tail zero. */
    struct newer_item { udpvpn_seal_item base; uint64_t future; } newer[2];
    memset(newer, 0, sizeof newer);
    for (size_t i = 0; i < 2; ++i) {
        newer[i].base = seal[i];
        newer[i].base.size = sizeof newer[i];
    }
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, &newer[0].base, 2), 2);
    CHECK_RC(newer[1].base.status, UDPVPN_OK);
    CHECK(newer[1].base.out_len == 100 + UDPVPN_DATA_OVERHEAD);
    seal[0].status = 1;
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, seal, 2), 2); /* the same, our layout */
    CHECK_RC(seal[0].status, UDPVPN_OK);
    newer[1].future = 1;
    CHECK_RC(udpvpn_endpoint_seal_batch(w.client.ep, w.now, &newer[0].base, 2), UDPVPN_ERR_INVALID_ARGUMENT);

    recv[0].from_len = UDPVPN_ADDR_MAX + 1;
    CHECK_RC(udpvpn_endpoint_receive_batch(w.server.ep, w.now, recv, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    recv[0].from_len = w.client.addr.len;
    recv[1].datagram_len = 0;
    CHECK_RC(udpvpn_endpoint_receive_batch(w.server.ep, w.now, recv, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    recv[1].datagram_len = UDPVPN_MAX_DATAGRAM + 1;
    CHECK_RC(udpvpn_endpoint_receive_batch(w.server.ep, w.now, recv, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    recv[1].datagram_len = 40;
    recv[1].size = 4;
    CHECK_RC(udpvpn_endpoint_receive_batch(w.server.ep, w.now, recv, 2), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_receive_batch(w.server.ep, w.now, NULL, 1), UDPVPN_ERR_INVALID_ARGUMENT);
    CHECK_RC(udpvpn_endpoint_receive_batch(w.server.ep, w.now, NULL, 0), 0);
    world_free(&w);
}

int main(void) {
    test_versions_and_errors();
    test_handshake_and_data_both_ways();
    test_control_channel();
    test_too_small_buffers();
    test_der_credentials();
    test_rsa_identities();
    test_peer_groups();
    test_strict_defaults();
    test_unknown_ca();
    test_revoked_client();
    test_credential_errors();
    test_misuse();
    test_stateless_reset();
    test_batches();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all C API checks passed\n");
    return 0;
}
