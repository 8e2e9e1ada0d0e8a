# SPDX-License-Identifier: GPL-3.0-or-later
"""Wire format (sections 3, 7.1, 7.2, 7.6, 8.3, 9.5): malformed, truncated and bit-flipped
datagrams of every handshake type get silence or the specified error, never a crash."""
import os
import struct
import time

from . import client as c
from . import wire as w
from .checks_base import Fail, NotTestable, Unexpected, expect_close, silence, still_serves
from .registry import check


def _server_hello(hs, seconds=2.0):
    """Runs hs until SERVER_HELLO (following RETRYs); raises Unexpected without one."""
    hs.knobs["hold_flight3"] = True
    hs.knobs["no_acks"] = True
    hs.send_flight1()
    end = time.monotonic() + seconds
    while hs.result.server_hello is None and time.monotonic() < end:
        got = c.receive(hs.sock, end - time.monotonic())
        if got:
            hs.on_datagram(got[0], time.monotonic())
    if hs.result.server_hello is None:
        raise Unexpected(f"a correct INITIAL got no SERVER_HELLO: {hs.result.describe()}")
    return hs


def answered(ctx, datagrams, seconds=1.0):
    """Sends datagrams from a fresh socket; returns what came back."""
    s = c.udp_socket(ctx.bind_ip, family=ctx.family)
    try:
        for dg in datagrams:
            s.sendto(dg, ctx.server)
        return silence(s, seconds)
    finally:
        s.close()


@check("WIRE-1", "server", "datagrams whose first byte is no packet type (0x00, 0x06, 0x0F, 0x20, 0x7F, 0xFF) get no answer")
def wire_1(ctx):
    dgs = [bytes([t]) + os.urandom(1231) for t in (0x00, 0x06, 0x0F, 0x20, 0x7F, 0xFF)]
    got = answered(ctx, dgs)
    if got:
        raise Fail(f"{len(got)} answers to datagrams of unknown types")
    still_serves(ctx)
    return "6 unknown types: no answer; the server still serves"


@check("WIRE-2", "server", "RETRY and SERVER_HELLO sent to a server (wrong role) get no answer")
def wire_2(ctx):
    hs = c.Handshake(ctx)
    dgs = [bytes([w.RETRY]) + hs.sid + os.urandom(24),
           bytes([w.SERVER_HELLO]) + hs.sid + os.urandom(70),
           bytes([w.RETRY]) + os.urandom(1231)]
    got = answered(ctx, dgs)
    if got:
        raise Fail(f"{len(got)} answers to server-only packet types")
    still_serves(ctx)
    return "no answer"


@check("WIRE-3", "server", "an INITIAL of 1199 bytes gets no answer (1200 bytes does)")
def wire_3(ctx):
    short = c.Handshake(ctx, size=1200)
    dg = w.initial(short.hello, b"", 1199, ctx.admission_key)
    got = answered(ctx, [dg])
    if got:
        raise Fail(f"the server answered a 1199-byte INITIAL ({len(got)} datagrams, first type {got[0][0]})")
    r = c.Handshake(ctx, size=1200).run(3.0)
    if r.server_hello is None:
        raise Fail(f"a correct 1200-byte INITIAL got no SERVER_HELLO either ({r.describe()})")
    return "1199 bytes: silence; 1200 bytes: SERVER_HELLO"


@check("WIRE-4", "server", "an INITIAL of 1453 bytes gets no answer (1452 bytes does)")
def wire_4(ctx):
    hs = c.Handshake(ctx)
    got = answered(ctx, [w.initial(hs.hello, b"", 1453, ctx.admission_key)])
    if got:
        raise Fail("the server answered a 1453-byte INITIAL")
    r = c.Handshake(ctx, size=1452).run(3.0)
    if r.server_hello is None:
        raise Fail(f"a correct 1452-byte INITIAL got no SERVER_HELLO either ({r.describe()})")
    return "1453 bytes: silence; 1452 bytes: SERVER_HELLO"


def _malformed_initials(ctx):
    hs = c.Handshake(ctx)
    good = hs.initial()
    out = {}
    out["bit-flipped admission MAC"] = good[:-1] + bytes([good[-1] ^ 1])
    out["bit-flipped body"] = good[:50] + bytes([good[50] ^ 0x80]) + good[51:]
    out["truncated to 1200 bytes"] = good[:1200]
    body = good[:-16]
    nonzero = body[:-1] + b"\x01"
    out["non-zero padding"] = nonzero + w.admission_mac(ctx.admission_key, nonzero)
    ext_len_at = 71 + 1 + 2 * len(hs.suites)
    for name, hello in (
            ("no suites", w.client_hello(hs.sid, hs.random, hs.eph_pub, (), b"")),
            ("Ext Len past the datagram's end", hs.hello[:ext_len_at] + b"\x0f\xff" + hs.hello[ext_len_at + 2:])):
        out[name] = w.initial(hello, b"", 1232, ctx.admission_key)
    # Cookie Len 5: not 0 or 24.
    b2 = hs.hello + b"\x05" + os.urandom(5)
    b2 += b"\0" * (1232 - 16 - len(b2))
    out["Cookie Len 5"] = b2 + w.admission_mac(ctx.admission_key, b2)
    return out


@check("WIRE-5", "server", "malformed INITIALs (bad MAC, flipped bit, truncated, non-zero padding, no suites, bad lengths) get no answer")
def wire_5(ctx):
    bad = _malformed_initials(ctx)
    answered_by = [name for name, dg in bad.items() if answered(ctx, [dg], 0.4)]
    if answered_by:
        raise Fail("answered: " + ", ".join(answered_by))
    still_serves(ctx)
    return f"{len(bad)} malformed INITIALs: no answer; the server still serves"


def flight_without_validation(ctx, pads, padding_byte=0, seconds=2.5):
    """The bytes the server sends for INITIAL + pads (1232 bytes each) within seconds, unvalidated."""
    hs = c.Handshake(ctx, pads=0)
    hs.send(hs.initial())
    for _ in range(pads):
        hs.send(hs.pad(padding_byte))
    got = silence(hs.sock, seconds)
    hs.sock.close()
    return sum(len(d) for d in got)


@check("WIRE-6", "server", "PADs with non-zero padding buy no amplification budget")
def wire_6(ctx):
    got_good = flight_without_validation(ctx, 3)
    if got_good <= 3 * 1232:
        raise NotTestable(f"the server's first flight ({got_good} bytes) fits 3 x one INITIAL, so PADs "
                          "change nothing visible (use a server with a larger certificate chain)")
    got_bad = flight_without_validation(ctx, 3, padding_byte=1)
    if got_bad > 3 * 1232:
        raise Fail(f"with 3 non-zero PADs the server sent {got_bad} bytes for a 1232-byte INITIAL")
    return f"good PADs: {got_good} bytes sent before validation; non-zero PADs: {got_bad} (<= 3696)"


def _after_server_hello(ctx, plaintext, what, codes=(11,)):
    hs = _server_hello(c.Handshake(ctx))
    hs.send(hs.handshake_packet(plaintext))
    end = time.monotonic() + 2.0
    while time.monotonic() < end and not hs.result.close:
        got = c.receive(hs.sock, end - time.monotonic())
        if got:
            hs.on_datagram(got[0], time.monotonic())
    return expect_close(hs.result, codes, what)


@check("WIRE-7", "server", "a HANDSHAKE packet with non-zero PADDING bytes gets CLOSE 11")
def wire_7(ctx):
    return _after_server_hello(ctx, b"\x00\x00\x01", "non-zero PADDING")


@check("WIRE-8", "server", "a FRAG reaching past 32768 (offset 40000) gets CLOSE 11")
def wire_8(ctx):
    return _after_server_hello(ctx, w.frag_frame(40000, b"x" * 10), "FRAG at 40000")


@check("WIRE-10", "server", "a FRAG ending at 32769 (offset 32767, length 2) gets CLOSE 11")
def wire_10(ctx):
    return _after_server_hello(ctx, w.frag_frame(32767, b"xx"), "FRAG [32767, 32769)")


@check("WIRE-9", "server", "a CERTIFICATE with a byte after its entries fails the handshake (CLOSE 4 or 11)")
def wire_9(ctx):
    r = c.Handshake(ctx, cert_trailing=b"\x00").run(4.0)
    return expect_close(r, (4, 11), "CERTIFICATE with a trailing byte")


@check("CRY-1", "server", "an INITIAL whose ephemeral key is of small order (all zero) opens no handshake")
def cry_1(ctx):
    for name, pub in (("all-zero key", b"\0" * 32), ("order-8 point", bytes.fromhex(
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"))):
        hs = c.Handshake(ctx, eph_pub=pub)
        r = hs.run(1.5)
        if r.server_hello and struct.unpack(">H", r.server_hello[73:75])[0] != 0:
            raise Fail(f"{name}: the server answered SERVER_HELLO with suite "
                       f"{struct.unpack('>H', r.server_hello[73:75])[0]}")
    still_serves(ctx)
    return "no SERVER_HELLO for small-order keys"


@check("SID-1", "server", "16 concurrent half-open sessions get 16 distinct server session IDs, none with a zero random part")
def sid_1(ctx):
    held = []
    for _ in range(16):
        held.append(_server_hello(c.Handshake(ctx)))
        time.sleep(0.11)      # below handshake_rate_per_source (10 per second)
    sids = [hs.server_sid for hs in held]
    for hs in held:
        hs.send(hs.handshake_packet(w.close_frame(0, b"conformance")))
        hs.sock.close()
    if len(set(sids)) != len(sids):
        raise Fail("a server session ID was reused: " + " ".join(s.hex() for s in sids))
    if any(s[1:] == b"\0\0\0" for s in sids):
        raise Fail("a server session ID with a zero random part")
    return "16 distinct IDs"


@check("VER-1", "server", "INITIALs of versions 0, 2 and 0xFFFF (otherwise correct) get no answer")
def ver_1(ctx):
    answered_by = []
    for version in (0, 2, 0xFFFF):
        hs = c.Handshake(ctx, version=version)
        if answered(ctx, [hs.initial()] + [hs.pad() for _ in range(3)], 0.5):
            answered_by.append(f"{version:#06x}")
    if answered_by:
        raise Fail("answered versions " + ", ".join(answered_by))
    still_serves(ctx)
    return "no answer to unknown versions"
