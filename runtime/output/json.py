"""Write query results as one JSON document, for programs.

Owns the JSON shape of results:
    {"results": [{"name": str, "tables": [
        {"key": {label: value}, "columns": [{"label": str, "type": str, "group": bool}],
         "rows": [[value, ...], ...]}]}]}
`type` is the Flux type name (`int`, `uint`, `float`, `string`, `bool`, `time`,
`duration`). Values: ints (uint64 too) as JSON numbers, floats as numbers except NaN
and infinities, which JSON cannot hold and are the strings `"NaN"`, `"+Inf"`, `"-Inf"`
(as in annotated CSV); times as RFC3339Nano strings in UTC; durations as Flux duration
text; null as null. The output is strict JSON (no NaN literals) ending in a newline.
It must not run queries or reorder anything.
"""
from __future__ import annotations

import json
import math
from typing import Callable, Iterable, TextIO

from transpile.tables import Table
from transpile.timefmt import format_rfc3339
from transpile.types import FluxType
from transpile.values import Duration

Results = Iterable[tuple[str, list[Table]]]


def _float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return value


def _same(value):
    return value


_JSON_VALUE: dict[FluxType, Callable[[object], object]] = {
    FluxType.INT: int,
    FluxType.UINT: int,
    FluxType.FLOAT: _float,
    FluxType.STRING: _same,
    FluxType.BOOL: bool,
    FluxType.TIME: format_rfc3339,
    FluxType.DURATION: lambda ns: str(Duration(0, ns)),
}


def json_value(value: object, flux_type: FluxType) -> object:
    """A cell as a JSON-ready Python value."""
    return None if value is None else _JSON_VALUE[flux_type](value)


def table_document(table: Table) -> dict:
    """One Flux table as the JSON object described in the module docstring."""
    types = [c.type for c in table.columns]
    key_types = {c.label: c.type for c in table.columns}
    key = {
        label: json_value(value, key_types[label]) if label in key_types else value
        for label, value in zip(table.key, table.key_values())
    }
    grouped = set(table.key)
    return {
        "key": key,
        "columns": [
            {"label": c.label, "type": c.type.value, "group": c.label in grouped} for c in table.columns
        ],
        "rows": [[json_value(v, t) for v, t in zip(row, types)] for row in table.rows],
    }


def write_json(results: Results, out: TextIO) -> None:
    """Write all results as one JSON document followed by a newline."""
    document = {
        "results": [
            {"name": name, "tables": [table_document(t) for t in tables]} for name, tables in results
        ]
    }
    json.dump(document, out, allow_nan=False, ensure_ascii=False)
    out.write("\n")
