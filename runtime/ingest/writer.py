"""One write into a bucket: chunks of input -> points -> the measurement tables, in a single
transaction.

Owns the rules of a write (InfluxDB's, docs.influxdata.com/influxdb/v2/write-data/):
- a field keeps the type it was first written with: a value of another type, in this write
  or against existing data, is an error for its line;
- a point written twice keeps the last value (`storage.merge_rows`);
- by default nothing is written when any line is bad; with `skip_bad` the good lines are
  written and the bad ones reported.
It uses the vectorised parser for the bulk of the lines and the reference parser for the rest;
it does no parsing of its own and no DDL (that is `runtime.storage`).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import duckdb

from runtime import storage
from transpile.storage_layout import BucketCatalog, MeasurementLayout
from transpile.types import FluxType

from . import vectorized
from .line_protocol import PRECISION_NS, LineError, Point, parse_line

MAX_KEPT_ERRORS = 100  # errors kept for the report; the rest are only counted
_DELIMITERS = tuple(chr(c) for c in range(1, 9))


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


def write_line_protocol(
    con: duckdb.DuckDBPyConnection,
    bucket: str,
    chunks: Iterable[tuple[int, bytes]],
    *,
    precision: str = "ns",
    now: int,
    skip_bad: bool = False,
    on_chunk: Callable[[int], None] | None = None,
) -> WriteResult:
    """Write line protocol, given as (first line number, bytes) chunks, into `bucket`."""
    def batches(writer: "_BatchWriter") -> Iterator[None]:
        for first_line, data in chunks:
            writer.write_chunk(first_line, data)
            if on_chunk is not None:
                on_chunk(len(data))
            yield
    return _in_transaction(con, bucket, precision, now, skip_bad, batches)


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
            writer.write_batch([], {}, points, errors, lines=len(points) + len(errors))
            yield
    return _in_transaction(con, bucket, "ns", 0, skip_bad, batches)


def _in_transaction(con, bucket, precision, now, skip_bad, batches) -> WriteResult:
    if precision not in PRECISION_NS:
        raise ValueError(f"unknown precision {precision!r} (use ns, us, ms or s)")
    tmpdir = tempfile.mkdtemp(prefix="flux2sql-write-")
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
        self.first_line = 1

    # -- line protocol ---------------------------------------------------------------
    def write_chunk(self, first_line: int, data: bytes) -> None:
        self.first_line = first_line
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        if self._load_vectorised(data):
            vectorized.split_lines(self.con)
            shapes = vectorized.assign_shapes(self.con)
            stats = vectorized.shape_stats(self.con) if shapes else {}
            careful: list = vectorized.careful_lines(self.con)
        else:
            shapes, stats = [], {}
            careful = list(enumerate(data.split(b"\n")))
            self.con.execute("CREATE OR REPLACE TEMP TABLE lp_lines AS SELECT 0::BIGINT AS ln, ''::VARCHAR AS line LIMIT 0")
        points, errors = self._parse_carefully(careful)
        self.write_batch(shapes, stats, points, errors, lines)

    def _load_vectorised(self, data: bytes) -> bool:
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
            if b"\r" in data:
                return False  # a lone carriage return: the careful path words the error
        delimiter = next((d for d in _DELIMITERS if d.encode() not in data), None)
        if delimiter is None:
            return False
        if not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return False  # the careful path finds the line (DuckDB would abort the transaction)
        path = os.path.join(self.tmpdir, "chunk.lp")
        with open(path, "wb") as out:
            out.write(data)
        vectorized.load_chunk(self.con, path, delimiter)
        return True

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
    def write_batch(self, shapes, stats, points: list[Point], errors: list[LineError], lines: int) -> None:
        self.result.lines += lines
        for error in errors:
            self.errors.add(error)
        winners = self._field_types(shapes, stats, points)
        good_shapes = [s for s in shapes if not self._conflicting_shape(s, winners)]
        good_points = [p for p in points if not self._conflicting_point(p, winners)]
        if self.errors.count and not self.skip_bad:
            return  # the write fails after this batch: no need to stage anything
        by_measurement: dict[str, tuple[list, list]] = {}
        for shape in good_shapes:
            by_measurement.setdefault(shape.measurement, ([], []))[0].append(shape)
        for point in good_points:
            by_measurement.setdefault(point.measurement, ([], []))[1].append(point)
        if good_points:
            self._load_points(good_points)
        for measurement, (m_shapes, m_points) in by_measurement.items():
            self._write_measurement(measurement, m_shapes, m_points, winners)

    def _field_types(self, shapes, stats, points) -> dict[tuple[str, str], FluxType]:
        """The type each (measurement, field) must have: the existing one, else the type of
        its first occurrence in this batch."""
        first: dict[tuple[str, str], tuple[int, FluxType]] = {}

        def observe(measurement: str, key: str, line: int, flux_type: FluxType) -> None:
            seen = first.get((measurement, key))
            if seen is None or line < seen[0]:
                first[(measurement, key)] = (line, flux_type)

        for shape in shapes:
            for key, flux_type, _ in shape.fields:
                observe(shape.measurement, key, self.first_line + stats[shape.id][0], flux_type)
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

    def _conflicting_shape(self, shape, winners) -> bool:
        for key, flux_type, _ in shape.fields:
            winner = winners[(shape.measurement, key)]
            if winner != flux_type:
                message = self._conflict(shape.measurement, key, flux_type, winner)
                for ln, text in vectorized.lines_of_shape(self.con, shape.id):
                    number = self.first_line + ln
                    error = LineError(number, None, message)
                    if len(self.errors.kept) < MAX_KEPT_ERRORS:
                        # A line wrong in itself says so rather than "conflict".
                        try:
                            parse_line(text, number, self.precision, self.now)
                        except LineError as own:
                            error = own
                    self.errors.add(error)
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

    def _write_measurement(self, measurement: str, shapes, points: list[Point], winners) -> None:
        tag_keys = {k for s in shapes for k in s.tag_keys} | {k for p in points for k, _ in p.tags}
        field_keys = {k for s in shapes for k, _, _ in s.fields} | {k for p in points for k, _, _ in p.fields}
        layout = storage.extend_measurement(
            self.con, self.catalog, measurement, tag_keys,
            {k: winners[(measurement, k)] for k in field_keys},
        )
        tag_columns = {t.key: t.column for t in layout.tags}
        field_columns = {f.key: f.column for f in layout.fields}
        selects = [vectorized.shape_select(s, tag_columns, field_columns, self.unit, self.now) for s in shapes]
        params: list = []
        if points:
            selects.append(self._points_select(measurement, points, layout, params))
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE lp_stage AS " + " UNION ALL BY NAME ".join(selects), params
        )
        bad = [ln for (ln,) in self.con.execute("SELECT _ln FROM lp_stage WHERE _bad ORDER BY _ln").fetchall()]
        if bad:
            self._report_bad_lines(bad)
            self.con.execute("DELETE FROM lp_stage WHERE _bad")
        self.result.points += self.con.execute("SELECT count(*) FROM lp_stage").fetchone()[0]
        self.result.values += storage.merge_rows(
            self.con, layout, "lp_stage",
            [tag_columns[k] for k in sorted(tag_keys)],
            [field_columns[k] for k in sorted(field_keys)],
        )

    def _points_select(self, measurement: str, points: list[Point], layout: MeasurementLayout, params: list) -> str:
        from runtime.storage import quote

        def param(value) -> str:
            params.append(value)
            return f"${len(params)}"

        cols = ["ln AS _ln", "make_timestamp_ns(t) AS _time", "false AS _bad"]
        for key in sorted({k for p in points for k, _ in p.tags}):
            cols.append(f"tags[{param(key)}] AS {quote(layout.tag(key).column)}")
        for key in sorted({k for p in points for k, _, _ in p.fields}):
            column = layout.field(key)
            cols.append(f"CAST(fields[{param(key)}] AS {column.sql_type}) AS {quote(column.column)}")
        return f"SELECT {', '.join(cols)} FROM lp_points WHERE m = {param(measurement)}"

    def _report_bad_lines(self, lns: list[int]) -> None:
        rows = self.con.execute(
            "SELECT ln, line FROM lp_lines WHERE ln IN (SELECT unnest(?)) ORDER BY ln", [lns]
        ).fetchall()
        for ln, text in rows:
            number = self.first_line + ln
            try:
                parse_line(text, number, self.precision, self.now)
            except LineError as exc:
                self.errors.add(exc)
            else:  # both parsers must agree; say what the fast path saw
                self.errors.add(LineError(number, None, "value or timestamp out of range"))


def _as_text(flux_type: FluxType, value) -> str:
    if flux_type is FluxType.FLOAT:
        return repr(value)
    if flux_type is FluxType.BOOL:
        return "true" if value else "false"
    return str(value)
