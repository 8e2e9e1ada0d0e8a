// SPDX-License-Identifier: GPL-3.0-or-later
#include "conformance_fault_hooks.hpp"

#include "admission.hpp"
#include "wire_format.hpp"

namespace udpvpn {

void fault_any_version_is_1(const CommonConfig& config, MutableByteView datagram) noexcept {
    if (datagram.size() < 3 + kAdmissionMacSize || datagram[0] != static_cast<std::uint8_t>(PacketType::initial))
        return;
    const ByteView key = admission_key_bytes(config.admission_key);
    if (!admission_verify(key, datagram)) return;   // no valid MAC: still dropped
    datagram[1] = static_cast<std::uint8_t>(kProtocolVersion >> 8);
    datagram[2] = static_cast<std::uint8_t>(kProtocolVersion);
    admission_seal(key, datagram);
}

}  // namespace udpvpn
