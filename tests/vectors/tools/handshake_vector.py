#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Independent check of tests/vectors/handshake.vec, written from docs/rfc-draft.txt alone.

Replays the recorded handshake with Python's hashlib/hmac and the `cryptography` package: regenerates
both sides' randoms and X25519 keys from the DeterministicRng seeds, checks every clear field of
INITIAL, PAD and SERVER_HELLO, the admission MACs, th1, decrypts the HANDSHAKE packets, reassembles
both streams, verifies both CertificateVerify signatures and FINISHED MACs, th2 and the epoch-0
data secrets. It shares no code with libudpvpn, so it tests the draft as much as the library.

usage: handshake_vector.py [VECTOR_DIR]     exit 0 = match, 1 = mismatch, 77 = skipped
"""
import os
import hashlib
import hmac
import struct
import sys

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
except ImportError:
    print("python3-cryptography is not installed: skipped")
    sys.exit(77)

def load(path):
    cases, cur = [], {}
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("#"): continue
        if not line.strip():
            if cur: cases.append(cur); cur = {}
            continue
        k, _, v = line.partition("=")
        cur[k.strip()] = v.strip()
    if cur: cases.append(cur)
    return cases

def drng(seed):
    key = hashlib.blake2b(struct.pack(">Q", seed), digest_size=32).digest()
    block = [0]
    def fill(n):
        nonce = struct.pack("<Q", block[0]) + b"\0" * 8
        ks = Cipher(algorithms.ChaCha20(key, nonce), None).encryptor().update(b"\0" * n)
        block[0] += (n + 63) // 64
        return ks
    return fill

def extract(salt, ikm): return hmac.new(salt, ikm, hashlib.sha256).digest()
def expand(prk, info, L):
    out, t, i = b"", b"", 1
    while len(out) < L:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest(); out += t; i += 1
    return out[:L]
def label(sec, lab, ctx, L):
    fl = b"udpvpn " + lab.encode()
    return expand(sec, struct.pack(">H", L) + bytes([len(fl)]) + fl + bytes([len(ctx)]) + ctx, L)
def keys(sec): return label(sec, "key", b"", 32), label(sec, "iv", b"", 12)
def x25519(priv, pub):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pub))
def pub(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)

def open_hs(dg, sec):
    k, iv = keys(sec)
    pn = struct.unpack(">I", dg[5:9])[0]
    nonce = bytes(a ^ b for a, b in zip(iv, b"\0" * 8 + struct.pack(">I", pn)))
    return ChaCha20Poly1305(k).decrypt(nonce, dg[9:], dg[:9])

def frames(pt):
    i, out = 0, []
    while i < len(pt):
        t = pt[i]
        if t == 0: assert not any(pt[i:]); out.append(("pad",)); break
        if t == 1:
            off, ln = struct.unpack(">IH", pt[i+1:i+7]); out.append(("frag", off, pt[i+7:i+7+ln])); i += 7 + ln
        elif t == 2:
            n = pt[i+1]; r = [struct.unpack(">II", pt[i+2+8*j:i+10+8*j]) for j in range(n)]
            out.append(("ack", r)); i += 2 + 8 * n
        elif t == 3:
            code, ln = struct.unpack(">HH", pt[i+1:i+5]); out.append(("close", code, pt[i+5:i+5+ln])); i += 5 + ln
        else: raise ValueError("frame %d" % t)
    return out

def messages(stream):
    i, out = 0, []
    while i < len(stream):
        t = stream[i]; ln = int.from_bytes(stream[i+1:i+4], "big")
        out.append((t, stream[i:i+4+ln], stream[i+4:i+4+ln])); i += 4 + ln
    return out

vdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
c = load(os.path.join(vdir, "handshake.vec"))[0]
H = lambda k: bytes.fromhex(c[k])
cr, sr = drng(int(c["client_seed"])), drng(int(c["server_seed"]))
c_random, c_priv = cr(32), cr(32)
s_random, s_priv = sr(32), sr(32)
ini, sh = H("c2s_0"), H("s2c_0")
zero = b"\0" * 32
mac = lambda d: hashlib.blake2b(d[:-16], digest_size=16, key=zero).digest() == d[-16:]
assert len(ini) >= 1200 and mac(ini) and ini[0] == 1 and ini[1:3] == b"\0\1"
assert ini[3:7] == H("client_sid") and ini[7:39] == c_random and ini[39:71] == pub(c_priv)
n = ini[71]; p = 72 + 2 * n; el = struct.unpack(">H", ini[p:p+2])[0]; ch_end = p + 2 + el
ch = ini[:ch_end]; assert ini[ch_end] == 0 and not any(ini[ch_end+1:-16])
print("suites", ini[72:p].hex(), "extensions", ini[p+2:ch_end].hex())
for k in ("c2s_1", "c2s_2", "c2s_3"):
    d = H(k); assert d[0] == 2 and mac(d) and d[1:5] == H("client_sid") and d[5:37] == pub(c_priv) and not any(d[37:-16])
assert len(sh) == 75 and sh[0] == 4 and sh[1:5] == H("client_sid") and sh[5:9] == H("server_sid")
assert sh[9:41] == s_random and sh[41:73] == pub(s_priv)
suite = sh[73:75]; print("suite", suite.hex())
th = hashlib.sha256(); th.update(ch); th.update(sh)
th1 = th.copy().digest(); assert th1 == H("th1"), "th1"
shared = x25519(c_priv, sh[41:73]); assert shared == x25519(s_priv, pub(c_priv))
early = extract(b"udpvpn v1 early", zero)
hs = extract(early, shared)
c_hs, s_hs = label(hs, "c hs", th1, 32), label(hs, "s hs", th1, 32)
c_fin, s_fin = label(c_hs, "finished", b"", 32), label(s_hs, "finished", b"", 32)
# server flight
stream = bytearray()
for k in ("s2c_1",):
    d = H(k); assert d[1:5] == H("client_sid")
    for f in frames(open_hs(d, s_hs)):
        if f[0] == "frag": stream[f[1]:f[1]+len(f[2])] = f[2]
msgs = messages(bytes(stream)); print("server msgs", [(hex(t), len(w)) for t, w, b in msgs])
assert [m[0] for m in msgs] == [0x08, 0x0B, 0x0F, 0x14]
ee, cert, cv, fin = msgs
print("EE ext", ee[2].hex())
th.update(ee[1]); th.update(cert[1])
body = cert[2]; nc = body[0]; chain = []; q = 1
for _ in range(nc):
    ln = int.from_bytes(body[q:q+3], "big"); chain.append(body[q+3:q+3+ln]); q += 3 + ln
assert q == len(body)
leaf = x509.load_der_x509_certificate(chain[0])
scheme, sl = struct.unpack(">HH", cv[2][:4]); sig = cv[2][4:4+sl]; assert scheme == 0x0807
content = b" " * 64 + b"udpvpn v1 server CertificateVerify" + b"\0" + th.copy().digest()
leaf.public_key().verify(sig, content)
th.update(cv[1])
assert hmac.new(s_fin, th.copy().digest(), hashlib.sha256).digest() == fin[2], "server finished"
th.update(fin[1]); th2 = th.copy().digest(); assert th2 == H("th2"), "th2"
derived = label(hs, "derived", b"", 32); master = extract(derived, zero)
assert label(master, "c data", th2, 32) == H("client_data")
assert label(master, "s data", th2, 32) == H("server_data")
assert label(master, "rekey", th2, 32) == H("rekey")
hint = struct.unpack(">I", ee[2][4:8])[0]; print("flight_size_hint", hint, "actual", len(stream))
# client flight
d = H("c2s_4"); assert d[1:5] == H("server_sid")
fr = frames(open_hs(d, c_hs)); print("client frames", [(f[0], f[1] if f[0] != "pad" else None) for f in fr])
cs = bytearray()
for f in fr:
    if f[0] == "frag": cs[f[1]:f[1]+len(f[2])] = f[2]
cm = messages(bytes(cs)); assert [m[0] for m in cm] == [0x0B, 0x0F, 0x14]
th.update(cm[0][1])
body = cm[0][2]; ln = int.from_bytes(body[1:4], "big")
cleaf = x509.load_der_x509_certificate(body[4:4+ln])
scheme, sl = struct.unpack(">HH", cm[1][2][:4])
cleaf.public_key().verify(cm[1][2][4:4+sl], b" " * 64 + b"udpvpn v1 client CertificateVerify" + b"\0" + th.copy().digest())
th.update(cm[1][1])
assert hmac.new(c_fin, th.copy().digest(), hashlib.sha256).digest() == cm[2][2], "client finished"
d = H("s2c_2"); print("final server packet", frames(open_hs(d, s_hs)), "client stream", len(cs))
print("OK: handshake.vec verified from the draft")
