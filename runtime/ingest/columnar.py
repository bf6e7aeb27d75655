"""From the scanner's output to typed columns per measurement: the Python half of the fast path.

Owns the meaning of what `scanner.py` interned: each distinct series key is read by the
reference parser (so measurement and tag names follow exactly one set of rules, errors
included), each distinct field set is decoded and checked (names beginning with `_`,
repeated keys), each distinct string value is unescaped; results are cached across chunks.
Lines whose series key or field set the reference parser would reject, and floats that
overflow, go to the careful path with the lines the scanner left alone.

It groups the fast lines by (measurement, field set) and cuts their value slots into numpy
columns of the field's type. It decides no types of a bucket and never touches DuckDB.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from transpile.types import FluxType

from .appender import SeriesIds
from .line_protocol import LineError, parse_line
from .scanner import CAREFUL, FAST, T_BOOL, T_FLOAT, T_INT, T_STRING, T_UINT, ScanResult, gather_slots

_TYPE_CODES = {
    T_FLOAT: FluxType.FLOAT, T_INT: FluxType.INT, T_UINT: FluxType.UINT,
    T_BOOL: FluxType.BOOL, T_STRING: FluxType.STRING,
}
# Unescaping as the reference parser does it (line_protocol.py).
_UNESCAPE_KEY = re.compile(r"\\([\\ ,=])")
_UNESCAPE_STRING = re.compile(r'\\([\\"])')


@dataclass(frozen=True)
class SeriesKey:
    measurement: str
    tags: tuple[tuple[str, str], ...]  # sorted by key, as the reference parser gives them


@dataclass(frozen=True)
class FieldSet:
    keys: tuple[str, ...]
    types: tuple[FluxType, ...]


@dataclass
class Group:
    """The fast lines of one measurement that share one field set."""

    fieldset: FieldSet
    rows: np.ndarray               # line indexes in the chunk, ascending
    times: np.ndarray              # int64 ns
    series: np.ndarray             # series ids (index `MeasurementColumns.tag_values`)
    values: list[np.ndarray]       # one typed column per field of the field set

    @property
    def first_row(self) -> int:
        return int(self.rows[0])


@dataclass
class MeasurementColumns:
    measurement: str
    tag_keys: list[str]
    tag_values: dict[str, np.ndarray]   # tag key -> value (or None) per series id (object)
    canonical: np.ndarray               # per series id: one id per distinct tag set (write-wide)
    groups: list[Group] = field(default_factory=list)


@dataclass
class ChunkColumns:
    lines: int
    measurements: dict[str, MeasurementColumns]
    careful: list[tuple[int, bytes]]  # (line index, raw line) for the reference parser


class Decoder:
    """Decodes interned series keys and field sets; remembers them for the whole write."""

    def __init__(self, series_ids: SeriesIds) -> None:
        self._series: dict[bytes, tuple[SeriesKey, int] | None] = {}
        self._fieldsets: dict[bytes, FieldSet | None] = {}
        self._ids = series_ids
        self._last: tuple[list[bytes], dict] | None = None  # the previous chunk's series

    def series(self, raw: bytes) -> tuple[SeriesKey, int] | None:
        """The series key of a raw series key and its id (one id per distinct tag set in
        the whole write: `cpu,a=1,b=2` and `cpu,b=2,a=1` are one series), or None when the
        reference parser rejects it."""
        try:
            return self._series[raw]
        except KeyError:
            pass
        try:
            point = parse_line(raw.decode("utf-8") + " f=0", 1)
            key = SeriesKey(point.measurement, point.tags)
            found = key, self._ids.id(key.measurement, key.tags)
        except (LineError, UnicodeDecodeError):
            found = None
        self._series[raw] = found
        return found

    def measurements(self, series_raw: list[bytes]) -> tuple[list[str], np.ndarray, dict[str, "MeasurementColumns"]]:
        """For a chunk's series: the measurement names, per series id the index of its
        measurement (-1: rejected), and per measurement its tag table (without groups).
        Consecutive chunks usually list the same series: the tables are then reused."""
        if self._last is not None and self._last[0] == series_raw:
            names, series_m, tables = self._last[1]
        else:
            found = [self.series(raw) for raw in series_raw]
            names = sorted({f[0].measurement for f in found if f is not None})
            index = {m: i for i, m in enumerate(names)}
            series_m = np.array([index[f[0].measurement] if f is not None else -1 for f in found] or [0], np.int64)
            tables = {}
            for m in names:
                tag_keys = sorted({k for f in found if f is not None and f[0].measurement == m for k, _ in f[0].tags})
                tag_values = {k: np.full(len(found), None, dtype=object) for k in tag_keys}
                canonical = np.full(len(found), -1, np.int64)
                tables[m] = MeasurementColumns(m, tag_keys, tag_values, canonical)
            for sid, f in enumerate(found):
                if f is not None:
                    table = tables[f[0].measurement]
                    table.canonical[sid] = f[1]
                    for k, v in f[0].tags:
                        table.tag_values[k][sid] = v
            self._last = (list(series_raw), (names, series_m, tables))
        return names, series_m, {
            m: MeasurementColumns(t.measurement, t.tag_keys, t.tag_values, t.canonical) for m, t in tables.items()
        }

    def fieldset(self, raw: bytes) -> FieldSet | None:
        try:
            return self._fieldsets[raw]
        except KeyError:
            pass
        keys, types = [], []
        for entry in raw.split(b"\0")[:-1]:
            keys.append(_UNESCAPE_KEY.sub(r"\1", entry[:-1].decode("utf-8")))
            types.append(_TYPE_CODES[entry[-1]])
        ok = len(set(keys)) == len(keys) and not any(k.startswith("_") for k in keys)
        result = FieldSet(tuple(keys), tuple(types)) if ok else None
        self._fieldsets[raw] = result
        return result


def _line(data, starts: np.ndarray, ln: int) -> bytes:
    end = int(starts[ln + 1]) - 1 if ln + 1 < len(starts) else len(data)
    text = bytes(data[int(starts[ln]): end])
    return text[:-1] if text.endswith(b"\n") else text


def to_columns(scan: ScanResult, data: bytes, decoder: Decoder) -> ChunkColumns:
    """Typed columns per measurement from one scanned piece of input (`data`)."""
    kinds = scan.kinds
    careful_rows = [np.flatnonzero(kinds == CAREFUL)]
    vals = scan.vals
    if len(scan.slow):
        fvals = vals.view(np.float64)
        overflow = []
        for slot, start, end, line in scan.slow.tolist():
            value = float(bytes(data[start:end]))
            if math.isinf(value):
                overflow.append(line)  # the reference parser words the error
            fvals[slot] = value
        if overflow:
            kinds = kinds.copy()
            kinds[overflow] = CAREFUL
            careful_rows.append(np.array(overflow, np.int64))

    # Per series id: its measurement (index) or -1; per field set id: itself or -1.
    names, series_m, tables = decoder.measurements(scan.series_raw)
    fieldsets = [decoder.fieldset(raw) for raw in scan.fieldsets_raw]
    fieldset_ok = np.array([f is not None for f in fieldsets] or [False])

    fast = np.flatnonzero(kinds == FAST)
    line_m = series_m[scan.series[fast]]
    line_f = scan.fieldsets[fast].astype(np.int64)
    rejected = (line_m < 0) | ~fieldset_ok[line_f]
    if rejected.any():
        careful_rows.append(fast[rejected])
        keep = ~rejected
        fast, line_m, line_f = fast[keep], line_m[keep], line_f[keep]

    strings = None
    measurements: dict[str, MeasurementColumns] = {}
    group_key = line_m * max(1, len(fieldsets)) + line_f
    counts = np.bincount(group_key) if len(group_key) else np.zeros(0, np.int64)
    for key in np.flatnonzero(counts).tolist():
        m, f = divmod(key, max(1, len(fieldsets)))
        measurement = names[m]
        columns = measurements.setdefault(measurement, tables[measurement])
        rows = fast[group_key == key]
        fieldset = fieldsets[f]
        slots = gather_slots(vals, scan.vstart, rows, len(fieldset.types))
        values = []
        for j, flux_type in enumerate(fieldset.types):
            raw = slots[j]
            if flux_type is FluxType.STRING:
                if strings is None:
                    strings = np.array(
                        [_UNESCAPE_STRING.sub(r"\1", s.decode("utf-8")) if b"\\" in s else s.decode("utf-8")
                         for s in scan.strings_raw] + [None],
                        dtype=object,
                    )
                if len(scan.string_bases) > 1:
                    raw = raw + _string_base(scan.string_bases, rows)
                values.append(strings[raw])
            else:
                values.append(_NUMERIC[flux_type](raw))
        columns.groups.append(Group(fieldset, rows, scan.times[rows], scan.series[rows], values))

    careful = np.unique(np.concatenate(careful_rows)) if len(careful_rows) > 1 else careful_rows[0]
    return ChunkColumns(
        scan.lines, measurements, [(ln, _line(data, scan.starts, ln)) for ln in careful.tolist()]
    )


def _string_base(bases: list[tuple[int, int]], rows: np.ndarray) -> np.ndarray:
    first_lines = np.array([b[0] for b in bases])
    shifts = np.array([b[1] for b in bases])
    return shifts[np.searchsorted(first_lines, rows, side="right") - 1]


_NUMERIC = {
    FluxType.FLOAT: lambda raw: raw.view(np.float64),
    FluxType.INT: lambda raw: raw,
    FluxType.UINT: lambda raw: raw.view(np.uint64),
    FluxType.BOOL: lambda raw: raw.astype(np.bool_),
}
