# SPDX-License-Identifier: GPL-3.0-or-later
"""DATA packets (section 11): drops without an answer, recording counters only after the tag, and
the replay window's exact edges.  Acceptance is observed through the control channel: a CONTROL
payload carrying a MSG the server already has is accepted iff the server answers it with an ACK
(section 13.2 owes one for every payload with a MSG, duplicates included)."""
import os

from . import client as c
from . import wire as w
from .checks_base import Fail
from .registry import check


class Prober:
    """An established session with one delivered PING (seq 0), so a copy of that MSG is a harmless
    probe: accepted -> an ACK comes back, dropped -> nothing."""

    def __init__(self, ctx):
        self.s = c.Handshake(ctx).established()
        if self.s.ping(2.0) is None:
            raise Fail("no PONG for a PING on a new session")
        self.s.poll(0.3)
        self.frame = w.cf_msg(0, w.M_PING, b"probe!!!")

    def accepted(self, dg, seconds=0.6):
        self.s.sock.sendto(dg, self.s.server)
        e = self.s.wait(lambda e: any(f[0] == "ACK" for f in e["frames"]), seconds)
        return e is not None

    def probe(self, counter, **kw):
        if counter < 2 ** 63:
            self.s.counter = max(self.s.counter, counter + 1)
        return self.s.seal(w.PT_CONTROL, self.frame, counter=counter, **kw)


@check("DATA-1", "server", "truncated, reserved-type, bit-flipped, wrong-session and wrong-phase DATA packets get no answer; the session survives")
def data_1(ctx):
    p = Prober(ctx)
    base = 100
    good = p.probe(base)
    cases = {
        "28 bytes": good[:28],
        "payload type 5 (reserved)": p.s.seal(w.PT_CONTROL, p.frame, counter=base + 1, type_byte=0x15),
        "payload type 7 (reserved)": p.s.seal(w.PT_CONTROL, p.frame, counter=base + 2, type_byte=0x17),
        "bit-flipped ciphertext": (lambda d: d[:20] + bytes([d[20] ^ 1]) + d[21:])(p.probe(base + 3)),
        "bit-flipped tag": (lambda d: d[:-1] + bytes([d[-1] ^ 1]))(p.probe(base + 4)),
        "bit-flipped header (counter)": (lambda d: d[:12] + bytes([d[12] ^ 1]) + d[13:])(p.probe(base + 5)),
        "another session ID": (lambda d: d[:1] + bytes([d[1] ^ 0x55]) + d[2:])(p.probe(base + 6)),
        "key phase 1 (no such key)": p.s.seal(w.PT_CONTROL, p.frame, counter=base + 7, phase=1),
    }
    answered = [name for name, dg in cases.items() if p.accepted(dg, 0.4)]
    if answered:
        raise Fail("answered: " + ", ".join(answered))
    if not p.accepted(p.probe(base + 10)):
        raise Fail("after the bad packets the session no longer answers")
    p.s.close()
    return f"{len(cases)} bad DATA packets: no answer; the session still answers"


@check("DATA-2", "server", "a forged packet with counter 100000 does not move the window: counter 20 is accepted after it")
def data_2(ctx):
    p = Prober(ctx)
    forged = p.probe(100000)
    forged = forged[:-16] + os.urandom(16)
    if p.accepted(forged, 0.4):
        raise Fail("a packet with a random tag was answered")
    if not p.accepted(p.probe(20)):
        raise Fail("counter 20 was refused after a forged counter 100000: the forgery moved the window")
    p.s.close()
    return "forgery ignored, counter 20 accepted"


@check("DATA-3", "server", "replay window edges: top-8192 accepted, top-8193 and replays refused, 2^64-1 refused")
def data_3(ctx):
    p = Prober(ctx)
    t = 20000
    steps = [(t, True, "a new highest counter"),
             (t, False, "the same counter again (replay)"),
             (t - 8191, True, "the oldest counter in the window (top - c = 8192)"),
             (t - 8192, False, "one below the window (top - c = 8193)"),
             (t - 8191, False, "the oldest counter again (replay)"),
             (t - 5, True, "a reordered counter inside the window"),
             (t - 5, False, "the reordered counter again (replay)"),
             (2 ** 64 - 1, False, "counter 2^64 - 1")]
    for counter, want, what in steps:
        got = p.accepted(p.probe(counter), 0.6 if not want else 1.0)
        if got != want:
            raise Fail(f"{what} (counter {counter}): {'accepted' if got else 'refused'}")
    if not p.accepted(p.probe(t + 1)):
        raise Fail("the session stopped accepting new counters")
    p.s.close()
    return f"{len(steps)} edges as the rule says"
