# SPDX-License-Identifier: GPL-3.0-or-later
"""udpvpn-conformance: checks a udpvpn server (or client) against docs/rfc-draft.txt, one line per
requirement.  See udpvpn-conformance(1)."""
import argparse
import json
import sys
import threading
import time
import traceback

from . import registry
from .checks_base import Fail, NotTestable
from .sections import SECTIONS

PASS, FAIL, NT = "PASS", "FAIL", "NOT-TESTABLE"


def parse_args(argv):
    p = argparse.ArgumentParser(prog="udpvpn-conformance", description=__doc__.split("\n\n")[0])
    p.add_argument("--server", help="the server under test, HOST:PORT (default port 51820)")
    p.add_argument("--ca", help="the CA that signed the server's certificate (PEM or DER)")
    p.add_argument("--cert", help="a client certificate chain the server accepts (PEM, leaf first)")
    p.add_argument("--key", help="its private key (PEM or DER)")
    p.add_argument("--admission-key", help="the server's admission key file (32 bytes or 64 hex digits)")
    p.add_argument("--cert-dir", help="bad client credentials by name (see CERTIFICATE DIRECTORY)")
    p.add_argument("--only", help="comma-separated requirement IDs (or prefixes such as DOS-) to run")
    p.add_argument("--list", action="store_true", help="list the requirements and what checks them")
    p.add_argument("--json", metavar="FILE", help="write a JSON report to FILE ('-': standard output)")
    p.add_argument("--tap", action="store_true", help="print TAP (Test Anything Protocol) instead")
    p.add_argument("--bind", help="local address to send from (default: any)")
    p.add_argument("--other-address", help="a second local address for roaming and address checks "
                   "(default: the same address, another port)")
    p.add_argument("--spoof-net", help="A.B: send spoofed INITIALs from A.B-x.y.1 (raw socket, root)")
    p.add_argument("--revoke-command", help="shell command that revokes revoke-later.crt and makes "
                   "the server reload its CRL")
    p.add_argument("--long", action="store_true", help="also run checks that take minutes (KEY-1)")
    p.add_argument("--cookie-threshold", type=int, default=256)
    p.add_argument("--handshake-timeout", type=float, default=10.0)
    p.add_argument("--keepalive-interval", type=float, default=10.0)
    p.add_argument("--dead-peer-timeout", type=float, default=45.0)
    p.add_argument("--rekey-after-time", type=float, default=120.0)
    p.add_argument("--reject-after-time", type=float, default=180.0)
    # The other role: the suite is the server, and checks a client.
    p.add_argument("--client-command", help="client mode: shell command that starts the client under "
                   "test ({server} is replaced by the suite's address, {port} by its port)")
    p.add_argument("--listen", default="127.0.0.1:0", help="client mode: address to listen at")
    p.add_argument("--server-cert", help="client mode: the chain the suite presents (server name "
                   "as the client expects)")
    p.add_argument("--server-key", help="client mode: its private key")
    return p.parse_args(argv)


class Report:
    def __init__(self, tap):
        self.results, self.tap, self.lock = [], tap, threading.Lock()

    def add(self, entry, status, detail, seconds):
        r = {"id": entry.id, "section": SECTIONS.get(entry.id, "?"), "role": entry.role,
             "status": status, "detail": detail, "seconds": round(seconds, 2)}
        with self.lock:
            self.results.append(r)
            if sys.stderr.isatty():   # progress; the report itself comes in identifier order at the end
                print(f"{status:<12} {entry.id}", file=sys.stderr, flush=True)

    def counts(self):
        out = {PASS: 0, FAIL: 0, NT: 0}
        for r in self.results:
            out[r["status"]] += 1
        return out


def run_check(ctx, entry, report):
    start = time.monotonic()
    try:
        detail = entry.check(ctx)
        report.add(entry, PASS, f"{entry.summary}: {detail}", time.monotonic() - start)
    except NotTestable as e:
        report.add(entry, NT, str(e), time.monotonic() - start)
    except Fail as e:
        report.add(entry, FAIL, f"{entry.summary}: {e}", time.monotonic() - start)
    except Exception as e:
        report.add(entry, FAIL, f"{entry.summary}: the check stopped: {type(e).__name__}: {e}",
                   time.monotonic() - start)
        if ctx.args.tap:
            traceback.print_exc(file=sys.stderr)


def selected(entries, only):
    if not only:
        return entries
    want = [x.strip() for x in only.split(",") if x.strip()]
    unknown = [x for x in want if not x.endswith("-") and x not in registry.REGISTRY]
    if unknown:
        raise SystemExit(f"udpvpn-conformance: unknown requirement IDs: {', '.join(unknown)} (see --list)")
    return [e for e in entries if any(e.id == x or (x.endswith("-") and e.id.startswith(x)) for x in want)]


def order_key(rid):
    prefix, _, n = rid.partition("-")
    return prefix, int(n)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    reg = registry.load_all()
    if args.list:
        for rid in sorted(reg, key=order_key):
            for e in reg[rid]:
                what = f"{e.role}: {e.summary}" if e.check else f"NOT-TESTABLE: {e.reason}"
                print(f"{e.id:<8} {SECTIONS.get(e.id, '?'):<6} {what}")
        return 0
    role = "client" if args.client_command else "server"
    # One line per requirement: its check for this role, else why it is not tested here.
    entries = []
    for rid in sorted(reg, key=order_key):
        mine = [e for e in reg[rid] if e.role == role or e.check is None]
        entries.append(mine[0] if mine else reg[rid][0])
    if role == "server":
        missing = [o for o in ("server", "cert", "key") if not getattr(args, o)]
        if missing:
            print("udpvpn-conformance: needs " + ", ".join("--" + m for m in missing), file=sys.stderr)
            return 2
        from .context import Context
        ctx = Context(args)
    else:
        missing = [o for o in ("server_cert", "server_key") if not getattr(args, o)]
        if missing:
            print("udpvpn-conformance: client mode needs " + ", ".join("--" + m.replace("_", "-") for m in missing),
                  file=sys.stderr)
            return 2
        from .client_mode import ClientContext
        ctx = ClientContext(args)
    todo = selected(entries, args.only)
    report = Report(args.tap)
    started = time.monotonic()
    # Checks that mostly wait for the peer's timers run alongside the others.
    slow = [e for e in todo if e.check and e.role == role and e.slow]
    threads = [threading.Thread(target=run_check, args=(ctx, e, report), daemon=True) for e in slow]
    for t in threads:
        t.start()
    for e in todo:
        if not e.check:
            report.add(e, NT, e.reason, 0)
        elif e.role != role:
            other = "a client (run with --client-command)" if e.role == "client" else "a server (run with --server)"
            report.add(e, NT, f"checks {other}", 0)
        elif not e.slow:
            run_check(ctx, e, report)
    for t in threads:
        t.join()
    if hasattr(ctx, "close"):
        ctx.close()
    elapsed = time.monotonic() - started
    report.results.sort(key=lambda r: order_key(r["id"]))
    counts = report.counts()
    if args.tap:
        print(f"1..{len(report.results)}")
        for i, r in enumerate(report.results, 1):
            ok = "not ok" if r["status"] == FAIL else "ok"
            skip = f" # SKIP {r['detail']}" if r["status"] == NT else ""
            print(f"{ok} {i} - {r['id']} (section {r['section']}) {'' if skip else r['detail']}{skip}")
    else:
        for r in report.results:
            print(f"{r['status']:<12} {r['id']:<8} {r['section']:<6} {r['detail']}")
        print(f"# {len(report.results)} requirements: {counts[PASS]} passed, {counts[FAIL]} failed, "
              f"{counts[NT]} not testable, in {elapsed:.0f} s")
    if args.json:
        doc = {"mode": role, "peer": args.server if role == "server" else args.client_command,
               "seconds": round(elapsed, 1), "counts": counts, "results": report.results}
        if args.json == "-":
            json.dump(doc, sys.stdout, indent=1)
            print()
        else:
            with open(args.json, "w") as f:
                json.dump(doc, f, indent=1)
    return 1 if counts[FAIL] else 0
