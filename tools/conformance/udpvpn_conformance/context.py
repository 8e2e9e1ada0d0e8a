# SPDX-License-Identifier: GPL-3.0-or-later
"""What every check gets: the peer under test, our credentials and the setup's options."""
import socket

from . import pki


def parse_address(text, default_port=51820):
    """host:port, [v6]:port or host; (host, port, family)."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else default_port
    elif text.count(":") == 1:
        host, port = text.split(":")
        port = int(port)
    else:
        host, port = text, default_port
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return (host, port), fam


class Context:
    def __init__(self, args):
        self.args = args
        self.server, self.family = parse_address(args.server) if args.server else (None, socket.AF_INET)
        self.bind_ip = args.bind or ("::" if self.family == socket.AF_INET6 else "0.0.0.0")
        self.other_ip = args.other_address
        self.chain = pki.load_chain(args.cert) if args.cert else None
        self.key = pki.load_key(args.key) if args.key else None
        self.admission_key = load_admission_key(args.admission_key) if args.admission_key else None
        self.certs = pki.CertDir(args.cert_dir, (self.chain, self.key) if self.chain else None)
        self.spoof_net = args.spoof_net
        self.revoke_command = args.revoke_command
        self.revocation = None
        self.long = args.long
        self.cookie_threshold = args.cookie_threshold
        self.handshake_timeout = args.handshake_timeout
        self.keepalive_interval = args.keepalive_interval
        self.dead_peer_timeout = args.dead_peer_timeout
        self.rekey_after_time = args.rekey_after_time
        self.reject_after_time = args.reject_after_time


def load_admission_key(path):
    """32 raw bytes or 64 hex digits (udpvpn-server's admission_key file format)."""
    data = open(path, "rb").read()
    text = data.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text.decode())
        except ValueError:
            pass
    if len(data) == 32:
        return data
    raise ValueError(f"{path}: not 32 bytes or 64 hex digits")
