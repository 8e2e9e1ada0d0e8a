# SPDX-License-Identifier: GPL-3.0-or-later
"""The udpvpn wire format and key schedule as docs/rfc-draft.txt states them, sharing no code with
libudpvpn: sections 6 (keys), 7 (handshake packets and frames), 8 (messages), 11 (DATA packets)
and 13 (control frames).  Every encoder takes its fields as arguments, so a caller can build what a
correct implementation never would.  Grown from tests/blackbox/udpvpn_draft.py."""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

# Packet types (section 3.1).
INITIAL, PAD, RETRY, SERVER_HELLO, HANDSHAKE = 1, 2, 3, 4, 5
VERSION = 1
DEFAULT_DATAGRAM = 1232
MIN_INITIAL = 1200
MAX_HANDSHAKE_DATAGRAM = 1452
SUITE_NONE, SUITE_CHACHA, SUITE_AES = 0, 1, 2
EXT_FLIGHT_SIZE_HINT, EXT_INNER_PROTOCOLS = 0x0001, 0x0002
FRAME_PADDING, FRAME_FRAG, FRAME_ACK, FRAME_CLOSE = 0, 1, 2, 3
MSG_EE, MSG_CERTIFICATE, MSG_CV, MSG_FINISHED = 0x08, 0x0B, 0x0F, 0x14
STREAM_BOUND = 32768

# DATA payload types (section 11.2) and control frames and messages (section 13).
PT_IPV4, PT_IPV6, PT_PPP, PT_CONTROL, PT_KEEPALIVE = 0, 1, 2, 3, 4
CF_MSG, CF_ACK, CF_PROBE, CF_PROBE_ACK, CF_PATH_CHALLENGE, CF_PATH_RESPONSE = 1, 2, 3, 4, 5, 6
M_CONFIG, M_PING, M_PONG, M_DISCONNECT, M_REKEY_INIT, M_REKEY_RESP = 1, 2, 3, 4, 5, 6
DATA_OVERHEAD = 29

# Close reasons (section 18).
CLOSE_NAMES = {0: "normal", 1: "peer request", 2: "timeout", 3: "handshake timeout",
               4: "certificate rejected", 5: "bad signature", 6: "bad finished",
               7: "unsupported extension", 8: "no common suite", 9: "revoked", 10: "key exhausted",
               11: "protocol violation", 12: "admin", 13: "internal"}


# --- Section 6: key schedule --------------------------------------------------------------------

def extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def expand(prk, info, length):
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def label(secret, lab, ctx, length=32):
    full = b"udpvpn " + lab.encode()
    return expand(secret, struct.pack(">H", length) + bytes([len(full)]) + full + bytes([len(ctx)]) + ctx, length)


def traffic_keys(secret):
    return label(secret, "key", b"", 32), label(secret, "iv", b"", 12)


def nonce(iv, counter):
    return bytes(a ^ b for a, b in zip(iv, b"\0" * 4 + struct.pack(">Q", counter)))


def admission_mac(key, data):
    """Section 10.1: BLAKE2b-128 keyed with the admission key (or 32 zero bytes)."""
    return hashlib.blake2b(data, digest_size=16, key=key or b"\0" * 32).digest()


def early_secret(admission_key):
    return extract(b"udpvpn v1 early", admission_key or b"\0" * 32)


# --- Section 7: packets ---------------------------------------------------------------------------

def client_hello(sid, random, eph_pub, suites, extensions, version=VERSION):
    return (bytes([INITIAL]) + struct.pack(">H", version) + sid + random + eph_pub + bytes([len(suites) & 0xFF])
            + b"".join(struct.pack(">H", s) for s in suites) + struct.pack(">H", len(extensions)) + extensions)


def initial(hello, cookie, size, admission_key, padding_byte=0):
    body = hello + bytes([len(cookie)]) + cookie
    body += bytes([padding_byte]) * max(0, size - 16 - len(body))
    return body + admission_mac(admission_key, body)


def pad(sid, eph_pub, size, admission_key, padding_byte=0):
    body = bytes([PAD]) + sid + eph_pub
    body += bytes([padding_byte]) * (size - 16 - len(body))
    return body + admission_mac(admission_key, body)


def extension(code, value, critical=False):
    return struct.pack(">HH", code | (0x8000 if critical else 0), len(value)) + value


def seal_handshake(secret, dst_sid, pn, plaintext):
    k, iv = traffic_keys(secret)
    header = bytes([HANDSHAKE]) + dst_sid + struct.pack(">I", pn)
    return header + ChaCha20Poly1305(k).encrypt(nonce(iv, pn), plaintext, header)


def open_handshake(dg, secret):
    """(packet number, plaintext); raises cryptography's InvalidTag when the tag does not verify."""
    k, iv = traffic_keys(secret)
    pn = struct.unpack(">I", dg[5:9])[0]
    return pn, ChaCha20Poly1305(k).decrypt(nonce(iv, pn), dg[9:], dg[:9])


def frag_frame(offset, data):
    return bytes([FRAME_FRAG]) + struct.pack(">IH", offset, len(data)) + data


def ack_frame(ranges):
    return bytes([FRAME_ACK, len(ranges)]) + b"".join(struct.pack(">II", a, b) for a, b in ranges)


def close_frame(code, text=b""):
    return bytes([FRAME_CLOSE]) + struct.pack(">HH", code, len(text)) + text


def parse_frames(pt):
    """Section 7.6: the frames of a HANDSHAKE plaintext; ValueError when malformed."""
    i, out = 0, []
    if not pt:
        raise ValueError("empty plaintext")
    while i < len(pt):
        t = pt[i]
        if t == FRAME_PADDING:
            if any(pt[i:]):
                raise ValueError("non-zero PADDING")
            out.append(("PADDING", len(pt) - i))
            break
        if t == FRAME_FRAG:
            if i + 7 > len(pt):
                raise ValueError("truncated FRAG")
            off, ln = struct.unpack(">IH", pt[i + 1:i + 7])
            if i + 7 + ln > len(pt):
                raise ValueError("truncated FRAG data")
            out.append(("FRAG", off, pt[i + 7:i + 7 + ln]))
            i += 7 + ln
        elif t == FRAME_ACK:
            if i + 2 > len(pt):
                raise ValueError("truncated ACK")
            n = pt[i + 1]
            if i + 2 + 8 * n > len(pt):
                raise ValueError("truncated ACK ranges")
            out.append(("ACK", [struct.unpack(">II", pt[i + 2 + 8 * j:i + 10 + 8 * j]) for j in range(n)]))
            i += 2 + 8 * n
        elif t == FRAME_CLOSE:
            if i + 5 > len(pt):
                raise ValueError("truncated CLOSE")
            code, ln = struct.unpack(">HH", pt[i + 1:i + 5])
            out.append(("CLOSE", code, pt[i + 5:i + 5 + ln]))
            i += 5 + ln
        else:
            raise ValueError(f"unknown frame type {t}")
    return out


def message(msg_type, body):
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + body


def parse_messages(stream):
    """Section 8.1: [(type, whole message, body)] of the complete messages at the stream's start."""
    i, out = 0, []
    while i + 4 <= len(stream):
        ln = int.from_bytes(stream[i + 1:i + 4], "big")
        if i + 4 + ln > len(stream):
            break
        out.append((stream[i], stream[i:i + 4 + ln], stream[i + 4:i + 4 + ln]))
        i += 4 + ln
    return out


def parse_extensions(body):
    i, out = 0, {}
    while i + 4 <= len(body):
        t, ln = struct.unpack(">HH", body[i:i + 4])
        out[t & 0x7FFF] = body[i + 4:i + 4 + ln]
        i += 4 + ln
    return out


def certificate_message(chain_der, trailing=b""):
    body = bytes([len(chain_der)]) + b"".join(len(c).to_bytes(3, "big") + c for c in chain_der) + trailing
    return message(MSG_CERTIFICATE, body)


def parse_certificate(body):
    n, i, out = body[0], 1, []
    for _ in range(n):
        ln = int.from_bytes(body[i:i + 3], "big")
        out.append(body[i + 3:i + 3 + ln])
        i += 3 + ln
    return out


def cv_content(role, transcript_hash):
    return b"\x20" * 64 + f"udpvpn v1 {role} CertificateVerify".encode() + b"\0" + transcript_hash


def finished_mac(secret, transcript_hash):
    return hmac.new(label(secret, "finished", b"", 32), transcript_hash, hashlib.sha256).digest()


# --- Section 11: DATA packets ---------------------------------------------------------------------

def aead(suite, key):
    return AESGCM(key) if suite == SUITE_AES else ChaCha20Poly1305(key)


def data_type(phase, pt):
    return 0x10 | ((phase & 1) << 3) | pt


def seal_data(suite, secret, dst_sid, counter, phase, pt, plaintext, type_byte=None):
    k, iv = traffic_keys(secret)
    header = bytes([data_type(phase, pt) if type_byte is None else type_byte]) + dst_sid + struct.pack(">Q", counter)
    return header + aead(suite, k).encrypt(nonce(iv, counter), plaintext, header)


def open_data(suite, secret, dg):
    k, iv = traffic_keys(secret)
    counter = struct.unpack(">Q", dg[5:13])[0]
    return counter, aead(suite, k).decrypt(nonce(iv, counter), dg[13:], dg[:13])


# --- Section 13: control frames -------------------------------------------------------------------

def cf_msg(seq, msg_type, body):
    return bytes([CF_MSG]) + struct.pack(">IBH", seq & 0xFFFFFFFF, msg_type, len(body)) + body


def cf_ack(cum, sack=0):
    return bytes([CF_ACK]) + struct.pack(">II", cum & 0xFFFFFFFF, sack)


def cf_probe(probe_id, datagram_size):
    return bytes([CF_PROBE]) + struct.pack(">I", probe_id) + b"\0" * (datagram_size - DATA_OVERHEAD - 5)


def cf_path(frame_type, token):
    return bytes([frame_type]) + token


def parse_control(pt):
    """Section 13.1: the control frames of a CONTROL plaintext; ValueError when malformed."""
    i, out = 0, []
    if not pt:
        raise ValueError("empty CONTROL payload")
    while i < len(pt):
        t = pt[i]
        if t == CF_MSG:
            seq, mt, ln = struct.unpack(">IBH", pt[i + 1:i + 8])
            out.append(("MSG", seq, mt, pt[i + 8:i + 8 + ln]))
            i += 8 + ln
        elif t == CF_ACK:
            out.append(("ACK",) + struct.unpack(">II", pt[i + 1:i + 9]))
            i += 9
        elif t == CF_PROBE:
            out.append(("PROBE", struct.unpack(">I", pt[i + 1:i + 5])[0], len(pt) + DATA_OVERHEAD))
            break
        elif t == CF_PROBE_ACK:
            out.append(("PROBE_ACK",) + struct.unpack(">IH", pt[i + 1:i + 7]))
            i += 7
        elif t in (CF_PATH_CHALLENGE, CF_PATH_RESPONSE):
            out.append(("PATH_CHALLENGE" if t == CF_PATH_CHALLENGE else "PATH_RESPONSE", pt[i + 1:i + 9]))
            i += 9
        else:
            raise ValueError(f"unknown control frame {t}")
    return out


def disconnect_body(code, text=b""):
    return struct.pack(">HH", code, len(text)) + text


def rekey_body(epoch, pub):
    return struct.pack(">I", epoch) + pub
