#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stateless reset and shared cookie secrets (docs/rfc-draft.txt, Section 10.5), from the draft alone.

  reset_token   = BLAKE2b(key = cluster_key, 16 bytes, "udpvpn stateless reset" || u32(server SID))
  cookie_secret = BLAKE2b(key = cluster_key, 32 bytes, "udpvpn cookie secret" || u64(bucket))
  reset         = (0x14 | random[0] & 0x08) || random[1 ..] || reset_token,
                  min(len(trigger) - 1, 29) bytes, none when the trigger is 21 bytes or shorter

usage:
  stateless_reset_vectors.py check    VECTOR_DIR   recompute every case of stateless_reset.vec
  stateless_reset_vectors.py generate VECTOR_DIR   write stateless_reset.vec (fixed inputs)
"""
import hashlib
import os
import sys

RESET_LABEL = b"udpvpn stateless reset"
COOKIE_LABEL = b"udpvpn cookie secret"
MIN_RESET, MAX_RESET, TOKEN = 21, 29, 16


def reset_token(key, sid):
    return hashlib.blake2b(RESET_LABEL + sid, key=key, digest_size=16).digest()


def cookie_secret(key, bucket):
    return hashlib.blake2b(COOKIE_LABEL + bucket, key=key, digest_size=32).digest()


def reset_for(token, trigger, random):
    if len(trigger) <= MIN_RESET:
        return None
    n = min(len(trigger) - 1, MAX_RESET)
    if len(random) != n - TOKEN:
        raise ValueError("random must be %d bytes" % (n - TOKEN))
    return bytes([0x14 | (random[0] & 0x08)]) + random[1:] + token


def is_reset(datagram, token):
    return (MIN_RESET <= len(datagram) <= MAX_RESET and datagram[0] & 0xF0 == 0x10
            and datagram[-TOKEN:] == token)


def read_cases(path):
    cases, cur = [], {}
    for line in open(path):
        line = line.strip()
        if line.startswith("#"):
            continue
        if not line:
            if cur:
                cases.append(cur)
            cur = {}
            continue
        k, v = (x.strip() for x in line.split("=", 1))
        cur[k] = v
    if cur:
        cases.append(cur)
    return cases


def check(vector_dir):
    failures = 0
    cases = read_cases(os.path.join(vector_dir, "stateless_reset.vec"))
    for c in cases:
        h = lambda k: bytes.fromhex(c[k])
        key = h("cluster_key")
        ok = True
        if "cookie_secret" in c:
            ok = cookie_secret(key, h("bucket")) == h("cookie_secret")
        elif "datagram" in c:   # negative: not a reset for this session
            ok = not is_reset(h("datagram"), reset_token(key, h("server_sid")))
        else:
            token = reset_token(key, h("server_sid"))
            ok = token == h("reset_token")
            if "trigger" in c:
                reset = reset_for(token, h("trigger"), h("random"))
                ok = ok and reset == h("reset") and len(reset) < len(h("trigger")) and is_reset(reset, token)
        print(("ok   " if ok else "FAIL ") + c["case"])
        failures += not ok
    if len(cases) < 6:
        print("FAIL too few cases")
        failures += 1
    return 1 if failures else 0


HEADER = """\
# Stateless reset tokens, STATELESS_RESET datagrams and shared cookie secrets (docs/rfc-draft.txt,
# Section 10.5), recomputed from the draft by tests/vectors/tools/stateless_reset_vectors.py and
# checked against the library by tests/stateless_reset_test.cpp.
# reset_token = BLAKE2b-128(key = cluster_key, "udpvpn stateless reset" || server_sid).
# A reset answers `trigger` (a DATA datagram for an unknown session) with min(len - 1, 29) bytes:
# 0x14 | (random[0] & 0x08), random[1..], reset_token. cookie_secret = BLAKE2b-256(key =
# cluster_key, "udpvpn cookie secret" || bucket). Cases with expect = fail are datagrams a client
# holding the token of server_sid must not take for a reset.
"""


def generate(vector_dir):
    key = bytes(range(32))
    key2 = bytes(range(0x20, 0x40))
    out = [HEADER]

    def case(**f):
        out.append("".join("%s = %s\n" % (k.replace("_text_", "_text"), v if isinstance(v, str) else v.hex())
                           for k, v in f.items()))

    sid = bytes.fromhex("02a1b2c3")
    token = reset_token(key, sid)
    case(case="token-route-2", cluster_key=key, server_sid=sid, reset_token=token)
    case(case="token-route-1", cluster_key=key, server_sid=bytes.fromhex("01a1b2c3"),
         reset_token=reset_token(key, bytes.fromhex("01a1b2c3")))
    case(case="token-other-key", cluster_key=key2, server_sid=sid, reset_token=reset_token(key2, sid))
    # A KEEPALIVE (29 bytes) for 02a1b2c3 arriving at a server that does not know it: 28-byte reset.
    trig = bytes.fromhex("1402a1b2c3") + (7).to_bytes(8, "big") + bytes.fromhex("5a" * 16)
    rnd = bytes.fromhex("3b1f2e4d5c6b7a8998a7b6c5")
    case(case="reset-after-keepalive", cluster_key=key, server_sid=sid, reset_token=token, trigger=trig,
         random=rnd, reset=reset_for(token, trig, rnd))
    # A 120-byte IPv4 DATA packet: the reset is 29 bytes, the size of a KEEPALIVE.
    trig = bytes.fromhex("1002a1b2c3") + (1000).to_bytes(8, "big") + bytes(range(107))
    rnd = bytes.fromhex("cd00112233445566778899aabb")
    case(case="reset-after-data", cluster_key=key, server_sid=sid, reset_token=token, trigger=trig,
         random=rnd, reset=reset_for(token, trig, rnd))
    good = reset_for(token, trig, rnd)
    bad = bytearray(good)
    bad[-1] ^= 0x01
    case(case="not-a-reset-wrong-token", cluster_key=key, server_sid=sid, datagram=bytes(bad), expect="fail",
         reason_text="last bit of the token flipped")
    case(case="not-a-reset-too-long", cluster_key=key, server_sid=sid, datagram=bytes([0x14]) + bytes(13) + token,
         expect="fail", reason_text="30 bytes: longer than any reset")
    case(case="not-a-reset-type", cluster_key=key, server_sid=sid, datagram=bytes([0x05]) + bytes(12) + token,
         expect="fail", reason_text="first byte is not a DATA type")
    case(case="cookie-secret", cluster_key=key, bucket=(412345678).to_bytes(8, "big"),
         cookie_secret=cookie_secret(key, (412345678).to_bytes(8, "big")))
    case(case="cookie-secret-next-bucket", cluster_key=key, bucket=(412345679).to_bytes(8, "big"),
         cookie_secret=cookie_secret(key, (412345679).to_bytes(8, "big")))
    with open(os.path.join(vector_dir, "stateless_reset.vec"), "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "generate"):
        sys.exit(__doc__)
    if sys.argv[1] == "generate":
        generate(sys.argv[2])
        sys.exit(0)
    sys.exit(check(sys.argv[2]))
