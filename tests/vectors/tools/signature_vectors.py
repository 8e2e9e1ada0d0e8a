#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""CERTIFICATE_VERIFY signature vectors (tests/vectors/signature.vec), made and checked with the
Python `cryptography` package, independently of libudpvpn.

RSA-PSS signatures are randomized (the salt), so these are verify-only vectors: a fixed public key,
a fixed content and a fixed signature that must verify (or must not, for "expect = fail" cases).
The content is what Section 8.4 of docs/rfc-draft.txt signs: 64 spaces, the context string, 0x00
and a transcript hash (here SHA-256 of a fixed text).

usage:
  signature_vectors.py check VECTOR_DIR                        exit 1 if a case misbehaves
  signature_vectors.py generate CLIENT_RSA_KEY SERVER_RSA_KEY   signature.vec on stdout
                                                               (tests/pki/client_rsa.key, server_rsa.key)
Without `cryptography`, check exits 77 (skipped).
"""
import hashlib
import os
import sys

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
except ImportError:  # pragma: no cover
    print("SKIP: python3-cryptography is not installed")
    sys.exit(77)

SCHEME_RSA_PSS_RSAE_SHA256 = "0804"


def content(role: str, transcript_text: bytes) -> bytes:
    ctx = f"udpvpn v1 {role} CertificateVerify".encode()
    return b"\x20" * 64 + ctx + b"\x00" + hashlib.sha256(transcript_text).digest()


def pss(salt_len: int):
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt_len)


def spki(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def case(out, name, comment, public_key, msg, sig, reason=None):
    out.append(f"# {comment}")
    out.append(f"case = {name}")
    out.append(f"scheme = {SCHEME_RSA_PSS_RSAE_SHA256}")
    out.append(f"public_key = {public_key.hex()}")
    out.append(f"content = {msg.hex()}")
    out.append(f"signature = {sig.hex()}")
    if reason:
        out.append("expect = fail")
        out.append(f"reason_text = {reason}")
    out.append("")


def generate(client_key_path, server_key_path):
    keys = {}
    for role, path in (("client", client_key_path), ("server", server_key_path)):
        with open(path, "rb") as f:
            keys[role] = serialization.load_pem_private_key(f.read(), password=None)
    out = [
        "# CERTIFICATE_VERIFY signatures with scheme 0x0804 (rsa_pss_rsae_sha256: RSASSA-PSS, SHA-256,",
        "# MGF1-SHA-256, salt length 32), docs/rfc-draft.txt Sections 5.3 and 8.4. Verify-only: PSS is",
        "# randomized, so an implementation checks that `signature` verifies over `content` with",
        "# `public_key` (a DER SubjectPublicKeyInfo), or that it does not for \"expect = fail\" cases.",
        "# Made with tests/vectors/tools/signature_vectors.py from tests/pki/client_rsa.key (RSA-2048)",
        "# and server_rsa.key (RSA-4096); the same script checks them with Python's cryptography.",
        "",
    ]
    c = keys["client"]
    msg = content("client", b"udpvpn signature vector transcript")
    good = c.sign(msg, pss(32), hashes.SHA256())
    case(out, "rsa-pss-2048-client", "An RSA-2048 client's CertificateVerify.", spki(c), msg, good)
    s = keys["server"]
    smsg = content("server", b"udpvpn signature vector transcript")
    case(out, "rsa-pss-4096-server", "An RSA-4096 server's CertificateVerify (512-byte signature).",
         spki(s), smsg, s.sign(smsg, pss(32), hashes.SHA256()))
    bad = bytearray(good)
    bad[100] ^= 0x01
    case(out, "rsa-pss-2048-flipped-bit", "One bit of the first signature flipped.", spki(c), msg, bytes(bad),
         "signature does not verify")
    other = content("server", b"udpvpn signature vector transcript")
    case(out, "rsa-pss-2048-other-role", "The first signature checked against the server's context string.",
         spki(c), other, good, "signed content differs (role context)")
    case(out, "rsa-pss-2048-salt-0", "A PSS signature with salt length 0: not this scheme.", spki(c), msg,
         c.sign(msg, pss(0), hashes.SHA256()), "salt length must be 32")
    case(out, "rsa-pkcs1v15-2048", "A PKCS #1 v1.5 signature by the same key: not PSS.", spki(c), msg,
         c.sign(msg, padding.PKCS1v15(), hashes.SHA256()), "PKCS #1 v1.5 is not RSA-PSS")
    case(out, "rsa-pss-2048-truncated", "The first signature without its last byte.", spki(c), msg, good[:-1],
         "signature length differs from the modulus length")
    sys.stdout.write("\n".join(out).rstrip("\n") + "\n")


def load(path):
    cases, cur = [], {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                continue
            if not line:
                if cur:
                    cases.append(cur)
                cur = {}
                continue
            k, _, v = line.partition("=")
            cur[k.strip()] = v.strip()
    if cur:
        cases.append(cur)
    return cases


def verifies(c) -> bool:
    key = serialization.load_der_public_key(bytes.fromhex(c["public_key"]))
    sig = bytes.fromhex(c["signature"])
    if len(sig) != key.key_size // 8:
        return False
    try:
        key.verify(sig, bytes.fromhex(c["content"]), pss(32), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


def check(vector_dir):
    failures = 0
    cases = load(os.path.join(vector_dir, "signature.vec"))
    for c in cases:
        want = c.get("expect") != "fail"
        ok = c["scheme"] == SCHEME_RSA_PSS_RSAE_SHA256 and verifies(c) == want
        print(("ok   " if ok else "FAIL ") + c["case"])
        failures += not ok
    if not cases:
        print("FAIL no cases")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) == 4 and sys.argv[1] == "generate":
        generate(sys.argv[2], sys.argv[3])
        sys.exit(0)
    print(__doc__)
    sys.exit(2)
