// SPDX-License-Identifier: GPL-3.0-or-later
// The fuzzing-build seam (fuzz/README.md, "The fuzzing-build seam").
//
// With UDPVPN_FUZZING_BUILD defined, the expensive public-key operations are replaced by cheap,
// deterministic stand-ins, so that a fuzzer runs thousands of handshakes a second and can itself
// produce an acceptable CERTIFICATE_VERIFY, reaching the states after it:
//   - CertificateVerify signatures (signature_keys.cpp): every Signer appends kStandInSignature
//     padded with zeros to its scheme's usual length (Ed25519 64, ECDSA 64, RSA the modulus size);
//     every PeerKey accepts a signature of a valid length for its scheme that begins with
//     kStandInSignature, whatever the message. The checks on the scheme, the key type and the
//     lengths stay.
//   - X25519 (key_schedule.cpp): the public key is the private key itself and the shared secret
//     is their XOR, so both sides still agree (and an all-zero result is still refused).
//   - X.509 chain verification (certificate.cpp) stays real, but each X509Verifier remembers its
//     last 64 results (the same chain, role, name and time give the same answer).
// None of this is secure. fuzz/meson.build defines UDPVPN_FUZZING_BUILD for the libFuzzer
// executables alone (never for the library, the apps or a normal test build); the top-level
// meson.build refuses it in cpp_args, and this header refuses to compile it without AddressSanitizer,
// which no release build has.
#pragma once

#ifdef UDPVPN_FUZZING_BUILD
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UDPVPN_FUZZING_SEAM_ASAN 1
#endif
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(UDPVPN_FUZZING_SEAM_ASAN)
#error "UDPVPN_FUZZING_BUILD replaces signatures and X25519 with insecure stand-ins: sanitizer fuzz builds only"
#endif

#include <array>
#include <cstdint>

namespace udpvpn::fuzzing {

inline constexpr std::array<std::uint8_t, 16> kStandInSignature = {
    'u', 'd', 'p', 'v', 'p', 'n', '-', 'f', 'u', 'z', 'z', '-', 's', 'i', 'g', '!'};

}  // namespace udpvpn::fuzzing
#endif
