// SPDX-License-Identifier: GPL-3.0-or-later
// Batch forms of Endpoint::seal() and Endpoint::receive() (include/udpvpn/endpoint.hpp): one call
// for the arrays of packets a batched data path holds. Each item is handled exactly as its
// per-packet call would handle it, so the protocol rules live in one place; the batch saves the
// caller a call (and, through the C ABI, an argument check and exception barrier) per packet.
#include <udpvpn/endpoint.hpp>

namespace udpvpn {

void Endpoint::seal_batch(TimeNs now, std::span<SealItem> items) {
    for (SealItem& it : items) it.result = seal(now, it.session, it.protocol, it.inner, it.out);
}

void Endpoint::receive_batch(TimeNs now, std::span<ReceiveItem> items) {
    for (ReceiveItem& it : items) it.result = receive(now, it.from, it.datagram);
}

}  // namespace udpvpn
