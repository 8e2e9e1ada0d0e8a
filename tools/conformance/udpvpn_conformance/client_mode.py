# SPDX-License-Identifier: GPL-3.0-or-later
"""The other role: the suite is the server and checks a client it starts (--client-command).  A
server side written from the draft (sections 7 to 9, 13): it reads INITIALs and answers them with
RETRY, SERVER_HELLO and a flight it builds itself, or with what a correct server never sends."""
import hashlib
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from . import client as c
from . import pki
from . import wire as w
from .context import parse_address


class Initial:
    """A parsed INITIAL (section 7.1), or None when it does not parse."""

    @staticmethod
    def parse(dg):
        try:
            if len(dg) < 1200 or dg[0] != w.INITIAL:
                return None
            i = Initial()
            i.version = struct.unpack(">H", dg[1:3])[0]
            i.sid, i.random, i.eph = dg[3:7], dg[7:39], dg[39:71]
            n = dg[71]
            i.suites = [struct.unpack(">H", dg[72 + 2 * k:74 + 2 * k])[0] for k in range(n)]
            at = 72 + 2 * n
            ext_len = struct.unpack(">H", dg[at:at + 2])[0]
            i.extensions = dg[at + 2:at + 2 + ext_len]
            i.hello = dg[:at + 2 + ext_len]
            cl = dg[at + 2 + ext_len]
            i.cookie = dg[at + 3 + ext_len:at + 3 + ext_len + cl]
            return i
        except (IndexError, struct.error):
            return None


class ServerAttempt:
    """The server side of one handshake with the client under test."""

    def __init__(self, ctx, initial, src, chain=None, key=None, suite=None):
        self.ctx, self.initial, self.client = ctx, initial, src
        self.chain = chain or ctx.server_chain
        self.key = key or ctx.server_key
        self.sid = b"\x00" + os.urandom(3)
        self.random = os.urandom(32)
        self.eph = X25519PrivateKey.generate()
        if suite is None:
            suite = next((s for s in (w.SUITE_CHACHA, w.SUITE_AES) if s in initial.suites), 0)
        self.suite = suite
        self.server_hello = (bytes([w.SERVER_HELLO]) + initial.sid + self.sid + self.random
                             + c.x25519_pub(self.eph) + struct.pack(">H", suite))
        shared = self.eph.exchange(X25519PublicKey.from_public_bytes(initial.eph))
        self.th1 = hashlib.sha256(initial.hello + self.server_hello).digest()
        self.hs = w.extract(w.early_secret(None), shared)
        self.c_hs, self.s_hs = w.label(self.hs, "c hs", self.th1), w.label(self.hs, "s hs", self.th1)
        self.pn = 0
        self.client_stream = {}
        self.established = False

    def send(self, dg):
        self.ctx.sock.sendto(dg, self.client)

    def handshake(self, plaintext):
        dg = w.seal_handshake(self.s_hs, self.initial.sid, self.pn, plaintext)
        self.pn += 1
        self.send(dg)

    def flight(self):
        """SERVER_HELLO and the whole server stream (section 9.1), as a correct server sends them."""
        ee = w.message(w.MSG_EE, w.extension(w.EXT_INNER_PROTOCOLS, b"\x01"))
        cert = w.certificate_message(self.chain)
        base = self.initial.hello + self.server_hello
        scheme, sig = pki.sign(self.key, w.cv_content("server", hashlib.sha256(base + ee + cert).digest()))
        cv = w.message(w.MSG_CV, struct.pack(">HH", scheme, len(sig)) + sig)
        fin = w.message(w.MSG_FINISHED, w.finished_mac(self.s_hs, hashlib.sha256(base + ee + cert + cv).digest()))
        self.stream = ee + cert + cv + fin
        th2 = hashlib.sha256(base + self.stream).digest()
        master = w.extract(w.label(self.hs, "derived", b""), b"\0" * 32)
        self.c_data, self.s_data = w.label(master, "c data", th2), w.label(master, "s data", th2)
        self.rekey_secret = w.label(master, "rekey", th2)
        self.send(self.server_hello)
        off = 0
        while off < len(self.stream):
            chunk = self.stream[off:off + 1200]
            self.handshake(w.frag_frame(off, chunk))
            off += len(chunk)

    def on_handshake(self, dg):
        """The frames of a client HANDSHAKE packet for this attempt, or None."""
        if dg[0] != w.HANDSHAKE or dg[1:5] != self.sid:
            return None
        try:
            _, pt = w.open_handshake(dg, self.c_hs)
            frames = w.parse_frames(pt)
        except Exception:
            return None
        for f in frames:
            if f[0] == "FRAG" and f[2]:
                self.client_stream.setdefault(f[1], f[2])
        return frames

    def client_messages(self):
        buf = b""
        for off in sorted(self.client_stream):
            if off > len(buf):
                break
            buf += self.client_stream[off][len(buf) - off:]
        return w.parse_messages(buf), len(buf)

    def session(self):
        """A Session (client.Session, server side) once the client's FINISHED has arrived."""
        view = _ServerView(self)
        return c.Session(view)


class _ServerView:
    """What client.Session needs, from the server's side of the session."""

    def __init__(self, a):
        self.sock, self.server = a.ctx.sock, a.client
        self.suite, self.server_sid, self.sid = a.suite, a.initial.sid, a.sid
        self.c_data, self.s_data = a.s_data, a.c_data          # send, receive
        self.rekey_secret = a.rekey_secret
        self.pending_data = []
        self.role = "server"


class ClientContext:
    """Client mode: the listening socket, our server credentials and the client command."""

    def __init__(self, args):
        self.args = args
        (host, port), fam = parse_address(args.listen, 0)
        self.family = fam
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.address = self.sock.getsockname()
        self.server_chain = pki.load_chain(args.server_cert)
        self.server_key = pki.load_key(args.server_key)
        self.certs = pki.CertDir(args.cert_dir)
        self.command = args.client_command
        self.retry_run = None
        self.proc = None

    def start(self):
        """Starts the client under test; its output goes to a temporary file."""
        self.stop()
        cmd = self.command.replace("{server}", f"{self.address[0]}:{self.address[1]}").replace(
            "{port}", str(self.address[1]))
        self.out = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, shell=True, stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def output(self):
        self.out.seek(0)
        return self.out.read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        # Whatever the last client still had in flight.
        while c.receive(self.sock, 0.05):
            pass

    def receive(self, timeout):
        """(datagram, source) or None."""
        return c.receive(self.sock, timeout)

    def next_initial(self, timeout, sid=None):
        """(Initial, source, arrival time) of the next INITIAL (of that client SID), or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.receive(end - time.monotonic())
            if not got:
                return None
            i = Initial.parse(got[0])
            if i and (sid is None or i.sid == sid):
                return i, got[1], time.monotonic()
        return None

    def close(self):
        self.stop()
        self.sock.close()
