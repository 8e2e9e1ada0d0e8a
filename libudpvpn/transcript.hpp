// SPDX-License-Identifier: GPL-3.0-or-later
// Running SHA-256 of the handshake transcript (docs/rfc-draft.txt, Section 8.7): ClientHello || SERVER_HELLO
// || every stream message in order. snapshot() hashes what was fed so far without ending the transcript.
#pragma once
#include "key_schedule.hpp"

#include <sodium.h>

#include <udpvpn/types.hpp>

namespace udpvpn {

class Transcript {
public:
    Transcript() noexcept;
    ~Transcript();
    Transcript(const Transcript&) noexcept = default;
    Transcript& operator=(const Transcript&) noexcept = default;

    void update(ByteView bytes) noexcept;
    Hash32 snapshot() const noexcept;

private:
    crypto_hash_sha256_state st_;
};

}  // namespace udpvpn
