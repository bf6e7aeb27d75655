"""Annotated CSV ingest: Flux tables (as `influx query --raw` prints them) -> points.

Owns the mapping from a decoded table row to a point: `_measurement`, `_field`, `_value`
and `_time` are required; every other string column except `_start`, `_stop`, `result` and
`table` is a tag (a null cell: the tag is absent); the `_value` column's type is the
field's type. Decoding itself is `transpile.annotated_csv.decode`; writing is `writer`.
"""
from __future__ import annotations

from typing import BinaryIO, Iterator

from transpile.annotated_csv import decode_with_lines
from transpile.errors import FluxError
from transpile.types import FluxType

from .line_protocol import MAX_TIME_NS, MIN_TIME_NS, LineError, Point

REQUIRED = ("_measurement", "_field", "_value", "_time")
NOT_TAGS = frozenset(REQUIRED) | {"_start", "_stop", "result", "table"}
FIELD_TYPES = frozenset({FluxType.FLOAT, FluxType.INT, FluxType.UINT, FluxType.STRING, FluxType.BOOL})
BATCH_POINTS = 100_000


def read_points(stream: BinaryIO, source_name: str = "csv") -> Iterator[tuple[list[Point], list[LineError]]]:
    """Batches of (points, errors). A row's position is its line in the text. The whole text
    is decoded first: annotated CSV cannot be split into independent chunks before decoding."""
    raw = stream.read()
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        yield [], [LineError(raw.count(b"\n", 0, exc.start) + 1, None, "invalid UTF-8")]
        return
    try:
        tables, lines = decode_with_lines(text, source_name)
    except FluxError as exc:
        line = getattr(exc, "line", None) or 1
        message = exc.message
        prefix = f"{source_name} line {line}: "
        yield [], [LineError(line, None, message[len(prefix):] if message.startswith(prefix) else message)]
        return
    points: list[Point] = []
    errors: list[LineError] = []
    row_number = 0  # data rows read so far
    for table_number, table in enumerate(tables):
        labels = table.labels
        missing = [c for c in REQUIRED if c not in labels]
        if missing:
            if table.rows:
                errors.append(LineError(lines[row_number], None, f"table {table_number} has no column {missing[0]}"))
            row_number += len(table.rows)
            continue
        value_type = table.column("_value").type
        tag_columns = [
            (i, c.label) for i, c in enumerate(table.columns)
            if c.type is FluxType.STRING and c.label not in NOT_TAGS
        ]
        at = {label: table.index(label) for label in REQUIRED}
        for row in table.rows:
            row_number += 1
            try:
                point = _point(row, at, tag_columns, value_type, lines[row_number - 1])
            except LineError as exc:
                errors.append(exc)
                continue
            if point is not None:
                points.append(point)
            if len(points) >= BATCH_POINTS:
                yield points, errors
                points, errors = [], []
    yield points, errors


def _point(row: tuple, at: dict, tag_columns, value_type: FluxType, number: int) -> Point | None:
    value = row[at["_value"]]
    if value is None:
        return None  # a null value is no point (as `to()` writes nothing for it)
    if value_type not in FIELD_TYPES:
        raise LineError(number, None, f"_value of type {value_type.value} cannot be stored as a field")
    measurement, field, time = row[at["_measurement"]], row[at["_field"]], row[at["_time"]]
    for what, name in (("_measurement", measurement), ("_field", field)):
        if not isinstance(name, str) or not name:
            raise LineError(number, None, f"{what} is empty")
        if name.startswith("_"):
            raise LineError(number, None, f"{what} {name!r} cannot begin with '_' (reserved by InfluxDB)")
    if not isinstance(time, int) or isinstance(time, bool):
        raise LineError(number, None, "_time is empty or not a time")
    if not MIN_TIME_NS <= time <= MAX_TIME_NS:
        raise LineError(number, None, "_time out of range")
    tags = []
    for i, key in tag_columns:
        if row[i] is None or row[i] == "":
            continue
        if key.startswith("_"):
            raise LineError(number, None, f"tag key {key!r} cannot begin with '_' (reserved by InfluxDB)")
        tags.append((key, row[i]))
    return Point(number, measurement, tuple(sorted(tags)), ((field, value_type, value),), time)
