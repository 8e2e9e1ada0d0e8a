// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target for the handshake wire format (docs/rfc-draft.txt, Sections 7, 8): every
// packet parser, the frame reader, the stream reassembler and the message/extension parsers over
// arbitrary bytes. Must never crash; what parses must re-encode to the same bytes.
#include "harness.hpp"

#include "admission.hpp"
#include "handshake_messages.hpp"
#include "handshake_stream.hpp"
#include "wire_format.hpp"

#include <cstdlib>
#include <cstring>

using namespace udpvpn;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void packets(ByteView in) {
    static const std::array<std::uint8_t, 32> kZero{};
    if (auto p = parse_initial(in); p.ok()) {
        Bytes again(in.size());
        InitialFields f = p.value;
        check(encode_initial(f, kZero, in.size(), again).ok());
        // Identical up to the MAC (the MAC is recomputed under the zero key).
        check(std::memcmp(again.data(), in.data(), in.size() - kAdmissionMacSize) == 0);
        check(admission_verify(kZero, again));
        check(encode_client_hello(f) == Bytes(f.client_hello.begin(), f.client_hello.end()));
    }
    if (auto p = parse_pad(in); p.ok()) {
        Bytes again(in.size());
        check(encode_pad(p.value, kZero, in.size(), again).ok());
        check(std::memcmp(again.data(), in.data(), in.size() - kAdmissionMacSize) == 0);
    }
    if (auto p = parse_retry(in); p.ok()) {
        Bytes again(kRetrySize);
        check(encode_retry(p.value, again).value == kRetrySize && std::memcmp(again.data(), in.data(), kRetrySize) == 0);
    }
    if (auto p = parse_server_hello(in); p.ok()) {
        Bytes again(kServerHelloSize);
        check(encode_server_hello(p.value, again).ok() && std::memcmp(again.data(), in.data(), kServerHelloSize) == 0);
    }
    (void)parse_handshake_header(in);
    (void)admission_verify(ByteView(in).first(std::min<std::size_t>(in.size(), 32)).size() == 32
                               ? ByteView(in).first(32) : ByteView(kZero),
                           in);
}

void frames(ByteView in) {
    FrameReader fr(in);
    RecvStream recv;
    SendStream send;
    check(send.append(Bytes(4096, 0x5A)) == Error::ok);
    for (int guard = 0; !fr.done() && guard < 10000; ++guard) {
        auto f = fr.next();
        if (!f.ok()) break;
        if (f.value.type == FrameType::frag) {
            const Error e = recv.on_frag(f.value.offset, f.value.data);
            check(e == Error::ok || e == Error::protocol_violation);
            check(recv.contiguous().size() <= kMaxStreamSize);
            check(recv.ack_ranges().size() <= kMaxAckRanges);
        } else if (f.value.type == FrameType::ack) {
            send.on_ack({f.value.ranges.data(), f.value.n_ranges});
            check(send.acked_prefix() <= send.size());
        } else if (f.value.type == FrameType::close) {
            check(f.value.text.size() <= kMaxCloseText);
        }
    }
    // Whatever the ACKs said, the sender still produces valid FRAGs for the rest.
    Bytes out(1200);
    Writer w(out);
    while (send.write_frag(w, w.remaining())) {}
    FrameReader back(w.written());
    while (!back.done()) check(back.next().ok());
}

void messages(ByteView in) {
    std::size_t off = 0;
    for (int guard = 0; guard < 1000 && off < in.size(); ++guard) {
        bool complete = false;
        auto m = read_hs_message(in.subspan(off), complete);
        if (!m.ok() || !complete) break;
        check(m.value.whole.size() == kHsMsgHeaderSize + m.value.body.size());
        off += m.value.whole.size();
        switch (m.value.type) {
        case HsMsgType::encrypted_extensions: {
            const ExtensionsParse e = parse_extensions(m.value.body);
            check(e.error == Error::ok || e.error == Error::malformed || e.error == Error::unsupported_extension);
            break;
        }
        case HsMsgType::certificate:
            if (auto c = parse_certificate(m.value.body); c.ok()) {
                const Bytes again = encode_certificate(c.value);
                check(ByteView(again).subspan(kHsMsgHeaderSize).size() == m.value.body.size());
            }
            break;
        case HsMsgType::certificate_verify: (void)parse_certificate_verify(m.value.body); break;
        case HsMsgType::finished: (void)verify_finished(Secret32{}, Hash32{}, m.value.body); break;
        }
    }
}

}  // namespace

int run_wire_format(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const ByteView in(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0: packets(in); break;
    case 1: frames(in); break;
    default: messages(in); break;
    }
    return 0;
}
