"""Ingest: line protocol and annotated CSV into a bucket.

`write` is the one entry point (used by `runtime.Database.write` and `flux2sql write`);
`line_protocol` is the reference parser, `scanner` (compiled) and `columnar` the fast path,
`csv` the annotated CSV reader, `writer` the transaction and the rules of a write,
`appender` the buffered appends with the overwrite rule, `source` the chunked input.
"""
from __future__ import annotations

import os
import time
from typing import BinaryIO, Callable

import duckdb

from .line_protocol import PRECISION_NS, LineError, Point, parse_line
from .source import open_input, read_chunks
from .writer import WriteError, WriteResult, write_line_protocol, write_points

FORMATS = ("lp", "csv")

__all__ = ["write", "WriteError", "WriteResult", "LineError", "Point", "parse_line", "FORMATS", "PRECISION_NS"]


def write(
    con: duckdb.DuckDBPyConnection,
    bucket: str,
    data: "str | bytes | os.PathLike | BinaryIO",
    *,
    precision: str = "ns",
    format: str = "lp",
    now: int | None = None,
    skip_bad: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> WriteResult:
    """Write `data` into `bucket` in one transaction (see `writer`). `data` is the text
    itself (str or bytes), a path-like object naming a file, or a binary stream. `now`
    (ns since the epoch) is the time of points without a timestamp; default: the clock.
    `on_progress(bytes)` is called after each chunk. Raises WriteError (nothing written)
    or ValueError for a bad argument."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r} (use lp or csv)")
    if precision not in PRECISION_NS:
        raise ValueError(f"unknown precision {precision!r} (use ns, us, ms or s)")
    if not bucket:
        raise ValueError("a bucket name is required")
    if bucket.startswith("_"):
        raise ValueError(f"bucket name {bucket!r} cannot begin with '_' (reserved by InfluxDB)")
    now = time.time_ns() if now is None else now
    stream, _ = open_input(data)
    try:
        if format == "csv":
            from .csv import read_points

            return write_points(con, bucket, read_points(stream), skip_bad=skip_bad)
        return write_line_protocol(
            con, bucket, read_chunks(stream), precision=precision, now=now,
            skip_bad=skip_bad, on_chunk=on_progress,
        )
    finally:
        if stream is not data:
            stream.close()
