"""One write into a bucket: chunks of input -> points -> the measurement tables, in a single
transaction.

Owns the rules of a write (InfluxDB's, docs.influxdata.com/influxdb/v2/write-data/):
- a field keeps the type it was first written with: a value of another type, in this write
  or against existing data, is an error for its line;
- a point written twice keeps the last value (`appender.py`, `storage.merge_rows`);
- by default nothing is written when any line is bad; with `skip_bad` the good lines are
  written and the bad ones reported.
Line protocol goes through the compiled scanner (`scanner.py`, `columnar.py`) for the bulk
of the lines and the reference parser for the rest; chunks are scanned on worker threads
ahead of the one being written, and rows reach DuckDB through `appender.py`. It does no
parsing of its own and no DDL (that is `runtime.storage`).
"""
from __future__ import annotations

import gc
import itertools
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import duckdb
import numpy as np

from runtime import storage
from transpile.storage_layout import BucketCatalog, MeasurementLayout
from transpile.types import FluxType

from .appender import Appender, SeriesIds
from .line_protocol import PRECISION_NS, LineError, Point, parse_line

if TYPE_CHECKING:  # imported when a write needs it: it loads numba
    from . import columnar

MAX_KEPT_ERRORS = 100  # errors kept for the report; the rest are only counted
# DuckDB keeps what it reads and writes cached up to its memory limit (80 % of RAM by
# default); a write caps it so that memory stays flat however large the input.
WRITE_MEMORY_LIMIT = "256MB"
# Chunks scanned at once (one per core of the target machine) ...
SCAN_THREADS = 2
# ... and ahead of the one being written (memory: about twice a chunk each).
SCAN_AHEAD = 4
# An input whose first chunk is smaller than this goes to the reference parser alone
# (about 10,000 lines: 0.2 s there, against 0.6 s to load numba and the compiled scanner).
SMALL_CHUNK_BYTES = 2 << 20


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
        for data, columns in _scan_ahead(chunks, unit, now_truncated, writer.series_ids):
            if columns is None:
                writer.write_lines(data)
            else:
                writer.write_columns(columns)
            if on_chunk is not None:
                on_chunk(len(data))
            yield
    return _in_transaction(con, bucket, precision, now, skip_bad, batches)


def _scan_ahead(chunks: Iterable["bytes | memoryview"], unit: int, now: int, series_ids: SeriesIds):
    """(chunk, ChunkColumns or None) per chunk, in order. Chunks are scanned and cut into
    columns on worker threads, several at a time and ahead of the one being written (the
    scanner releases the GIL, and so does DuckDB while the caller writes). A small input
    is left to the reference parser (None): for it, loading the compiled scanner would
    cost more than it saves."""
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return
    if len(first) < SMALL_CHUNK_BYTES:
        yield first, None
        for data in chunks:
            yield data, None
        return
    from . import columnar  # numba: imported only when it pays
    from .scanner import Workspace, scan_chunk

    decoder = columnar.Decoder(series_ids)  # safe to share: its caches only ever grow
    local = threading.local()  # a workspace per worker: to_columns copies what it keeps

    def scan(data):
        if not hasattr(local, "workspace"):
            local.workspace = Workspace()
        return data, columnar.to_columns(scan_chunk(data, unit, now, workspace=local.workspace), data, decoder)

    with ThreadPoolExecutor(max_workers=SCAN_THREADS) as workers:
        # Chunks are taken here, in order (a memory-mapped file yields views, no copies).
        ahead = deque([workers.submit(scan, first)])
        for data in itertools.islice(chunks, SCAN_AHEAD - 1):
            ahead.append(workers.submit(scan, data))
        while ahead:
            result = ahead.popleft().result()
            data = next(chunks, None)
            if data is not None:
                ahead.append(workers.submit(scan, data))
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
    # A write allocates many short-lived arrays and no reference cycles: the cyclic
    # collector would only walk the heap again and again.
    collecting = gc.isenabled()
    gc.disable()
    memory_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{WRITE_MEMORY_LIMIT}'")
    con.execute("BEGIN TRANSACTION")
    try:
        catalog = storage.ensure_bucket(con, bucket)
        writer = _BatchWriter(con, catalog, precision, now, skip_bad)
        for _ in batches(writer):
            if writer.errors.count and not skip_bad:
                raise WriteError(writer.errors.kept, writer.errors.count)
        writer.finish()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        if collecting:
            gc.enable()
    result = writer.result
    result.skipped, result.skipped_count = writer.errors.kept, writer.errors.count
    return result


class _BatchWriter:
    def __init__(self, con, catalog: BucketCatalog, precision: str, now: int, skip_bad: bool):
        self.con, self.catalog, self.precision = con, catalog, precision
        self.skip_bad = skip_bad
        self.unit = PRECISION_NS[precision]
        self.now = now - now % self.unit  # InfluxDB truncates the server time to the precision
        self.errors = _Errors()
        self.result = WriteResult()
        self.first_line = 1  # the number of the current chunk's first line
        self.series_ids = SeriesIds()
        self.appender = Appender(con)

    # -- line protocol ---------------------------------------------------------------
    def write_columns(self, chunk: "columnar.ChunkColumns") -> None:
        """A chunk read by the scanner; its odd lines go to the reference parser."""
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
        for measurement in list(measurements) + [m for m in points_by_measurement if m not in measurements]:
            self._write_measurement(
                measurement, measurements.get(measurement), points_by_measurement.get(measurement, []), winners
            )

    def finish(self) -> None:
        self.appender.flush()
        self.result.values = self.appender.values

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

    def _write_measurement(self, measurement: str, columns: "columnar.MeasurementColumns | None",
                           points: list[Point], winners) -> None:
        groups = columns.groups if columns is not None else []
        # Series new to this write bring their tags (keys of the others are columns already).
        new = np.zeros(0, np.int64)
        if groups:
            new = self.appender.unknown(measurement, np.concatenate([g.series for g in groups]))
        new_tags = [dict(self.series_ids.keys[i][1]) for i in new.tolist()]
        tag_keys = {k for tags in new_tags for k in tags} | {k for p in points for k, _ in p.tags}
        field_keys = {k for g in groups for k in g.fieldset.keys} | {k for p in points for k, _, _ in p.fields}
        if not field_keys:
            return
        layout = storage.extend_measurement(
            self.con, self.catalog, measurement, tag_keys,
            {k: winners[(measurement, k)] for k in field_keys},
        )
        if len(new):
            self.appender.add_series(layout, new, {
                layout.tag(k).column: [tags.get(k) for tags in new_tags]
                for k in sorted({k for tags in new_tags for k in tags})
            })
        parts = [
            storage.ColumnPart(
                g.times, g.rows + self.first_line, g.series,
                {layout.field(k).column: v for k, v in zip(g.fieldset.keys, g.values)},
            )
            for g in groups
        ]
        if points:
            parts += self._point_parts(layout, points)
        self.result.points += sum(len(p.times) for p in parts)
        self.appender.add(layout, parts)

    def _point_parts(self, layout: MeasurementLayout, points: list[Point]) -> list:
        """Points of the reference parser as column parts, one per field set."""
        ids = np.array([self.series_ids.id(p.measurement, p.tags) for p in points], np.int64)
        tag_columns = {t.key: t.column for t in layout.tags}
        keys = sorted({k for p in points for k, _ in p.tags})
        self.appender.add_series(layout, ids, {
            tag_columns[k]: [dict(p.tags).get(k) for p in points] for k in keys
        })
        by_fields: dict[tuple, list[int]] = {}
        for i, p in enumerate(points):
            by_fields.setdefault(tuple((k, t) for k, t, _ in p.fields), []).append(i)
        parts = []
        for signature, members in by_fields.items():
            chosen = [points[i] for i in members]
            fields = {}
            for j, (key, flux_type) in enumerate(signature):
                fields[layout.field(key).column] = np.array(
                    [p.fields[j][2] for p in chosen], dtype=_NUMPY_TYPES[flux_type]
                )
            parts.append(storage.ColumnPart(
                np.array([p.time for p in chosen], np.int64),
                np.array([p.line for p in chosen], np.int64),
                ids[members],
                fields,
            ))
        return parts


_NUMPY_TYPES = {
    FluxType.FLOAT: np.float64, FluxType.INT: np.int64, FluxType.UINT: np.uint64,
    FluxType.BOOL: np.bool_, FluxType.STRING: object,
}
