#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Interop: udpvpn-client.exe under wine against the native Linux udpvpn-server, on loopback.
(Given the Linux udpvpn-client instead of an .exe, the same checks run without wine: meson test
loopback_interop.)

Both ends run on the loopback test backend ([test_tunnel], apps/platform/tun_loopback.cpp): every
inner packet is a UDP datagram between the daemon and this script, which plays the IP stack of
the Windows machine on one side and of the server's host on the other. No driver, no root.

Shows: the handshake with certificates completes; inner packets of every size cross the tunnel
both ways unchanged and in full, before and after a rekey and a server restart; a packet with a source address the server did not assign is
dropped; Ctrl-C disconnects the client cleanly (the server sees it go); a revoked client
certificate is refused (server and client both say why); without wintun.dll the client says
what is missing; the client runs as a service started and stopped by the service manager.

Environment: UDPVPN_SERVER (Linux udpvpn-server), UDPVPN_CLIENT_EXE (udpvpn-client.exe),
UDPVPN_TEST_PKI (tests/pki), WINE (default /usr/lib/wine/wine64), WINEPREFIX as set up by
scripts/test-windows.sh. Exit 0 pass, 1 fail, 77 skip.
"""
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

SERVER = os.environ.get("UDPVPN_SERVER", "")
CLIENT_EXE = os.environ.get("UDPVPN_CLIENT_EXE", "")
PKI = os.environ.get("UDPVPN_TEST_PKI", "")
WINE = os.environ.get("WINE", "/usr/lib/wine/wine64")
WINDOWS = CLIENT_EXE.endswith(".exe")
CLIENT_NAME = "Windows client" if WINDOWS else "Linux client"

CLIENT_ADDR = "10.77.0.50"   # pinned for CN alice in the server's [clients.alice]
SERVER_ADDR = "10.77.0.1"    # the server's own address in its pool
PACKETS_EACH_WAY = 300
failures = []


def say(msg):
    print(f"[interop] {msg}", flush=True)


def check(ok, what):
    say(("PASS: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)
    return ok


def udp_socket(port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.1", port))
    return s


def free_port():
    with udp_socket() as s:
        return s.getsockname()[1]


def ip_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_udp(src, dst, payload, ident):
    """A well-formed IPv4/UDP packet (the server parses the IP header to route it)."""
    udp = struct.pack("!HHHH", 40000, 9, 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident & 0xFFFF, 0, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", ip_checksum(header)) + header[12:]
    return header + udp


def wait_log(path, pattern, timeout):
    deadline = time.time() + timeout
    rx = re.compile(pattern)
    while time.time() < deadline:
        try:
            with open(path, errors="replace") as f:
                m = rx.search(f.read())
            if m:
                return m
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    return None


def exchange(tx, tx_to, rx, src, dst, count, what):
    """Sends `count` packets of random sizes through the tunnel, a window at a time, and checks
    every one arrives unchanged. Returns the number delivered intact."""
    rng = random.Random(zlib.crc32(what.encode()))   # the same sizes on every run
    sent = {}
    delivered = 0
    corrupt = 0
    rx.settimeout(3.0)
    window = 16
    seq = 0
    while seq < count:
        batch = []
        for _ in range(min(window, count - seq)):
            size = rng.choice([0, 1, 64, 512, 1000, 1380, rng.randrange(0, 1380)])
            payload = struct.pack("!I", seq) + rng.randbytes(size)
            pkt = ipv4_udp(src, dst, payload, seq)
            sent[seq] = pkt
            tx.sendto(pkt, tx_to)
            batch.append(seq)
            seq += 1
        for _ in batch:
            try:
                data = rx.recv(65536)
            except socket.timeout:
                break
            n = struct.unpack("!I", data[28:32])[0] if len(data) >= 32 else -1
            if sent.get(n) == data:
                delivered += 1
                del sent[n]
            else:
                corrupt += 1
    check(delivered == count and corrupt == 0,
          f"{what}: {delivered}/{count} packets (32..1412 bytes) delivered intact, {corrupt} altered")
    return delivered


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def win_path(path):
    return "Z:" + path if WINDOWS else path   # wine maps the Unix root to drive Z:


def client_config(work, name, cert, key, server_port, c_listen, c_peer, test_tunnel=True):
    text = f"""[client]
server = "127.0.0.1:{server_port}"
server_name = "vpn.example.test"
log_level = "debug"
[pki]
ca = "{win_path(PKI)}/ca.crt"
cert = "{win_path(PKI)}/{cert}"
key = "{win_path(PKI)}/{key}"
[reconnect]
min_delay = "500ms"
max_delay = "2s"
[protocol]
ping_interval = "1s"
rekey_after_time = "10s"
"""
    if test_tunnel:
        text += f"""[test_tunnel]
listen = "127.0.0.1:{c_listen}"
peer = "127.0.0.1:{c_peer}"
"""
    path = os.path.join(work, name)
    write(path, text)
    return path


def start_client(config, log):
    # Its own process group: Ctrl-C is delivered to it alone.
    command = [WINE, CLIENT_EXE] if WINDOWS else [CLIENT_EXE]
    return subprocess.Popen(command + ["--config", win_path(config)], stdin=subprocess.DEVNULL,
                            stdout=open(log + ".out", "w"), stderr=open(log, "w"), start_new_session=True)


def stop(proc, sig=signal.SIGTERM, timeout=10):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return proc.wait()


def wine(*args, timeout=60):
    return subprocess.run([WINE, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          errors="replace", timeout=timeout)


def service_checks(work, server_port, server_log, s_listen, server_os):
    svc_dir = os.path.join(work, "service")
    os.mkdir(svc_dir)
    client_os = udp_socket()
    config = client_config(svc_dir, "client.toml", "client.crt", "client.key", server_port, free_port(),
                           client_os.getsockname()[1])
    c_listen = int(re.search(r'listen = "127\.0\.0\.1:(\d+)"', open(config).read()).group(1))
    log = os.path.join(svc_dir, "udpvpn-client.log")
    wine(CLIENT_EXE, "uninstall-service")   # a leftover of an interrupted run
    r = wine(CLIENT_EXE, "install-service", "--config", win_path(config))
    if not check(r.returncode == 0, "install-service registers udpvpn-client with the service manager"):
        say(r.stdout + r.stderr)
        return
    try:
        r = wine("net", "start", "udpvpn-client")
        check(r.returncode == 0 and wait_log(log, r"notice: connected to", 30) is not None,
              "the service starts (net start), connects, and logs to udpvpn-client.log beside its configuration")
        exchange(client_os, ("127.0.0.1", c_listen), server_os, "10.77.0.50", SERVER_ADDR, 50,
                 "as a service, Windows client -> Linux server")
        r = wine("net", "stop", "udpvpn-client")
        check(r.returncode == 0 and wait_log(log, r"service stop: disconnecting", 10) is not None and
              wait_log(log, r"stopped: routes, addresses and DNS settings undone", 10) is not None,
              "the service's stop control (net stop) disconnects cleanly and undoes its settings")
        check(len(re.findall(r"alice .*disconnected: .*client exiting", open(server_log).read())) >= 2,
              "the server logs the service's session ending")
    finally:
        r = wine(CLIENT_EXE, "uninstall-service")
        check(r.returncode == 0, "uninstall-service removes it")
        client_os.close()


def main():
    for var, val in (("UDPVPN_SERVER", SERVER), ("UDPVPN_CLIENT_EXE", CLIENT_EXE), ("UDPVPN_TEST_PKI", PKI)):
        if not val or not os.path.exists(val):
            say(f"SKIP: {var} not set or missing ({val!r})")
            return 77
    if WINDOWS and not os.access(WINE, os.X_OK):
        say(f"SKIP: no wine at {WINE}")
        return 77

    work = tempfile.mkdtemp(prefix="udpvpn-interop-")
    server_port = free_port()
    s_listen, c_listen = free_port(), free_port()
    server_os = udp_socket()      # the server host's IP stack, behind the server's test tunnel
    client_os = udp_socket()      # the Windows machine's IP stack, behind the client's test tunnel
    s_peer, c_peer = server_os.getsockname()[1], client_os.getsockname()[1]

    write(os.path.join(work, "server.toml"), f"""[server]
listen = "127.0.0.1:{server_port}"
log_level = "debug"
[pki]
ca = "{PKI}/ca.crt"
cert = "{PKI}/server.crt"
key = "{PKI}/server.key"
crl = "{PKI}/crl.pem"
[tunnel]
ipv4_pool = "10.77.0.0/24"
[clients.alice]
ipv4 = "{CLIENT_ADDR}"
[test_tunnel]
listen = "127.0.0.1:{s_listen}"
peer = "127.0.0.1:{s_peer}"
""")
    server_log = os.path.join(work, "server.log")
    def start_server():
        return subprocess.Popen([SERVER, "--config", os.path.join(work, "server.toml")], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=open(server_log, "a"), start_new_session=True)
    server = start_server()
    clients = []
    try:
        if not check(wait_log(server_log, r"listening on udp port", 10) is not None,
                     "native Linux udpvpn-server listening on the loopback test backend"):
            return 1

        # 1. Handshake with certificates, then packets both ways.
        log1 = os.path.join(work, "client-alice.log")
        clients.append(start_client(client_config(work, "alice.toml", "client.crt", "client.key", server_port,
                                                  c_listen, c_peer), log1))
        t0 = time.time()
        m = wait_log(log1, r"connected to .*: session [0-9a-f]+, (\S+)", 90)
        if not check(m is not None, f"{CLIENT_NAME} ({os.path.basename(CLIENT_EXE)}{' under wine' if WINDOWS else ''}) "
                                    "completes the handshake (server certificate "
                                    "vpn.example.test verified against the CA)"):
            return 1
        say(f"connected after {time.time() - t0:.1f} s (process start-up included), suite {m.group(1)}")
        check(wait_log(server_log, r"alice.*(established|connected)", 10) is not None,
              "the server authenticated the client certificate (CN alice)")
        check(wait_log(log1, r"configured loopback:127\.0\.0\.1:\d+: .*" + re.escape(CLIENT_ADDR), 10) is not None,
              f"the client received its pushed address {CLIENT_ADDR}")

        exchange(client_os, ("127.0.0.1", c_listen), server_os, CLIENT_ADDR, SERVER_ADDR, PACKETS_EACH_WAY,
                 f"{CLIENT_NAME} -> Linux server")
        exchange(server_os, ("127.0.0.1", s_listen), client_os, SERVER_ADDR, CLIENT_ADDR, PACKETS_EACH_WAY,
                 f"Linux server -> {CLIENT_NAME}")

        # Keys change under traffic (rekey_after_time = 10 s, the shortest allowed) and nothing is lost.
        check(wait_log(log1, r"rekeyed to epoch [1-9]", 20) is not None, "the session rekeys after 10 s")
        exchange(client_os, ("127.0.0.1", c_listen), server_os, CLIENT_ADDR, SERVER_ADDR, 100,
                 f"after the rekey, {CLIENT_NAME} -> Linux server")
        exchange(server_os, ("127.0.0.1", s_listen), client_os, SERVER_ADDR, CLIENT_ADDR, 100,
                 f"after the rekey, Linux server -> {CLIENT_NAME}")

        # The server restarts: the client notices, reconnects on its own, and traffic flows again.
        t_restart = time.time()
        stop(server)
        server = start_server()
        def accepted_by_new_server():
            text = open(server_log, errors="replace").read()
            return re.search(r"client alice connected", text[text.rfind("listening on udp port"):]) is not None
        deadline = time.time() + 30
        while time.time() < deadline and not accepted_by_new_server():
            time.sleep(0.2)
        t_back = time.time() - t_restart
        if check(accepted_by_new_server() and wait_log(log1, r"(?s)shutting down.*notice: connected to", 5),
                 f"after a server restart the client reconnects by itself ({t_back:.1f} s after SIGTERM)"):
            exchange(client_os, ("127.0.0.1", c_listen), server_os, CLIENT_ADDR, SERVER_ADDR, 50,
                     f"after the reconnect, {CLIENT_NAME} -> Linux server")
            exchange(server_os, ("127.0.0.1", s_listen), client_os, SERVER_ADDR, CLIENT_ADDR, 50,
                     f"after the reconnect, Linux server -> {CLIENT_NAME}")

        # 2. A source address the server did not assign never comes out on its side.
        client_os.sendto(ipv4_udp("10.77.0.99", SERVER_ADDR, b"spoofed", 1), ("127.0.0.1", c_listen))
        server_os.settimeout(1.0)
        try:
            data = server_os.recv(65536)
            leaked = b"spoofed" in data
        except socket.timeout:
            leaked = False
        check(not leaked, "a packet from an unassigned source address is dropped by the server")

        # SIGHUP (POSIX only: Windows has no reload signal) re-reads the client's configuration:
        # a CA that did not issue the server's certificate ends the running session; the right
        # CA back, and the client reconnects.
        if not WINDOWS:
            alice_toml = os.path.join(work, "alice.toml")
            good = open(alice_toml).read()
            write(alice_toml, good.replace(f"{PKI}/ca.crt", f"{PKI}/other_ca.crt"))
            os.killpg(clients[0].pid, signal.SIGHUP)
            check(wait_log(log1, r"disconnected from .*unknown CA", 10) is not None,
                  "SIGHUP with a CA that did not issue the server certificate ends the session (unknown CA)")
            write(alice_toml, good)
            before = len(re.findall(r"notice: connected to", open(log1).read()))
            os.killpg(clients[0].pid, signal.SIGHUP)
            deadline = time.time() + 15
            while time.time() < deadline and len(re.findall(r"notice: connected to", open(log1).read())) <= before:
                time.sleep(0.2)
            check(len(re.findall(r"notice: connected to", open(log1).read())) > before,
                  "SIGHUP with the right CA again: the client reconnects")

        # 3. Ctrl-C: the client disconnects and the server sees the session end.
        stop(clients[0], signal.SIGINT, timeout=20)
        check(wait_log(log1, r"(Ctrl-C|SIGINT).*disconnecting", 5) is not None and
              wait_log(server_log, r"alice.*(closed|disconnected)", 10) is not None,
              "Ctrl-C (SIGINT) disconnects the client and the server logs the session's end")

        # 4. A revoked certificate (CN eve, in crl.pem) is refused, and both sides say why.
        log2 = os.path.join(work, "client-eve.log")
        clients.append(start_client(client_config(work, "eve.toml", "client_revoked.crt", "client_revoked.key",
                                                  server_port, free_port(), free_port()), log2))
        check(wait_log(server_log, r"refused client.*certificate revoked", 90) is not None,
              "the server refuses the revoked client certificate (log: certificate revoked)")
        check(wait_log(log2, r"cannot connect to .*certificate revoked", 20) is not None,
              "the revoked client is told why it cannot connect (certificate revoked)")
        # Refused clients back off (1-RTT: the refusal comes after the client's keys were ready).
        delays = []
        deadline = time.time() + 20
        while len(delays) < 3 and time.time() < deadline:
            time.sleep(0.2)
            with open(log2, errors="replace") as f:
                delays = [float(x) for x in re.findall(r"reconnecting to .* in ([0-9.]+) s", f.read())]
        check(len(delays) >= 3 and delays[2] > delays[0] * 2.5,
              f"the refused client backs off instead of retrying at once (delays {delays[:3]} s)")
        with open(log2, errors="replace") as f:
            check(re.search(r"notice: connected to", f.read()) is None, "the revoked client is never reported connected")
        stop(clients[1])

        # 5. The real tunnel device without wintun.dll beside the exe: a clear message, exit 1.
        if WINDOWS:
            log3 = os.path.join(work, "client-nowintun.log")
            p = start_client(client_config(work, "nowintun.toml", "client.crt", "client.key", server_port, 0, 0,
                                           test_tunnel=False), log3)
            clients.append(p)
            try:
                rc = p.wait(90)
            except subprocess.TimeoutExpired:
                rc = None
            check(rc == 1 and wait_log(log3, r"wintun\.dll", 1) is not None,
                  "without wintun.dll the client exits 1 naming the missing file")
        # 6. The same client as a Windows service, started and stopped by (wine's) Service Control
        # Manager: it connects, carries packets, logs to udpvpn-client.log beside its
        # configuration, and disconnects cleanly on the service's stop control.
        if WINDOWS:
            service_checks(work, server_port, server_log, s_listen, server_os)
    finally:
        for p in clients:
            stop(p)
        stop(server)
        if failures:
            for name in sorted(os.listdir(work)):
                if name.endswith(".log"):
                    say(f"--- {name} (last 40 lines)")
                    with open(os.path.join(work, name), errors="replace") as f:
                        for line in f.readlines()[-40:]:
                            print("    " + line.rstrip())
    if failures:
        say(f"FAIL ({len(failures)} failed checks; logs in {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    say("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
