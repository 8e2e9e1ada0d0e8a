# SPDX-License-Identifier: GPL-3.0-or-later
"""UDP datagrams from any IPv4 source address (a raw socket with IP_HDRINCL: needs CAP_NET_RAW and a
network that does not filter by source), for the conformance checks and tests/blackbox/attacker.py."""
import random
import socket
import struct


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Spoofer:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)

    def send(self, payload, src, dst):
        sip, dip = socket.inet_aton(src[0]), socket.inet_aton(dst[0])
        ulen = 8 + len(payload)
        pseudo = sip + dip + struct.pack("!BBH", 0, socket.IPPROTO_UDP, ulen)
        csum = _checksum(pseudo + struct.pack("!HHHH", src[1], dst[1], ulen, 0) + payload) or 0xFFFF
        udp = struct.pack("!HHHH", src[1], dst[1], ulen, csum)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, random.getrandbits(16), 0, 64,
                         socket.IPPROTO_UDP, 0, sip, dip)
        self.sock.sendto(ip + udp + payload, (dst[0], 0))
