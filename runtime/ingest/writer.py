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
# DuckDB keeps what it reads and writes cached up to its memory limit (80 % of RAM by
# default); a write caps it so that memory stays flat however large the input.
WRITE_MEMORY_LIMIT = "512MB"
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
            writer.write_batch({}, points, errors, lines=len(points) + len(errors))
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


@dataclass
class _Staged:
    """One measurement's lines of a chunk in a staging table (see vectorized.stage_measurement)."""

    table: str
    shapes: list
    columns: vectorized.StageColumns
    first_line: dict[int, int] = field(default_factory=dict)  # shape -> first good ln
    dropped: set[int] = field(default_factory=set)            # shapes in type conflict
    rows: int = 0       # rows staged
    removed: int = 0    # rows to remove: lines that fit no shape or do not convert


class _BatchWriter:
    MAX_ROUNDS = 3

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
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
        loaded = self._load_vectorised(data)
        if loaded is None:
            staged: dict[str, _Staged] = {}
            careful: list = list(enumerate(data.split(b"\n")))
        else:
            staged, careful = self._stage(data.split(b"\n"), *loaded)
        points, errors = self._parse_carefully(careful)
        self.write_batch(staged, points, errors, lines)

    def _load_vectorised(self, data: bytes) -> tuple[int, bool, bool] | None:
        """Load the chunk into DuckDB; None when it must take the careful path whole.
        Returns the first rowid, whether there are escape pairs and control characters."""
        if b"\r" in data:
            return None  # a lone carriage return: the careful path words the error
        delimiter = next((d for d in _DELIMITERS if d.encode() not in data), None)
        if delimiter is None:
            return None
        if not data.isascii():
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                return None  # the careful path finds the line (DuckDB would abort the transaction)
            if any(s in text for s in vectorized.STAND_INS):
                return None
        prepared, escapes = vectorized.prepare_chunk(data)
        path = os.path.join(self.tmpdir, "chunk.lp")
        with open(path, "wb") as out:
            out.write(prepared)
        del prepared
        base = vectorized.load_chunk(self.con, path, delimiter)
        return base, escapes, len(data.translate(None, _CONTROL_BYTES)) != len(data)

    def _stage(self, lines: list[bytes], base: int, escapes: bool, controls: bool) -> tuple[dict[str, _Staged], list]:
        # Lines with control characters: only the careful path knows where they are allowed.
        forced = {i for i, line in enumerate(lines) if len(line.translate(None, _CONTROL_BYTES)) != len(line)} if controls else set()
        samples = [lines[i].decode("utf-8") for i in vectorized.sample_indexes(len(lines)) if i not in forced]
        shapes = _learn(samples, [])
        for round_ in range(self.MAX_ROUNDS):
            staged: dict[str, _Staged] = {}
            by_measurement: dict[str, list] = {}
            for shape in shapes:
                by_measurement.setdefault(shape.measurement, []).append(shape)
            for i, (measurement, m_shapes) in enumerate(by_measurement.items()):
                table = f"lp_stage_{i}"
                columns = vectorized.StageColumns()
                vectorized.stage_measurement(
                    self.con, table, m_shapes, columns, base, self.unit, self.now, escapes
                )
                staged[measurement] = st = _Staged(table, m_shapes, columns)
                if forced:
                    self.con.execute(
                        f"UPDATE {table} SET _shape = 0 WHERE _ln IN (SELECT unnest($lns))", {"lns": sorted(forced)}
                    )
            leftovers = set(vectorized.orphan_lines(self.con, shapes, base)) | forced
            for st in staged.values():
                for shape_id, bad, first, n in self.con.execute(
                    f"SELECT _shape, _bad, min(_ln), count(*) FROM {st.table} GROUP BY ALL"
                ).fetchall():
                    st.rows += n
                    if shape_id == 0 or bad:
                        st.removed += n
                    else:
                        st.first_line[shape_id] = first
                if st.removed:
                    leftovers.update(r[0] for r in self.con.execute(
                        f"SELECT _ln FROM {st.table} WHERE _shape = 0 OR _bad"
                    ).fetchall())
            if len(leftovers) < 1000 or round_ == self.MAX_ROUNDS - 1:
                break
            ordered = sorted(leftovers - forced)
            more = _learn([lines[i].decode("utf-8") for i in ordered[:: max(1, len(ordered) // 1000)]], shapes)
            if not more:
                break
            shapes = shapes + more
        return staged, [(ln, lines[ln]) for ln in sorted(leftovers)]

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
    def write_batch(self, staged: dict[str, _Staged], points: list[Point], errors: list[LineError], lines: int) -> None:
        self.result.lines += lines
        for error in errors:
            self.errors.add(error)
        winners = self._field_types(staged, points)
        for st in staged.values():
            self._drop_conflicting_shapes(st, winners)
        good_points = [p for p in points if not self._conflicting_point(p, winners)]
        if self.errors.count and not self.skip_bad:
            return  # the write fails after this batch: no need to write anything
        points_by_measurement: dict[str, list[Point]] = {}
        for point in good_points:
            points_by_measurement.setdefault(point.measurement, []).append(point)
        if good_points:
            self._load_points(good_points)
        for measurement in list(staged) + [m for m in points_by_measurement if m not in staged]:
            self._write_measurement(measurement, staged.get(measurement), points_by_measurement.get(measurement, []), winners)

    def _field_types(self, staged: dict[str, _Staged], points) -> dict[tuple[str, str], FluxType]:
        """The type each (measurement, field) must have: the existing one, else the type of
        its first occurrence in this batch."""
        first: dict[tuple[str, str], tuple[int, FluxType]] = {}

        def observe(measurement: str, key: str, line: int, flux_type: FluxType) -> None:
            seen = first.get((measurement, key))
            if seen is None or line < seen[0]:
                first[(measurement, key)] = (line, flux_type)

        for measurement, st in staged.items():
            for shape_id, ln in st.first_line.items():
                for key, _, flux_type in st.shapes[shape_id - 1].fields:
                    observe(measurement, key, self.first_line + ln, flux_type)
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

    def _drop_conflicting_shapes(self, st: _Staged, winners) -> None:
        for shape_id in st.first_line:
            shape = st.shapes[shape_id - 1]
            for key, _, flux_type in shape.fields:
                winner = winners[(shape.measurement, key)]
                if winner != flux_type:
                    message = self._conflict(shape.measurement, key, flux_type, winner)
                    lns = self.con.execute(
                        f"SELECT _ln FROM {st.table} WHERE _shape = ? AND NOT _bad ORDER BY _ln", [shape_id]
                    ).fetchall()
                    for (ln,) in lns:
                        self.errors.add(LineError(self.first_line + ln, None, message))
                    st.dropped.add(shape_id)
                    st.removed += len(lns)
                    break

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

    def _write_measurement(self, measurement: str, st: _Staged | None, points: list[Point], winners) -> None:
        shapes = [s for i, s in enumerate(st.shapes, 1) if i in st.first_line and i not in st.dropped] if st else []
        tag_keys = {k for s in shapes for k in s.tag_keys} | {k for p in points for k, _ in p.tags}
        field_keys = {k for s in shapes for k, _, _ in s.fields} | {k for p in points for k, _, _ in p.fields}
        if not field_keys:
            return
        layout = storage.extend_measurement(
            self.con, self.catalog, measurement, tag_keys,
            {k: winners[(measurement, k)] for k in field_keys},
        )
        if st is None:
            st = _Staged(f"lp_stage_points", [], vectorized.StageColumns())
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {st.table} (_ln BIGINT, _shape INTEGER, _time TIMESTAMP_NS, _bad BOOLEAN)"
            )
        elif st.removed:
            remove = "_shape = 0 OR _bad" + "".join(f" OR _shape = {i}" for i in sorted(st.dropped))
            self.con.execute(f"DELETE FROM {st.table} WHERE {remove}")
        if points:
            self._stage_points(measurement, st, points, layout)
        self.result.points += st.rows - st.removed + len(points)
        tags = [(st.columns.tags[t.key], t.column) for t in layout.tags if t.key in st.columns.tags]
        fields = [
            (st.columns.fields[(f.key, f.type)], f.column)
            for f in layout.fields if (f.key, f.type) in st.columns.fields
        ]
        self.result.values += storage.merge_rows(self.con, layout, st.table, tags, fields)

    def _stage_points(self, measurement: str, st: _Staged, points: list[Point], layout: MeasurementLayout) -> None:
        existing = {r[0] for r in self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = 'temp'", [st.table]
        ).fetchall()}
        params: dict[str, object] = {"m": measurement}
        cols = ["ln AS _ln", "-1 AS _shape", "make_timestamp_ns(t) AS _time", "false AS _bad"]
        for key in sorted({k for p in points for k, _ in p.tags}):
            name = st.columns.tag(key)
            params[name] = key
            if name not in existing:
                self.con.execute(f"ALTER TABLE {st.table} ADD COLUMN {name} VARCHAR")
            cols.append(f"tags[${name}] AS {name}")
        for key in sorted({k for p in points for k, _, _ in p.fields}):
            column = layout.field(key)
            name = st.columns.field(key, column.type)
            params[name] = key
            if name not in existing:
                self.con.execute(f"ALTER TABLE {st.table} ADD COLUMN {name} {column.sql_type}")
            cols.append(f"CAST(fields[${name}] AS {column.sql_type}) AS {name}")
        self.con.execute(
            f"INSERT INTO {st.table} BY NAME SELECT {', '.join(cols)} FROM lp_points WHERE m = $m", params
        )


# Control characters other than the newline (the carriage return is dealt with before).
_CONTROL_BYTES = bytes(range(0, 10)) + bytes(range(11, 32)) + b"\x7f"


def _learn(lines: list[str], known: list) -> list:
    """New shapes among `lines` (not in `known`), in order of first appearance."""
    seen = set(known)
    new = []
    for line in lines:
        shape = vectorized.learn_shape(line)
        if shape is not None and shape not in seen:
            seen.add(shape)
            new.append(shape)
    return new


def _as_text(flux_type: FluxType, value) -> str:
    if flux_type is FluxType.FLOAT:
        return repr(value)
    if flux_type is FluxType.BOOL:
        return "true" if value else "false"
    return str(value)
