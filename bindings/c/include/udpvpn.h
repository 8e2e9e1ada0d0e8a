/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * udpvpn.h: the stable C API of libudpvpn (C11; also compiles as C++).
 *
 * The same sans-IO shape as the C++ core: the library never reads a clock, sleeps, opens a socket
 * or starts a thread. The caller
 *   - passes every UDP datagram it receives to udpvpn_endpoint_receive() with the current time
 *     (monotonic nanoseconds, any origin, never going backwards);
 *   - encrypts inner packets (IP or PPP) with udpvpn_endpoint_seal() and sends the result;
 *   - after every call drains udpvpn_endpoint_poll_datagram(), udpvpn_endpoint_poll_event() and
 *     udpvpn_endpoint_poll_inner() until each returns 0;
 *   - arms one timer for udpvpn_endpoint_next_deadline() and calls udpvpn_endpoint_handle_timeout()
 *     when it fires.
 *
 * Conventions (they hold for every function unless its comment says otherwise):
 *   - Every function returns an int: 0 (or a documented positive value) on success, a negative
 *     UDPVPN_ERR_* code on failure. No exception, abort or assertion ever leaves the library; an
 *     allocation failure is UDPVPN_ERR_NO_MEMORY.
 *   - A NULL handle, a NULL pointer where a value is required, an unknown enum value or a size
 *     out of range is UDPVPN_ERR_INVALID_ARGUMENT and changes nothing.
 *   - Buffers are borrowed for the duration of the call only, unless a comment says otherwise.
 *     A buffer of length 0 may be NULL.
 *   - An output buffer that is too small gives UDPVPN_ERR_BUFFER_TOO_SMALL, stores the size it
 *     needs in the function's length output and changes nothing (the item stays queued).
 *   - Structs the caller allocates start with `size`: set it to sizeof(the struct) (the *_init
 *     functions do it). Newer libraries only append fields, and read or write only the first `size`
 *     bytes; a `size` below the first released layout is UDPVPN_ERR_INVALID_ARGUMENT. A larger
 *     `size` (a program built against a newer header) is accepted if the unknown tail is zero.
 *   - An endpoint is used by one thread at a time. Identities and verifiers are immutable and may
 *     be shared by endpoints on any number of threads.
 *   - If the core throws out of a call that changes an endpoint (UDPVPN_ERR_NO_MEMORY or
 *     UDPVPN_ERR_INTERNAL), its state is unknown: the endpoint is poisoned, later calls return
 *     UDPVPN_ERR_INTERNAL; free it. (udpvpn_endpoint_poll_event's NO_MEMORY is the exception: the
 *     event stays queued and the endpoint usable.)
 */
#ifndef UDPVPN_H
#define UDPVPN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#if defined(UDPVPN_BUILDING_DLL)
#define UDPVPN_API __declspec(dllexport) /* the DLL exports exactly these */
#else
#define UDPVPN_API
#endif
#elif defined(__GNUC__)
#define UDPVPN_API __attribute__((visibility("default")))
#else
#define UDPVPN_API
#endif

/* ---------------------------------------------------------------------------------------------- */
/* Versions                                                                                       */

/* Bumped only by an incompatible change (never so far). Append-only additions keep it. */
#define UDPVPN_ABI_VERSION 1

/* The UDPVPN_ABI_VERSION the library was built with. Compare with the header's at start-up. */
UDPVPN_API int udpvpn_abi_version(void);

/* The library version, e.g. "0.1.0". Static storage, never NULL. */
UDPVPN_API const char *udpvpn_version_string(void);

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                         */

/* Negative codes. Three groups, by what the caller does:
 *   drop  (-1 .. -99):   udpvpn_endpoint_receive() discarded the datagram; ignore it (it is counted).
 *   close (-100 .. -199): a session ended for this reason (in UDPVPN_EVENT_CLOSED events, or from
 *                         calls that create/verify identities).
 *   misuse (-200 ..):    the call was wrong; nothing happened. */
enum udpvpn_error {
    UDPVPN_OK = 0,

    UDPVPN_ERR_MALFORMED = -1,
    UDPVPN_ERR_BAD_TAG = -2,
    UDPVPN_ERR_REPLAYED = -3,
    UDPVPN_ERR_UNKNOWN_SESSION = -4,
    UDPVPN_ERR_UNEXPECTED_PACKET = -5,
    UDPVPN_ERR_ADMISSION_DENIED = -6,
    UDPVPN_ERR_AMPLIFICATION_LIMIT = -7,
    UDPVPN_ERR_RATE_LIMITED = -8,
    UDPVPN_ERR_VERSION_UNSUPPORTED = -9,
    UDPVPN_ERR_STALE_KEY = -10,

    UDPVPN_ERR_CERT_EXPIRED = -100,
    UDPVPN_ERR_CERT_NOT_YET_VALID = -101,
    UDPVPN_ERR_CERT_UNKNOWN_CA = -102,
    UDPVPN_ERR_CERT_REVOKED = -103,
    UDPVPN_ERR_CRL_EXPIRED = -104,
    UDPVPN_ERR_CERT_WRONG_PURPOSE = -105,
    UDPVPN_ERR_CERT_NAME_MISMATCH = -106,
    UDPVPN_ERR_CERT_INVALID = -107,
    UDPVPN_ERR_BAD_SIGNATURE = -108,
    UDPVPN_ERR_BAD_FINISHED = -109,
    UDPVPN_ERR_UNSUPPORTED_EXTENSION = -110,
    UDPVPN_ERR_NO_COMMON_SUITE = -111,
    UDPVPN_ERR_HANDSHAKE_TIMEOUT = -112,
    UDPVPN_ERR_PEER_TIMEOUT = -113,
    UDPVPN_ERR_KEY_EXHAUSTED = -114,
    UDPVPN_ERR_PROTOCOL_VIOLATION = -115,
    UDPVPN_ERR_PEER_CLOSED = -116,
    UDPVPN_ERR_CLOSED_LOCALLY = -117,
    UDPVPN_ERR_INTERNAL = -118,
    UDPVPN_ERR_CERT_UNSUPPORTED_KEY = -119, /* leaf key not Ed25519, EC P-256 or RSA 2048..4096 */

    UDPVPN_ERR_BUFFER_TOO_SMALL = -200,
    UDPVPN_ERR_INVALID_STATE = -201,
    UDPVPN_ERR_INVALID_ARGUMENT = -202,
    UDPVPN_ERR_NOT_FOUND = -203,
    UDPVPN_ERR_QUEUE_FULL = -204,
    UDPVPN_ERR_NO_MEMORY = -250
};

/* A stable English description of `code` ("certificate revoked"). Static storage, never NULL;
 * unknown codes give "unknown error". */
UDPVPN_API const char *udpvpn_strerror(int code);

/* Nonzero if `code` means something cannot continue: a close reason (the session is gone),
 * UDPVPN_ERR_INTERNAL or UDPVPN_ERR_NO_MEMORY (the endpoint is unusable: free it). 0 for
 * UDPVPN_OK, drop codes and misuse codes. */
UDPVPN_API int udpvpn_err_is_fatal(int code);

/* Nonzero if `code` is a drop code: a received datagram was discarded and nothing else changed. */
UDPVPN_API int udpvpn_err_is_drop(int code);

/* ---------------------------------------------------------------------------------------------- */
/* Constants                                                                                      */

#define UDPVPN_NEVER UINT64_MAX           /* next_deadline() when no timer is armed */
#define UDPVPN_NS_PER_SECOND UINT64_C(1000000000)
#define UDPVPN_DATA_OVERHEAD 29           /* DATA header 13 + tag 16: seal() output = inner + this */
#define UDPVPN_DATA_INNER_OFFSET 13       /* where the inner packet sits in a sealed datagram */
#define UDPVPN_MAX_DATAGRAM 65535         /* largest datagram receive() accepts */
#define UDPVPN_MAX_INNER (UDPVPN_MAX_DATAGRAM - UDPVPN_DATA_OVERHEAD)
#define UDPVPN_ADDR_MAX 32                /* largest opaque peer address (a sockaddr_in6 fits) */

enum udpvpn_protocol { UDPVPN_PROTO_IPV4 = 0, UDPVPN_PROTO_IPV6 = 1, UDPVPN_PROTO_PPP = 2 };
enum udpvpn_suite { UDPVPN_SUITE_CHACHA20_POLY1305 = 1, UDPVPN_SUITE_AES256_GCM = 2 };

/* A peer's transport address, opaque to the library: whatever identifies the source for the
 * caller (typically the bytes of a struct sockaddr_in / sockaddr_in6). Compared bytewise. */
typedef struct udpvpn_addr {
    uint8_t len;                      /* 0 .. UDPVPN_ADDR_MAX */
    uint8_t bytes[UDPVPN_ADDR_MAX];
} udpvpn_addr;

/* ---------------------------------------------------------------------------------------------- */
/* Identity: our certificate chain and private key                                                */

typedef struct udpvpn_identity udpvpn_identity;

/* Loads our certificate chain (leaf first, each issued by the next, at most 4) and the leaf's
 * private key (unencrypted PKCS#8 Ed25519, EC P-256 or RSA of 2048 to 4096 bits, which signs with
 * RSA-PSS; PEM may also be a traditional "RSA PRIVATE KEY" or "EC PRIVATE KEY", DER a PKCS#1 RSA
 * or SEC1 EC key).
 * Each input is PEM (text containing "-----BEGIN") or DER (the chain: DER certificates
 * concatenated). Borrows both buffers for the call only; the key buffer stays the caller's, who
 * should wipe it once this returns (the library wipes its own copies). On success *out is a new identity owned
 * by the caller (udpvpn_identity_free); endpoints keep their own reference, so it may be freed
 * right after creating them.
 * Errors: INVALID_ARGUMENT (NULL out, empty input, unparsable PEM/DER, chain out of order, key not
 * matching the leaf), CERT_UNSUPPORTED_KEY (any other key type, or RSA outside 2048..4096 bits),
 * NO_MEMORY, INTERNAL. *out is NULL on error. */
UDPVPN_API int udpvpn_identity_new(udpvpn_identity **out, const uint8_t *chain, size_t chain_len,
                                   const uint8_t *key, size_t key_len);

/* Releases the caller's reference. NULL is fine. */
UDPVPN_API void udpvpn_identity_free(udpvpn_identity *identity);

/* ---------------------------------------------------------------------------------------------- */
/* Verifier: the CA set and CRLs a peer's chain is checked against                               */

typedef struct udpvpn_verifier udpvpn_verifier;

/* Returns the current wall-clock time in Unix seconds. Called from inside endpoint calls (and from
 * any thread that uses an endpoint sharing the verifier); must be thread-safe and must not call
 * back into the library. Tests return a fixed time. */
typedef int64_t (*udpvpn_wall_clock_fn)(void *user);

#define UDPVPN_VERIFY_REQUIRE_CRL 1u          /* every CA of a chain must have a CRL loaded */
#define UDPVPN_VERIFY_ALLOW_EXPIRED_CRL 2u    /* a CRL past nextUpdate is still used, not an error */
/* A peer leaf without extendedKeyUsage is accepted for either role if its keyUsage includes
 * digitalSignature (old PKIs that issue no EKU). Without this flag it is refused
 * (UDPVPN_ERR_CERT_WRONG_PURPOSE): a server certificate needs serverAuth, a client one clientAuth. */
#define UDPVPN_VERIFY_ALLOW_NO_EKU 4u

/* Trust anchors `ca` (one or more CA certificates, PEM or concatenated DER; required) and
 * revocation lists `crl` (zero or more CRLs, PEM or concatenated DER; crl_len 0 = none).
 * `flags`: UDPVPN_VERIFY_* bits. `wall_clock` (required) is called with `user` whenever a chain is
 * checked; `user` is borrowed for the verifier's whole life (until the last endpoint using it and
 * the caller's reference are freed). The buffers are borrowed for the call only.
 * Errors: INVALID_ARGUMENT (NULL out or wall_clock, no CA, a certificate or CRL does not parse,
 * unknown flag), NO_MEMORY, INTERNAL. *out is NULL on error. */
UDPVPN_API int udpvpn_verifier_new(udpvpn_verifier **out, const uint8_t *ca, size_t ca_len,
                                   const uint8_t *crl, size_t crl_len, unsigned flags,
                                   udpvpn_wall_clock_fn wall_clock, void *user);

/* Releases the caller's reference. NULL is fine. */
UDPVPN_API void udpvpn_verifier_free(udpvpn_verifier *verifier);

/* ---------------------------------------------------------------------------------------------- */
/* Configuration                                                                                  */

/* Fills `out` with random bytes. Must not fail; called from inside endpoint calls. */
typedef void (*udpvpn_random_fn)(void *user, uint8_t *out, size_t len);

/* Protocol configuration for udpvpn_client_new() / udpvpn_server_new(). Always start from
 * udpvpn_config_init(): every default is the safe one. Times are nanoseconds. */
typedef struct udpvpn_config {
    size_t size;                          /* sizeof(udpvpn_config), set by udpvpn_config_init */

    /* both roles */
    uint16_t suites[4];                   /* UDPVPN_SUITE_*, preference order; default aes, chacha
                                             where the CPU has AES instructions, else chacha, aes */
    uint32_t n_suites;                    /* 1..4; default 2 */
    int has_admission_key;                /* nonzero: admission_key is a pre-shared admission key */
    uint8_t admission_key[32];
    uint64_t rekey_after_time;            /* default 120 s */
    uint64_t reject_after_time;           /* default 180 s */
    uint64_t rekey_grace;                 /* default 10 s */
    uint64_t keepalive_interval;          /* default 10 s */
    uint64_t dead_peer_timeout;           /* default 45 s */
    uint64_t handshake_timeout;           /* default 10 s */
    uint64_t handshake_pto;               /* default 300 ms */
    uint64_t reverify_interval;           /* default 1 h (see also reverify_on_rekey) */
    uint64_t control_rto;                 /* default 300 ms */
    uint64_t rekey_after_packets;         /* 0 = suite default */
    uint64_t reject_after_packets;        /* 0 = suite default */
    uint16_t max_datagram;                /* default 1232; at least 1200 */
    uint16_t max_probe_datagram;          /* default 1452; <= max_datagram (0 say): no probing */
    uint8_t inner_protocols;              /* bit 0 IP, bit 1 PPP; default 1 */

    /* client only */
    uint8_t pad_datagrams;                /* default 3 */
    const char *expected_server_name;     /* NUL-terminated: the name (SAN dNSName, or iPAddress for
                                             an IP literal) the server certificate must carry; the
                                             subject CN is never used. Required unless
                                             allow_any_server_name is set. Borrowed for the
                                             udpvpn_client_new() call. */
    udpvpn_addr server;                   /* reported as the destination of client datagrams */

    /* server only */
    uint8_t server_id;                    /* route byte: top 8 bits of our session IDs */
    uint64_t max_sessions;                /* default 65536 */
    uint64_t max_half_open;               /* default 4096 */
    uint64_t cookie_threshold;            /* default 256 */
    uint64_t early_data_limit;            /* default 16 */

    /* both roles: randomness. NULL = the system CSPRNG (libsodium randombytes_buf). `random_user`
     * is borrowed for the endpoint's life. */
    udpvpn_random_fn random;
    void *random_user;

    /* Appended after ABI 1's first layout. */
    int allow_any_server_name;            /* client: nonzero accepts any server certificate the CA
                                             vouches for (EKU serverAuth) when expected_server_name
                                             is NULL or "": an explicit opt-out of the name check.
                                             Default 0: udpvpn_client_new() then refuses a missing
                                             name with INVALID_ARGUMENT. */
    int reverify_on_rekey;                /* both: nonzero re-verifies the peer's chain after every
                                             rekey, on top of reverify_interval; default 1 */
    /* Servers behind one load balancer (docs/rfc-draft.txt, Section 10.5). */
    int has_cluster_key;                  /* server: nonzero: cluster_key is a secret the servers
                                             share: RETRY cookies valid at all of them, stateless
                                             resets for sessions a server does not know. The
                                             endpoint keeps (and wipes) its own copy. */
    uint8_t cluster_key[32];
    uint32_t stateless_reset_rate;        /* server: resets sent per second at most; default 100 */
    uint64_t cookie_clock_offset;         /* server: added to `now` for cookie time buckets, which
                                             servers sharing a cluster key must agree on: pass
                                             wall-clock ns minus your monotonic ns; default 0 */
} udpvpn_config;

/* Sets config->size and every default. Errors: INVALID_ARGUMENT (NULL). */
UDPVPN_API int udpvpn_config_init(udpvpn_config *config);

/* ---------------------------------------------------------------------------------------------- */
/* Endpoints                                                                                      */

typedef struct udpvpn_endpoint udpvpn_endpoint;

/* A client endpoint (one session at a time; start it with udpvpn_endpoint_connect()), or a server
 * endpoint (many sessions, demultiplexed by session ID). `config` and the strings it points to are
 * borrowed for the call; the endpoint takes its own references to `identity` and `verifier`.
 * On success *out is a new endpoint owned by the caller (udpvpn_endpoint_free).
 * Errors: INVALID_ARGUMENT (NULL argument, config->size too small, a field out of range, a client
 * without expected_server_name or allow_any_server_name), NO_MEMORY, INTERNAL. *out is NULL on
 * error. */
UDPVPN_API int udpvpn_client_new(udpvpn_endpoint **out, const udpvpn_config *config,
                                 const udpvpn_identity *identity, const udpvpn_verifier *verifier);
UDPVPN_API int udpvpn_server_new(udpvpn_endpoint **out, const udpvpn_config *config,
                                 const udpvpn_identity *identity, const udpvpn_verifier *verifier);

/* Frees the endpoint and everything it owns (no DISCONNECT is sent: close sessions first if the
 * peer should know). Pointers borrowed from it (events, received inner packets excepted, which
 * live in the caller's buffer) become invalid. NULL is fine. */
UDPVPN_API void udpvpn_endpoint_free(udpvpn_endpoint *endpoint);

/* Client: starts (or restarts) a handshake; the first datagrams are then ready in poll_datagram.
 * *session (optional, may be NULL) receives the new session ID.
 * Errors: INVALID_ARGUMENT (NULL endpoint), INVALID_STATE (a server endpoint), NO_MEMORY, INTERNAL. */
UDPVPN_API int udpvpn_endpoint_connect(udpvpn_endpoint *endpoint, uint64_t now, uint32_t *session);

/* What udpvpn_endpoint_receive() found in a datagram. */
typedef struct udpvpn_received {
    size_t size;                          /* sizeof(udpvpn_received), set by the caller */
    uint32_t session;                     /* the session the datagram belongs to (0 if none) */
    int has_inner;                        /* nonzero: an inner packet is at `inner` */
    int protocol;                         /* enum udpvpn_protocol, if has_inner */
    uint8_t *inner;                       /* points into the caller's datagram buffer */
    size_t inner_len;
} udpvpn_received;

/* A datagram from the network, received from `from` (from_len <= UDPVPN_ADDR_MAX bytes).
 * `datagram` (1 .. UDPVPN_MAX_DATAGRAM bytes) is decrypted in place: an inner packet is returned
 * in *result pointing into it, valid until the caller reuses the buffer. `result` is optional
 * (NULL: inner packets are dropped); if given, set result->size first.
 * Returns 0, or a drop code (datagram discarded and counted; not fatal: carry on), or
 * INVALID_ARGUMENT (NULL endpoint/datagram, datagram_len 0 or above UDPVPN_MAX_DATAGRAM, from_len
 * above UDPVPN_ADDR_MAX, bad result->size), INTERNAL / NO_MEMORY (endpoint poisoned). */
UDPVPN_API int udpvpn_endpoint_receive(udpvpn_endpoint *endpoint, uint64_t now, const void *from,
                                       size_t from_len, uint8_t *datagram, size_t datagram_len,
                                       udpvpn_received *result);

/* Encrypts an inner packet (1 .. UDPVPN_MAX_INNER bytes, enum udpvpn_protocol) for `session` into
 * `out`, which needs inner_len + UDPVPN_DATA_OVERHEAD bytes and must not overlap `inner`.
 * *out_len receives the datagram size (or the size needed); *to (optional) where to send it.
 * Errors: INVALID_ARGUMENT (NULL pointers, bad sizes, unknown protocol, overlapping buffers),
 * BUFFER_TOO_SMALL (*out_len = needed), NOT_FOUND (no such session), INVALID_STATE (session not
 * established yet), KEY_EXHAUSTED (hard usage limit reached), INTERNAL / NO_MEMORY. */
UDPVPN_API int udpvpn_endpoint_seal(udpvpn_endpoint *endpoint, uint64_t now, uint32_t session,
                                    int protocol, const uint8_t *inner, size_t inner_len, uint8_t *out,
                                    size_t out_cap, size_t *out_len, udpvpn_addr *to);

/* Batches: the data path of a driver that moves many packets per system call (recvmmsg,
 * sendmmsg, TUN offloads) seals and opens them in one call each. Every item gets what the
 * per-packet call would have given it, in array order, as if those calls were made one after the
 * other at `now`: an item that fails (unknown session, forged datagram, short buffer) fails alone
 * and the others go on. Nothing is allocated per packet.
 *
 * Arrays of versioned items: every item starts with `size`, which the caller sets to
 * sizeof(the item struct) in every item (the same value in all of them: it is also the array's
 * stride, so a program built against an older or newer header passes its own layout). A `size`
 * below the first released layout, items of different sizes, or a newer layout whose unknown tail
 * is not zero is INVALID_ARGUMENT. Every item is checked before any is processed: a call that
 * returns INVALID_ARGUMENT has processed none. The buffers of different items must not overlap
 * (not checked: it would cost a sort per batch; overlapping items read each other's bytes).
 * After a batch, drain poll_datagram, poll_event and poll_inner as after any other call. */

/* One inner packet to seal. Inputs first, then the results the library writes. */
typedef struct udpvpn_seal_item {
    size_t size;                          /* sizeof(udpvpn_seal_item), set by the caller */
    uint32_t session;
    int protocol;                         /* enum udpvpn_protocol */
    const uint8_t *inner;                 /* 1 .. UDPVPN_MAX_INNER bytes. In place: an inner packet
                                             at out + UDPVPN_DATA_INNER_OFFSET is sealed without a
                                             copy; any other overlap with `out` is refused */
    size_t inner_len;
    uint8_t *out;                         /* needs inner_len + UDPVPN_DATA_OVERHEAD bytes */
    size_t out_cap;
    /* results */
    int status;                           /* 0, or BUFFER_TOO_SMALL, NOT_FOUND, INVALID_STATE,
                                             KEY_EXHAUSTED as udpvpn_endpoint_seal() returns them */
    size_t out_len;                       /* the datagram's size (the size needed on
                                             BUFFER_TOO_SMALL; 0 on other errors) */
    udpvpn_addr to;                       /* where to send it (status 0) */
} udpvpn_seal_item;

/* Seals `count` items (count 0 is fine; items may then be NULL). To send them with UDP GSO, place
 * the items' `out` back to back in one region: item i's datagram is then at the offset of the sum
 * of the earlier items' inner_len + UDPVPN_DATA_OVERHEAD.
 * Returns the number of items sealed (status 0), INVALID_ARGUMENT (NULL endpoint, NULL items with
 * count > 0, count above INT32_MAX, a bad size, a NULL or out-of-range buffer, an unknown
 * protocol, an item's inner and out overlapping other than in place: nothing sealed),
 * INTERNAL / NO_MEMORY (endpoint poisoned). */
UDPVPN_API int udpvpn_endpoint_seal_batch(udpvpn_endpoint *endpoint, uint64_t now,
                                          udpvpn_seal_item *items, size_t count);

/* One received datagram. Inputs first, then the results the library writes. */
typedef struct udpvpn_receive_item {
    size_t size;                          /* sizeof(udpvpn_receive_item), set by the caller */
    const void *from;                     /* the sender's address bytes (e.g. a sockaddr) */
    size_t from_len;                      /* 0 .. UDPVPN_ADDR_MAX */
    uint8_t *datagram;                    /* 1 .. UDPVPN_MAX_DATAGRAM bytes, decrypted in place */
    size_t datagram_len;
    /* results */
    int status;                           /* 0, or a drop code (the datagram was discarded) */
    uint32_t session;                     /* as in udpvpn_received */
    int has_inner;                        /* nonzero: an inner packet is at `inner` */
    int protocol;                         /* enum udpvpn_protocol, if has_inner */
    uint8_t *inner;                       /* points into this item's datagram buffer */
    size_t inner_len;
} udpvpn_receive_item;

/* Receives `count` datagrams (count 0 is fine; items may then be NULL). Every inner packet stays
 * valid until its datagram buffer is reused.
 * Returns the number of items with an inner packet (has_inner), INVALID_ARGUMENT (NULL endpoint,
 * NULL items with count > 0, count above INT32_MAX, a bad size, a NULL or out-of-range buffer
 * or address: nothing received), INTERNAL / NO_MEMORY (endpoint poisoned). */
UDPVPN_API int udpvpn_endpoint_receive_batch(udpvpn_endpoint *endpoint, uint64_t now,
                                             udpvpn_receive_item *items, size_t count);

/* The next datagram the protocol itself wants to send (handshake, control, keepalive).
 * Returns 1 and fills `out`, *out_len and *to (to optional); 0 when nothing is pending (*out_len = 0);
 * BUFFER_TOO_SMALL with *out_len = the size needed (the datagram stays queued; UDPVPN_MAX_DATAGRAM
 * always suffices); INVALID_ARGUMENT (NULL endpoint/out_len); INTERNAL. */
UDPVPN_API int udpvpn_endpoint_poll_datagram(udpvpn_endpoint *endpoint, uint8_t *out, size_t out_cap,
                                             size_t *out_len, udpvpn_addr *to);

/* Inner packets delivered outside receive() (data that arrived during the handshake).
 * Returns 1 and fills `out`, *out_len, *session and *protocol (the last two optional); 0 when
 * nothing is pending; BUFFER_TOO_SMALL with *out_len = the size needed (the packet stays queued);
 * INVALID_ARGUMENT (NULL endpoint/out_len); INTERNAL. */
UDPVPN_API int udpvpn_endpoint_poll_inner(udpvpn_endpoint *endpoint, uint8_t *out, size_t out_cap,
                                          size_t *out_len, uint32_t *session, int *protocol);

enum udpvpn_event_type {
    UDPVPN_EVENT_ESTABLISHED = 1,         /* handshake done: peer, suite, address */
    UDPVPN_EVENT_REKEYED = 2,             /* new keys in use: epoch */
    UDPVPN_EVENT_CLOSED = 3,              /* session gone: reason, text */
    UDPVPN_EVENT_CONFIG_RECEIVED = 4,     /* client: the server pushed configuration: config */
    UDPVPN_EVENT_PONG = 5,                /* answer to udpvpn_endpoint_ping(): token */
    UDPVPN_EVENT_MTU_CHANGED = 6,         /* path MTU probing result: mtu (inner MTU) */
    UDPVPN_EVENT_ADDRESS_CHANGED = 7,     /* server: the client roamed to address */
    UDPVPN_EVENT_CONTROL_MESSAGE = 8      /* reserved: application control messages */
};

typedef struct udpvpn_ipv4_prefix { uint8_t addr[4]; uint8_t prefix; } udpvpn_ipv4_prefix;
typedef struct udpvpn_ipv6_prefix { uint8_t addr[16]; uint8_t prefix; } udpvpn_ipv6_prefix;

/* Network configuration a server pushes to a client. Arrays: `n_x` entries at `x` (NULL if 0). */
typedef struct udpvpn_config_push {
    size_t size;                          /* sizeof(udpvpn_config_push) */
    int has_ipv4;                         /* the client's inner IPv4 address */
    udpvpn_ipv4_prefix ipv4;
    int has_ipv6;
    udpvpn_ipv6_prefix ipv6;
    const udpvpn_ipv4_prefix *routes4;    /* routes to send through the tunnel */
    size_t n_routes4;
    const udpvpn_ipv6_prefix *routes6;
    size_t n_routes6;
    const uint8_t *dns4;                  /* n_dns4 addresses of 4 bytes each */
    size_t n_dns4;
    const uint8_t *dns6;                  /* n_dns6 addresses of 16 bytes each */
    size_t n_dns6;
    int has_mtu;                          /* inner MTU */
    uint16_t mtu;
} udpvpn_config_push;

/* One event. Pointers in it are owned by the endpoint and valid until the next
 * udpvpn_endpoint_poll_event() call on it or udpvpn_endpoint_free(), whichever comes first. */
typedef struct udpvpn_event {
    size_t size;                          /* sizeof(udpvpn_event), set by the caller */
    int type;                             /* enum udpvpn_event_type */
    uint32_t session;
    int reason;                           /* CLOSED: a negative close code */
    const char *text;                     /* CLOSED: reason text, NUL-terminated, never NULL */
    const char *peer_common_name;         /* ESTABLISHED: subject CN of the peer ("" if none) */
    const char *peer_fingerprint;         /* ESTABLISHED: hex SHA-256 of the peer's leaf DER */
    int suite;                            /* ESTABLISHED: enum udpvpn_suite */
    udpvpn_addr address;                  /* ESTABLISHED, ADDRESS_CHANGED */
    uint64_t epoch;                       /* REKEYED */
    const udpvpn_config_push *config;     /* CONFIG_RECEIVED (else NULL); config->size says what
                                             this library fills */
    uint64_t token;                       /* PONG */
    uint16_t mtu;                         /* MTU_CHANGED */
} udpvpn_event;

/* The next event. Returns 1 and fills *event; 0 when there is none; INVALID_ARGUMENT (NULL,
 * bad event->size); NO_MEMORY (the event stays queued); INTERNAL. Strings never NULL (""). */
UDPVPN_API int udpvpn_endpoint_poll_event(udpvpn_endpoint *endpoint, udpvpn_event *event);

/* When udpvpn_endpoint_handle_timeout() must next be called (monotonic ns; UDPVPN_NEVER: no timer).
 * Errors: INVALID_ARGUMENT (NULL), INTERNAL. */
UDPVPN_API int udpvpn_endpoint_next_deadline(const udpvpn_endpoint *endpoint, uint64_t *deadline);

/* Runs every timer due at `now` (retransmissions, keepalives, rekeys, dead peers). Calling it early
 * is harmless. Errors: INVALID_ARGUMENT (NULL), NO_MEMORY, INTERNAL. */
UDPVPN_API int udpvpn_endpoint_handle_timeout(udpvpn_endpoint *endpoint, uint64_t now);

/* Server: sends network configuration to a client over the reliable control channel. `config` is
 * borrowed for the call (set config->size; arrays with n 0 may be NULL).
 * Errors: INVALID_ARGUMENT (NULL, bad size, a prefix above 32/128, n without array),
 * NOT_FOUND, INVALID_STATE (not established, or a client endpoint), QUEUE_FULL, NO_MEMORY, INTERNAL. */
UDPVPN_API int udpvpn_endpoint_push_config(udpvpn_endpoint *endpoint, uint64_t now, uint32_t session,
                                           const udpvpn_config_push *config);

/* Sends PING with `token`; the peer's PONG arrives as UDPVPN_EVENT_PONG.
 * Errors: INVALID_ARGUMENT (NULL), NOT_FOUND, INVALID_STATE, QUEUE_FULL, NO_MEMORY, INTERNAL. */
UDPVPN_API int udpvpn_endpoint_ping(udpvpn_endpoint *endpoint, uint64_t now, uint32_t session,
                                    uint64_t token);

/* Closes a session: sends DISCONNECT with `text` (NUL-terminated, at most 200 bytes, NULL = "")
 * and forgets the session once it is sent; a CLOSED event (UDPVPN_ERR_CLOSED_LOCALLY) follows.
 * Errors: INVALID_ARGUMENT (NULL endpoint, text too long), NOT_FOUND, INVALID_STATE, NO_MEMORY,
 * INTERNAL. */
UDPVPN_API int udpvpn_endpoint_close(udpvpn_endpoint *endpoint, uint64_t now, uint32_t session,
                                     const char *text);

/* Starts a rekey now (timers normally do it). Errors: INVALID_ARGUMENT, NOT_FOUND, INVALID_STATE,
 * QUEUE_FULL, NO_MEMORY, INTERNAL. */
UDPVPN_API int udpvpn_endpoint_rekey(udpvpn_endpoint *endpoint, uint64_t now, uint32_t session);

/* Re-checks every peer certificate (after the wall clock or CRLs changed); sessions that fail are
 * closed (CLOSED events). Errors: INVALID_ARGUMENT (NULL), NO_MEMORY, INTERNAL. */
UDPVPN_API int udpvpn_endpoint_reverify_certificates(udpvpn_endpoint *endpoint, uint64_t now);

/* Replaces the verifier (new CA set or CRLs; the endpoint takes its own reference), then
 * re-verifies every session as above. Errors: INVALID_ARGUMENT (NULL), NO_MEMORY, INTERNAL. */
UDPVPN_API int udpvpn_endpoint_set_verifier(udpvpn_endpoint *endpoint, uint64_t now,
                                            const udpvpn_verifier *verifier);

/* The IDs of the current sessions: up to `cap` written to `out`, *count = how many there are.
 * Errors: INVALID_ARGUMENT (NULL endpoint/count, out NULL with cap > 0), BUFFER_TOO_SMALL
 * (*count = the number needed, nothing written), NO_MEMORY, INTERNAL. */
UDPVPN_API int udpvpn_endpoint_sessions(const udpvpn_endpoint *endpoint, uint32_t *out, size_t cap,
                                        size_t *count);

/* A snapshot of one session. */
typedef struct udpvpn_session_info {
    size_t size;                          /* sizeof(udpvpn_session_info), set by the caller */
    uint32_t session;
    int established;
    int suite;                            /* enum udpvpn_suite */
    udpvpn_addr address;                  /* the peer's current address */
    uint64_t epoch;                       /* key epoch (rekeys so far) */
    uint64_t established_at;              /* monotonic ns */
    uint64_t last_handshake;              /* monotonic ns of the last handshake or rekey */
    uint64_t tx_bytes, rx_bytes, tx_packets, rx_packets;
    uint16_t inner_mtu;
    int64_t peer_not_after;               /* Unix seconds: end of the peer certificate's validity */
} udpvpn_session_info;

/* Fills *info for `session`. Errors: INVALID_ARGUMENT (NULL, bad info->size), NOT_FOUND,
 * NO_MEMORY, INTERNAL. */
UDPVPN_API int udpvpn_endpoint_session_info(const udpvpn_endpoint *endpoint, uint32_t session,
                                            udpvpn_session_info *info);

enum udpvpn_peer_field {
    UDPVPN_PEER_COMMON_NAME = 1,          /* subject CN of the verified leaf ("" if none) */
    UDPVPN_PEER_FINGERPRINT = 2,          /* hex SHA-256 over the leaf DER (64 characters) */
    UDPVPN_PEER_DNS_NAME = 3,             /* the index-th subjectAltName dNSName */
    /* The leaf's subject and issuer distinguished names, RFC 4514 strings ("CN=alice,OU=ops,
     * O=example"). issuer + subject name the holder as its CA does; base access decisions on
     * both (two CAs may each issue a "CN=alice"), or on the fingerprint. */
    UDPVPN_PEER_SUBJECT = 4,
    UDPVPN_PEER_ISSUER = 5,
    UDPVPN_PEER_EMAIL = 6,                /* the index-th subjectAltName rfc822Name */
    UDPVPN_PEER_URI = 7,                  /* the index-th subjectAltName URI */
    /* The index-th organizationalUnitName (OU) of the leaf's subject, in certificate order: the
     * groups udpvpn-server's access rules match (udpvpn.conf(5), ACCESS RULES). An embedder
     * applying its own rules reads them here; with several trusted CAs, check the issuer too
     * (any of them can write any OU). */
    UDPVPN_PEER_ORGANIZATIONAL_UNIT = 8
};

/* The verified peer identity of an established session, as a NUL-terminated string copied into
 * `buf`. `index` selects among DNS names, e-mail addresses, URIs and organizational units (must
 * be 0 for the other fields; the first index that gives NOT_FOUND is their count). *len = the string
 * length without the NUL (on BUFFER_TOO_SMALL: the buffer size needed, NUL included).
 * Errors: INVALID_ARGUMENT (NULL endpoint/len, buf NULL with cap > 0, unknown field, index != 0),
 * NOT_FOUND (no such session, or no such name at `index`), INVALID_STATE (not established yet),
 * BUFFER_TOO_SMALL, NO_MEMORY, INTERNAL. */
UDPVPN_API int udpvpn_endpoint_peer_identity(const udpvpn_endpoint *endpoint, uint32_t session,
                                             int field, size_t index, char *buf, size_t cap,
                                             size_t *len);

/* Endpoint counters. */
typedef struct udpvpn_stats {
    size_t size;                          /* sizeof(udpvpn_stats), set by the caller */
    uint64_t dropped[32];                 /* indexed by -code of a drop error (1 .. 31) */
    uint64_t sessions;
    uint64_t half_open;
    uint64_t retries_sent;
    uint64_t handshakes_completed;
    /* Appended after ABI 1's first layout: stateless resets (docs/rfc-draft.txt, Section 10.5). */
    uint64_t resets_sent;                 /* server: for DATA of sessions it does not know */
    uint64_t resets_rate_limited;         /* server: not sent, over stateless_reset_rate */
    uint64_t resets_received;             /* client: accepted (the session then closed) */
} udpvpn_stats;

/* Fills *stats. Errors: INVALID_ARGUMENT (NULL, bad stats->size), INTERNAL. */
UDPVPN_API int udpvpn_endpoint_stats(const udpvpn_endpoint *endpoint, udpvpn_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* UDPVPN_H */
