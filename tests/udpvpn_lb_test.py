#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""tools/udpvpn-lb without root: the nftables rules it generates for live and dead servers, and
the arguments it refuses. (tests/e2e/load_balancer.sh loads them into a kernel.)"""
import importlib.machinery
import importlib.util
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tools", "udpvpn-lb")
loader = importlib.machinery.SourceFileLoader("udpvpn_lb", src)
spec = importlib.util.spec_from_loader("udpvpn_lb", loader)
lb = importlib.util.module_from_spec(spec)
loader.exec_module(lb)

failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    failures += not cond


def maps(rules):
    """(route byte map, jhash modulus, jhash map) parsed back from the rules."""
    route = dict(re.findall(r"(\d+) : ([\d.]+)", re.search(r"@th,72,8 map \{ ([^}]*) \}", rules).group(1)))
    m = re.search(r"jhash ip saddr \. udp sport mod (\d+) map \{ ([^}]*) \}", rules)
    spread = dict(re.findall(r"(\d+) : ([\d.]+)", m.group(2)))
    return {int(k): v for k, v in route.items()}, int(m.group(1)), {int(k): v for k, v in spread.items()}


servers = {1: "10.201.1.2", 2: "10.201.2.2", 3: "10.201.3.2"}
rules = lb.ruleset("10.199.0.1", 51820, servers, set())
route, mod, spread = maps(rules)
check(route == servers, "every route byte goes to its own server")
check(mod == 3 and sorted(spread.values()) == sorted(servers.values()), "INITIALs spread over the 3 servers")
check("ip daddr 10.199.0.1 udp dport 51820 notrack" in rules, "service address and port, no connection tracking")
check("@th,64,4 1 goto by_route" in rules and "@th,64,8 5 goto by_route" in rules,
      "DATA (0x10-0x1F) and HANDSHAKE (0x05) are routed by the route byte")
check("@th,64,8 { 1, 2 } goto by_source" in rules, "INITIAL and PAD by the source hash")
check("fib daddr type != local notrack ip saddr set 10.199.0.1" in rules,
      "answers leave with the service address (not the balancer's own probes)")
check(rules.startswith("table ip udpvpn_lb\ndelete table ip udpvpn_lb\n"), "replaces the table in one transaction")

rules = lb.ruleset("10.199.0.1", 51820, servers, {2})
route, mod, spread = maps(rules)
check(route[1] == servers[1] and route[3] == servers[3], "live servers keep their route bytes")
check(route[2] in (servers[1], servers[3]), "the dead server's route byte goes to a live server (which resets)")
check(mod == 2 and servers[2] not in spread.values(), "no INITIAL goes to the dead server")

rules = lb.ruleset("10.199.0.1", 51820, {7: "10.0.0.7", 9: "10.0.0.9"}, {9})
route, mod, spread = maps(rules)
check(route == {7: "10.0.0.7", 9: "10.0.0.7"} and mod == 1, "one live server takes every route byte")

try:
    lb.ruleset("10.199.0.1", 51820, servers, {1, 2, 3})
    check(False, "all servers dead is refused")
except SystemExit:
    check(True, "all servers dead is refused")

for bad in (["rules", "--vip", "10.199.0.1"],                                  # no server
            ["rules", "--vip", "10.199.0.1", "--server", "256=10.0.0.1"],      # route byte range
            ["rules", "--vip", "10.199.0.1", "--server", "1=10.0.0.1", "--server", "1=10.0.0.2"],
            ["rules", "--vip", "10.199.0.1", "--server", "1=host.example"],
            ["rules", "--vip", "10.199.0.1", "--server", "1=10.0.0.1", "--dead", "2"]):
    try:
        sys.stderr = open(os.devnull, "w")
        lb.parse_args(bad)
        ok = False
    except SystemExit:
        ok = True
    finally:
        sys.stderr = sys.__stderr__
    check(ok, "refused: " + " ".join(bad[1:]))

probe = lb.probe_datagram(3)
check(len(probe) == 29 and probe[0] == 0x14 and probe[1] == 3,
      "watch probes with a 29-byte KEEPALIVE-shaped DATA packet of the server's route byte")
sys.exit(1 if failures else 0)
