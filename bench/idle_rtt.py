#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/idle_rtt.py: idle round-trip times through several paths at once, fairly. One ICMP echo is
# in flight at any time; the targets take turns, each cycle in a new random order, GAP seconds
# apart: every path sees the same moments of a shared host (its load and steal time drift over
# seconds), none always follows the same other path, and each carries one echo every
# GAP * len(targets) seconds on average: idle, but never silent for long.
# Round trips as ping(8) measures them: send time taken just before sendto, receive time from the
# kernel's timestamp of the reply (SO_TIMESTAMPNS), so this script's own wake-up is not counted.
#
#   idle_rtt.py [--count N] [--gap S] [--raw FILE] LABEL=ADDRESS ...
#
# Prints one line per target: label, samples, lost, p50, p90, p99, max (ms). Run as root (a raw
# ICMP socket) in the namespace the pings start from. IPv4 only.
import argparse
import os
import random
import select
import socket
import struct
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def echo_request(ident: int, seq: int) -> bytes:
    payload = bytes(range(56))  # ping's default 56 data bytes
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, seq) + payload


def percentile(sorted_values, q):
    # The q-th percentile, nearest rank (as bench/compare.sh's p99 of ping output).
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values), max(1, int(len(sorted_values) * q + 0.999)))
    return sorted_values[i - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000, help="echoes per target")
    ap.add_argument("--gap", type=float, default=0.01, help="seconds between two echoes")
    ap.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for a reply")
    ap.add_argument("--raw", help="also write every sample to this file: label, send time (ns), ms")
    ap.add_argument("targets", nargs="+", help="LABEL=IPv4 address")
    args = ap.parse_args()
    targets = []
    for t in args.targets:
        label, _, addr = t.rpartition("=")
        try:
            socket.inet_aton(addr)
        except OSError:
            label = ""
        if not label:
            sys.exit("idle_rtt.py: a target is LABEL=IPv4 address: " + t)
        targets.append((label, addr))

    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    ident = os.getpid() & 0xFFFF
    rtts = {label: [] for label, _ in targets}
    lost = {label: 0 for label, _ in targets}
    raw = open(args.raw, "w") if args.raw else None
    seq = 0
    next_send = time.monotonic()
    order = list(targets)
    shuffle = random.Random(1)   # a fixed seed: the same schedule every run
    for _ in range(args.count):
        # A new order every cycle: no path always follows the same one (a busy runtime such as
        # wireguard-go's may still be settling 10 ms after its echo).
        shuffle.shuffle(order)
        for label, addr in order:
            now = time.monotonic()
            if next_send > now:
                time.sleep(next_send - now)
            next_send = max(next_send, time.monotonic()) + args.gap
            seq = (seq + 1) & 0xFFFF
            packet = echo_request(ident, seq)
            sent = time.time_ns()
            sock.sendto(packet, (addr, 0))
            deadline = time.monotonic() + args.timeout
            got = None
            while got is None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([sock], [], [], left)[0]:
                    break
                data, anc, _, src = sock.recvmsg(2048, socket.CMSG_SPACE(16))
                ihl = (data[0] & 0x0F) * 4
                if len(data) < ihl + 8 or src[0] != addr:
                    continue
                kind, _, _, r_ident, r_seq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if kind != 0 or r_ident != ident or r_seq != seq:
                    continue
                received = time.time_ns()
                for level, typ, value in anc:
                    if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS and len(value) >= 16:
                        s, ns = struct.unpack("qq", value[:16])
                        received = s * 1_000_000_000 + ns
                got = (received - sent) / 1e6
            if got is None:
                lost[label] += 1
            else:
                rtts[label].append(got)
            if raw:
                raw.write("%s\t%d\t%s\n" % (label, sent, "lost" if got is None else "%.3f" % got))
    for label, _ in targets:
        v = sorted(rtts[label])
        print("%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f" % (
            label, len(v), lost[label], percentile(v, 0.50), percentile(v, 0.90),
            percentile(v, 0.99), v[-1] if v else float("nan")))


if __name__ == "__main__":
    main()
