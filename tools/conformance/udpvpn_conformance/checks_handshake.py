# SPDX-License-Identifier: GPL-3.0-or-later
"""The handshake from the client's side (sections 5.3, 7.5, 8, 9): extensions, suites, signatures,
FINISHED, early data, transcript binding, and the errors each failure must produce."""
import struct

from . import client as c
from . import pki
from . import wire as w
from .checks_base import Fail, NotTestable, expect_close, silence
from .checks_wire import _server_hello
from .registry import check


def _suite_of(r):
    return struct.unpack(">H", r.server_hello[73:75])[0] if r.server_hello else None


@check("HS-5", "server", "HANDSHAKE packets with an unknown frame type or a truncated FRAG get CLOSE 11")
def hs_5(ctx):
    from .checks_wire import _after_server_hello
    a = _after_server_hello(ctx, b"\x09\x00\x00", "unknown frame type 0x09")
    b = _after_server_hello(ctx, w.frag_frame(0, b"abcdefgh")[:-3], "truncated FRAG")
    return f"{a}; {b}"


@check("HS-6", "server", "a HANDSHAKE packet with a FRAG replayed 10 times gets at most 10 ACKs")
def hs_6(ctx):
    hs = _server_hello(c.Handshake(ctx))
    silence(hs.sock, 0.5)
    pkt = hs.handshake_packet(w.frag_frame(0, b"\x0b\x00\x00"))
    for _ in range(10):
        hs.send(pkt)
    got = silence(hs.sock, 1.5)
    acks = 0
    for dg in got:
        if dg[0] == w.HANDSHAKE:
            try:
                _, pt = w.open_handshake(dg, hs.s_hs)
                if any(f[0] == "ACK" for f in w.parse_frames(pt)):
                    acks += 1
            except Exception:
                pass
    if acks > 10:
        raise Fail(f"{acks} ACKs for 10 copies of one packet")
    return f"{acks} ACK packets for 10 copies"


@check("HS-8", "server", "a client stream with an unknown message type, or a byte after FINISHED, gets CLOSE 11")
def hs_8(ctx):
    a = expect_close(c.Handshake(ctx, client_stream=lambda s: w.message(0x42, b"xyz") + s).run(4.0),
                     (11,), "unknown message type 0x42 first")
    b = expect_close(c.Handshake(ctx, client_stream=lambda s: s + b"\x00").run(4.0),
                     (11,), "a byte after FINISHED")
    return f"{a}; {b}"


@check("HS-9", "server", "a client CERTIFICATE_VERIFY whose signature has one bit flipped gets CLOSE 5")
def hs_9(ctx):
    return expect_close(c.Handshake(ctx, cv_corrupt=True).run(4.0), (5,), "flipped signature bit")


@check("CRY-3", "server", "a CERTIFICATE_VERIFY whose scheme does not match the leaf key gets CLOSE 5")
def cry_3(ctx):
    own = pki.scheme_of(ctx.key)
    other = pki.SCHEME_ECDSA if own != pki.SCHEME_ECDSA else pki.SCHEME_ED25519
    return expect_close(c.Handshake(ctx, cv_scheme=other).run(4.0), (5,), f"scheme {other:#06x} for a {own:#06x} key")


def _rsa(ctx):
    cred = ctx.certs.get("rsa")
    if not cred:
        raise NotTestable("needs an RSA client certificate: rsa.crt and rsa.key in --cert-dir")
    return cred


@check("CRY-4", "server", "an RSA-PSS signature one byte longer than the modulus gets CLOSE 5")
def cry_4(ctx):
    chain, key = _rsa(ctx)
    ok = c.Handshake(ctx, chain=chain, key=key).run(4.0)
    if not ok.established:
        raise Fail(f"a correct RSA-PSS client did not complete: {ok.describe()}")
    r = c.Handshake(ctx, chain=chain, key=key, client_stream=_lengthen_signature).run(4.0)
    return expect_close(r, (5, 11), "signature of modulus length + 1")


def _lengthen_signature(stream):
    # CERTIFICATE, then CERTIFICATE_VERIFY: append a zero byte to the signature, fix both lengths.
    cert_len = int.from_bytes(stream[1:4], "big")
    i = 4 + cert_len
    cv_len = int.from_bytes(stream[i + 1:i + 4], "big")
    body = stream[i + 4:i + 4 + cv_len]
    scheme, sl = struct.unpack(">HH", body[:4])
    body = struct.pack(">HH", scheme, sl + 1) + body[4:] + b"\0"
    return stream[:i] + w.message(w.MSG_CV, body) + stream[i + 4 + cv_len:]


@check("CRY-5", "server", "RSA signatures with salt length 20, or PKCS #1 v1.5, get CLOSE 5")
def cry_5(ctx):
    chain, key = _rsa(ctx)
    a = expect_close(c.Handshake(ctx, chain=chain, key=key, cv_salt=20).run(4.0), (5,), "PSS salt length 20")
    b = expect_close(c.Handshake(ctx, chain=chain, key=key, cv_pkcs1=True).run(4.0), (5,), "PKCS #1 v1.5")
    return f"{a}; {b}"


@check("HS-10", "server", "a client FINISHED with one bit flipped gets CLOSE 6 and no session")
def hs_10(ctx):
    r = c.Handshake(ctx, finished_corrupt=True).run(4.0)
    return expect_close(r, (6,), "flipped FINISHED bit")


@check("HS-11", "server", "an unknown extension 0x7123 with the critical bit clear is ignored: the handshake completes")
def hs_11(ctx):
    ext = w.extension(w.EXT_INNER_PROTOCOLS, b"\x01") + w.extension(0x7123, b"unknown")
    r = c.Handshake(ctx, extensions=ext).run(4.0)
    if not r.established:
        raise Fail(f"with a non-critical unknown extension: {r.describe()}")
    return "session established"


@check("HS-12", "server", "an unknown critical extension 0x8123 gets SERVER_HELLO suite 0 and CLOSE 7 naming 0x8123")
def hs_12(ctx):
    ext = w.extension(w.EXT_INNER_PROTOCOLS, b"\x01") + w.extension(0x0123, b"x", critical=True)
    r = c.Handshake(ctx, extensions=ext).run(4.0)
    if r.server_hello and _suite_of(r) != 0:
        raise Fail(f"SERVER_HELLO selected suite {_suite_of(r)} for a refused extension")
    out = expect_close(r, (7,), "critical extension 0x8123")
    if b"8123" not in r.close[1].lower():
        raise Fail(f"the CLOSE text does not name 0x8123: {r.close[1]!r}")
    return out


@check("HS-13", "server", "the server selects only suites the client offered (offers: unknown+ChaCha20, AES only)")
def hs_13(ctx):
    r = c.Handshake(ctx, suites=(0x0077, w.SUITE_CHACHA)).run(4.0)
    if _suite_of(r) != w.SUITE_CHACHA:
        raise Fail(f"offered 0x0077 and ChaCha20, got suite {_suite_of(r)} ({r.describe()})")
    r2 = c.Handshake(ctx, suites=(w.SUITE_AES,)).run(4.0)
    if _suite_of(r2) not in (w.SUITE_AES, 0):
        raise Fail(f"offered AES-256-GCM only, got suite {_suite_of(r2)}")
    return f"ChaCha20 selected; AES-only offer answered with suite {_suite_of(r2)}"


@check("HS-14", "server", "an offer of unknown suites only gets SERVER_HELLO suite 0 and CLOSE 8")
def hs_14(ctx):
    r = c.Handshake(ctx, suites=(0x0077, 0x7777)).run(4.0)
    if r.server_hello is None:
        raise Fail("no SERVER_HELLO for an offer without a common suite")
    if _suite_of(r) != 0:
        raise Fail(f"suite {_suite_of(r)} selected from an offer of unknown suites")
    return expect_close(r, (8,), "no common suite")


@check("HS-17", "server", "a failed handshake gets exactly one CLOSE, and the attempt is forgotten (a resent flight gets nothing)")
def hs_17(ctx):
    hs = c.Handshake(ctx, finished_corrupt=True)
    r = hs.run(4.0)
    expect_close(r, (6,), "flipped FINISHED bit")
    # Our flight again, with new packet numbers: the server forgot the attempt.
    hs.send(hs.handshake_packet(w.ack_frame([(0, 1)]) + w.frag_frame(0, b"\x0b")))
    more = silence(hs.sock, 1.0)
    closes = 1
    for dg in more:
        try:
            _, pt = w.open_handshake(dg, hs.s_hs)
            if any(f[0] == "CLOSE" for f in w.parse_frames(pt)):
                closes += 1
        except Exception:
            pass
    if more and closes > 1:
        raise Fail(f"{closes} CLOSE packets for one failed attempt")
    if more:
        raise Fail(f"{len(more)} datagrams after the CLOSE (the attempt was not forgotten)")
    return "one CLOSE, then silence"


@check("HS-18", "server", "early DATA (a PING) sent with a bad FINISHED is never answered")
def hs_18(ctx):
    ping = w.cf_msg(0, w.M_PING, b"early!!!")
    hs = c.Handshake(ctx, finished_corrupt=True, early=[(w.PT_CONTROL, ping)])
    r = hs.run(4.0)
    expect_close(r, (6,), "bad FINISHED with early data")
    data = [dg for _, dg in r.received if dg and dg[0] & 0xF0 == 0x10]
    if data:
        raise Fail(f"the server sent {len(data)} DATA packets to a client whose FINISHED failed")
    ok = c.Handshake(ctx, early=[(w.PT_CONTROL, ping)])
    s = ok.established()
    if not s.wait(lambda e: any(f[0] == "MSG" and f[2] == w.M_PONG for f in e["frames"]), 2.0):
        raise Fail("early data sent with a good FINISHED was not processed once established (no PONG)")
    s.close()
    return "no answer with a bad FINISHED; PONG once a good FINISHED verified"


@check("SEC-1", "server", "signatures over a ClientHello with another suite list (a downgrade) get CLOSE 5 or 6; the server's own CERTIFICATE_VERIFY and FINISHED verify over the real transcript")
def sec_1(ctx):
    good = c.Handshake(ctx)
    r = good.run(4.0)
    if not r.established:
        raise Fail(f"a correct handshake failed: {r.describe()}")
    if not good.server_cv_ok or not good.server_finished_ok:
        raise Fail("the server's CERTIFICATE_VERIFY or FINISHED does not verify over the transcript")
    hs = c.Handshake(ctx)
    hs.knobs["transcript_hello"] = w.client_hello(hs.sid, hs.random, hs.eph_pub, (w.SUITE_CHACHA,),
                                                  w.extension(w.EXT_INNER_PROTOCOLS, b"\x01"))
    return expect_close(hs.run(4.0), (5, 6), "client signed a downgraded ClientHello")
