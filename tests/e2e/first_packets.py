#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's first inner packets, sent with its last handshake flight, reach the server's
tunnel in every session (issue 10, finding 8), over real UDP against the real udpvpn-server.

The server runs on the loopback test backend ([test_tunnel], apps/platform/tun_loopback.cpp): what
it delivers to its "device" is a UDP datagram to first-packets-client, which also plays 100
clients one after the other (tests/e2e/first_packets_client.cpp). No root, no namespaces.
Afterwards the status socket must show the one spoofed inner packet the client sent under
inner_drops.from_clients.source_address, and no other inner packet dropped; udpvpnctl shows it.

Environment: UDPVPN_SERVER, FIRST_PACKETS_CLIENT, UDPVPN_TEST_PKI, UDPVPNCTL (optional),
FIRST_PACKETS_COUNT (default 100). Exit 0 pass, 1 fail, 77 skip.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SERVER = os.environ.get("UDPVPN_SERVER", "")
CLIENT = os.environ.get("FIRST_PACKETS_CLIENT", "")
PKI = os.environ.get("UDPVPN_TEST_PKI", "")
CTL = os.environ.get("UDPVPNCTL", "")
COUNT = int(os.environ.get("FIRST_PACKETS_COUNT", "100"))
failures = []


def check(ok, what):
    print(("ok   - " if ok else "FAIL - ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_log(path, pattern, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and re.search(pattern, open(path, errors="replace").read()):
            return True
        time.sleep(0.05)
    return False


def status(sock_path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(sock_path)
        s.sendall(b'{"command":"status"}\n')
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def main():
    for var, val in (("UDPVPN_SERVER", SERVER), ("FIRST_PACKETS_CLIENT", CLIENT), ("UDPVPN_TEST_PKI", PKI)):
        if not val or not os.path.exists(val):
            print(f"SKIP: {var} not set or missing ({val!r})")
            return 77
    work = tempfile.mkdtemp(prefix="udpvpn-first-packets-")
    server_port, tunnel_listen, tunnel_peer = free_port(), free_port(), free_port()
    sock_path = os.path.join(work, "server.sock")
    with open(os.path.join(work, "server.toml"), "w") as f:
        f.write(f"""[server]
listen = "127.0.0.1:{server_port}"
log_level = "info"
[pki]
ca = "{PKI}/ca.crt"
cert = "{PKI}/server.crt"
key = "{PKI}/server.key"
[tunnel]
ipv4_pool = "10.77.0.0/24"
[clients.alice]
ipv4 = "10.77.0.50"
[status]
socket = "{sock_path}"
[test_tunnel]
listen = "127.0.0.1:{tunnel_listen}"
peer = "127.0.0.1:{tunnel_peer}"
""")
    log = os.path.join(work, "server.log")
    server = subprocess.Popen([SERVER, "--config", os.path.join(work, "server.toml")], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=open(log, "w"), start_new_session=True)
    try:
        if not check(wait_log(log, r"listening on udp port", 10), "udpvpn-server listening on loopback"):
            return 1
        started = time.time()
        run = subprocess.run([CLIENT, str(server_port), str(tunnel_peer), PKI, str(COUNT)],
                             capture_output=True, text=True, timeout=240)
        print(run.stdout, end="")
        print(run.stderr, end="", file=sys.stderr)
        check(run.returncode == 0,
              f"the first inner packets, sent with the last handshake flight, arrived in {COUNT} of {COUNT} "
              f"sessions ({time.time() - started:.1f} s)")
        reply = status(sock_path)
        drops = reply.get("inner_drops", {})
        from_clients = drops.get("from_clients", {})
        check(from_clients.get("source_address") == 1,
              f"the spoofed inner packet is counted under source_address ({from_clients.get('source_address')})")
        others = {f"{d}.{k}": v for d, reasons in drops.items() for k, v in reasons.items()
                  if v and not (d == "from_clients" and k == "source_address")}
        check(not others, f"no other inner packet dropped ({others or 'none'})")
        if CTL and os.path.exists(CTL):
            ctl = subprocess.run([CTL, "status", "--socket", sock_path], capture_output=True, text=True, timeout=10)
            check(ctl.returncode == 0 and "from_clients.source_address 1" in ctl.stdout,
                  "udpvpnctl status shows the drop by reason")
        closed = len(re.findall(r"disconnected: closed by the peer", open(log, errors="replace").read()))
        check(closed == COUNT, f"every session ended with the client's DISCONNECT ({closed})")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        if failures:
            print("----- server.log (last 30 lines)")
            print("".join(open(log, errors="replace").readlines()[-30:]))
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
