// SPDX-License-Identifier: GPL-3.0-or-later
// What the benchmark programs share: the test PKI, CPU time of this thread, moving datagrams between
// two endpoints, and the primitive operations one side of a handshake must run (the yardstick the
// handshake figures are measured against).
#pragma once
#include <udpvpn/certificate.hpp>
#include <udpvpn/endpoint.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace udpvpn::bench {

struct Options {
    double ms_per_run = 300;      // one timed run (--ms); each figure is the best of several
    std::size_t clients = 10000;  // clients of the load section (--clients; udpvpn-scale only)
};
// A program's sections: one function and a table row each.
struct Section {
    const char* name;
    void (*run)(const Options&);
    const char* what;
};
// Parses [--section NAME]... [--ms N] (and [--clients N] if `with_clients`), runs the sections
// asked for (all if none) in table order; returns the exit status.
int run_sections(int argc, char** argv, std::span<const Section> sections, Options o, bool with_clients);

// Seconds of CPU time of this thread where available: stable on a machine shared with other jobs.
double cpu_seconds();

inline void volatile_sink(const void* p) { asm volatile("" : : "r"(p) : "memory"); }

// The test PKI (tests/pki, or $UDPVPN_TEST_PKI), its verifier fixed at a time inside its validity.
struct Pki {
    Identity server, client;
    std::shared_ptr<const CertificateVerifier> verifier;
};
std::string pki_file(const std::string& name);
bool load_pki(Pki& p);

// Moves every pending datagram between two endpoints until both are quiet.
void pump(Endpoint& a, Endpoint& b, const PeerAddress& aa, const PeerAddress& ba, TimeNs now);

struct Connected {
    std::unique_ptr<Endpoint> client, server;
    SessionId cs = 0, ss = 0;
};
// One client and one server endpoint, connected in memory with `suite`.
bool connect_pair(const Pki& p, Suite suite, Connected& c, TimeNs now);

// The primitives one side of a handshake runs, `n` times over: an X25519 key pair and agreement, an
// Ed25519 signature and a verification (CertificateVerify), the verification of the peer's chain
// (the CA's Ed25519 signature on the leaf, through OpenSSL), the key schedule's HKDF derivations and
// the AEAD of the flight (about 1.5 KB each way). Returns the number of failed checks.
class HandshakePrimitives {
public:
    explicit HandshakePrimitives(const Pki& p);
    ~HandshakePrimitives();
    std::uint64_t run(int n);

private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace udpvpn::bench
