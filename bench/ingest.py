"""Ingest speed: `flux2sql write` (the Python API, into a fresh DuckDB file, closed at the
end) against parsing the same file with the PyPI `line-protocol-parser` C extension alone.

Both run in the same process, interleaved, N times; the medians and their ratio are printed.
The machine may be shared, so only the ratio within one run means much.

    pip install line-protocol-parser
    python bench/generate.py --points 1000000 --out bench/data/1m.lp
    python bench/ingest.py bench/data/1m.lp --runs 3
"""
from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    timings: dict[str, list[float]] = {"line-protocol-parser": [], "flux2sql write": []}
    counts = {}
    for run in range(args.runs):
        for name, fn in (("line-protocol-parser", parse_with_line_protocol_parser), ("flux2sql write", write_with_flux2sql)):
            start = time.perf_counter()
            counts[name] = fn(args.file)
            timings[name].append(time.perf_counter() - start)
            print(f"run {run + 1} {name}: {timings[name][-1]:.2f} s", file=sys.stderr)
    medians = {name: statistics.median(t) for name, t in timings.items()}
    for name, seconds in medians.items():
        print(f"{name:22s} {counts[name]:>10,d} lines  median {seconds:7.2f} s  {counts[name] / seconds:>12,.0f} lines/s")
    ratio = medians["line-protocol-parser"] / medians["flux2sql write"]
    print(f"flux2sql write is {ratio:.2f}x the speed of line-protocol-parser alone")


if __name__ == "__main__":
    main()
