"""One write into a bucket: chunks of input -> points -> the measurement tables, in a single
transaction.

Owns the rules of a write (InfluxDB's, docs.influxdata.com/influxdb/v2/write-data/):
- a field keeps the type it was first written with: a value of another type, in this write
  or against existing data, is an error for its line;
- a point written twice keeps the last value (`storage.merge_rows`);
- by default nothing is written when any line is bad; with `skip_bad` the good lines are
  written and the bad ones reported.
Line protocol goes through the compiled scanner (`scanner.py`, `columnar.py`) for the bulk
of the lines and the reference parser for the rest; the next chunk is scanned on worker
threads while this one is written. It does no parsing of its own and no DDL (that is
`runtime.storage`).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import duckdb
import numpy as np

from runtime import storage
from transpile.storage_layout import BucketCatalog, MeasurementLayout
from transpile.types import FluxType

from .line_protocol import PRECISION_NS, LineError, Point, parse_line

MAX_KEPT_ERRORS = 100  # errors kept for the report; the rest are only counted
# DuckDB keeps what it reads and writes cached up to its memory limit (80 % of RAM by
# default); a write caps it so that memory stays flat however large the input.
WRITE_MEMORY_LIMIT = "512MB"
# A chunk is scanned in this many pieces at once (one per core of the target machine).
SCAN_PIECES = 2
# Chunks smaller than this go to the reference parser alone.
SMALL_CHUNK_BYTES = 1 << 16


@dataclass
class WriteResult:
    lines: int = 0     # lines read
    points: int = 0    # points (lines) written
    values: int = 0    # field values written
    skipped: list[LineError] = field(default_factory=list)  # bad lines, the first ones
    skipped_count: int = 0


class WriteError(Exception):
    """The input has bad lines; nothing was written."""

    def __init__(self, errors: list[LineError], count: int):
        self.errors, self.count = errors, count
        more = f" (and {count - 1} more bad lines)" if count > 1 else ""
        super().__init__(f"{errors[0]}{more}")


class _Errors:
    def __init__(self) -> None:
        self.kept: list[LineError] = []
        self.count = 0

    def add(self, error: LineError) -> None:
        self.count += 1
        if len(self.kept) < MAX_KEPT_ERRORS:
            self.kept.append(error)
            self.kept.sort(key=lambda e: e.line)

    def add_many(self, lines: np.ndarray, message: str) -> None:
        kept = max(0, MAX_KEPT_ERRORS - len(self.kept))
        for line in lines[:kept].tolist():
            self.add(LineError(line, None, message))
        self.count += max(0, len(lines) - kept)


def write_line_protocol(
    con: duckdb.DuckDBPyConnection,
    bucket: str,
    chunks: Iterable["bytes | memoryview"],
    *,
    precision: str = "ns",
    now: int,
    skip_bad: bool = False,
    on_chunk: Callable[[int], None] | None = None,
) -> WriteResult:
    """Write line protocol, given as chunks of whole lines, into `bucket`."""
    unit = PRECISION_NS[precision] if precision in PRECISION_NS else 1
    now_truncated = now - now % unit  # InfluxDB truncates the server time to the precision

    def batches(writer: "_BatchWriter") -> Iterator[None]:
        for data, scan in _scan_ahead(chunks, unit, now_truncated):
            if scan is None:
                writer.write_lines(data)
            else:
                writer.write_scanned(data, scan)
            if on_chunk is not None:
                on_chunk(len(data))
            yield
    return _in_transaction(con, bucket, precision, now, skip_bad, batches)


def _scan_ahead(chunks: Iterable["bytes | memoryview"], unit: int, now: int):
    """(chunk, ScanResult or None) per chunk. The next chunk is read and scanned on worker
    threads (the scanner releases the GIL) while the caller writes this one. Small
    chunks are left to the reference parser (None): for them, loading the compiled
    scanner would cost more than it saves."""
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return
    if len(first) < SMALL_CHUNK_BYTES:
        yield first, None
        for data in chunks:
            yield data, None
        return
    from .scanner import scan_chunk  # numba: imported only when it pays

    def read_and_scan(data=None):
        if data is None:
            data = next(chunks, None)
            if data is None:
                return None
        if len(data) < SMALL_CHUNK_BYTES:
            return data, None
        return data, scan_chunk(data, unit, now, pieces_pool, SCAN_PIECES)

    with ThreadPoolExecutor(max_workers=1) as reader, ThreadPoolExecutor(max_workers=SCAN_PIECES) as pieces_pool:
        future = reader.submit(read_and_scan, first)
        while True:
            result = future.result()
            if result is None:
                return
            future = reader.submit(read_and_scan)
            yield result


def write_points(
    con: duckdb.DuckDBPyConnection,
    bucket: str,
    batches_of_points: Iterable[tuple[list[Point], list[LineError]]],
    *,
    skip_bad: bool = False,
) -> WriteResult:
    """Write already parsed points (from annotated CSV), with the same rules."""
    def batches(writer: "_BatchWriter") -> Iterator[None]:
        for points, errors in batches_of_points:
            writer.write_batch(None, points, errors, lines=len(points) + len(errors))
            yield
    return _in_transaction(con, bucket, "ns", 0, skip_bad, batches)


def _in_transaction(con, bucket, precision, now, skip_bad, batches) -> WriteResult:
    if precision not in PRECISION_NS:
        raise ValueError(f"unknown precision {precision!r} (use ns, us, ms or s)")
    tmpdir = tempfile.mkdtemp(prefix="flux2sql-write-")
    memory_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{WRITE_MEMORY_LIMIT}'")
    con.execute("BEGIN TRANSACTION")
    try:
        catalog = storage.ensure_bucket(con, bucket)
        writer = _BatchWriter(con, catalog, precision, now, tmpdir, skip_bad)
        for _ in batches(writer):
            if writer.errors.count and not skip_bad:
                raise WriteError(writer.errors.kept, writer.errors.count)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
        con.execute(f"SET memory_limit = '{memory_limit}'")
    result = writer.result
    result.skipped, result.skipped_count = writer.errors.kept, writer.errors.count
    return result


class _BatchWriter:
    def __init__(self, con, catalog: BucketCatalog, precision: str, now: int, tmpdir: str, skip_bad: bool):
        self.con, self.catalog, self.precision, self.tmpdir = con, catalog, precision, tmpdir
        self.skip_bad = skip_bad
        self.unit = PRECISION_NS[precision]
        self.now = now - now % self.unit  # InfluxDB truncates the server time to the precision
        self.errors = _Errors()
        self.result = WriteResult()
        self.first_line = 1  # the number of the current chunk's first line
        self.decoder = None

    # -- line protocol ---------------------------------------------------------------
    def write_scanned(self, data, scan) -> None:
        from . import columnar

        if self.decoder is None:
            self.decoder = columnar.Decoder()
        chunk = columnar.to_columns(scan, data, self.decoder)
        points, errors = self._parse_carefully(chunk.careful)
        self.write_batch(chunk, points, errors, chunk.lines)
        self.first_line += chunk.lines

    def write_lines(self, data) -> None:
        """A chunk for the reference parser alone."""
        lines = bytes(data).split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        points, errors = self._parse_carefully(list(enumerate(lines)))
        self.write_batch(None, points, errors, len(lines))
        self.first_line += len(lines)

    def _parse_carefully(self, lines: list) -> tuple[list[Point], list[LineError]]:
        points, errors = [], []
        for ln, text in lines:
            number = self.first_line + ln
            if isinstance(text, bytes):
                try:
                    text = text.decode("utf-8")
                except UnicodeDecodeError as exc:
                    errors.append(LineError(number, exc.start + 1, "invalid UTF-8"))
                    continue
            try:
                point = parse_line(text, number, self.precision, self.now)
            except LineError as exc:
                errors.append(exc)
                continue
            if point is not None:
                points.append(point)
        return points, errors

    # -- both formats ----------------------------------------------------------------
    def write_batch(self, chunk: "columnar.ChunkColumns | None", points: list[Point], errors: list[LineError], lines: int) -> None:
        self.result.lines += lines
        for error in errors:
            self.errors.add(error)
        measurements = chunk.measurements if chunk is not None else {}
        winners = self._field_types(measurements, points)
        for columns in measurements.values():
            columns.groups = [g for g in columns.groups if not self._conflicting_group(columns.measurement, g, winners)]
        good_points = [p for p in points if not self._conflicting_point(p, winners)]
        if self.errors.count and not self.skip_bad:
            return  # the write fails after this batch: no need to write anything
        points_by_measurement: dict[str, list[Point]] = {}
        for point in good_points:
            points_by_measurement.setdefault(point.measurement, []).append(point)
        if good_points:
            self._load_points(good_points)
        for measurement in list(measurements) + [m for m in points_by_measurement if m not in measurements]:
            self._write_measurement(
                measurement, measurements.get(measurement), points_by_measurement.get(measurement, []), winners
            )

    def _field_types(self, measurements: "dict[str, columnar.MeasurementColumns]", points) -> dict[tuple[str, str], FluxType]:
        """The type each (measurement, field) must have: the existing one, else the type of
        its first occurrence in this batch."""
        first: dict[tuple[str, str], tuple[int, FluxType]] = {}

        def observe(measurement: str, key: str, line: int, flux_type: FluxType) -> None:
            seen = first.get((measurement, key))
            if seen is None or line < seen[0]:
                first[(measurement, key)] = (line, flux_type)

        for measurement, columns in measurements.items():
            for group in columns.groups:
                for key, flux_type in zip(group.fieldset.keys, group.fieldset.types):
                    observe(measurement, key, self.first_line + group.first_row, flux_type)
        for point in points:
            for key, flux_type, _ in point.fields:
                observe(point.measurement, key, point.line, flux_type)
        winners = {}
        for (measurement, key), (_, flux_type) in first.items():
            layout = self.catalog.measurements.get(measurement)
            existing = layout.field(key) if layout else None
            winners[(measurement, key)] = existing.type if existing else flux_type
        return winners

    def _conflict(self, measurement: str, key: str, flux_type: FluxType, winner: FluxType) -> str:
        return (
            f"field type conflict: field {key!r} of measurement {measurement!r} is "
            f"{winner.value}, this line writes {flux_type.value}"
        )

    def _conflicting_group(self, measurement: str, group: "columnar.Group", winners) -> bool:
        for key, flux_type in zip(group.fieldset.keys, group.fieldset.types):
            winner = winners[(measurement, key)]
            if winner != flux_type:
                self.errors.add_many(group.rows + self.first_line, self._conflict(measurement, key, flux_type, winner))
                return True
        return False

    def _conflicting_point(self, point: Point, winners) -> bool:
        for key, flux_type, _ in point.fields:
            winner = winners[(point.measurement, key)]
            if winner != flux_type:
                self.errors.add(
                    LineError(point.line, None, self._conflict(point.measurement, key, flux_type, winner))
                )
                return True
        return False

    def _load_points(self, points: list[Point]) -> None:
        """Table `lp_points`: the points of the careful path, one row per point."""
        path = os.path.join(self.tmpdir, "points.json")
        with open(path, "w", encoding="utf-8") as out:
            for p in points:
                out.write(json.dumps({
                    "ln": p.line - self.first_line,
                    "m": p.measurement,
                    "t": p.time,
                    "tags": dict(p.tags),
                    "fields": {k: _as_text(t, v) for k, t, v in p.fields},
                }, ensure_ascii=False))
                out.write("\n")
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE lp_points AS SELECT * FROM read_json(?, format = 'newline_delimited', "
            "columns = {'ln': 'BIGINT', 'm': 'VARCHAR', 't': 'BIGINT', "
            "'tags': 'MAP(VARCHAR, VARCHAR)', 'fields': 'MAP(VARCHAR, VARCHAR)'})",
            [path],
        )

    def _write_measurement(self, measurement: str, columns: "columnar.MeasurementColumns | None",
                           points: list[Point], winners) -> None:
        groups = columns.groups if columns is not None else []
        tag_keys = {k for p in points for k, _ in p.tags}
        if groups:
            used = np.zeros(len(columns.canonical), np.bool_)
            for group in groups:
                used[group.series] = True
            tag_keys |= {k for k in columns.tag_keys if any(v is not None for v in columns.tag_values[k][used])}
        field_keys = {k for g in groups for k in g.fieldset.keys} | {k for p in points for k, _, _ in p.fields}
        if not field_keys:
            return
        layout = storage.extend_measurement(
            self.con, self.catalog, measurement, tag_keys,
            {k: winners[(measurement, k)] for k in field_keys},
        )
        tag_table = {layout.tag(k).column: columns.tag_values[k] for k in columns.tag_keys} if groups else {}
        parts = [
            storage.ColumnPart(
                g.times, g.rows, g.series if tag_table else None,
                {layout.field(k).column: v for k, v in zip(g.fieldset.keys, g.values)},
            )
            for g in groups
        ]
        rows = sum(len(g.rows) for g in groups)
        self.result.points += rows + len(points)
        if (
            parts and not points
            and not _has_repeated_keys(
                np.concatenate([columns.canonical[g.series] for g in groups]),
                np.concatenate([g.times for g in groups]),
            )
            and not storage.stored_points_collide(self.con, layout, tag_table, parts)
        ):
            # The usual case, new points: appended straight from the columns.
            target = storage.qualified(layout)
            for part in parts:
                storage.insert_columns(self.con, target, tag_table, part)
            self.result.values += sum(len(g.rows) * len(g.values) for g in groups)
            return
        stage = "lp_stage"
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT 0::BIGINT AS _ln, * FROM {storage.qualified(layout)} LIMIT 0"
        ).fetchall()
        for part in parts:
            storage.insert_columns(self.con, stage, tag_table, part, with_lines=True)
        if points:
            self._stage_points(measurement, stage, points, layout)
        tags = [(t.column, t.column) for t in layout.tags]
        fields = [(f.column, f.column) for f in layout.fields if f.key in field_keys]
        self.result.values += storage.merge_rows(self.con, layout, stage, tags, fields)

    def _stage_points(self, measurement: str, stage: str, points: list[Point], layout: MeasurementLayout) -> None:
        params: dict[str, object] = {"m": measurement}
        names = ["_ln", "_time"]
        cols = ["ln", "make_timestamp_ns(t)"]
        for i, key in enumerate(sorted({k for p in points for k, _ in p.tags})):
            params[f"t{i}"] = key
            names.append(layout.tag(key).column)
            cols.append(f"tags[$t{i}]")
        for i, key in enumerate(sorted({k for p in points for k, _, _ in p.fields})):
            column = layout.field(key)
            params[f"f{i}"] = key
            names.append(column.column)
            cols.append(f"CAST(fields[$f{i}] AS {column.sql_type})")
        self.con.execute(
            f"INSERT INTO {stage} ({', '.join(storage.quote(n) for n in names)}) "
            f"SELECT {', '.join(cols)} FROM lp_points WHERE m = $m",
            params,
        )


def _has_repeated_keys(series: np.ndarray, times: np.ndarray) -> bool:
    from .scanner import has_repeated_keys

    return has_repeated_keys(series, times)


def _as_text(flux_type: FluxType, value) -> str:
    if flux_type is FluxType.FLOAT:
        return repr(value)
    if flux_type is FluxType.BOOL:
        return "true" if value else "false"
    return str(value)
