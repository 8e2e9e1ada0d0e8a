# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate profile (sections 12.6, 17): every kind of bad client certificate the draft names
gets its close code, and a revocation reaches an established session at once."""
import subprocess
import time

from . import client as c
from . import wire as w
from .checks_base import Fail, NotTestable, expect_close
from .registry import check


def _refused(ctx, kind, codes=(4,)):
    cred = ctx.certs.get(kind)
    if cred is None:
        raise NotTestable(f"needs {kind}.crt and {kind}.key in --cert-dir")
    chain, key = cred
    r = c.Handshake(ctx, chain=chain, key=key).run(4.0)
    return expect_close(r, codes, kind)


@check("CERT-3", "server", "client chains from an unknown CA, or with a bad CA signature, get CLOSE 4")
def cert_3(ctx):
    return "; ".join(_refused(ctx, k) for k in ("unknown-ca", "bad-signature"))


@check("CERT-4", "server", "expired and not-yet-valid client certificates get CLOSE 4")
def cert_4(ctx):
    return "; ".join(_refused(ctx, k) for k in ("expired", "not-yet-valid"))


@check("CERT-5", "server", "an RSA-1024 client certificate gets CLOSE 4")
def cert_5(ctx):
    return _refused(ctx, "rsa-1024")


@check("CERT-6", "server", "a client certificate with extendedKeyUsage serverAuth only gets CLOSE 4")
def cert_6(ctx):
    return _refused(ctx, "wrong-eku")


@check("CERT-7", "server", "a client certificate whose keyUsage lacks digitalSignature gets CLOSE 4")
def cert_7(ctx):
    return _refused(ctx, "no-digital-signature")


@check("CERT-10", "server", "a client certificate listed in the server's CRL gets CLOSE 9")
def cert_10(ctx):
    return _refused(ctx, "revoked", (9,))


@check("CERT-11", "server", "certificate failures close with 4 (expired) and 9 (revoked), never another code")
def cert_11(ctx):
    return "; ".join((_refused(ctx, "expired"), _refused(ctx, "revoked", (9,))))


def revocation(ctx):
    """(DISCONNECT code or None, seconds it took, whether the session still answered afterwards),
    from one session with the revoke-later credential during which --revoke-command runs.  Done
    once per run (the credential is revoked for good)."""
    if not ctx.revoke_command:
        raise NotTestable("needs --revoke-command (revokes revoke-later.crt and makes the server reload its CRL)")
    if ctx.revocation is not None:
        return ctx.revocation
    cred = ctx.certs.get("revoke-later")
    if cred is None:
        raise NotTestable("needs revoke-later.crt and revoke-later.key in --cert-dir")
    chain, key = cred
    s = c.Handshake(ctx, chain=chain, key=key).established()
    s.poll(0.3)
    started = time.monotonic()
    subprocess.run(ctx.revoke_command, shell=True, check=True, timeout=10)
    code, took = None, None
    end = time.monotonic() + 3.0
    while code is None and time.monotonic() < end:
        for e in s.poll(0.1):
            for f in e["frames"]:
                if f[0] == "MSG" and f[2] == w.M_DISCONNECT:
                    code = int.from_bytes(f[3][:2], "big")
                    took = e["time"] - started
        if code is None:
            s.send(w.PT_KEEPALIVE, b"")
    s.answer_challenges = False
    ctx.revocation = (code, took, s.ping(1.0) is not None)
    return ctx.revocation


@check("CERT-1", "server", "a CRL reload cuts off an established session of a newly revoked client at once (within 3 s)")
def cert_1(ctx):
    code, took, _ = revocation(ctx)
    if code is None:
        raise Fail("no DISCONNECT within 3 s of the CRL reload")
    return f"DISCONNECT {code} {took:.2f} s after the revocation command started"


@check("CERT-2", "server", "a session whose client is revoked gets DISCONNECT 9 and is no longer answered")
def cert_2(ctx):
    code, _, answers = revocation(ctx)
    if code != 9:
        raise Fail(f"DISCONNECT {code} after revocation, expected 9 (revoked)")
    if answers:
        raise Fail("the session of the revoked client still answers a PING")
    return "DISCONNECT 9, then nothing answers"
