#!/usr/bin/env python3
"""Keeps a committed corpus small: greedy set cover over a libFuzzer merge control file, taking
the input that adds the most uncovered features first, until all are covered or MAX inputs are
kept. Usage: pick_cover.py CONTROL_FILE OUT_DIR [MAX]

Make the control file with the fuzz binary (set-cover merge records every feature per input):
  <bin> -set_cover_merge=1 -use_counters=0 -merge_control_file=CTL EMPTY_DIR CORPUS_DIR"""
import shutil, sys, pathlib

ctl, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
cap = int(sys.argv[3]) if len(sys.argv) > 3 else 10**9
lines = ctl.read_text().splitlines()
n = int(lines[0])
files = lines[2:2 + n]
ft, size = {}, {}
for line in lines[2 + n:]:
    kind, idx, *rest = line.split()
    if kind == "STARTED":
        size[int(idx)] = int(rest[0])
    elif kind == "FT":
        ft[int(idx)] = set(rest)
left = set().union(*ft.values()) if ft else set()
total = len(left)
out.mkdir(parents=True, exist_ok=True)
kept = 0
while left and kept < cap:
    best = max(ft, key=lambda i: (len(ft[i] & left), -size.get(i, 0)))
    gain = ft[best] & left
    if not gain:
        break
    left -= gain
    src = pathlib.Path(files[best])
    shutil.copy(src, out / src.name)
    kept += 1
print(f"kept {kept} of {n} inputs covering {total - len(left)} of {total} features")
