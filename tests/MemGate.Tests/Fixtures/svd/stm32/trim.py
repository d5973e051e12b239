#!/usr/bin/env python3
"""Cuts an ST SVD down to the peripherals MemGate models (text kept verbatim, nothing reformatted).
Usage: trim.py SOURCE.svd OUT.svd NAME... ; see README.md for the source and the names used."""
import re
import sys

source, out, names = sys.argv[1], sys.argv[2], set(sys.argv[3:])
text = open(source, encoding="utf-8", errors="surrogateescape").read()
head, rest = text.split("<peripherals>", 1)
body, tail = rest.rsplit("</peripherals>", 1)
kept = []
for m in re.finditer(r"[ \t]*<peripheral\b.*?</peripheral>\n", body, re.S):
    name = re.search(r"<name>([^<]+)</name>", m.group(0)).group(1).strip()
    if name in names:
        kept.append(m.group(0))
        names.discard(name)
if names:
    sys.exit(f"not found: {', '.join(sorted(names))}")
with open(out, "w", encoding="utf-8", errors="surrogateescape") as f:
    f.write(head + "<peripherals>\n" + "".join(kept) + "  </peripherals>" + tail)
