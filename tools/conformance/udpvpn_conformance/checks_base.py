# SPDX-License-Identifier: GPL-3.0-or-later
"""What a check may raise, and helpers every area shares."""
import time

from . import client as c
from . import wire as w


class Fail(Exception):
    """The implementation under test contradicts the requirement."""


class NotTestable(Exception):
    """This run cannot check the requirement (an option missing, a property of the setup)."""


class Unexpected(Fail):
    """Something a correct implementation does failed, so the requirement cannot be reached."""


def expect_close(result, codes, what):
    """Passes if the attempt ended with a CLOSE of one of codes and no session."""
    if result.established:
        raise Fail(f"{what}: the server established the session")
    if not result.close:
        raise Fail(f"{what}: no CLOSE ({result.describe()})")
    if result.close[0] not in codes:
        names = " or ".join(f"{x} ({w.CLOSE_NAMES[x]})" for x in codes)
        raise Fail(f"{what}: CLOSE {result.close[0]} ({w.CLOSE_NAMES.get(result.close[0], '?')}), "
                   f"expected {names}")
    return f"{what}: CLOSE {result.close[0]} ({w.CLOSE_NAMES[result.close[0]]})"


def still_serves(ctx, what="afterwards"):
    """Raises Fail unless a fresh, correct handshake completes (the server did not crash)."""
    for attempt in range(2):
        r = c.Handshake(ctx).run(4.0)
        if r.established:
            return
        time.sleep(0.5)
    raise Fail(f"{what}, a correct handshake no longer completes: {r.describe()}")


def silence(sock, seconds, ignore=lambda dg: False):
    """The datagrams received on sock within seconds (none expected)."""
    got = []
    end = time.monotonic() + seconds
    while True:
        x = c.receive(sock, end - time.monotonic())
        if x is None:
            return got
        if not ignore(x[0]):
            got.append(x[0])
