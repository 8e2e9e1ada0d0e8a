// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target for the RFC 1662 decoder: arbitrary pty bytes in arbitrary chunks must never
// crash, never deliver a frame larger than the MRU allows, and every frame delivered must survive
// an encode/decode round trip unchanged.
#include "harness.hpp"

#include "hdlc.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

using namespace udpvpn;
using namespace udpvpn::hdlc;

int run_hdlc(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // First byte: configuration; second: chunk size.
    DecoderConfig dc;
    dc.fcs = (data[0] & 1) ? FcsType::fcs32 : FcsType::fcs16;
    dc.mru = (data[0] & 2) ? 64 : kDefaultMru;
    dc.receive_accm = (data[0] & 4) ? 0x000A0000 : 0;
    EncoderConfig ec;
    ec.fcs = dc.fcs;
    ec.address_control_compression = (data[0] & 8) != 0;
    ec.protocol_compression = (data[0] & 16) != 0;
    ec.transmit_accm = (data[0] & 32) ? kAccmAll : 0x000A0000;
    const std::size_t chunk = 1 + data[1];
    ByteView in(data + 2, size - 2);

    Decoder d(dc);
    std::vector<std::uint8_t> wire;
    while (!in.empty()) {
        const std::size_t n = in.size() < chunk ? in.size() : chunk;
        d.feed_all(in.first(n), [&](ByteView frame) {
            if (frame.size() < 2 || frame.size() > dc.mru + 2) std::abort();
            if (!valid_protocol(frame[0], frame[1])) std::abort();
            wire.resize(max_encoded_size(frame.size()));
            auto r = encode(ec, frame, wire);
            if (!r.ok()) std::abort();
            Decoder again(dc);
            int count = 0;
            again.feed_all(ByteView(wire).first(r.value), [&](ByteView back) {
                ++count;
                if (back.size() != frame.size() || !std::equal(back.begin(), back.end(), frame.begin()))
                    std::abort();
            });
            if (count != 1) std::abort();
        });
        in = in.subspan(n);
    }
    return 0;
}
