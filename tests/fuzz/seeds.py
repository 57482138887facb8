#!/usr/bin/env python3
"""seeds.py - starting corpora for the libFuzzer targets, from the docs.

Usage: seeds.py DOCS/protocol.md OUTDIR

Every example line of docs/protocol.md (a JSON text after "→ ", "← " or
alone on a line) becomes a seed, shaped for each target under
OUTDIR/<target>/: the line itself for json, json-write and rpc; for
frame, a header byte (line limit and feeding mode) and the lines as a
stream; for params, the params object behind a header choosing the fixed
spec. Lines with "..." (elided examples) are skipped. The files are named
after their content, so running it again changes nothing.
"""
import hashlib
import json
import os
import sys


def examples(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            for arrow in ("→ ", "← "):
                if line.startswith(arrow):
                    line = line[len(arrow):]
            if not line.startswith(("{", "[")) or "..." in line:
                continue
            try:
                json.loads(line)
            except ValueError:
                continue
            out.append(line.encode())
    return out


def put(outdir, target, data):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    lines = examples(sys.argv[1])
    if not lines:
        sys.exit("seeds.py: no example lines in " + sys.argv[1])
    for line in lines:
        for target in ("json", "json-write", "rpc"):
            put(sys.argv[2], target, line)
        params = json.loads(line).get("params")
        if isinstance(params, dict):
            # No spec rows (the fixed spec), a 512-byte message buffer.
            put(sys.argv[2], "params",
                b"\x00\x09" + json.dumps(params).encode())
    # All lines as one stream, with LF and CRLF, each feeding mode and a
    # limit that cuts some lines (3: 256 bytes) or none (6: 4096).
    stream = b"\n".join(lines) + b"\n"
    for mode in range(3):
        for limit in (3, 6):
            put(sys.argv[2], "frame", bytes([mode << 3 | limit]) + stream)
    put(sys.argv[2], "frame", b"\x06" + stream.replace(b"\n", b"\r\n"))
    put(sys.argv[2], "rpc", b"[" + b",".join(lines) + b"]")


if __name__ == "__main__":
    main()
