// SPDX-License-Identifier: GPL-3.0-or-later
#include "conformance_fault_hooks.hpp"

#include "admission.hpp"

namespace udpvpn {

void fault_any_version_is_1(const CommonConfig& config, MutableByteView datagram) noexcept {
    if (datagram.size() < 3 + kAdmissionMacSize || datagram[0] != static_cast<std::uint8_t>(PacketType::initial))
        return;
    const Secret32 key = admission_secret_of(config);
    if (!admission_verify(key.expose(), datagram)) return;   // no valid MAC: still dropped
    datagram[1] = static_cast<std::uint8_t>(kProtocolVersion >> 8);
    datagram[2] = static_cast<std::uint8_t>(kProtocolVersion);
    admission_seal(key.expose(), datagram);
}

}  // namespace udpvpn
