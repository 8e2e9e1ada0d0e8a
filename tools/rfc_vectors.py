#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prints Appendix A (test vectors) of docs/rfc-draft.txt from tests/vectors/*.vec.

The appendix is generated, never edited by hand: this script renders every .vec file (comments,
cases, fields) as RFC-style text of at most 72 columns, hex wrapped at 64 characters.  Runs of 48
or more zero bytes inside a hex value are shown as one line "(N zero bytes)" so that padded
datagrams stay readable; everything else is printed in full.

usage:
  rfc_vectors.py print  VECTOR_DIR                  the appendix on stdout
  rfc_vectors.py update VECTOR_DIR DRAFT            rewrite the appendix inside DRAFT
  rfc_vectors.py check  VECTOR_DIR DRAFT            exit 1 if DRAFT's appendix is out of date,
                                                    if a line exceeds 72 columns, or if the
                                                    Table of Contents and the headings differ
The appendix spans from the line "Appendix A.  Test Vectors" to the line before "Appendix B.".
"""
import os
import re
import sys
import textwrap

WIDTH = 72
HEX_CHARS = 64          # hex digits per line
ZERO_RUN_MIN = 48       # bytes: shorter zero runs are printed as hex
BEGIN = "Appendix A.  Test Vectors"
END_PREFIX = "Appendix B."

# Presentation order; any other .vec file follows in alphabetical order.
ORDER = [
    ("hkdf_sha256.vec", "HKDF-SHA-256"),
    ("key_schedule.vec", "Key Schedule"),
    ("aead.vec", "AEAD Nonce Construction"),
    ("data_packet.vec", "DATA Packets"),
    ("handshake.vec", "Whole Handshake"),
    ("control_channel.vec", "Control Channel Payloads"),
    ("config_push.vec", "CONFIG Message Bodies"),
    ("hdlc_framing.vec", "HDLC-like Framing (Informative)"),
    ("signature.vec", "CERTIFICATE_VERIFY Signatures"),
    ("stateless_reset.vec", "Stateless Reset and Shared Cookie Secrets"),
]

INTRO = """\
   This appendix is generated from the known-answer files
   tests/vectors/*.vec of the reference implementation by
   tools/rfc_vectors.py; a unit test fails when it is out of date.
   Each file is a list of cases separated by blank lines; each case
   is a list of "name = value" fields.  Values are lowercase hex
   unless the name ends in "_text" or the field is a small decimal
   number (counter, length, next_epoch, key_phase, payload_type,
   index, delivered, client_seed, server_seed).  Negative cases carry
   "expect = fail" and a "reason_text".  Lines starting with "#" in
   the files are comments and are reproduced as such.

   Long hex values are wrapped at 64 hex digits per line and must be
   read as one string with the line breaks removed.  A line of the
   form "(N zero bytes)" inside a hex value stands for N bytes of
   value 0x00 (2*N hex digits "0").  Appendix C decodes the handshake
   of Appendix A.5 field by field, with every intermediate secret.
"""


def natural_files(vector_dir):
    names = sorted(n for n in os.listdir(vector_dir) if n.endswith(".vec"))
    known = [(n, t) for n, t in ORDER if n in names]
    rest = [(n, n[:-4].replace("_", " ").title()) for n in names if n not in dict(ORDER)]
    return known + rest


def is_hex(v):
    return len(v) % 2 == 0 and all(c in "0123456789abcdef" for c in v)


def hex_segments(v):
    """Splits a hex string into ('hex', str) and ('zeros', n_bytes) segments."""
    segs, i, n = [], 0, len(v)
    buf = []
    while i < n:
        j = i
        while j + 1 < n and v[j] == "0" and v[j + 1] == "0":
            j += 2
        run = (j - i) // 2
        if run >= ZERO_RUN_MIN:
            if buf:
                segs.append(("hex", "".join(buf)))
                buf = []
            segs.append(("zeros", run))
            i = j
        else:
            step = max(j - i, 2)
            buf.append(v[i:i + step])
            i += step
    if buf:
        segs.append(("hex", "".join(buf)))
    return segs


def render_field(name, value, out):
    ind, ind2 = "   ", "      "
    one = f"{ind}{name} = {value}"
    text_field = name.endswith("_text") or not is_hex(value)
    if len(one) <= WIDTH and (text_field or len(value) <= HEX_CHARS):
        out.append(one.rstrip())
        return
    out.append(f"{ind}{name} =")
    if text_field:
        out.extend(textwrap.wrap(value, WIDTH, initial_indent=ind2, subsequent_indent=ind2,
                                 break_long_words=True, break_on_hyphens=False))
        return
    for kind, seg in hex_segments(value):
        if kind == "zeros":
            out.append(f"{ind2}({seg} zero bytes)")
        else:
            for k in range(0, len(seg), HEX_CHARS):
                out.append(ind2 + seg[k:k + HEX_CHARS])


NEW_ITEM = re.compile(r"^\S+\s*[=:]\s")


def comment_paragraphs(texts):
    """Joins the comment lines of one block into paragraphs: a line starts a new paragraph when
    the previous one ended a sentence or it begins with "name =" / "Word:"; indented lines continue."""
    paras = []
    for t in texts:
        indented = t.startswith(" ")
        t = t.strip()
        if not t:
            continue
        if paras and (indented or not (paras[-1].endswith(".") or NEW_ITEM.match(t))):
            paras[-1] += " " + t
        else:
            paras.append(t)
    return paras


def render_comments(texts, out):
    for para in comment_paragraphs(texts):
        out.extend(textwrap.wrap(para, WIDTH, initial_indent="   # ", subsequent_indent="   #   ",
                                 break_long_words=True, break_on_hyphens=False))


def render_file(path, out):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    prev_blank = True
    comments = []
    for raw in lines + [""]:
        line = raw.rstrip()
        if line.startswith("#"):
            if not line.startswith("# SPDX-License-Identifier"):
                comments.append(line[2:] if line.startswith("# ") else line[1:])
            continue
        if comments:
            render_comments(comments, out)
            comments = []
            prev_blank = False
        if not line:
            if not prev_blank:
                out.append("")
            prev_blank = True
            continue
        prev_blank = False
        name, sep, value = line.partition("=")
        if not sep:
            out.append("   " + line)
            continue
        render_field(name.strip(), value.strip(), out)
    while out and out[-1] == "":
        out.pop()


def appendix(vector_dir):
    out = [BEGIN, ""]
    out.extend(INTRO.rstrip("\n").split("\n"))
    for i, (name, title) in enumerate(natural_files(vector_dir), start=1):
        out.append("")
        out.append(f"A.{i}.  {title} ({name})")
        out.append("")
        render_file(os.path.join(vector_dir, name), out)
    out.append("")
    return out


def split_draft(lines):
    try:
        b = lines.index(BEGIN)
    except ValueError:
        sys.exit(f"no line '{BEGIN}' in the draft")
    e = next((i for i in range(b + 1, len(lines)) if lines[i].startswith(END_PREFIX)), None)
    if e is None:
        sys.exit(f"no line starting with '{END_PREFIX}' after the appendix")
    return b, e


HEADING = re.compile(r"^(\d+\.(\d+\.)*|Appendix [A-Z]\.)\s+\S")


def toc_problems(lines):
    """Compares the Table of Contents with the section headings (numbers and titles)."""
    if "Table of Contents" not in lines:
        return ["no 'Table of Contents'"]
    start = lines.index("Table of Contents") + 1
    body = next((i for i in range(start, len(lines)) if HEADING.match(lines[i])), len(lines))
    toc = [" ".join(l.split()) for l in lines[start:body] if l.strip()]
    heads = [" ".join(l.split()) for l in lines[body:] if HEADING.match(l) or l == "Authors' Addresses"]
    problems = [f"TOC '{a}' but heading '{b}'" for a, b in zip(toc, heads) if a != b]
    if len(toc) != len(heads):
        problems.append(f"{len(toc)} TOC entries but {len(heads)} headings")
    return problems


def main(argv):
    if len(argv) < 3 or argv[1] not in ("print", "update", "check"):
        sys.exit(__doc__)
    gen = appendix(argv[2])
    if argv[1] == "print":
        sys.stdout.write("\n".join(gen) + "\n")
        return 0
    if len(argv) < 4:
        sys.exit(__doc__)
    with open(argv[3], encoding="utf-8") as f:
        lines = f.read().split("\n")
    b, e = split_draft(lines)
    if argv[1] == "update":
        new = lines[:b] + gen + lines[e:]
        with open(argv[3], "w", encoding="utf-8") as f:
            f.write("\n".join(new))
        return 0
    status = 0
    if lines[b:e] != gen:
        cur = lines[b:e]
        first = next((i for i in range(min(len(cur), len(gen))) if cur[i] != gen[i]), min(len(cur), len(gen)))
        print(f"{argv[3]}: Appendix A is out of date with {argv[2]}/*.vec "
              f"(first difference at line {b + first + 1}); run: "
              f"tools/rfc_vectors.py update {argv[2]} {argv[3]}")
        status = 1
    for n, l in enumerate(lines, start=1):
        if len(l) > WIDTH:
            print(f"{argv[3]}:{n}: line longer than {WIDTH} columns")
            status = 1
        if "\t" in l:
            print(f"{argv[3]}:{n}: tab character")
            status = 1
    for p in toc_problems(lines):
        print(f"{argv[3]}: {p}")
        status = 1
    if status == 0:
        print(f"{argv[3]}: Appendix A matches {len(natural_files(argv[2]))} vector files")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
