# SPDX-License-Identifier: GPL-3.0-or-later
"""Denial-of-service defences (sections 7.5, 10): the admission key's silence, the 3x limit per
source address whatever arrives from elsewhere, cookies and RETRY, per-source limits, expiry."""
import os
import time

from . import client as c
from . import wire as w
from .checks_base import Fail, NotTestable, silence
from .checks_wire import _server_hello, flight_without_validation
from .registry import check
from .spoof import Spoofer

BUDGET = 3


def _big_flight(ctx):
    """The bytes of the server's first flight for INITIAL + 3 PADs; NotTestable if it fits 3x one
    INITIAL (then no budget limit is visible)."""
    got = flight_without_validation(ctx, 3)
    if got <= BUDGET * 1232:
        raise NotTestable(f"the server's first flight ({got} bytes) fits 3 x one INITIAL; run against a "
                          "server with a larger certificate chain to see its budget")
    return got


def _close_all(attempts):
    for hs in attempts:
        if hs.s_hs:
            hs.send(hs.handshake_packet(w.close_frame(0, b"conformance")))
        hs.sock.close()


@check("DOS-3", "server", "before validation the server sends at most 3x the bytes received from the address, and the rest after an ACK")
def dos_3(ctx):
    _big_flight(ctx)
    hs = c.Handshake(ctx, pads=0)
    hs.send(hs.initial())
    got = silence(hs.sock, 2.5)
    total = sum(len(d) for d in got)
    if total > BUDGET * hs.result.sent_bytes:
        raise Fail(f"sent {total} bytes for a {hs.result.sent_bytes}-byte INITIAL (ratio "
                   f"{total / hs.result.sent_bytes:.2f})")
    return f"{total} bytes for {hs.result.sent_bytes} received (ratio {total / hs.result.sent_bytes:.2f})"


@check("DOS-1", "server", "a valid HANDSHAKE packet for a half-open session from another address is not processed: no ACK, no budget, nothing sent there")
def dos_1(ctx):
    _big_flight(ctx)
    hs = _server_hello(c.Handshake(ctx, pads=0))
    other = c.udp_socket(ctx.other_ip or ctx.bind_ip, family=ctx.family)
    for i in range(5):
        pkt = hs.handshake_packet(w.ack_frame([(0, 1 + i)]) + w.frag_frame(0, b"\x0b\x00"))
        other.sendto(pkt, ctx.server)
        time.sleep(0.2)
    to_other = silence(other, 1.0)
    at_a = hs.result.received + [(0, d) for d in silence(hs.sock, 0.5)]
    total = sum(len(d) for _, d in at_a)
    other.close()
    if to_other:
        raise Fail(f"{len(to_other)} datagrams went to the other address")
    if total > BUDGET * hs.result.sent_bytes:
        raise Fail(f"the packets from the other address validated the client: {total} bytes sent for "
                   f"{hs.result.sent_bytes}")
    return f"nothing to the other address; {total} bytes to the client for {hs.result.sent_bytes}"


@check("DOS-4", "server", "HANDSHAKE ACKs under c_hs from a second address for 5 s neither validate nor move the flight nor keep it coming")
def dos_4(ctx):
    _big_flight(ctx)
    hs = _server_hello(c.Handshake(ctx, pads=0))
    other = c.udp_socket(ctx.other_ip or ctx.bind_ip, family=ctx.family)
    end = time.monotonic() + 5
    acked = 1
    while time.monotonic() < end:
        other.sendto(hs.handshake_packet(w.ack_frame([(0, acked)])), ctx.server)
        acked += 1
        time.sleep(0.25)
    to_other = silence(other, 0.3)
    at_a = [d for _, d in hs.result.received] + silence(hs.sock, 0.3)
    other.close()
    total = sum(len(d) for d in at_a)
    if to_other:
        raise Fail(f"{len(to_other)} datagrams went to the address of the forged ACKs")
    if total > BUDGET * hs.result.sent_bytes:
        raise Fail(f"{total} bytes to the client for {hs.result.sent_bytes} received")
    return f"{total} bytes to the client for {hs.result.sent_bytes}, nothing to the other address"


@check("DOS-5", "server", "duplicate INITIALs from a second address and a cookie-bearing INITIAL replayed 20 times keep every address within 3x")
def dos_5(ctx):
    _big_flight(ctx)
    hs = _server_hello(c.Handshake(ctx, pads=0))
    other = c.udp_socket(ctx.other_ip or ctx.bind_ip, family=ctx.family)
    dup = hs.initial()
    for _ in range(10):
        other.sendto(dup, ctx.server)
    to_other = silence(other, 1.0)
    at_a = [d for _, d in hs.result.received] + silence(hs.sock, 0.5)
    other.close()
    if to_other:
        raise Fail(f"duplicate INITIALs from another address got {len(to_other)} answers there")
    total = sum(len(d) for d in at_a)
    if total > BUDGET * hs.result.sent_bytes:
        raise Fail(f"duplicates from another address raised the client's budget: {total} bytes for "
                   f"{hs.result.sent_bytes}")
    _close_all([hs])
    # A cookie-bearing INITIAL captured and replayed from its own address.
    sock = c.udp_socket(ctx.bind_ip, family=ctx.family)
    att = _retry_on(ctx, sock)
    if att is None:
        sock.close()
        raise Fail("no RETRY for bursts of INITIALs from one address")
    cookie_initial = att.initial()
    sent = received = 0
    for _ in range(20):
        sock.sendto(cookie_initial, ctx.server)
        sent += len(cookie_initial)
        received += sum(len(d) for d in silence(sock, 0.1))
    received += sum(len(d) for d in silence(sock, 1.0))
    _close_all([att])
    if received > BUDGET * sent:
        raise Fail(f"replayed cookie-bearing INITIALs: {received} bytes sent back for {sent}")
    return f"other address: nothing; replays: {received} bytes back for {sent}"


@check("DOS-9", "server", "a burst of 24 INITIALs from one address (over 10 per second) is answered with RETRYs, and a returned cookie gets SERVER_HELLO")
def dos_9(ctx):
    sock = c.udp_socket(ctx.bind_ip, family=ctx.family)
    burst = [c.Handshake(ctx, sock=sock, pads=0) for _ in range(24)]
    by_sid = {hs.sid: hs for hs in burst}
    for hs in burst:
        hs.send(hs.initial())
    retries, hellos, cookie_hellos = [], 0, 0
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        got = c.receive(sock, end - time.monotonic())
        if not got:
            break
        dg = got[0]
        hs = by_sid.get(dg[1:5])
        if not hs:
            continue
        if dg[0] == w.RETRY and len(dg) == 29 and not hs.cookie:
            hs.cookie = dg[5:29]
            retries.append(hs)
            if len(retries) == 1:
                hs.send(hs.initial())
        elif dg[0] == w.SERVER_HELLO and hs.result.server_hello is None:
            hs.on_datagram(dg, time.monotonic())
            hellos += 1
            if hs.cookie:
                cookie_hellos += 1
    for hs in burst:
        if hs.s_hs:
            hs.send(hs.handshake_packet(w.close_frame(0, b"conformance")))
    sock.close()
    if not retries:
        raise Fail(f"24 INITIALs from one address in a burst: {hellos} SERVER_HELLOs and no RETRY")
    if not cookie_hellos:
        raise Fail("the INITIAL returned with its RETRY's cookie got no SERVER_HELLO")
    return f"{hellos - cookie_hellos} SERVER_HELLOs, {len(retries)} RETRYs; the cookie was accepted"


@check("DOS-7", "server", "a cookie opens one half-open session: replays get the same server SID, and nothing once it is closed")
def dos_7(ctx):
    sock = c.udp_socket(ctx.bind_ip, family=ctx.family)
    try:
        return _cookie_once(ctx, sock)
    finally:
        sock.close()


def _cookie_once(ctx, sock):
    own = _retry_on(ctx, sock)
    if own is None:
        raise Fail("no RETRY for a burst of INITIALs from one address")
    dg = own.initial()
    own.send(dg)
    r1 = c.receive(own.sock, 1.5)
    while r1 and r1[0][0] != w.SERVER_HELLO:
        r1 = c.receive(own.sock, 1.5)
    if not r1:
        raise Fail("the cookie-bearing INITIAL got no SERVER_HELLO")
    sid1 = r1[0][5:9]
    own.on_datagram(r1[0], time.monotonic())
    own.send(dg)
    hellos = [d for d in silence(own.sock, 0.8) if d[0] == w.SERVER_HELLO]
    if any(d[5:9] != sid1 for d in hellos):
        raise Fail("a replayed cookie-bearing INITIAL opened a second half-open session")
    own.send(own.handshake_packet(w.close_frame(0, b"conformance")))
    time.sleep(0.2)
    own.send(dg)
    after = [d for d in silence(own.sock, 1.0) if d[0] in (w.SERVER_HELLO, w.RETRY)]
    if after:
        raise Fail("the cookie opened a new half-open session after the first one was closed")
    return "one half-open per cookie"


def _retry_on(ctx, sock):
    """A Handshake on sock holding the cookie of a RETRY (not yet followed), provoked by bursts of
    INITIALs from sock's address over handshake_rate_per_source; the bursts' half-opens are closed."""
    for _ in range(3):
        burst = [c.Handshake(ctx, sock=sock, pads=0) for _ in range(24)]
        by_sid = {hs.sid: hs for hs in burst}
        for hs in burst:
            hs.send(hs.initial())
        found = None
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            got = c.receive(sock, end - time.monotonic())
            if not got:
                break
            dg = got[0]
            hs = by_sid.get(dg[1:5])
            if not hs:
                continue
            if dg[0] == w.RETRY and len(dg) == 29 and found is None:
                hs.cookie = dg[5:29]
                found = hs
            elif dg[0] == w.SERVER_HELLO:
                hs.on_datagram(dg, time.monotonic())
        for hs in burst:
            if hs.s_hs:
                hs.send(hs.handshake_packet(w.close_frame(0, b"conformance")))
        silence(sock, 0.2)
        if found:
            return found
        time.sleep(1.1)
    return None


def _bad_cookie(ctx):
    sock = c.udp_socket(ctx.bind_ip, family=ctx.family)
    hs = _retry_on(ctx, sock)
    if hs is None:
        raise Fail("no RETRY for a burst of INITIALs from one address")
    hs.cookie = bytes([hs.cookie[0] ^ 1]) + hs.cookie[1:-1] + bytes([hs.cookie[-1] ^ 1])
    hs.send(hs.initial())
    got = silence(sock, 1.0, ignore=lambda d: d[1:5] != hs.sid)
    sock.close()
    return got


@check("DOS-8", "server", "an INITIAL with a corrupted cookie gets no SERVER_HELLO")
def dos_8(ctx):
    got = _bad_cookie(ctx)
    if any(d[0] == w.SERVER_HELLO for d in got):
        raise Fail("a corrupted cookie was accepted (SERVER_HELLO)")
    return "dropped"


@check("DOS-13", "server", "an INITIAL with a corrupted cookie gets no new RETRY")
def dos_13(ctx):
    got = _bad_cookie(ctx)
    if any(d[0] == w.RETRY for d in got):
        raise Fail("a corrupted cookie was answered with another RETRY")
    if got:
        raise Fail(f"a corrupted cookie got {len(got)} answers")
    return "no answer"


@check("DOS-2", "server", "without the admission key (wrong MAC), 40 INITIALs and PADs get no answer at all, not even a RETRY")
def dos_2(ctx):
    if not ctx.admission_key:
        raise NotTestable("the server under test has no admission key (give it with --admission-key)")
    wrong = bytes(32)
    sock = c.udp_socket(ctx.bind_ip, family=ctx.family)
    for _ in range(40):
        hs = c.Handshake(ctx, sock=sock, admission_key=wrong, pads=1)
        hs.send_flight1()
    got = silence(sock, 1.5)
    sock.close()
    if got:
        raise Fail(f"{len(got)} answers (types {sorted({d[0] for d in got})}) to INITIALs without the key")
    r = c.Handshake(ctx).run(4.0)
    if not r.established:
        raise Fail(f"with the key, a correct handshake did not complete: {r.describe()}")
    return "silence without the key; a session with it"


@check("DOS-6", "server", "over cookie_threshold half-open sessions (spoofed INITIALs from 300 /24s), a new INITIAL gets a RETRY, and its cookie a SERVER_HELLO")
def dos_6(ctx):
    if not ctx.spoof_net:
        raise NotTestable("needs spoofed source addresses: --spoof-net (root, a raw socket)")
    sp = Spoofer()
    first, second = (int(x) for x in ctx.spoof_net.split("."))
    for i in range(ctx.cookie_threshold + 44):
        src = (f"{first}.{second - i // 256}.{i % 256}.1", 40000 + i % 20000)
        sp.send(c.Handshake(ctx, pads=0).initial(), src, ctx.server)
    time.sleep(0.5)
    hs = c.Handshake(ctx, pads=0)
    r = hs.run(3.0)
    if not r.retries:
        raise Fail(f"over the cookie threshold a new INITIAL got no RETRY ({r.describe()})")
    if r.server_hello is None:
        raise Fail("the INITIAL returned with the cookie got no SERVER_HELLO")
    return "RETRY, then SERVER_HELLO for the cookie"


@check("DOS-10", "server", "a half-open session is forgotten handshake_timeout after its INITIAL: no more retransmissions, an ACK then gets nothing", slow=True)
def dos_10(ctx):
    hs = _server_hello(c.Handshake(ctx, pads=0))
    start = time.monotonic()
    times = []
    end = start + ctx.handshake_timeout + 1.5
    while time.monotonic() < end:
        got = c.receive(hs.sock, end - time.monotonic())
        if got:
            times.append(time.monotonic() - start)
    late = [t for t in times if t > ctx.handshake_timeout + 0.5]
    if late:
        raise Fail(f"retransmissions {', '.join(f'{t:.1f}' for t in late)} s after the INITIAL")
    # Past handshake_timeout the session must be gone: a packet under its keys gets nothing.
    hs.send(hs.handshake_packet(w.ack_frame([(0, 1)]) + w.frag_frame(0, b"\x0b")))
    after = silence(hs.sock, 1.5)
    if after:
        raise Fail(f"{ctx.handshake_timeout + 1.5:.1f} s after its INITIAL the half-open session still "
                   f"answers ({len(after)} datagrams)")
    return f"retransmissions at {', '.join(f'{t:.1f}' for t in times)} s, then forgotten"


def _resets(ctx, datagrams, seconds=0.6):
    """Sends datagrams from one fresh socket; the datagrams that came back."""
    sock = c.udp_socket(ctx.bind_ip, family=ctx.family)
    try:
        for dg in datagrams:
            sock.sendto(dg, ctx.server)
        return silence(sock, seconds)
    finally:
        sock.close()


def _unknown_data(size, sid=None):
    """A DATA packet (KEEPALIVE type) of size bytes for a session ID no server holds."""
    sid = sid or bytes([0xEE]) + os.urandom(3)
    return bytes([0x14]) + sid + os.urandom(size - 5)


def _sends_resets(ctx):
    if not _resets(ctx, [_unknown_data(29)]):
        raise NotTestable("the server sends no STATELESS_RESET (no cluster key: give it one to check)")


@check("DOS-14", "server", "a STATELESS_RESET is smaller than its trigger (DATA of 29, 25, 22, 21 and 1232 bytes for unknown sessions), none for 21 bytes or less")
def dos_14(ctx):
    _sends_resets(ctx)
    seen = []
    for size in (29, 25, 22, 21, 1232):
        for dg in _resets(ctx, [_unknown_data(size)]):
            seen.append((size, len(dg)))
            if len(dg) >= size or len(dg) > 29 or size <= 21:
                raise Fail(f"a {len(dg)}-byte answer to a {size}-byte DATA packet for an unknown session")
    return "answers " + ", ".join(f"{s}->{n}" for s, n in seen)


@check("DOS-15", "server", "no STATELESS_RESET for datagrams that do not parse as DATA (reserved payload types, 20 bytes, other packet types)")
def dos_15(ctx):
    _sends_resets(ctx)
    sid = bytes([0xEE]) + os.urandom(3)
    bad = {"payload type 5": bytes([0x15]) + sid + os.urandom(24),
           "payload type 7": bytes([0x1F]) + sid + os.urandom(24),
           "20 bytes": bytes([0x14]) + sid + os.urandom(15),
           "a HANDSHAKE packet": bytes([w.HANDSHAKE]) + sid + os.urandom(40),
           "type 0x20": bytes([0x20]) + sid + os.urandom(24)}
    answered = [name for name, dg in bad.items() if _resets(ctx, [dg], 0.3)]
    if answered:
        raise Fail("answered: " + ", ".join(answered))
    return "no answer"


@check("DOS-16", "server", "STATELESS_RESETs are rate limited: 600 triggers within half a second get fewer answers")
def dos_16(ctx):
    _sends_resets(ctx)
    time.sleep(1.1)    # let the server's allowance refill
    got = _resets(ctx, [_unknown_data(29) for _ in range(600)], 1.0)
    if len(got) >= 600:
        raise Fail("600 triggers got 600 resets")
    return f"{len(got)} resets for 600 triggers"
