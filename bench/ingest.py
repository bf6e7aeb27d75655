"""Ingest speed: `flux2sql write` (the Python API, into a fresh DuckDB file, closed at the
end) against parsing the same file with the PyPI `line-protocol-parser` C extension alone.

Both run in the same process, interleaved (who goes first alternates), N times; the medians
of wall seconds and their ratio are printed, with CPU seconds (all threads) beside them.
The machine may be shared, so only the ratio within one run means much.

What each side does:
- line-protocol-parser: read the file line by line, `parse_line(line)` on every line that is
  not blank or a comment (a dict per line, nothing kept): parsing alone.
- flux2sql write: parse, check the rules of a write, store every point in DuckDB tables
  with the overwrite rule, commit, close the file.
Before timing, each side runs once on the first 20,000 lines (untimed), so that imports and
loading the compiled scanner (numba's on-disk cache, about 0.5 s once per process) are not
counted; a first `flux2sql write` ever also compiles the scanner (about 15 s, then cached).

    pip install line-protocol-parser
    python bench/generate.py --points 1000000 --out bench/data/1m.lp
    python bench/ingest.py bench/data/1m.lp --runs 3
"""
from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def parse_with_line_protocol_parser(path: Path) -> int:
    from line_protocol_parser import parse_line

    lines = 0
    with open(path, "rb") as stream:
        for line in stream:
            line = line.rstrip(b"\n")
            if line and not line.startswith(b"#"):
                parse_line(line)
                lines += 1
    return lines


def write_with_flux2sql(path: Path) -> int:
    from runtime.database import Database

    with tempfile.TemporaryDirectory() as tmp:
        with Database(Path(tmp) / "bench.duckdb") as db:
            result = db.write(path, bucket="telegraf")
    return result.points


SIDES = {"line-protocol-parser": parse_with_line_protocol_parser, "flux2sql write": write_with_flux2sql}


def warm_up(path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        head = Path(tmp) / "head.lp"
        with open(path, "rb") as src, open(head, "wb") as out:
            out.writelines(itertools.islice(src, 20_000))
        for fn in SIDES.values():
            fn(head)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    warm_up(args.file)
    wall: dict[str, list[float]] = {name: [] for name in SIDES}
    cpu: dict[str, list[float]] = {name: [] for name in SIDES}
    counts = {}
    for run in range(args.runs):
        order = list(SIDES.items())
        if run % 2:
            order.reverse()
        for name, fn in order:
            start, start_cpu = time.perf_counter(), time.process_time()
            counts[name] = fn(args.file)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
            print(f"run {run + 1} {name}: {wall[name][-1]:.2f} s wall, {cpu[name][-1]:.2f} s CPU "
                  f"(load {os.getloadavg()[0]:.1f})", file=sys.stderr)
    if len(set(counts.values())) != 1:
        print(f"warning: the sides saw different line counts: {counts}", file=sys.stderr)
    medians = {name: statistics.median(t) for name, t in wall.items()}
    for name, seconds in medians.items():
        print(f"{name:22s} {counts[name]:>11,d} lines  median {seconds:7.2f} s  "
              f"{counts[name] / seconds:>10,.0f} lines/s  (CPU median {statistics.median(cpu[name]):.2f} s)")
    ratio = medians["line-protocol-parser"] / medians["flux2sql write"]
    print(f"flux2sql write is {ratio:.2f}x the speed of line-protocol-parser alone")


if __name__ == "__main__":
    main()
