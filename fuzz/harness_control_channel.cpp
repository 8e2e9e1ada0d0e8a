// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target for the control channel: arbitrary CONTROL plaintexts fed to on_payload() must
// never crash, never break the memory bounds, and whatever is delivered must respect the limits.
// Delivered CONFIG / DISCONNECT / REKEY bodies also go through their decoders (the ones Session
// uses); a decoded CONFIG must re-encode to something that decodes to the same bytes, a decoded
// REKEY to the same bytes.
//
// Input: a sequence of chunks, each len (2, big-endian) | bytes. Each chunk is one payload; between
// payloads the virtual clock advances 100 ms and both poll loops run.
#include "harness.hpp"

#include "control_channel.hpp"
#include "control_messages.hpp"

#include <udpvpn/config_push.hpp>

#include <cstdlib>
#include <vector>

using namespace udpvpn;

int run_control_channel(const std::uint8_t* data, std::size_t size) {
    Timers timers;
    ControlChannel ch(timers);
    // Some messages in flight so that ACK frames find something to acknowledge.
    for (std::uint8_t i = 0; i < 40; ++i) ch.send(0, ctrl_msg::ping, encode_ping_token(i));
    std::vector<std::uint8_t> out(ControlChannel::kMinPayloadBuffer);
    while (ch.poll_payload(0, out) != 0) {}

    ByteView in(data, size);
    TimeNs now = 0;
    while (in.size() >= 2) {
        const std::size_t len = std::min<std::size_t>((std::size_t{in[0]} << 8) | in[1], in.size() - 2);
        const ByteView payload = in.subspan(2, len);
        in = in.subspan(2 + len);
        now += 100 * kMillisecond;
        const std::size_t before = ch.queued();
        const Error e = ch.on_payload(now, payload);
        if (e != Error::ok && e != Error::malformed) std::abort();
        if (e == Error::malformed && ch.queued() != before) std::abort();   // rejected: no change
        if (ch.queued() > ControlChannel::kMaxQueued) std::abort();

        for (std::size_t n; (n = ch.poll_payload(now, out)) != 0;)
            if (n > out.size()) std::abort();
        while (auto m = ch.poll_message()) {
            if (m->body.size() > ControlChannel::kMaxBody) std::abort();
            if (m->type == ctrl_msg::config) {
                const auto c = decode_config_push(m->body);
                if (c.ok()) {
                    const Bytes again = encode_config_push(c.value);
                    const auto c2 = decode_config_push(again);
                    if (!c2.ok() || encode_config_push(c2.value) != again) std::abort();
                }
            } else if (m->type == ctrl_msg::disconnect) {
                const auto d = decode_disconnect(m->body);
                if (d.ok() && (d.value.text.size() > kMaxDisconnectText || !is_valid_utf8(d.value.text)))
                    std::abort();
            } else if (m->type == ctrl_msg::rekey_init || m->type == ctrl_msg::rekey_resp) {
                // The codec Session reads REKEY with: what it accepts it writes back unchanged.
                const auto r = decode_rekey(m->body);
                if (r.ok() != (m->body.size() == kRekeyBodySize)) std::abort();
                if (r.ok() && encode_rekey(r.value) != m->body) std::abort();
            }
        }
        while (ch.poll_probe_ack()) {}
    }
    return 0;
}
