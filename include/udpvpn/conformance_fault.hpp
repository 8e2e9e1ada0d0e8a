// SPDX-License-Identifier: GPL-3.0-or-later
// Deliberately broken behaviours, for the conformance suite's proof that it can fail
// (tests/conformance/broken_servers.sh). They exist only in a build configured with
// `-Dconformance_faults=true`, which meson refuses for release builds: without it
// UDPVPN_CONFORMANCE_FAULTS is undefined, no configuration has a conformance_fault field, and
// every UDPVPN_FAULT(...) is the constant false. Each hook is one line marked UDPVPN_FAULT.
#pragma once

#ifdef UDPVPN_CONFORMANCE_FAULTS
#ifdef NDEBUG
#error "conformance faults build deliberately broken servers: test builds only, never with NDEBUG"
#endif
#include <cstdint>

namespace udpvpn {

// One fault per server process (udpvpn-server reads its name from $UDPVPN_CONFORMANCE_FAULT).
enum class ConformanceFault : std::uint8_t {
    none,
    replay_check_off,             // DATA: the replay window is not consulted (§11.5)
    amplification_unlimited,      // the 3x budget before address validation is ignored (§10.2)
    cookie_never_required,        // never a RETRY: over cookie_threshold or a source limit, open anyway
    client_finished_unverified,   // the client's FINISHED is accepted whatever it holds (§8.5)
    client_cert_verify_unchecked, // the client's CERTIFICATE_VERIFY signature is not checked (§8.4)
    half_open_address_unchecked,  // a half-open session takes HANDSHAKE packets from any address (§10.2)
    crl_ignored,                  // the verifier never checks the CRLs it was given (§17)
    disconnect_code_wrong,        // DISCONNECT carries code 0 (normal) whatever the reason (§18)
    admission_key_unchecked,      // INITIAL and PAD accepted whatever their admission MAC (§10.1)
    version_unchecked,            // an INITIAL of any version is taken as version 1 (§16)
};

}  // namespace udpvpn

// True when `holder` (a configuration, or a handshake that copied the field) selects fault `name`.
#define UDPVPN_FAULT(holder, name) ((holder).conformance_fault == ::udpvpn::ConformanceFault::name)
// Copies the selected fault from one holder to another.
#define UDPVPN_FAULT_COPY(to, from) ((to).conformance_fault = (from).conformance_fault)
// Runs the statement only when the fault is selected (for faults that call fault-build-only code).
#define UDPVPN_FAULT_DO(holder, name, ...) do { if (UDPVPN_FAULT(holder, name)) { __VA_ARGS__; } } while (0)
#else
#define UDPVPN_FAULT(holder, name) false
#define UDPVPN_FAULT_COPY(to, from) ((void)0)
#define UDPVPN_FAULT_DO(holder, name, ...) ((void)0)
#endif
