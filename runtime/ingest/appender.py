"""Buffered appends of column parts to measurement tables, with InfluxDB's overwrite rule.

Owns when rows reach DuckDB and by which statement. Parts (rows that share their columns)
wait per measurement until about FLUSH_ROWS rows are buffered (see below). A flush
appends with a plain INSERT when
no point repeats, neither inside the batch nor against stored rows; otherwise it stages the
batch and merges (`storage.merge_rows`: the later line wins field by field).

To know that no stored point repeats without asking DuckDB for every batch, it remembers
per measurement the latest time this write appended and the series at that time: data
that arrives in time order then overlaps only at that instant. Anything else (older
times, rows stored before this write in the batch's time range) is checked in DuckDB.

Series are numbered once per write (`columnar.Decoder`); the tag values of each number
are kept here per measurement. It does no parsing and decides no types.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import duckdb
import numpy as np

from runtime import storage
from transpile.storage_layout import MeasurementLayout

# A measurement's buffered rows are appended once they reach FLUSH_ROWS, or, the largest
# first, when all measurements together hold BUFFERED_ROWS_MAX (memory: about 100 bytes a
# row). DuckDB appends an INSERT of a million rows or so as whole, compressed row groups
# written at once; a series of INSERTs of some 250,000 rows each into one table can leave
# the compression to the COMMIT and cost twice as much in all (measured, DuckDB 2.0).
FLUSH_ROWS = 1 << 20
BUFFERED_ROWS_MAX = 2 << 20


@dataclass
class _Measurement:
    layout: MeasurementLayout
    tags: dict[str, np.ndarray] = field(default_factory=dict)  # tag column -> value per series id
    known: np.ndarray = field(default_factory=lambda: np.zeros(0, np.bool_))
    batches: dict[tuple, "_Batch"] = field(default_factory=dict)  # by field columns and types
    rows: int = 0
    stored_range: tuple[int, int] | None = None  # times stored before this write
    latest: int | None = None                     # latest time appended by this write
    # every series this write stored at `latest` (older rows are checked in DuckDB)
    series_at_latest: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


class SeriesIds:
    """One number per series (measurement, sorted tags) for the whole write, shared by the
    threads that cut columns and the one that writes: `cpu,a=1,b=2` and `cpu,b=2,a=1`
    are one series."""

    def __init__(self) -> None:
        self._ids: dict[tuple, int] = {}
        self.keys: list[tuple[str, tuple[tuple[str, str], ...]]] = []  # by id
        self._lock = threading.Lock()

    def id(self, measurement: str, tags: tuple[tuple[str, str], ...]) -> int:
        key = (measurement, tags)
        found = self._ids.get(key)
        if found is None:
            with self._lock:
                found = self._ids.get(key)
                if found is None:
                    found = self._ids[key] = len(self.keys)
                    self.keys.append(key)
        return found


def _has_repeated_keys(series: np.ndarray, times: np.ndarray) -> bool:
    from .scanner import has_repeated_keys, times_rise_per_series

    # Data in time order passes the cheap test; the hash set settles the rest.
    return not times_rise_per_series(series, times) and has_repeated_keys(series, times)


class Appender:
    def __init__(self, con: duckdb.DuckDBPyConnection, flush_rows: int = FLUSH_ROWS):
        self.con = con
        self.flush_rows = flush_rows
        self.values = 0  # field values written
        self._measurements: dict[str, _Measurement] = {}
        self._buffered = 0

    def measurement(self, layout: MeasurementLayout) -> _Measurement:
        state = self._measurements.get(layout.measurement)
        if state is None:
            state = self._measurements[layout.measurement] = _Measurement(layout)
            target = storage.qualified(layout)
            lo, hi = self.con.execute(
                f'SELECT epoch_ns(min("_time")), epoch_ns(max("_time")) FROM {target}'
            ).fetchall()[0]
            state.stored_range = None if lo is None else (lo, hi)
        state.layout = layout  # columns may have been added since
        return state

    def unknown(self, measurement: str, ids: np.ndarray) -> np.ndarray:
        """The distinct series ids among `ids` whose tags `add_series` has not been given
        yet (usually none: the check is one pass, the sort only for new ones)."""
        state = self._measurements.get(measurement)
        if state is None:
            return np.unique(ids)
        inside = ids < len(state.known)
        known = np.zeros(len(ids), np.bool_)
        known[inside] = state.known[ids[inside]]
        return np.unique(ids[~known])

    def add_series(self, layout: MeasurementLayout, ids: np.ndarray, tags: dict[str, list]) -> None:
        """Tag values (tag column -> value per entry of `ids`, None when absent) of series
        ids that parts will name."""
        state = self.measurement(layout)
        size = int(ids.max()) + 1 if len(ids) else 0
        if size > len(state.known):
            grown = max(size, 2 * len(state.known))
            state.known = np.concatenate([state.known, np.zeros(grown - len(state.known), np.bool_)])
            for column in state.tags:
                state.tags[column] = _grow(state.tags[column], grown)
        new = ~state.known[ids]
        if not new.any():
            return
        for column, values in tags.items():
            if column not in state.tags:
                state.tags[column] = np.full(len(state.known), None, dtype=object)
            state.tags[column][ids[new]] = np.asarray(values, dtype=object)[new]
        state.known[ids[new]] = True

    def add(self, layout: MeasurementLayout, parts: list[storage.ColumnPart]) -> None:
        """Buffer `parts` (series: ids given to `add_series`; lines: absolute line numbers,
        the later wins a repeated point)."""
        state = self.measurement(layout)
        for part in parts:
            key = tuple((c, a.dtype.str) for c, a in part.fields.items())
            batch = state.batches.get(key)
            if batch is None:
                batch = state.batches[key] = _Batch(part)
            batch.append(part)
            state.rows += len(part.times)
            self._buffered += len(part.times)
        if state.rows >= self.flush_rows:
            self._flush(state)
        while self._buffered >= BUFFERED_ROWS_MAX:
            self._flush(max(self._measurements.values(), key=lambda m: m.rows))

    def flush(self) -> None:
        for state in self._measurements.values():
            if state.rows:
                self._flush(state)

    def _flush(self, state: _Measurement) -> None:
        parts = [batch.view() for batch in state.batches.values() if batch.rows]
        self._buffered -= state.rows
        state.rows = 0
        for batch in state.batches.values():
            batch.rows = 0  # the views stay valid until the next append
        times = parts[0].times if len(parts) == 1 else np.concatenate([p.times for p in parts])
        series = parts[0].series if len(parts) == 1 else np.concatenate([p.series for p in parts])
        tags = {c: v for c, v in state.tags.items()}
        layout = state.layout
        if not _has_repeated_keys(series, times) and not self._collides(state, parts, times, series, tags):
            target = storage.qualified(layout)
            for part in parts:
                storage.insert_columns(self.con, target, tags, part)
                self.values += len(part.times) * len(part.fields)
            self._remember(state, times, series)
            return
        stage = "lp_stage"
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT 0::BIGINT AS _ln, * FROM {storage.qualified(layout)} LIMIT 0"
        ).fetchall()
        for part in parts:
            storage.insert_columns(self.con, stage, tags, part, with_lines=True)
        written = {c for p in parts for c in p.fields}
        self.values += storage.merge_rows(
            self.con, layout, stage, [(t.column, t.column) for t in layout.tags],
            [(f.column, f.column) for f in layout.fields if f.column in written],
        )
        self.con.execute(f"DROP TABLE {stage}").fetchall()
        self._remember(state, times, series)

    def _collides(self, state: _Measurement, parts, times: np.ndarray, series: np.ndarray, tags) -> bool:
        """Whether a row of the batch has the series and time of a stored row."""
        lo, hi = int(times.min()), int(times.max())
        if state.stored_range is not None and lo <= state.stored_range[1] and hi >= state.stored_range[0]:
            return storage.stored_points_collide(self.con, state.layout, tags, parts)
        if state.latest is None:
            return False
        at_or_before = times <= state.latest
        if not at_or_before.any():
            return False
        if (times[at_or_before] < state.latest).any():
            return storage.stored_points_collide(self.con, state.layout, tags, parts)
        return bool(np.isin(series[at_or_before], state.series_at_latest).any())

    def _remember(self, state: _Measurement, times: np.ndarray, series: np.ndarray) -> None:
        latest = int(times.max())
        at_latest = series[times == latest]
        if state.latest is None or latest > state.latest:
            state.latest, state.series_at_latest = latest, np.unique(at_latest)
        elif latest == state.latest:
            state.series_at_latest = np.union1d(state.series_at_latest, at_latest)


def _grow(values: np.ndarray, size: int) -> np.ndarray:
    grown = np.full(size, None, dtype=object)
    grown[: len(values)] = values
    return grown


class _Batch:
    """Rows of one measurement with the same field columns, copied in as parts arrive (so
    the copy overlaps the scanning of later chunks) into arrays reused from flush to flush:
    DuckDB keeps a reference to every array an INSERT read until the transaction ends, so
    fresh arrays per flush would hold all the input in memory (it does not read them again
    once the INSERT is done, so reusing them is safe)."""

    def __init__(self, like: storage.ColumnPart):
        self.rows = 0
        # Room for the largest flush from the start (pages untouched cost nothing).
        self._allocate(like, max(len(like.times), FLUSH_ROWS + FLUSH_ROWS // 4))

    def _allocate(self, like: storage.ColumnPart, size: int) -> None:
        self.times = np.empty(size, np.int64)
        self.lines = np.empty(size, np.int64)
        self.series = np.empty(size, np.int64)
        self.fields = {c: np.empty(size, a.dtype) for c, a in like.fields.items()}

    def append(self, part: storage.ColumnPart) -> None:
        start, stop = self.rows, self.rows + len(part.times)
        if stop > len(self.times):
            old = self.view()
            self._allocate(part, 2 * stop)
            self.rows = 0
            self.append(old)
            start, stop = self.rows, self.rows + len(part.times)
        self.times[start:stop] = part.times
        self.lines[start:stop] = part.lines
        self.series[start:stop] = part.series
        for column, values in part.fields.items():
            self.fields[column][start:stop] = values
        self.rows = stop

    def view(self) -> storage.ColumnPart:
        n = self.rows
        return storage.ColumnPart(
            self.times[:n], self.lines[:n], self.series[:n], {c: a[:n] for c, a in self.fields.items()}
        )
