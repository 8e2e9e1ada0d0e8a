#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Independent check of tests/vectors/handshake.vec, written from docs/rfc-draft.txt alone.

Replays the recorded handshake with Python's hashlib/hmac and the `cryptography` package: regenerates
both sides' randoms and X25519 keys from the DeterministicRng seeds, checks every clear field of
INITIAL, PAD and SERVER_HELLO, the admission MACs, th1, decrypts the HANDSHAKE packets, reassembles
both streams, verifies both CertificateVerify signatures and FINISHED MACs, th2 and the epoch-0
data secrets. It shares no code with libudpvpn, so it tests the draft as much as the library.

While doing so it writes the annotated walk-through of Appendix C of the draft.

usage: handshake_vector.py [VECTOR_DIR] [check|update|print DRAFT]
  exit 0 = match, 1 = mismatch (vector or Appendix C out of date), 77 = skipped (no cryptography)
"""
import hashlib
import hmac
import os
import struct
import sys
import textwrap

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "blackbox"))
try:
    from cryptography import x509
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
    # The draft's key schedule, packets and frames, shared with the black-box tests.
    from udpvpn_draft import extract, frames, label, messages, open_handshake, public, traffic_keys, x25519
except ImportError:
    print("python3-cryptography is not installed: skipped")
    sys.exit(77)

BEGIN = "Appendix C.  Annotated Handshake (Informative)"
END = "Authors' Addresses"     # or the next appendix (D: the requirements index), whichever comes first


def load(path):
    cases, cur = [], {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                cases.append(cur)
                cur = {}
            continue
        k, _, v = line.partition("=")
        cur[k.strip()] = v.strip()
    if cur:
        cases.append(cur)
    return cases


def drng(seed):
    """tests' DeterministicRng: ChaCha20 keystream, key = BLAKE2b-256(u64 seed), each fill() starts a block."""
    key = hashlib.blake2b(struct.pack(">Q", seed), digest_size=32).digest()
    block = [0]

    def fill(n):
        nonce = struct.pack("<Q", block[0]) + b"\0" * 8
        ks = Cipher(algorithms.ChaCha20(key, nonce), None).encryptor().update(b"\0" * n)
        block[0] += (n + 63) // 64
        return ks
    return fill


class Notes:
    """Appendix C text: RFC style, 72 columns, hex wrapped at 64 digits."""

    def __init__(self):
        self.lines = []

    def heading(self, text):
        self.blank()
        self.lines += [text, ""]

    def para(self, text):
        self.blank()
        self.lines += textwrap.wrap(text, 72, initial_indent="   ", subsequent_indent="   ")
        self.lines.append("")

    def field(self, name, data, offset=None):
        head = f"   {offset:4d}  {name}" if offset is not None else f"   {name}"
        h = data.hex() if isinstance(data, (bytes, bytearray)) else str(data)
        if len(head) + 2 + len(h) <= 72 and len(h) <= 64:
            self.lines.append(f"{head}  {h}")
            return
        self.lines.append(head)
        if isinstance(data, (bytes, bytearray)) and len(data) >= 48 and not any(data):
            self.lines.append(f"        ({len(data)} zero bytes)")
            return
        for k in range(0, len(h), 64):
            self.lines.append("        " + h[k:k + 64])

    def blank(self):
        if self.lines and self.lines[-1] != "":
            self.lines.append("")


def walk(vdir):
    c = load(os.path.join(vdir, "handshake.vec"))[0]

    def H(k):
        return bytes.fromhex(c[k])

    n = Notes()
    n.lines.append(BEGIN)
    n.blank()
    n.para("This appendix decodes the handshake of Appendix A.5 step by step, from the draft alone. It "
           "is printed by tests/vectors/tools/handshake_vector.py, which recomputes every value below "
           "with Python's hashlib and the cryptography package (no code shared with the reference "
           "implementation); the unit test handshake_vector_python fails when the vector does not "
           "verify or this appendix is out of date. Numbers on the left are byte offsets in the "
           "datagram or stream; long values are wrapped at 64 hex digits.")

    cr, sr = drng(int(c["client_seed"])), drng(int(c["server_seed"]))
    c_random, c_priv = cr(32), cr(32)
    s_random, s_priv = sr(32), sr(32)
    n.heading("C.1.  Ephemeral Keys")
    n.para("Each side's DeterministicRng (a ChaCha20 keystream keyed with BLAKE2b-256 of the 8-byte "
           "seed, each request starting a new 64-byte block) gives its random first, then its X25519 "
           "private key. No admission key is configured, so the admission MACs are keyed with 32 "
           "zero bytes.")
    for name, v in (("client_random", c_random), ("client_eph_priv", c_priv), ("client_eph_pub", public(c_priv)),
                    ("server_random", s_random), ("server_eph_priv", s_priv), ("server_eph_pub", public(s_priv))):
        n.field(name, v)
    shared = x25519(c_priv, public(s_priv))
    assert shared == x25519(s_priv, public(c_priv))
    n.field("shared = X25519", shared)

    zero = b"\0" * 32

    def mac_ok(d):
        return hashlib.blake2b(d[:-16], digest_size=16, key=zero).digest() == d[-16:]

    ini = H("c2s_0")
    assert len(ini) >= 1200 and mac_ok(ini) and ini[0] == 1 and ini[1:3] == b"\0\1"
    assert ini[3:7] == H("client_sid") and ini[7:39] == c_random and ini[39:71] == public(c_priv)
    ns = ini[71]
    p = 72 + 2 * ns
    el = struct.unpack(">H", ini[p:p + 2])[0]
    ch_end = p + 2 + el
    ch = ini[:ch_end]
    assert ini[ch_end] == 0 and not any(ini[ch_end + 1:-16])
    n.heading(f"C.2.  INITIAL (c2s_0, {len(ini)} bytes)")
    for off, name, a, b in ((0, "type", 0, 1), (1, "version", 1, 3), (3, "client SID", 3, 7),
                            (7, "client random", 7, 39), (39, "client eph. public key", 39, 71),
                            (71, "n suites", 71, 72), (72, "suites", 72, p), (p, "ext len", p, p + 2),
                            (p + 2, "extensions", p + 2, ch_end), (ch_end, "cookie len", ch_end, ch_end + 1),
                            (ch_end + 1, "padding", ch_end + 1, len(ini) - 16),
                            (len(ini) - 16, "admission MAC", len(ini) - 16, len(ini))):
        n.field(name, ini[a:b], off)
    n.blank()
    n.para(f"The ClientHello is bytes 0 to {ch_end - 1}. The extensions are one TLV: inner_protocols "
           "(0x0002), length 1, value 0x01 (IP). The client then sends 3 PADs (c2s_1 to c2s_3): type "
           "0x02, the client SID, the client ephemeral public key, zeros, and the admission MAC.")
    for k in ("c2s_1", "c2s_2", "c2s_3"):
        d = H(k)
        assert d[0] == 2 and mac_ok(d) and d[1:5] == H("client_sid") and d[5:37] == public(c_priv)
        assert not any(d[37:-16])

    sh = H("s2c_0")
    assert len(sh) == 75 and sh[0] == 4 and sh[1:5] == H("client_sid") and sh[5:9] == H("server_sid")
    assert sh[9:41] == s_random and sh[41:73] == public(s_priv)
    n.heading("C.3.  SERVER_HELLO (s2c_0, 75 bytes)")
    for off, name, a, b in ((0, "type", 0, 1), (1, "client SID", 1, 5), (5, "server SID", 5, 9),
                            (9, "server random", 9, 41), (41, "server eph. public key", 41, 73),
                            (73, "suite", 73, 75)):
        n.field(name, sh[a:b], off)

    th = hashlib.sha256()
    th.update(ch)
    th.update(sh)
    th1 = th.copy().digest()
    assert th1 == H("th1"), "th1"
    early = extract(b"udpvpn v1 early", zero)
    hs = extract(early, shared)
    c_hs, s_hs = label(hs, "c hs", th1, 32), label(hs, "s hs", th1, 32)
    c_fin, s_fin = label(c_hs, "finished", b"", 32), label(s_hs, "finished", b"", 32)
    n.heading("C.4.  Handshake Secrets")
    n.field("th1 = SHA-256(ClientHello || SERVER_HELLO)", th1)
    n.field("early", early)
    n.field("hs_secret", hs)
    for name, sec in (("c_hs", c_hs), ("s_hs", s_hs)):
        k, iv = traffic_keys(sec)
        n.field(name, sec)
        n.field(name + " key", k)
        n.field(name + " iv", iv)
    n.field("c_finished", c_fin)
    n.field("s_finished", s_fin)

    n.heading("C.5.  The Server's Flight")
    stream = bytearray()
    k = 1
    while f"s2c_{k}" in c:
        d = H(f"s2c_{k}")
        assert d[0] == 5 and d[1:5] == H("client_sid")
        pn, pt = open_handshake(d, s_hs)
        fr = frames(pt)
        if any(f[0] == "FRAG" for f in fr) or k == 1:
            n.para(f"s2c_{k}: HANDSHAKE, {len(d)} bytes, destination SID {d[1:5].hex()}, packet number "
                   f"{pn}, {len(pt)} bytes of plaintext: " +
                   ", ".join(f"FRAG offset {f[1]} length {len(f[2])}" if f[0] == "FRAG" else f[0] for f in fr) + ".")
        for f in fr:
            if f[0] == "FRAG":
                stream[f[1]:f[1] + len(f[2])] = f[2]
        if not any(f[0] == "FRAG" for f in fr):
            break
        k += 1
    last_server = k
    msgs = messages(bytes(stream))
    assert [m[0] for m in msgs] == [0x08, 0x0B, 0x0F, 0x14]
    ee, cert, cv, fin = msgs
    n.para(f"The server's stream is {len(stream)} bytes: ENCRYPTED_EXTENSIONS ({len(ee[1])} bytes), "
           f"CERTIFICATE ({len(cert[1])}), CERTIFICATE_VERIFY ({len(cv[1])}) and FINISHED ({len(fin[1])}).")
    n.field("ENCRYPTED_EXTENSIONS", ee[1], 0)
    hint = struct.unpack(">I", ee[2][4:8])[0]
    assert hint >= len(stream)
    n.para(f"Its extensions: flight_size_hint (0x0001, length 4) = {hint}, the stream length with the "
           "signature at its maximum (64 bytes for Ed25519); inner_protocols (0x0002, length 1) = 0x01.")
    body = cert[2]
    chain, q = [], 1
    for _ in range(body[0]):
        ln = int.from_bytes(body[q:q + 3], "big")
        chain.append(body[q + 3:q + 3 + ln])
        q += 3 + ln
    assert q == len(body)
    off = len(ee[1])
    n.field("CERTIFICATE header, n certs, len 1", cert[1][:8], off)
    leaf = x509.load_der_x509_certificate(chain[0])
    n.para(f"followed by the {len(chain[0])}-byte DER certificate (SHA-256 fingerprint "
           f"{hashlib.sha256(chain[0]).hexdigest()[:16]}...), subject \"{leaf.subject.rfc4514_string()}\", "
           "an Ed25519 key.")
    th.update(ee[1])
    th.update(cert[1])
    t_cert = th.copy().digest()
    scheme, sl = struct.unpack(">HH", cv[2][:4])
    assert scheme == 0x0807
    sig = cv[2][4:4 + sl]
    leaf.public_key().verify(sig, b" " * 64 + b"udpvpn v1 server CertificateVerify" + b"\0" + t_cert)
    off += len(cert[1])
    n.field("transcript hash through CERTIFICATE", t_cert)
    n.field("CERTIFICATE_VERIFY (0x0807, 64-byte signature)", cv[1], off)
    th.update(cv[1])
    t_cv = th.copy().digest()
    assert hmac.new(s_fin, t_cv, hashlib.sha256).digest() == fin[2], "server finished"
    off += len(cv[1])
    n.field("transcript hash through CERTIFICATE_VERIFY", t_cv)
    n.field("FINISHED = HMAC(s_finished, hash above)", fin[1], off)
    th.update(fin[1])
    th2 = th.copy().digest()
    assert th2 == H("th2"), "th2"

    derived = label(hs, "derived", b"", 32)
    master = extract(derived, zero)
    c_data, s_data, rekey = (label(master, x, th2, 32) for x in ("c data", "s data", "rekey"))
    assert (c_data, s_data, rekey) == (H("client_data"), H("server_data"), H("rekey"))
    n.heading("C.6.  Data Secrets of Epoch 0")
    n.field("th2 = transcript hash through server FINISHED", th2)
    n.field("derived", derived)
    n.field("master", master)
    for name, sec in (("c_data", c_data), ("s_data", s_data)):
        k_, iv = traffic_keys(sec)
        n.field(name, sec)
        n.field(name + " key", k_)
        n.field(name + " iv", iv)
    n.field("rekey_0", rekey)

    n.heading("C.7.  The Client's Flight and the Final ACK")
    cs = bytearray()
    k = 4
    while f"c2s_{k}" in c:
        d = H(f"c2s_{k}")
        assert d[0] == 5 and d[1:5] == H("server_sid")
        pn, pt = open_handshake(d, c_hs)
        fr = frames(pt)
        n.para(f"c2s_{k}: HANDSHAKE, {len(d)} bytes, destination SID {d[1:5].hex()}, packet number {pn}: " +
               ", ".join("ACK " + " ".join(f"[{a}, {b})" for a, b in f[1]) if f[0] == "ACK" else
                         (f"FRAG offset {f[1]} length {len(f[2])}" if f[0] == "FRAG" else f[0]) for f in fr) + ".")
        for f in fr:
            if f[0] == "FRAG":
                cs[f[1]:f[1] + len(f[2])] = f[2]
        k += 1
    cm = messages(bytes(cs))
    assert [m[0] for m in cm] == [0x0B, 0x0F, 0x14]
    th.update(cm[0][1])
    t_ccert = th.copy().digest()
    b0 = cm[0][2]
    ln = int.from_bytes(b0[1:4], "big")
    cleaf = x509.load_der_x509_certificate(b0[4:4 + ln])
    scheme, sl = struct.unpack(">HH", cm[1][2][:4])
    cleaf.public_key().verify(cm[1][2][4:4 + sl],
                              b" " * 64 + b"udpvpn v1 client CertificateVerify" + b"\0" + t_ccert)
    th.update(cm[1][1])
    t_ccv = th.copy().digest()
    assert hmac.new(c_fin, t_ccv, hashlib.sha256).digest() == cm[2][2], "client finished"
    n.para(f"The client's stream is {len(cs)} bytes: CERTIFICATE ({len(cm[0][1])} bytes, one "
           f"{ln}-byte certificate, subject \"{cleaf.subject.rfc4514_string()}\"), CERTIFICATE_VERIFY "
           f"({len(cm[1][1])}) and FINISHED ({len(cm[2][1])}).")
    n.field("transcript hash through client CERTIFICATE", t_ccert)
    n.field("client CERTIFICATE_VERIFY", cm[1][1])
    n.field("transcript hash through client CERTIFICATE_VERIFY", t_ccv)
    n.field("client FINISHED = HMAC(c_finished, hash above)", cm[2][1])
    d = H(f"s2c_{last_server}")
    pn, pt = open_handshake(d, s_hs)
    fr = frames(pt)
    assert fr == [("ACK", [(0, len(cs))])]
    n.blank()
    n.para(f"s2c_{last_server}: HANDSHAKE, {len(d)} bytes, packet number {pn}: ACK [0, {len(cs)}), the "
           "whole client stream. The server is now COMPLETE and the client CONFIRMED.")
    while n.lines and n.lines[-1] == "":
        n.lines.pop()
    n.lines.append("")
    return n.lines


def main(argv):
    vdir = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    try:
        text = walk(vdir)
    except (AssertionError, ValueError) as e:
        print(f"handshake.vec does not verify: {e}")
        return 1
    print("handshake.vec verified from the draft", file=sys.stderr if argv[2:3] == ["print"] else sys.stdout)
    if len(argv) < 4:
        return 0
    mode, draft = argv[2], argv[3]
    if mode == "print":
        sys.stdout.write("\n".join(text) + "\n")
        return 0
    with open(draft, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if BEGIN not in lines or END not in lines:
        print(f"{draft}: no '{BEGIN}' or '{END}' line")
        return 1
    b = lines.index(BEGIN)
    e = next(i for i in range(b + 1, len(lines)) if lines[i] == END or lines[i].startswith("Appendix "))
    if mode == "update":
        with open(draft, "w", encoding="utf-8") as f:
            f.write("\n".join(lines[:b] + text + lines[e:]))
        return 0
    if lines[b:e] != text:
        print(f"{draft}: Appendix C is out of date; run: {argv[0]} {vdir} update {draft}")
        return 1
    print(f"{draft}: Appendix C matches handshake.vec")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
