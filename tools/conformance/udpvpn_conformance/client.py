# SPDX-License-Identifier: GPL-3.0-or-later
"""A client written from the draft (sections 7 to 13): one handshake attempt over a UDP socket, with
knobs that make it misbehave, and the established session it yields.  It keeps only the state a
check needs, so a check can send anything at any point."""
import hashlib
import os
import select
import socket
import struct
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from . import pki
from . import wire as w


def x25519_pub(priv):
    return priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def udp_socket(bind_ip="0.0.0.0", port=0, family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((bind_ip, port))
    return s


def receive(sock, timeout):
    """One (datagram, source) or None after timeout seconds."""
    r, _, _ = select.select([sock], [], [], max(0.0, timeout))
    if not r:
        return None
    return sock.recvfrom(65536)


class Result:
    """How an attempt ended: established, closed by the server (code, text), or silence."""

    def __init__(self):
        self.established = False
        self.close = None             # (code, text) of the server's CLOSE
        self.server_hello = None
        self.retries = 0
        self.received = []            # (time, datagram) of everything the server sent us
        self.sent_bytes = 0
        self.bytes_before_validation = 0
        self.error = None

    def describe(self):
        if self.established:
            return "session established"
        if self.close:
            return f"CLOSE {self.close[0]} ({w.CLOSE_NAMES.get(self.close[0], '?')}) {self.close[1]!r}"
        if self.server_hello is None:
            return "no SERVER_HELLO (silence)"
        return self.error or "no CLOSE and no session (silence)"


class Handshake:
    """One client handshake attempt (sections 7, 8, 9.3).  Knobs (all off by default):

      suites, extensions, version        the ClientHello's fields
      cv_scheme                          a CERTIFICATE_VERIFY scheme other than the key's
      cv_corrupt                         flip a bit of the signature
      cv_salt, cv_pkcs1                  RSA: another salt length, or PKCS #1 v1.5
      finished_corrupt                   flip a bit of the client's FINISHED
      transcript_hello                   sign and MAC over this ClientHello instead of the one sent
      client_stream                      a function(stream) -> stream applied before sending
      cert_trailing                      bytes appended to the CERTIFICATE body
      early                              plaintexts (pt, bytes) sent as epoch-0 DATA with flight 3
      hold_flight3                       stop after the server's flight (no flight 3)
      no_acks                            do not acknowledge the server's stream either
      eph_pub                            send this ephemeral public key (e.g. a small-order point)
    """

    def __init__(self, ctx, sock=None, chain=None, key=None, suites=(w.SUITE_CHACHA, w.SUITE_AES),
                 extensions=None, version=w.VERSION, pads=3, size=w.DEFAULT_DATAGRAM, admission_key=None,
                 **knobs):
        self.ctx = ctx
        self.sock = sock or udp_socket(ctx.bind_ip, family=ctx.family)
        self.server = ctx.server
        self.chain = chain if chain is not None else ctx.chain
        self.key = key if key is not None else ctx.key
        self.admission_key = ctx.admission_key if admission_key is None else admission_key
        self.sid = os.urandom(4)
        while self.sid == b"\0\0\0\0":
            self.sid = os.urandom(4)
        self.random = os.urandom(32)
        self.eph = X25519PrivateKey.generate()
        self.eph_pub = knobs.pop("eph_pub", None) or x25519_pub(self.eph)
        if extensions is None:
            extensions = w.extension(w.EXT_INNER_PROTOCOLS, b"\x01")
        self.suites = suites
        self.hello = w.client_hello(self.sid, self.random, self.eph_pub, suites, extensions, version)
        self.size, self.pads = max(w.MIN_INITIAL, size), pads
        self.cookie = b""
        self.knobs = knobs
        self.pn = 0
        self.server_sid = None
        self.c_hs = self.s_hs = None
        self.stream = {}
        self.result = Result()
        self.server_messages = None
        self.session = None
        self.pending_data = []

    # --- datagrams ---
    def initial(self, padding_byte=0):
        return w.initial(self.hello, self.cookie, self.size, self.admission_key, padding_byte)

    def pad(self, padding_byte=0):
        return w.pad(self.sid, self.eph_pub, self.size, self.admission_key, padding_byte)

    def send(self, dg, to=None):
        self.sock.sendto(dg, to or self.server)
        self.result.sent_bytes += len(dg)

    def send_flight1(self):
        self.send(self.initial())
        for _ in range(self.pads):
            self.send(self.pad())

    def handshake_packet(self, plaintext):
        dg = w.seal_handshake(self.c_hs, self.server_sid, self.pn, plaintext)
        self.pn += 1
        return dg

    def received_ranges(self):
        out = []
        for off in sorted(self.stream):
            end = off + len(self.stream[off])
            if out and off <= out[-1][1]:
                out[-1][1] = max(out[-1][1], end)
            else:
                out.append([off, end])
        return [tuple(r) for r in out[:8]]

    def contiguous(self):
        buf = b""
        for off in sorted(self.stream):
            d = self.stream[off]
            if off > len(buf):
                break
            buf += d[len(buf) - off:]
        return buf

    # --- receiving ---
    def on_datagram(self, dg, now):
        """Processes one datagram from the server; returns True when the attempt is over."""
        r = self.result
        r.received.append((now, dg))
        if not dg:
            return False
        if dg[0] == w.RETRY and len(dg) == 29 and dg[1:5] == self.sid and r.server_hello is None:
            if r.retries < 3:
                r.retries += 1
                self.cookie = dg[5:29]
                self.send_flight1()
            return False
        if dg[0] == w.SERVER_HELLO and len(dg) == 75 and dg[1:5] == self.sid and r.server_hello is None:
            r.server_hello = bytes(dg)
            self.server_sid = dg[5:9]
            self.suite = struct.unpack(">H", dg[73:75])[0]
            self.th1 = hashlib.sha256(self.hello + dg).digest()
            shared = self.eph.exchange(X25519PublicKey.from_public_bytes(dg[41:73]))
            self.hs = w.extract(w.early_secret(self.admission_key), shared)
            self.c_hs, self.s_hs = w.label(self.hs, "c hs", self.th1), w.label(self.hs, "s hs", self.th1)
            return False
        if dg[0] == w.HANDSHAKE and self.s_hs and dg[1:5] == self.sid and len(dg) >= 26:
            try:
                _, pt = w.open_handshake(dg, self.s_hs)
                frames = w.parse_frames(pt)
            except Exception:
                return False
            got_frag = False
            for f in frames:
                if f[0] == "CLOSE":
                    r.close = (f[1], f[2])
                    return True
                if f[0] == "FRAG" and f[2]:
                    got_frag = True
                    self.stream.setdefault(f[1], f[2])
                if f[0] == "ACK" and self.session is not None:
                    if any(e >= self.client_stream_len for _, e in f[1]):
                        r.established = True
                        return True
            if got_frag and self.session is None:
                return self.on_server_stream()
            return False
        if dg[0] & 0xF0 == 0x10 and self.session is not None and dg[1:5] == self.sid:
            try:
                w.open_data(self.suite, self.s_data, dg)
                r.established = True
                self.pending_data.append(dg)
                return True
            except Exception:
                return False
        return False

    def on_server_stream(self):
        """ACKs, and once the whole server stream is in, verifies it and sends flight 3."""
        stream = self.contiguous()
        msgs = w.parse_messages(stream)
        if len(msgs) < 4 or self.knobs.get("hold_flight3"):
            if not self.knobs.get("no_acks"):
                self.send(self.handshake_packet(w.ack_frame(self.received_ranges())))
            if len(msgs) >= 4:
                self.server_messages = msgs
            return False
        self.server_messages = msgs
        (t1, ee, _), (t2, cert, cert_body), (t3, cv, cv_body), (t4, fin, fin_body) = msgs[:4]
        if (t1, t2, t3, t4) != (w.MSG_EE, w.MSG_CERTIFICATE, w.MSG_CV, w.MSG_FINISHED):
            self.result.error = f"server stream has messages {t1:#x} {t2:#x} {t3:#x} {t4:#x}"
            return True
        hello = self.knobs.get("transcript_hello", self.hello)
        base = hello + self.result.server_hello
        th_cert = hashlib.sha256(self.hello + self.result.server_hello + ee + cert).digest()
        chain = w.parse_certificate(cert_body)
        scheme, sl = struct.unpack(">HH", cv_body[:4])
        self.server_cv_ok = pki.verify(chain[0], scheme, cv_body[4:4 + sl], w.cv_content("server", th_cert))
        self.server_chain = chain
        th_cv = hashlib.sha256(self.hello + self.result.server_hello + ee + cert + cv).digest()
        self.server_finished_ok = fin_body == w.finished_mac(self.s_hs, th_cv)
        th2 = hashlib.sha256(self.hello + self.result.server_hello + ee + cert + cv + fin).digest()
        self.th2 = th2
        derived = w.label(self.hs, "derived", b"")
        master = w.extract(derived, b"\0" * 32)
        self.c_data, self.s_data = w.label(master, "c data", th2), w.label(master, "s data", th2)
        self.rekey_secret = w.label(master, "rekey", th2)
        # Our own transcript from here on may be the tampered one (downgrade binding checks).
        prefix = base + ee + cert + cv + fin
        my_cert = w.certificate_message(self.chain, self.knobs.get("cert_trailing", b""))
        content = w.cv_content("client", hashlib.sha256(prefix + my_cert).digest())
        scheme, sig = pki.sign(self.key, content, self.knobs.get("cv_salt", 32), self.knobs.get("cv_pkcs1", False))
        if "cv_scheme" in self.knobs:
            scheme = self.knobs["cv_scheme"]
        if self.knobs.get("cv_corrupt"):
            sig = sig[:-1] + bytes([sig[-1] ^ 1])
        my_cv = w.message(w.MSG_CV, struct.pack(">HH", scheme, len(sig)) + sig)
        mac = w.finished_mac(self.c_hs, hashlib.sha256(prefix + my_cert + my_cv).digest())
        if self.knobs.get("finished_corrupt"):
            mac = mac[:-1] + bytes([mac[-1] ^ 1])
        mine = my_cert + my_cv + w.message(w.MSG_FINISHED, mac)
        if "client_stream" in self.knobs:
            mine = self.knobs["client_stream"](mine)
        self.client_stream_len = len(mine)
        self.session = True
        room = self.size - 9 - 16
        first = w.ack_frame(self.received_ranges())
        off = 0
        while off < len(mine) or first:
            chunk = mine[off:off + room - len(first) - 7]
            self.send(self.handshake_packet(first + w.frag_frame(off, chunk)))
            off += len(chunk)
            first = b""
        for pt, body in self.knobs.get("early", []):
            self.early_counter = getattr(self, "early_counter", 0)
            self.send(w.seal_data(self.suite, self.c_data, self.server_sid, self.early_counter, 0, pt, body))
            self.early_counter += 1
        return False

    def run(self, timeout=4.0, send_first=True):
        """Sends flight 1 and runs until established, CLOSE or timeout; returns the Result."""
        if send_first:
            self.send_flight1()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = receive(self.sock, end - time.monotonic())
            if got is None:
                break
            dg, src = got
            if self.on_datagram(dg, time.monotonic()):
                break
        return self.result

    def established(self, timeout=4.0):
        """An established Session, or raises Unexpected with what happened instead."""
        from .checks_base import Unexpected
        r = self.run(timeout)
        if not r.established:
            raise Unexpected(f"a correct handshake did not complete: {r.describe()}")
        return Session(self)


class Session:
    """An established session seen from the client (sections 11 to 14)."""

    def __init__(self, hs):
        self.hs, self.sock, self.server = hs, hs.sock, hs.server
        self.suite = hs.suite
        self.dst = hs.server_sid
        self.sid = hs.sid
        self.epoch = 0
        self.send_secret, self.recv_secret = hs.c_data, hs.s_data
        self.prev_recv = None          # (epoch, secret) in grace
        self.next_recv = None          # (epoch, secret, send secret, rekey secret) awaiting R's switch
        self.rekey_secret = hs.rekey_secret
        self.counter = getattr(hs, "early_counter", 0)
        self.next_seq = 0
        self.received_seqs = set()
        self.expected = 0
        self.pending_rekey = None      # our X25519 private key while we initiated
        self.answer_challenges = True
        self.answer_rekeys = True
        self.ack_msgs = True
        self.log = []                  # (time, source, epoch, counter, frames or payload type)
        self.closed_by_server = None
        self.out_sock = None           # where our packets leave from (default: the handshake's socket)
        self.role = getattr(hs, "role", "client")
        self.quiet = False             # True: answer nothing at all (a peer that fell silent)
        # DATA that came before the ACK completing our handshake (the server's CONFIG, answers to
        # early data): the first poll() returns it, so that no wait() misses it.
        self.backlog = [e for e in (self.on_datagram(dg, self.server, self.sock)
                                    for dg in hs.pending_data) if e]

    def seal(self, pt, plaintext, counter=None, phase=None, secret=None, type_byte=None):
        if counter is None:
            counter = self.counter
            self.counter += 1
        return w.seal_data(self.suite, secret or self.send_secret, self.dst, counter,
                           self.epoch if phase is None else phase, pt, plaintext, type_byte)

    def send(self, pt, plaintext, to=None, sock=None, **kw):
        dg = self.seal(pt, plaintext, **kw)
        (sock or self.out_sock or self.sock).sendto(dg, to or self.server)
        return dg

    def control(self, *frames, **kw):
        return self.send(w.PT_CONTROL, b"".join(frames), **kw)

    def msg(self, msg_type, body, seq=None, **kw):
        if seq is None:
            seq = self.next_seq
            self.next_seq += 1
        self.control(w.cf_msg(seq, msg_type, body), **kw)
        return seq

    def ack_frame(self):
        cum = self.expected
        sack = 0
        for s in self.received_seqs:
            if cum < s <= cum + 32:
                sack |= 1 << (s - cum - 1)
        return w.cf_ack(cum, sack)

    def _open(self, dg):
        """(epoch, counter, plaintext) or None."""
        k = (dg[0] >> 3) & 1
        slots = [(self.epoch, self.recv_secret)]
        if self.prev_recv:
            slots.append(self.prev_recv[:2])
        if self.next_recv:
            slots.append(self.next_recv[:2])
        for epoch, secret in slots:
            if epoch & 1 != k:
                continue
            try:
                c, pt = w.open_data(self.suite, secret, dg)
                return epoch, c, pt
            except Exception:
                pass
        return None

    def poll(self, timeout, socks=None):
        """Receives for up to timeout seconds; returns the entries of DATA authenticated meanwhile:
        dict(time, source, sock, epoch, counter, pt, size, frames)."""
        if self.backlog:
            out, self.backlog = self.backlog, []
            return out
        out = []
        socks = socks or [self.sock]
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            r, _, _ = select.select(socks, [], [], max(0.0, left))
            if not r:
                return out
            for s in r:
                dg, src = s.recvfrom(65536)
                e = self.on_datagram(dg, src, s)
                if e:
                    out.append(e)
            if time.monotonic() >= end:
                return out

    def on_datagram(self, dg, src, sock):
        if not dg or dg[0] & 0xF0 != 0x10 or len(dg) < 29 or dg[1:5] != self.sid:
            return None
        got = self._open(dg)
        if not got:
            return None
        epoch, counter, pt = got
        e = {"time": time.monotonic(), "source": src, "sock": sock, "epoch": epoch, "counter": counter,
             "pt": dg[0] & 7, "size": len(dg), "frames": [], "raw": dg}
        if self.next_recv and epoch == self.next_recv[0]:
            self._switch_to_next()
        if e["pt"] == w.PT_CONTROL:
            try:
                e["frames"] = w.parse_control(pt)
            except Exception:
                e["frames"] = [("MALFORMED",)]
            self._react(e)
        self.log.append(e)
        return e

    def _switch_to_next(self):
        epoch, recv, send, rekey = self.next_recv
        self.prev_recv = (self.epoch, self.recv_secret)
        self.epoch, self.recv_secret, self.send_secret, self.rekey_secret = epoch, recv, send, rekey
        self.counter = 0
        self.next_recv = None

    def _react(self, e):
        if self.quiet:
            return
        owed = []
        acked = False
        for f in e["frames"]:
            if f[0] == "MSG":
                seq, mt, body = f[1], f[2], f[3]
                if seq >= self.expected and seq not in self.received_seqs:
                    self.received_seqs.add(seq)
                    while self.expected in self.received_seqs:
                        self.expected += 1
                    if mt == w.M_DISCONNECT:
                        self.closed_by_server = struct.unpack(">H", body[:2])[0] if len(body) >= 2 else -1
                    elif mt == w.M_REKEY_INIT and self.answer_rekeys and len(body) == 36:
                        self._answer_rekey(body)
                    elif mt == w.M_REKEY_RESP and self.pending_rekey is not None and len(body) == 36:
                        self._finish_rekey(body)
                    elif mt == w.M_PING:
                        owed.append(("PONG", body))
                acked = True
            elif f[0] == "PATH_CHALLENGE" and self.answer_challenges:
                owed.append(("PATH_RESPONSE", f[1]))
        if (acked and self.ack_msgs) or owed:
            frames = [self.ack_frame()] if acked and self.ack_msgs else []
            for kind, body in owed:
                if kind == "PATH_RESPONSE":
                    frames.append(w.cf_path(w.CF_PATH_RESPONSE, body))
            pongs = [body for kind, body in owed if kind == "PONG"]
            for body in pongs:
                frames.append(w.cf_msg(self.next_seq, w.M_PONG, body))
                self.next_seq += 1
            if frames:
                self.control(*frames)

    # --- rekeying (sections 6.5, 12.2) ---
    def _derive(self, epoch, shared, rekey_secret):
        """(our send secret, our receive secret, next rekey secret) of epoch (section 6.5)."""
        r = w.extract(rekey_secret, shared)
        ctx = struct.pack(">I", epoch)
        c, s = w.label(r, "c data", ctx), w.label(r, "s data", ctx)
        return (c, s, w.label(r, "rekey", ctx)) if self.role == "client" else (s, c, w.label(r, "rekey", ctx))

    def start_rekey(self):
        self.pending_rekey = X25519PrivateKey.generate()
        return self.msg(w.M_REKEY_INIT, w.rekey_body(self.epoch + 1, x25519_pub(self.pending_rekey)))

    def _finish_rekey(self, body):
        epoch = struct.unpack(">I", body[:4])[0]
        if epoch != self.epoch + 1:
            return
        shared = self.pending_rekey.exchange(X25519PublicKey.from_public_bytes(body[4:]))
        c, s, rk = self._derive(epoch, shared, self.rekey_secret)
        self.pending_rekey = None
        self.prev_recv = (self.epoch, self.recv_secret)
        self.epoch, self.send_secret, self.recv_secret, self.rekey_secret = epoch, c, s, rk
        self.counter = 0

    def _answer_rekey(self, body):
        epoch = struct.unpack(">I", body[:4])[0]
        if epoch != self.epoch + 1:
            return
        y = X25519PrivateKey.generate()
        shared = y.exchange(X25519PublicKey.from_public_bytes(body[4:]))
        c, s, rk = self._derive(epoch, shared, self.rekey_secret)
        # We are the responder: receive n+1 at once, send n+1 after the first packet under n+1.
        self.next_recv = (epoch, s, c, rk)
        self.msg(w.M_REKEY_RESP, w.rekey_body(epoch, x25519_pub(y)))

    # --- helpers for checks ---
    def ping(self, timeout=1.0, **kw):
        """Sends PING; the PONG entry or None."""
        token = os.urandom(8)
        self.msg(w.M_PING, token, **kw)
        return self.wait(lambda e: any(f[0] == "MSG" and f[2] == w.M_PONG and f[3] == token for f in e["frames"]), timeout)

    def wait(self, pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for e in self.poll(min(0.1, end - time.monotonic())):
                if pred(e):
                    return e
        return None

    def alive(self, timeout=1.5):
        """True if the server still answers a PING."""
        return self.ping(timeout) is not None

    def disconnect(self, code=0, text=b"conformance"):
        try:
            self.msg(w.M_DISCONNECT, w.disconnect_body(code, text))
        except OSError:
            pass

    def close(self):
        self.disconnect()
        self.poll(0.05)
        self.sock.close()
