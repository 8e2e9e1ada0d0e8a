#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The requirement identifiers of docs/rfc-draft.txt: every MUST, MUST NOT, SHOULD and SHOULD NOT
carries its own ID, e.g. [HS-9], after the key word and before the next key word of its paragraph
(Section 2.1 of the draft).

  rfc_requirements.py list DRAFT      one line per requirement: ID, section, the sentence
  rfc_requirements.py check DRAFT     exit 1 if a key word has no ID, an ID no key word, an ID is
                                      used twice, an ID is not covered by udpvpn-conformance
                                      (a check or a NOT-TESTABLE reason), or Appendix D differs
                                      from what `appendix` prints
  rfc_requirements.py appendix DRAFT  prints Appendix D (the requirements index)
  rfc_requirements.py sections DRAFT  prints tools/conformance/udpvpn_conformance/sections.py

Section 2.1 (which names the key words) and Appendix D (the index) are not scanned.
"""
import os
import re
import sys

KEYWORD_OR_ID = re.compile(r"\b(MUST NOT|MUST|SHOULD NOT|SHOULD)\b|\[([A-Z]+-[0-9]+)\]")
HEADING = re.compile(r"^(\d+(?:\.\d+)*)\.\s+\S|^Appendix ([A-Z])\.\s+\S")
SKIPPED_SECTIONS = ("2.1", "D")
APPENDIX = "Appendix D.  Requirements Index"
WIDTH = 72


class Requirement:
    def __init__(self, rid, section, keyword, text):
        self.id, self.section, self.keyword, self.text = rid, section, keyword, text


def _paragraphs(lines):
    """(section, first line number, text) of each paragraph of the body, after the TOC."""
    body = next(i for i, l in enumerate(lines) if l.startswith("1.  Introduction") and i > 60)
    section, start, buf = None, None, []
    for i in range(body, len(lines) + 1):
        line = lines[i] if i < len(lines) else ""
        m = HEADING.match(line)
        if m:
            section = m.group(1) or m.group(2)
            continue
        if line.strip():
            if not buf:
                start = i + 1
            buf.append(line.strip())
        elif buf:
            yield section, start, " ".join(buf)
            buf = []


def parse(path):
    """(requirements in order, problems)."""
    lines = open(path, encoding="utf-8").read().split("\n")
    reqs, problems, seen = [], [], {}
    for section, line_no, text in _paragraphs(lines):
        if section in SKIPPED_SECTIONS:
            continue
        pending = None   # (keyword, offset) waiting for its ID
        for m in KEYWORD_OR_ID.finditer(text):
            if m.group(1):
                if pending:
                    problems.append(f"line {line_no}ff (section {section}): {pending[0]} has no ID "
                                    f"before the next key word: ...{text[pending[1]:pending[1] + 60]}...")
                pending = (m.group(1), m.start())
                continue
            rid = m.group(2)
            if not pending:
                problems.append(f"line {line_no}ff (section {section}): [{rid}] follows no key word")
                continue
            if rid in seen:
                problems.append(f"[{rid}] used twice: sections {seen[rid]} and {section}")
            seen[rid] = section
            sentence_start = max(text.rfind(".  ", 0, pending[1]) + 1, 0)
            reqs.append(Requirement(rid, section, pending[0], text[sentence_start:m.end()].strip()))
            pending = None
        if pending:
            problems.append(f"line {line_no}ff (section {section}): {pending[0]} has no ID: "
                            f"...{text[pending[1]:pending[1] + 60]}...")
    return reqs, problems


def _suite():
    """The registry of udpvpn-conformance (tools/conformance), or None where it is not there."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conformance")
    if not os.path.isdir(os.path.join(here, "udpvpn_conformance")):
        return None
    sys.path.insert(0, here)
    from udpvpn_conformance import registry
    return registry.load_all()


def _wrap(text, width, indent):
    out, cur = [], ""
    for w in text.split(" "):
        if cur and len(cur) + 1 + len(w) > width:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    out.append(cur)
    return [indent + l for l in out]


def appendix(path):
    reqs, _ = parse(path)
    suite = _suite() or {}
    checks = {r.id: [e for e in suite.get(r.id, []) if e.check] for r in reqs}
    tested = [r for r in reqs if checks[r.id]]
    server = [r for r in tested if any(e.role == "server" for e in checks[r.id])]
    client = [r for r in tested if any(e.role == "client" for e in checks[r.id])]
    nt = [r for r in reqs if r.id in suite and not checks[r.id]]
    out = [APPENDIX, ""]
    intro = ("Every requirement of this document, in the order it appears, with the section that "
             "states it and how the conformance suite udpvpn-conformance(1) checks it: \"server\" "
             "marks a check of a server (the suite is the client), \"client\" a check of a client "
             "(the suite is the server), \"NT\" a requirement that cannot be tested from outside, "
             "with the reason.  tools/rfc_requirements.py prints this appendix from the draft and "
             "the suite's registry, and the rfc_requirements test fails when they differ.")
    out += _wrap(intro.replace(".  ", ".\0 "), WIDTH - 3, "   ")
    out.append("")
    counts = (f"Requirements: {len(reqs)}.  Tested: {len(tested)} ({len(server)} against a "
              f"server, {len(client)} against a client).  Passed: all, against udpvpn-server "
              f"and udpvpn-client (the meson test \"conformance\" fails otherwise).  Not "
              f"testable from outside: {len(nt)}.")
    out += _wrap(counts.replace(".  ", ".\0 "), WIDTH - 3, "   ")
    out.append("")
    rule = "     +----------+---------+" + "-" * 37 + "+"
    out += [rule, "     | ID       | Section | Check" + " " * 31 + "|", rule]
    for r in reqs:
        entries = suite.get(r.id, [])
        if not entries:
            desc = "(not in the suite)"
        elif checks[r.id]:
            desc = "; ".join(f"{e.role}: {e.summary}" for e in checks[r.id])
        else:
            desc = f"NT: {entries[0].reason}"
        cells = _wrap(desc, 35, "")
        for i, c in enumerate(cells):
            out.append(f"     | {r.id if i == 0 else '':<8} | {r.section if i == 0 else '':<7} | {c:<35} |")
    out += [rule, ""]
    return [l.replace("\0", " ").rstrip() for l in out]


def sections_module(path):
    reqs, _ = parse(path)
    out = ["# SPDX-License-Identifier: GPL-3.0-or-later",
           '"""The section of docs/rfc-draft.txt that states each requirement.  Generated by',
           '`tools/rfc_requirements.py sections docs/rfc-draft.txt`; the rfc_requirements test checks it."""',
           "SECTIONS = {"]
    out += [f'    "{r.id}": "{r.section}",' for r in reqs]
    out.append("}")
    return out


def _appendix_in_draft(lines):
    try:
        a = lines.index(APPENDIX)
    except ValueError:
        return None
    b = next((i for i in range(a + 1, len(lines)) if HEADING.match(lines[i]) or lines[i].startswith("Authors' ")),
             len(lines))
    return lines[a:b]


def main(argv):
    if len(argv) != 3 or argv[1] not in ("list", "check", "appendix", "sections"):
        print(__doc__, file=sys.stderr)
        return 2
    reqs, problems = parse(argv[2])
    if argv[1] == "list":
        for r in reqs:
            print(f"{r.id:<9} {r.section:<6} {r.text}")
        return 0
    if argv[1] == "appendix":
        print("\n".join(appendix(argv[2])))
        return 0
    if argv[1] == "sections":
        print("\n".join(sections_module(argv[2])))
        return 0
    suite = _suite()
    if suite is not None:
        ids = {r.id for r in reqs}
        for r in reqs:
            if r.id not in suite:
                problems.append(f"[{r.id}] (section {r.section}) is neither checked nor listed as "
                                f"NOT-TESTABLE by udpvpn-conformance (tools/conformance/udpvpn_conformance)")
        for rid in suite:
            if rid not in ids:
                problems.append(f"udpvpn-conformance covers [{rid}], which the draft does not state")
        lines = open(argv[2], encoding="utf-8").read().split("\n")
        have = _appendix_in_draft(lines)
        want = appendix(argv[2])
        if have is None:
            problems.append(f"no '{APPENDIX}' (print it with: tools/rfc_requirements.py appendix DRAFT)")
        elif [l.rstrip() for l in have] != [l.rstrip() for l in want]:
            problems.append("Appendix D is out of date: regenerate it with tools/rfc_requirements.py appendix DRAFT")
        sections = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conformance",
                                "udpvpn_conformance", "sections.py")
        if not os.path.exists(sections) or open(sections).read().rstrip("\n").split("\n") != sections_module(argv[2]):
            problems.append(f"{sections} is out of date: regenerate it with tools/rfc_requirements.py sections DRAFT")
    for p in problems:
        print(f"{argv[2]}: {p}")
    if problems:
        return 1
    print(f"{argv[2]}: {len(reqs)} requirements, each with its own ID"
          + (", each covered by udpvpn-conformance" if suite is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
