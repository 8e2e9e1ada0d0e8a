# SPDX-License-Identifier: GPL-3.0-or-later
"""Established sessions (sections 12 to 14): the control channel, DISCONNECT and its codes,
rekeying by either side, liveness timers, path MTU probes and roaming with path validation."""
import os
import struct
import time

from . import client as c
from . import wire as w
from .checks_base import Fail, NotTestable
from .registry import check


def _session(ctx):
    return c.Handshake(ctx).established()


def _disconnect_code(s, seconds=2.0):
    e = s.wait(lambda e: any(f[0] == "MSG" and f[2] == w.M_DISCONNECT for f in e["frames"]), seconds)
    if e is None:
        return None
    body = next(f[3] for f in e["frames"] if f[0] == "MSG" and f[2] == w.M_DISCONNECT)
    return struct.unpack(">H", body[:2])[0]


def _expect_violation(s, what):
    code = _disconnect_code(s)
    if code is None:
        if s.alive(1.0):
            raise Fail(f"{what}: the session goes on")
        raise Fail(f"{what}: the session ended without a DISCONNECT")
    if code != 11:
        raise Fail(f"{what}: DISCONNECT code {code} ({w.CLOSE_NAMES.get(code, '?')}), expected 11 "
                   "(protocol violation)")
    if s.alive(1.0):
        raise Fail(f"{what}: DISCONNECT 11 sent, but the session still answers")
    return f"{what}: DISCONNECT 11, session closed"


@check("CTL-10", "server", "the first control message of a new IP session is CONFIG")
def ctl_10(ctx):
    s = _session(ctx)
    e = s.wait(lambda e: any(f[0] == "MSG" for f in e["frames"]), 2.0)
    s.close()
    if e is None:
        raise Fail("no control message within 2 s of the handshake")
    first = min((f for f in e["frames"] if f[0] == "MSG"), key=lambda f: f[1])
    if first[1] != 0 or first[2] != w.M_CONFIG:
        raise Fail(f"the first message is type {first[2]} with sequence number {first[1]}")
    return "CONFIG, sequence number 0"


@check("CTL-7", "server", "PING is answered with PONG carrying the same token")
def ctl_7(ctx):
    s = _session(ctx)
    e = s.ping(2.0)
    s.close()
    if e is None:
        raise Fail("no PONG")
    return "PONG with the token"


@check("CTL-5", "server", "a PING sent twice (same sequence number) and two PINGs out of order: each answered exactly once")
def ctl_5(ctx):
    s = _session(ctx)
    seq = s.msg(w.M_PING, b"once....")
    s.msg(w.M_PING, b"once....", seq=seq)
    s.next_seq = seq + 3
    s.msg(w.M_PING, b"second..", seq=seq + 2)
    s.msg(w.M_PING, b"first...", seq=seq + 1)
    got = []
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        for e in s.poll(0.1):
            got += [f[3] for f in e["frames"] if f[0] == "MSG" and f[2] == w.M_PONG]
    s.close()
    if got.count(b"once....") != 1:
        raise Fail(f"a PING sent twice got {got.count(b'once....')} PONGs")
    if b"first..." not in got or b"second.." not in got:
        raise Fail(f"PINGs out of order: PONGs {got}")
    if got.index(b"first...") > got.index(b"second.."):
        raise Fail("messages were delivered out of sequence order")
    return "once each, in sequence order"


@check("CTL-6", "server", "a duplicate MSG is acknowledged again")
def ctl_6(ctx):
    s = _session(ctx)
    seq = s.msg(w.M_PING, b"dup.....")
    s.poll(0.5)
    s.msg(w.M_PING, b"dup.....", seq=seq)
    e = s.wait(lambda e: any(f[0] == "ACK" for f in e["frames"]), 1.0)
    s.close()
    if e is None:
        raise Fail("no ACK for a duplicate MSG")
    return "ACK"


@check("CTL-4", "server", "CONTROL payloads with an unknown frame, a truncated frame or an ACK of an unsent message are dropped whole, without effect on the channel")
def ctl_4(ctx):
    s = _session(ctx)
    seq = s.next_seq
    ping = w.cf_msg(seq, w.M_PING, b"dropped!")
    for name, payload in (("unknown frame 0x07", ping + b"\x07\x00"),
                          ("truncated PATH_CHALLENGE", ping + b"\x05abc"),
                          ("ACK of message 1000", w.cf_ack(1000) + ping),
                          ("empty", b"")):
        s.send(w.PT_CONTROL, payload)
        e = s.wait(lambda e: any(f[0] in ("ACK", "MSG") and (f[0] == "ACK" or f[2] == w.M_PONG)
                                 for f in e["frames"]), 0.6)
        if e is not None:
            raise Fail(f"a payload with {name} was acted on")
    s.next_seq = seq
    e = s.ping(1.5)
    s.close()
    if e is None:
        raise Fail("after the malformed payloads, a PING with the same sequence number got no PONG "
                   "(the channel was affected)")
    return "4 malformed payloads dropped; the channel is intact"


@check("CTL-9", "server", "a control message of unknown type 0x90 does not close the session")
def ctl_9(ctx):
    s = _session(ctx)
    s.msg(0x90, b"private use")
    code = _disconnect_code(s, 1.0)
    alive = s.alive()
    s.close()
    if code is not None:
        raise Fail(f"DISCONNECT {code} for an unknown message type")
    if not alive:
        raise Fail("the session stopped answering")
    return "session goes on"


@check("CTL-8", "server", "a CONFIG sent to the server closes the session with DISCONNECT 11")
def ctl_8(ctx):
    s = _session(ctx)
    s.msg(w.M_CONFIG, b"\x07\x00\x02\x05\x00")
    return _expect_violation(s, "CONFIG to the server")


@check("CTL-1", "server", "the server's DISCONNECT names the cause: 11 for a REKEY_INIT of the wrong size, 9 for a revoked certificate (with --revoke-command)")
def ctl_1(ctx):
    s = _session(ctx)
    s.msg(w.M_REKEY_INIT, b"\x00\x00\x00\x01" + b"\x09" * 31)
    out = _expect_violation(s, "REKEY_INIT of 35 bytes")
    if ctx.revoke_command:
        from .checks_cert import revocation
        code = revocation(ctx)[0]
        if code != 9:
            raise Fail(f"after revocation: DISCONNECT {code}, expected 9 (revoked)")
        out += "; revocation: DISCONNECT 9"
    return out


@check("CTL-2", "server", "a DISCONNECT from the client is acknowledged and closes the session at once")
def ctl_2(ctx):
    s = _session(ctx)
    s.poll(0.3)
    s.msg(w.M_DISCONNECT, w.disconnect_body(0, b"bye"))
    e = s.wait(lambda e: any(f[0] == "ACK" for f in e["frames"]), 1.0)
    if e is None:
        raise Fail("the DISCONNECT was not acknowledged")
    s.answer_challenges = False
    token = os.urandom(8)
    s.msg(w.M_PING, token)
    after = s.poll(1.0)
    if any(f[0] == "MSG" and f[2] == w.M_PONG for e in after for f in e["frames"]):
        raise Fail("the session still answers after DISCONNECT")
    return "ACK, then the session is gone"


@check("CTL-3", "server", "the receiver of a DISCONNECT sends no DISCONNECT of its own")
def ctl_3(ctx):
    s = _session(ctx)
    s.poll(0.3)
    s.msg(w.M_DISCONNECT, w.disconnect_body(0, b"bye"))
    code = _disconnect_code(s, 2.5)
    if code is not None:
        raise Fail(f"the server answered DISCONNECT with DISCONNECT {code}")
    return "no DISCONNECT back"


@check("KEY-4", "server", "a REKEY_INIT for epoch n+2 closes the session with DISCONNECT 11")
def key_4(ctx):
    s = _session(ctx)
    s.msg(w.M_REKEY_INIT, w.rekey_body(2, c.x25519_pub(c.X25519PrivateKey.generate())))
    return _expect_violation(s, "REKEY_INIT for epoch 2")


@check("KEY-5", "server", "a REKEY_INIT with a small-order (all-zero) key closes the session with DISCONNECT 11")
def key_5(ctx):
    s = _session(ctx)
    s.msg(w.M_REKEY_INIT, w.rekey_body(1, b"\0" * 32))
    return _expect_violation(s, "REKEY_INIT with an all-zero key")


@check("KEY-8", "server", "a REKEY_INIT with a 35-byte body closes the session with DISCONNECT 11")
def key_8(ctx):
    s = _session(ctx)
    s.msg(w.M_REKEY_INIT, b"\x00\x00\x00\x01" + b"\x09" * 31)
    return _expect_violation(s, "REKEY_INIT of 35 bytes")


@check("KEY-6", "server", "an unsolicited REKEY_RESP is ignored: the session goes on under epoch 0")
def key_6(ctx):
    s = _session(ctx)
    s.msg(w.M_REKEY_RESP, w.rekey_body(1, c.x25519_pub(c.X25519PrivateKey.generate())))
    code = _disconnect_code(s, 0.8)
    e = s.ping(1.5)
    s.close()
    if code is not None:
        raise Fail(f"DISCONNECT {code} for an unsolicited REKEY_RESP")
    if e is None or e["epoch"] != 0:
        raise Fail("the session did not go on under epoch 0")
    return "ignored"


@check("KEY-7", "server", "a rekey started by the client is answered: REKEY_RESP, then the server sends under epoch 1")
def key_7(ctx):
    s = _session(ctx)
    s.poll(0.3)
    s.start_rekey()
    end = time.monotonic() + 2.0
    while s.epoch == 0 and time.monotonic() < end:
        s.poll(0.1)
    if s.epoch != 1:
        raise Fail("no REKEY_RESP for the client's REKEY_INIT")
    e = s.ping(1.5)
    s.close()
    if e is None:
        raise Fail("no PONG for a PING under epoch 1")
    if e["epoch"] != 1:
        raise Fail(f"the server answered under epoch {e['epoch']} after switching")
    return "epoch 1 both ways"


def _keep_alive(s, until, every, pred=None):
    """Polls until the monotonic time until, sending a KEEPALIVE every `every` seconds; returns
    the first entry for which pred is true (or None)."""
    last = 0
    while time.monotonic() < until:
        if time.monotonic() - last >= every:
            s.send(w.PT_KEEPALIVE, b"")
            last = time.monotonic()
        for e in s.poll(min(0.2, max(0.0, until - time.monotonic()))):
            if pred and pred(e):
                return e
    return None


@check("KEY-3", "server", "the server starts a rekey by itself at rekey_after_time + 10 s, and switches to epoch 1 when the client answers", slow=True)
def key_3(ctx):
    s = _session(ctx)
    start = time.monotonic()
    deadline = start + ctx.rekey_after_time + 10 + 5
    e = _keep_alive(s, deadline, ctx.keepalive_interval / 2,
                    lambda e: any(f[0] == "MSG" and f[2] == w.M_REKEY_INIT for f in e["frames"]))
    if e is None:
        raise Fail(f"no REKEY_INIT from the server within {deadline - start:.0f} s "
                   f"(rekey_after_time {ctx.rekey_after_time:.0f} s + 10 s)")
    took = e["time"] - start
    # Our answer went out in poll(); the server switches when REKEY_RESP arrives.
    s.send(w.PT_KEEPALIVE, b"")
    pong = s.ping(2.0)
    s.close()
    if pong is None or pong["epoch"] != 1:
        raise Fail("after answering the server's REKEY_INIT, no PONG under epoch 1")
    return f"REKEY_INIT after {took:.1f} s; epoch 1 both ways"


@check("KEY-1", "server", "a send key is never used past reject_after_time (180 s) when rekeys go unanswered", slow=True)
def key_1(ctx):
    if not ctx.long:
        raise NotTestable("takes reject_after_time (180 s); run with --long")
    s = _session(ctx)
    s.answer_rekeys = False
    start = time.monotonic()
    until = start + ctx.reject_after_time + 3
    late = _keep_alive(s, until, ctx.keepalive_interval / 2,
                       lambda e: e["epoch"] == 0 and e["time"] > start + ctx.reject_after_time + 0.5)
    if late:
        raise Fail(f"the server sealed a packet under epoch 0 {late['time'] - start:.1f} s after the key "
                   "was installed")
    return f"no packet under the old key after {ctx.reject_after_time:.0f} s"


@check("LIVE-1", "server", "an idle session gets a KEEPALIVE at least every keepalive_interval", slow=True)
def live_1(ctx):
    s = _session(ctx)
    s.poll(0.5)
    start = time.monotonic()
    times = [start]
    end = start + 2.5 * ctx.keepalive_interval
    keepalives = 0
    while time.monotonic() < end:
        for e in s.poll(0.2):
            times.append(e["time"])
            keepalives += e["pt"] == w.PT_KEEPALIVE
    s.close()
    gaps = [b - a for a, b in zip(times, times[1:] + [end])]
    if not keepalives:
        raise Fail(f"no KEEPALIVE in {2.5 * ctx.keepalive_interval:.0f} s of silence")
    if max(gaps) > ctx.keepalive_interval + 1.5:
        raise Fail(f"{max(gaps):.1f} s without any packet from the server")
    return f"{keepalives} KEEPALIVEs, longest gap {max(gaps):.1f} s"


@check("LIVE-2", "server", "a silent peer's session is closed after dead_peer_timeout without a DISCONNECT", slow=True)
def live_2(ctx):
    s = _session(ctx)
    s.quiet = True
    start = time.monotonic()
    end = start + ctx.dead_peer_timeout + 2
    disconnect = None
    last = start
    while time.monotonic() < end:
        for e in s.poll(0.2):
            last = e["time"]
            if any(f[0] == "MSG" and f[2] == w.M_DISCONNECT for f in e["frames"]):
                disconnect = e
    if disconnect:
        raise Fail("the server sent DISCONNECT on the dead-peer timeout")
    s.quiet = False
    if s.alive(1.5):
        raise Fail(f"the session still answers {ctx.dead_peer_timeout + 2:.0f} s after the client fell silent")
    return f"closed silently (last packet {last - start:.1f} s in)"


@check("LIVE-3", "server", "replayed and forged DATA packets do not keep a silent peer's session alive", slow=True)
def live_3(ctx):
    s = _session(ctx)
    old = s.send(w.PT_KEEPALIVE, b"")
    s.quiet = True
    start = time.monotonic()
    end = start + ctx.dead_peer_timeout + 2
    while time.monotonic() < end:
        s.sock.sendto(old, s.server)
        s.sock.sendto(s.seal(w.PT_KEEPALIVE, b"")[:-16] + os.urandom(16), s.server)
        s.poll(min(1.0, ctx.dead_peer_timeout / 5))
    s.quiet = False
    if s.alive(1.5):
        raise Fail("replayed and forged packets kept the session alive past dead_peer_timeout")
    return "closed on time"


@check("PMTU-2", "server", "PROBEs of 1400 and 1452 bytes are answered with PROBE_ACK carrying their ID and size")
def pmtu_2(ctx):
    s = _session(ctx)
    out = []
    for size in (1400, 1452):
        s.control(w.cf_probe(size, size))
        e = s.wait(lambda e: any(f[0] == "PROBE_ACK" for f in e["frames"]), 1.5)
        if e is None:
            raise Fail(f"no PROBE_ACK for a {size}-byte PROBE")
        f = next(f for f in e["frames"] if f[0] == "PROBE_ACK")
        if (f[1], f[2]) != (size, size):
            raise Fail(f"PROBE_ACK id {f[1]} size {f[2]} for a {size}-byte PROBE with ID {size}")
        out.append(str(size))
    s.close()
    return "PROBE_ACK for " + " and ".join(out)


def _roaming(ctx):
    s = _session(ctx)
    s.poll(0.3)
    b = c.udp_socket(ctx.other_ip or ctx.bind_ip, family=ctx.family)
    return s, b


def _from_b(s, b, msg_type=w.M_PING, body=None):
    body = body or os.urandom(8)
    dg = s.seal(w.PT_CONTROL, w.cf_msg(s.next_seq, msg_type, body))
    s.next_seq += 1
    b.sendto(dg, s.server)
    return len(dg), body


@check("ROAM-1", "server", "a packet from a new address does not move the session: the PONG still goes to the old address")
def roam_1(ctx):
    s, b = _roaming(ctx)
    s.answer_challenges = False
    _, token = _from_b(s, b)
    got = s.poll(1.0, socks=[s.sock, b])
    pongs = [e for e in got if any(f[0] == "MSG" and f[2] == w.M_PONG and f[3] == token for f in e["frames"])]
    s.close()
    b.close()
    if not pongs:
        raise Fail("no PONG for a PING sent from a new address")
    if any(e["sock"] is b for e in pongs):
        raise Fail("the PONG went to the unvalidated new address")
    return "PONG to the old address"


@check("ROAM-2", "server", "a new address gets a PATH_CHALLENGE at once")
def roam_2(ctx):
    s, b = _roaming(ctx)
    s.answer_challenges = False
    _from_b(s, b)
    got = [e for e in s.poll(1.0, socks=[s.sock, b]) if e["sock"] is b]
    s.close()
    b.close()
    if not any(f[0] == "PATH_CHALLENGE" for e in got for f in e["frames"]):
        raise Fail("no PATH_CHALLENGE to the new address")
    return "PATH_CHALLENGE"


@check("ROAM-3", "server", "an unanswered candidate address gets only PATH_CHALLENGEs, at most 3x the bytes it sent")
def roam_3(ctx):
    s, b = _roaming(ctx)
    s.answer_challenges = False
    sent, _ = _from_b(s, b)
    got = [e for e in s.poll(10.0, socks=[s.sock, b]) if e["sock"] is b]
    s.close()
    b.close()
    other = [e for e in got if [f[0] for f in e["frames"]] != ["PATH_CHALLENGE"]]
    if other:
        raise Fail(f"{len(other)} packets other than PATH_CHALLENGE went to the candidate")
    total = sum(e["size"] for e in got)
    if total > 3 * sent:
        raise Fail(f"{total} bytes of challenges for {sent} bytes from the candidate")
    return f"{len(got)} challenges, {total} bytes for {sent}"


@check("ROAM-4", "server", "a PATH_CHALLENGE from the client is answered with PATH_RESPONSE carrying its token")
def roam_4(ctx):
    s = _session(ctx)
    token = os.urandom(8)
    s.control(w.cf_path(w.CF_PATH_CHALLENGE, token))
    e = s.wait(lambda e: ("PATH_RESPONSE", token) in e["frames"], 1.5)
    s.close()
    if e is None:
        raise Fail("no PATH_RESPONSE with the token")
    return "PATH_RESPONSE"


@check("ROAM-6", "server", "a PATH_RESPONSE with a wrong token does not move the session")
def roam_6(ctx):
    s, b = _roaming(ctx)
    s.answer_challenges = False
    _from_b(s, b)
    got = [e for e in s.poll(0.6, socks=[s.sock, b]) if e["sock"] is b]
    if not any(f[0] == "PATH_CHALLENGE" for e in got for f in e["frames"]):
        raise Fail("no PATH_CHALLENGE to the new address")
    s.control(w.cf_path(w.CF_PATH_RESPONSE, os.urandom(8)))
    e = s.ping(1.5)
    s.close()
    b.close()
    if e is None:
        raise Fail("no PONG after a wrong PATH_RESPONSE")
    if e["sock"] is b:
        raise Fail("a PATH_RESPONSE with a wrong token moved the session")
    return "ignored"


@check("ROAM-5", "server", "once the candidate's PATH_RESPONSE authenticates, the session moves there")
def roam_5(ctx):
    s, b = _roaming(ctx)
    s.answer_challenges = True
    # Everything leaves from the new address now: a packet from the old one would start a check there.
    s.out_sock = b
    _from_b(s, b)
    s.poll(1.0, socks=[s.sock, b])
    _, token = _from_b(s, b)
    e = None
    end = time.monotonic() + 1.5
    while e is None and time.monotonic() < end:
        for x in s.poll(0.1, socks=[s.sock, b]):
            if any(f[0] == "MSG" and f[2] == w.M_PONG and f[3] == token for f in x["frames"]):
                e = x
    s.close()
    b.close()
    if e is None:
        raise Fail("no PONG after answering the path challenge")
    if e["sock"] is not b:
        raise Fail("the session did not move to the validated address")
    return "moved"
