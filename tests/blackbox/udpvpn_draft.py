# SPDX-License-Identifier: GPL-3.0-or-later
"""The udpvpn handshake as docs/rfc-draft.txt states it, in Python, sharing no code with libudpvpn.

Key schedule (section 6), packet layouts (section 7), frames (7.6), messages (8.1) and a client-side
`Attempt` that builds INITIAL/PAD datagrams, follows a RETRY, reads SERVER_HELLO, derives the
handshake keys and seals or opens HANDSHAKE packets. It keeps no state machine of its own beyond
what a caller needs, so a caller can send what a correct implementation never would (duplicates,
replays, forged sizes, packets from other addresses). Used by tests/vectors/tools/handshake_vector.py
(the Appendix C walk-through) and tests/blackbox/attacker.py (the black-box DoS tests).

Needs the `cryptography` package (Debian: python3-cryptography).
"""
import hashlib
import os
import struct
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

# The wire format and key schedule (sections 6 and 7) come from the conformance suite's own
# implementation of the draft (tools/conformance/udpvpn_conformance/wire.py): one Python reading of
# the draft, shared by the suite, the black-box DoS tests and the Appendix C walk-through.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "conformance"))
from udpvpn_conformance.wire import (  # noqa: E402  (after the path is set)
    DEFAULT_DATAGRAM, EXT_INNER_PROTOCOLS, HANDSHAKE, INITIAL, MIN_INITIAL, PAD, RETRY,
    SERVER_HELLO, SUITE_AES, SUITE_CHACHA, VERSION, ack_frame, admission_mac, close_frame, extract, frag_frame, label,
    open_handshake, parse_frames, seal_handshake, traffic_keys)


def x25519(priv, pub):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pub))


def public(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# Section 7.6: the frames of a HANDSHAKE plaintext as (name, ...) tuples; ValueError when malformed.
frames = parse_frames


def messages(stream):
    """Section 8.1: (type, whole message, body) of each message of a handshake stream."""
    i, out = 0, []
    while i < len(stream):
        t = stream[i]
        ln = int.from_bytes(stream[i + 1:i + 4], "big")
        out.append((t, stream[i:i + 4 + ln], stream[i + 4:i + 4 + ln]))
        i += 4 + ln
    assert i == len(stream)
    return out


# --- A client's handshake attempt, from the draft's rules alone --------------------------------

class Attempt:
    """One handshake attempt as a client: a fresh session ID, random and X25519 key (section 7.1).

    Nothing here sends: the caller takes the datagrams and chooses from where they leave."""

    def __init__(self, suites=(SUITE_CHACHA, SUITE_AES), extensions=None, admission_key=None,
                 size=DEFAULT_DATAGRAM):
        self.client_sid = os.urandom(4)
        while self.client_sid == b"\0\0\0\0":
            self.client_sid = os.urandom(4)
        self.random = os.urandom(32)
        self.eph_priv = X25519PrivateKey.generate()
        self.eph_pub = self.eph_priv.public_key().public_bytes(serialization.Encoding.Raw,
                                                               serialization.PublicFormat.Raw)
        if extensions is None:
            extensions = struct.pack(">HH", EXT_INNER_PROTOCOLS, 1) + b"\x01"
        self.client_hello = (bytes([INITIAL]) + struct.pack(">H", VERSION) + self.client_sid + self.random +
                             self.eph_pub + bytes([len(suites)]) + b"".join(struct.pack(">H", s) for s in suites) +
                             struct.pack(">H", len(extensions)) + extensions)
        self.admission_key = admission_key
        self.size = max(MIN_INITIAL, size)
        self.cookie = b""
        self.server_sid = None
        self.server_hello = None
        self.c_hs = self.s_hs = None
        self.pn = 0
        self.server_stream = {}          # offset -> bytes of the server's stream received
        self.server_stream_len = None    # from flight_size_hint, when ENCRYPTED_EXTENSIONS arrived

    def initial(self):
        """The INITIAL datagram (section 7.1), with the latest cookie."""
        body = self.client_hello + bytes([len(self.cookie)]) + self.cookie
        body += b"\0" * (self.size - 16 - len(body))
        return body + admission_mac(self.admission_key, body)

    def pad(self):
        """One PAD datagram of the INITIAL's size (section 7.2)."""
        body = bytes([PAD]) + self.client_sid + self.eph_pub
        body += b"\0" * (self.size - 16 - len(body))
        return body + admission_mac(self.admission_key, body)

    def on_retry(self, dg):
        """Section 7.3: True (and the cookie kept) for a RETRY of ours."""
        if len(dg) != 29 or dg[0] != RETRY or dg[1:5] != self.client_sid:
            return False
        self.cookie = dg[5:29]
        return True

    def on_server_hello(self, dg):
        """Section 7.4 and 6.3: True (and the handshake keys derived) for the first SERVER_HELLO of ours."""
        if len(dg) != 75 or dg[0] != SERVER_HELLO or dg[1:5] != self.client_sid or self.server_hello:
            return False
        self.server_hello = bytes(dg)
        self.server_sid = dg[5:9]
        self.suite = struct.unpack(">H", dg[73:75])[0]
        th1 = hashlib.sha256(self.client_hello + self.server_hello).digest()
        shared = self.eph_priv.exchange(X25519PublicKey.from_public_bytes(dg[41:73]))
        early = extract(b"udpvpn v1 early", self.admission_key or b"\0" * 32)
        hs = extract(early, shared)
        self.c_hs, self.s_hs = label(hs, "c hs", th1, 32), label(hs, "s hs", th1, 32)
        return True

    def on_handshake(self, dg):
        """A server HANDSHAKE packet for us: its frames (FRAGs remembered), or None if it does not open."""
        if self.s_hs is None or len(dg) < 26 or dg[0] != HANDSHAKE or dg[1:5] != self.client_sid:
            return None
        try:
            _, pt = open_handshake(dg, self.s_hs)
        except Exception:
            return None
        fr = frames(pt)
        for f in fr:
            if f[0] == "FRAG" and f[2]:
                self.server_stream[f[1]] = f[2]
                if f[1] == 0 and len(f[2]) >= 16 and f[2][0] == 0x08:
                    self._read_hint(f[2])
        return fr

    def _read_hint(self, head):
        # ENCRYPTED_EXTENSIONS (section 8.2): its body is the TLV list; flight_size_hint is 0x0001.
        ln = int.from_bytes(head[1:4], "big")
        body = head[4:4 + ln]
        i = 0
        while i + 4 <= len(body):
            t, l = struct.unpack(">HH", body[i:i + 4])
            if t & 0x7FFF == 1 and l == 4 and i + 8 <= len(body):
                self.server_stream_len = struct.unpack(">I", body[i + 4:i + 8])[0]
            i += 4 + l

    def received_ranges(self):
        """The contiguous ranges of the server's stream received so far, ascending (at most 8)."""
        out = []
        for off in sorted(self.server_stream):
            end = off + len(self.server_stream[off])
            if out and off <= out[-1][1]:
                out[-1][1] = max(out[-1][1], end)
            else:
                out.append([off, end])
        return [tuple(r) for r in out[:8]]

    def handshake(self, plaintext):
        """A HANDSHAKE packet to the server under c_hs, with the next packet number."""
        dg = seal_handshake(self.c_hs, self.server_sid, self.pn, plaintext)
        self.pn += 1
        return dg

    def ack(self, ranges=None):
        """A HANDSHAKE packet with one ACK frame (26 bytes for one range)."""
        ranges = ranges or self.received_ranges() or [(0, 1)]
        return self.handshake(ack_frame(ranges))


def classify(dg):
    """The packet type name of a datagram a server sent (section 3.3), for counting."""
    return {RETRY: "RETRY", SERVER_HELLO: "SERVER_HELLO", HANDSHAKE: "HANDSHAKE"}.get(dg[0] if dg else -1, "other")
