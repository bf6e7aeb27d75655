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
import threading
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
    series: np.ndarray             # series ids of the write (`SeriesIds`)
    values: list[np.ndarray]       # one typed column per field of the field set

    @property
    def first_row(self) -> int:
        return int(self.rows[0])


@dataclass
class MeasurementColumns:
    measurement: str
    groups: list[Group] = field(default_factory=list)


@dataclass
class ChunkColumns:
    lines: int
    measurements: dict[str, MeasurementColumns]
    careful: list[tuple[int, bytes]]  # (line index, raw line) for the reference parser


class Decoder:
    """Decodes interned series keys and field sets; remembers them for the whole write.
    Shared by worker threads: its caches only grow, and a race only repeats work."""

    def __init__(self, series_ids: SeriesIds) -> None:
        self._series: dict[bytes, int] = {}
        self._fieldsets: dict[bytes, FieldSet | None] = {}
        self.ids = series_ids
        self._codes: dict[str, int] = {}       # measurement -> code
        self.names: list[str] = []             # code -> measurement
        self._code_of_id = np.zeros(0, np.int64)
        self._lock = threading.Lock()

    def series(self, raw: bytes) -> int:
        """The series id of a raw series key (`SeriesIds`), or -1 when the reference parser
        rejects it."""
        found = self._series.get(raw)
        if found is not None:
            return found
        found = _plain_series(raw)
        if found is not None:
            found = self.ids.id(*found)
        else:
            try:
                point = parse_line(raw.decode("utf-8") + " f=0", 1)
                found = self.ids.id(point.measurement, point.tags)
            except (LineError, UnicodeDecodeError):
                found = -1
        self._series[raw] = found
        return found

    def measurement_codes(self, ids: np.ndarray) -> np.ndarray:
        """The measurement code (index into `names`) of each series id; -1 for -1."""
        top = int(ids.max()) + 1 if len(ids) else 0
        if top > len(self._code_of_id):
            with self._lock:
                self._grow_codes(top)
        table = self._code_of_id
        return np.where(ids >= 0, table[np.maximum(ids, 0)] if len(table) else -1, -1)

    def _grow_codes(self, top: int) -> None:
        if top > len(self._code_of_id):
            keys = self.ids.keys
            codes = np.full(top, -1, np.int64)
            codes[: len(self._code_of_id)] = self._code_of_id
            for i in range(len(self._code_of_id), top):
                measurement = keys[i][0]
                code = self._codes.get(measurement)
                if code is None:
                    code = self._codes[measurement] = len(self.names)
                    self.names.append(measurement)
                codes[i] = code
            self._code_of_id = codes

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


def _plain_series(raw: bytes):
    """(measurement, sorted tags) of a series key without backslashes that the reference
    parser would accept as it is (the scanner already ruled out spaces and control
    characters); None when it has to be asked."""
    if b"\\" in raw:
        return None
    try:
        measurement, *pairs = raw.decode("utf-8").split(",")
    except UnicodeDecodeError:
        return None
    if not measurement or measurement.startswith("_"):
        return None
    tags = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if not key or not value or "=" in value or key.startswith("_") or key in tags:
            return None
        tags[key] = value
    return measurement, tuple(sorted(tags.items()))


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

    # Per series of the chunk: its id in the write and its measurement's code, or -1.
    ids = np.array([decoder.series(raw) for raw in scan.series_raw] or [-1], np.int64)
    series_m = decoder.measurement_codes(ids)
    names = decoder.names
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
        columns = measurements.get(measurement)
        if columns is None:
            columns = measurements[measurement] = MeasurementColumns(measurement)
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
        columns.groups.append(Group(fieldset, rows, scan.times[rows], ids[scan.series[rows]], values))

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
