# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of a client (client mode, --client-command): what it sends first, how it follows RETRY,
refusals and CLOSE, the server certificate's name, path MTU probes, DISCONNECT and liveness."""
import math
import os
import struct
import time

from . import wire as w
from .checks_base import Fail, NotTestable
from .client_mode import ServerAttempt
from .registry import check

CONFIG = bytes([1, 0, 5, 10, 77, 0, 2, 24]) + bytes([7, 0, 2]) + struct.pack(">H", 1400)


def _first(ctx, timeout=10.0):
    got = ctx.start().next_initial(timeout)
    if got is None and ctx.proc.poll() is not None:
        # It exited at once: the previous client's resources (its TUN device) may still be going.
        time.sleep(1.0)
        got = ctx.start().next_initial(timeout)
    if got is None:
        tail = ctx.output().decode(errors="replace").strip().splitlines()[-3:]
        ctx.stop()
        raise Fail(f"the client sent no INITIAL within {timeout:.0f} s (its output ends: {' | '.join(tail)})")
    return got


@check("HS-1", "client", "the INITIAL offers at most 16 suites, none twice")
def hs_1(ctx):
    i, _, _ = _first(ctx)
    ctx.stop()
    if len(i.suites) > 16 or len(set(i.suites)) != len(i.suites):
        raise Fail(f"suites offered: {i.suites}")
    return f"suites {', '.join(f'{s:#06x}' for s in i.suites)}"


@check("HS-2", "client", "a resent INITIAL (after its PTO, and after a RETRY) carries the same ClientHello, and the RETRY's cookie")
def hs_2(ctx):
    i, src, _ = _first(ctx)
    again = ctx.next_initial(3.0, i.sid)
    if again is None:
        raise Fail("the client did not resend its INITIAL on its PTO")
    if again[0].hello != i.hello:
        raise Fail("the INITIAL resent on the PTO has another ClientHello")
    cookie = os.urandom(24)
    ctx.sock.sendto(bytes([w.RETRY]) + i.sid + cookie, src)
    after = None
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        x = ctx.next_initial(end - time.monotonic(), i.sid)
        if x and x[0].cookie == cookie:
            after = x
            break
    ctx.stop()
    if after is None:
        raise Fail("the client did not follow the RETRY with an INITIAL carrying its cookie")
    if after[0].hello != i.hello:
        raise Fail("the INITIAL sent after the RETRY has another ClientHello")
    return "same ClientHello; the cookie returned"


@check("HS-3", "client", "RETRYs answered to every INITIAL: the client follows at most 3 in one attempt")
def hs_3(ctx):
    i, src, _ = _first(ctx)
    cookies = set()
    end = time.monotonic() + 6.0
    x = (i, src, 0)
    while time.monotonic() < end:
        if x and x[0].sid == i.sid:
            if x[0].cookie:
                cookies.add(x[0].cookie)
            ctx.sock.sendto(bytes([w.RETRY]) + i.sid + os.urandom(24), x[1])
        x = ctx.next_initial(end - time.monotonic())
    ctx.stop()
    if not cookies:
        raise Fail("the client followed no RETRY at all")
    if len(cookies) > 3:
        raise Fail(f"the client followed {len(cookies)} RETRYs in one attempt")
    return f"followed {len(cookies)}"


def _watch(ctx, attempt, seconds):
    """The frames of the client's HANDSHAKE packets for attempt within seconds."""
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got = ctx.receive(end - time.monotonic())
        if not got:
            break
        fr = attempt.on_handshake(got[0])
        if fr:
            out.append(fr)
    return out


@check("HS-4", "client", "after SERVER_HELLO with suite 0, a HANDSHAKE with a FRAG instead of a CLOSE fails the attempt: the client sends no flight")
def hs_4(ctx):
    i, src, _ = _first(ctx)
    a = ServerAttempt(ctx, i, src, suite=0)
    a.flight()
    frames = _watch(ctx, a, 2.0)
    ctx.stop()
    if any(f[0] == "FRAG" and f[2] for fr in frames for f in fr):
        raise Fail("the client sent its handshake stream after a SERVER_HELLO with suite 0")
    return "no flight from the client"


@check("HS-7", "client", "a CLOSE text with control characters never reaches the client's output raw")
def hs_7(ctx):
    i, src, _ = _first(ctx)
    a = ServerAttempt(ctx, i, src)
    ctx.sock.sendto(a.server_hello, src)
    a.handshake(w.close_frame(12, b"conformance\x1b[2J\x07\x1b]0;owned\x07 text"))
    time.sleep(1.5)
    ctx.stop()
    out = ctx.output()
    if b"\x1b" in out or b"\x07" in out:
        raise Fail("the client printed the peer's CLOSE text with its control characters")
    return "sanitized" if b"conformance" in out else "not printed"


def _refusals(ctx):
    """Attempts of a client whose every handshake gets SERVER_HELLO suite 0 and CLOSE 8, for 8 s:
    [(INITIAL, arrival time)], one per attempt.  Done once per run."""
    if ctx.retry_run is not None:
        return ctx.retry_run
    ctx.start()
    attempts = {}
    end = time.monotonic() + 8.0
    while time.monotonic() < end:
        x = ctx.next_initial(end - time.monotonic())
        if not x:
            break
        i, src, t = x
        if i.sid in attempts:
            continue
        attempts[i.sid] = (i, t)
        a = ServerAttempt(ctx, i, src, suite=0)
        ctx.sock.sendto(a.server_hello, src)
        a.handshake(w.close_frame(8, b"no common suite"))
    ctx.stop()
    ctx.retry_run = sorted(attempts.values(), key=lambda x: x[1])
    if len(ctx.retry_run) < 3:
        raise Fail(f"the client made {len(ctx.retry_run)} handshake attempts in 8 s after refusals; "
                   "a client must retry by itself for these checks")
    return ctx.retry_run


@check("HS-15", "client", "after a refused attempt the client waits at least handshake_pto (300 ms) before the next")
def hs_15(ctx):
    run = _refusals(ctx)
    gaps = [b[1] - a[1] for a, b in zip(run, run[1:])]
    if min(gaps) < 0.3:
        raise Fail(f"attempts {min(gaps):.2f} s apart")
    return "gaps " + ", ".join(f"{g:.2f}" for g in gaps) + " s"


@check("HS-16", "client", "repeated refusals make the client back off: later gaps at least 1.5 x the first")
def hs_16(ctx):
    run = _refusals(ctx)
    gaps = [b[1] - a[1] for a, b in zip(run, run[1:])]
    if len(gaps) < 2 or max(gaps[1:]) < 1.5 * gaps[0]:
        raise Fail("no back-off: gaps " + ", ".join(f"{g:.2f}" for g in gaps) + " s")
    return "gaps " + ", ".join(f"{g:.2f}" for g in gaps) + " s"


@check("VER-2", "client", "after refusals the client keeps offering version 1")
def ver_2(ctx):
    run = _refusals(ctx)
    versions = {i.version for i, _ in run}
    if versions != {run[0][0].version}:
        raise Fail(f"versions offered: {sorted(versions)}")
    return f"version {run[0][0].version} in {len(run)} attempts"


@check("SEC-2", "client", "after refusals (suite 0, CLOSE 8) the client offers the same suites and extensions")
def sec_2(ctx):
    run = _refusals(ctx)
    first = run[0][0]
    for i, _ in run[1:]:
        if i.suites != first.suites or i.extensions != first.extensions:
            raise Fail(f"offer changed from suites {first.suites} to {i.suites}")
    return f"unchanged over {len(run)} attempts"


def _full(ctx, chain=None, key=None, seconds=3.0):
    """Starts the client and answers its first attempt with a correct flight (with chain/key if
    given).  (attempt, frames of the client's HANDSHAKE packets)."""
    i, src, _ = _first(ctx)
    a = ServerAttempt(ctx, i, src, chain, key)
    a.flight()
    frames = []
    a.raw = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got = ctx.receive(end - time.monotonic())
        if not got:
            break
        a.raw.append(got[0])
        fr = a.on_handshake(got[0])
        if fr is None:
            continue
        frames.append(fr)
        msgs, length = a.client_messages()
        if any(f[0] == "CLOSE" for f in fr) or (len(msgs) >= 3 and msgs[2][0] == w.MSG_FINISHED):
            a.stream_length = length
            break
    return a, frames


def _established(ctx):
    a, frames = _full(ctx)
    msgs, length = a.client_messages()
    if len(msgs) < 3:
        raise Fail(f"the client did not complete its flight for a correct server ({frames})")
    a.handshake(w.ack_frame([(0, length)]))
    s = a.session()
    s.msg(w.M_CONFIG, CONFIG)
    return s


@check("CERT-9", "client", "a server certificate without the expected name gets CLOSE 4 and no client flight (a correct one completes)")
def cert_9(ctx):
    cred = ctx.certs.get("server-wrong-name")
    if cred is None:
        raise NotTestable("needs server-wrong-name.crt and .key in --cert-dir")
    a, frames = _full(ctx, *cred)
    ctx.stop()
    closes = [f for fr in frames for f in fr if f[0] == "CLOSE"]
    msgs, _ = a.client_messages()
    if any(m[0] == w.MSG_FINISHED for m in msgs):
        raise Fail("the client completed its handshake with a server certificate of another name")
    if not closes or closes[0][1] != 4:
        raise Fail(f"expected CLOSE 4, got {closes[0][1] if closes else 'no CLOSE'} (received: "
                   f"{[(d[0], len(d), d[1:5].hex()) for d in a.raw]}, our sid {a.sid.hex()})")
    good, _ = _full(ctx)
    ctx.stop()
    if not any(m[0] == w.MSG_FINISHED for m in good.client_messages()[0]):
        raise Fail("with the right server certificate the client did not complete either")
    return "CLOSE 4; the right name completes"


@check("PMTU-1", "client", "the client's path MTU probes follow lo + ceil((hi - lo) / 2) from lo = 1232, each acknowledged one raising lo")
def pmtu_1(ctx):
    s = _established(ctx)
    lo = 1232
    sizes = []
    end = time.monotonic() + 8.0
    while time.monotonic() < end and len(sizes) < 3:
        for e in s.poll(0.1):
            for f in e["frames"]:
                if f[0] == "PROBE" and e["size"] not in sizes:
                    sizes.append(e["size"])
                    s.control(bytes([w.CF_PROBE_ACK]) + struct.pack(">IH", f[1], e["size"]))
    ctx.stop()
    if not sizes:
        raise NotTestable("the client sent no PROBE within 8 s (probing off?)")
    # The client's upper bound hi is its own setting: some hi must explain every probe.
    for hi in range(sizes[0], 65508):
        want, cur = [], lo
        for _ in sizes:
            cur = cur + math.ceil((hi - cur) / 2)
            want.append(cur)
        if want == sizes:
            return f"probes of {sizes} bytes (hi = {hi})"
    raise Fail(f"probes of {sizes} bytes: no upper bound gives them from lo = {lo}")


@check("CTL-2", "client", "a DISCONNECT from the server is acknowledged and the client sends nothing more on that session")
def ctl_2_client(ctx):
    s = _established(ctx)
    s.poll(0.5)
    s.msg(w.M_DISCONNECT, w.disconnect_body(12, b"conformance"))
    e = s.wait(lambda e: any(f[0] == "ACK" for f in e["frames"]), 1.5)
    if e is None:
        ctx.stop()
        raise Fail("the DISCONNECT was not acknowledged")
    later = s.poll(2.5)
    ctx.stop()
    if later:
        raise Fail(f"{len(later)} DATA packets on the session after its DISCONNECT")
    return "acknowledged, then silence on that session"


@check("LIVE-2", "client", "a server that falls silent is given up after dead_peer_timeout without a DISCONNECT, and the client starts anew", slow=False)
def live_2_client(ctx):
    s = _established(ctx)
    s.quiet = True
    start = time.monotonic()
    limit = ctx.args.dead_peer_timeout + 5
    disconnect, fresh = False, None
    while time.monotonic() < start + limit and fresh is None:
        got = ctx.receive(0.2)
        if not got:
            continue
        dg = got[0]
        if dg and dg[0] & 0xF0 == 0x10:
            e = s.on_datagram(dg, got[1], ctx.sock)
            if e and any(f[0] == "MSG" and f[2] == w.M_DISCONNECT for f in e["frames"]):
                disconnect = True
        elif dg and dg[0] == w.INITIAL:
            fresh = time.monotonic() - start
    ctx.stop()
    if disconnect:
        raise Fail("the client sent DISCONNECT on its dead-peer timeout")
    if fresh is None:
        raise Fail(f"no new handshake within {limit:.0f} s of the server falling silent")
    if fresh < ctx.args.dead_peer_timeout - 0.5:
        raise Fail(f"the client gave up after {fresh:.1f} s, before dead_peer_timeout")
    return f"new INITIAL {fresh:.1f} s after the server fell silent"


@check("DOS-18", "client", "DATA packets for unknown sessions sent to the client (29 and 1232 bytes) get no answer, so no STATELESS_RESET")
def dos_18(ctx):
    s = _established(ctx)
    s.poll(0.5)
    for size in (29, 1232):
        ctx.sock.sendto(bytes([0x14]) + os.urandom(size - 1), s.server)
    end = time.monotonic() + 1.5
    answers = []
    while time.monotonic() < end:
        got = ctx.receive(end - time.monotonic())
        if got and got[0] and got[0][0] & 0xF0 == 0x10 and 21 <= len(got[0]) <= 29 and got[0][1:5] != s.dst:
            answers.append(len(got[0]))
    ctx.stop()
    if answers:
        raise Fail(f"the client answered with {answers}-byte DATA-shaped datagrams for other sessions")
    return "no answer"


@check("KEY-7", "client", "a rekey started by the server is answered: REKEY_RESP, then the client sends under epoch 1")
def key_7_client(ctx):
    s = _established(ctx)
    s.poll(0.5)
    s.start_rekey()
    end = time.monotonic() + 3.0
    while s.epoch == 0 and time.monotonic() < end:
        s.poll(0.1)
    if s.epoch != 1:
        ctx.stop()
        raise Fail("no REKEY_RESP for the server's REKEY_INIT")
    s.send(w.PT_KEEPALIVE, b"")
    e = s.wait(lambda e: e["epoch"] == 1, 3.0)
    ctx.stop()
    if e is None:
        raise Fail("after the rekey the client sent nothing under epoch 1")
    return "epoch 1 both ways"


@check("KEY-3", "client", "the client starts a rekey by itself at rekey_after_time, and switches to epoch 1 once answered")
def key_3_client(ctx):
    s = _established(ctx)
    start = time.monotonic()
    limit = ctx.args.rekey_after_time + 5
    e = s.wait(lambda e: any(f[0] == "MSG" and f[2] == w.M_REKEY_INIT for f in e["frames"]), limit)
    if e is None:
        ctx.stop()
        raise Fail(f"no REKEY_INIT from the client within {limit:.0f} s (rekey_after_time "
                   f"{ctx.args.rekey_after_time:.0f} s)")
    took = e["time"] - start
    # poll() answered it; the client switches on REKEY_RESP, we on its first packet under epoch 1.
    after = s.wait(lambda e: e["epoch"] == 1, 4.0)
    ctx.stop()
    if after is None:
        raise Fail("the client sent nothing under epoch 1 after its rekey was answered")
    return f"REKEY_INIT after {took:.1f} s; epoch 1"
