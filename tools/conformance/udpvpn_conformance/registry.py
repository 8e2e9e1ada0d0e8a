# SPDX-License-Identifier: GPL-3.0-or-later
"""Which requirement of docs/rfc-draft.txt each check covers, and why the others are not testable.

Every requirement ID of the draft is here: one check per role it applies to (a function of the
suite's Context; "server": the suite is a client checking a server, "client": the other way round),
or one NOT-TESTABLE reason.  tools/rfc_requirements.py fails when one is missing."""
import importlib


class Entry:
    def __init__(self, rid, role, summary=None, check=None, reason=None, slow=False):
        self.id, self.role, self.summary, self.check, self.reason, self.slow = rid, role, summary, check, reason, slow


REGISTRY = {}      # ID -> [Entry], one per role
MODULES = ("checks_wire", "checks_handshake", "checks_dos", "checks_data", "checks_session",
           "checks_cert", "checks_client", "not_testable")


def _add(entry):
    have = REGISTRY.setdefault(entry.id, [])
    if any(e.role == entry.role for e in have) or (have and (entry.check is None) != (have[0].check is None)):
        raise RuntimeError(f"[{entry.id}] registered twice for role {entry.role}")
    have.append(entry)


def check(rid, role, summary, slow=False):
    """Registers fn(ctx) as the check of requirement rid for a role: "server" (the suite is a client
    checking a server) or "client" (the suite is a server checking a client).  slow: it mostly
    waits for timers and runs alongside the others."""
    def register(fn):
        _add(Entry(rid, role, summary, fn, slow=slow))
        return fn
    return register


def not_testable(rid, reason):
    _add(Entry(rid, None, reason=reason))


def load_all():
    for m in MODULES:
        importlib.import_module(f"{__package__}.{m}")
    return REGISTRY
