"""Write query results as plain fixed-width text tables, for people at a terminal.

Owns the human-readable layout: per Flux table a title line (result, table number,
group key), a line of column labels, a line of their Flux types, a rule, then the rows.
Numbers are right-aligned, everything else left-aligned; null is blank. Plain text only
(no colours or escape codes), so it reads the same on a terminal, in a pipe or a file.
Cell text is the annotated CSV text (runtime.output.csv) so the two formats agree.
It must not run queries or reorder anything.
"""
from __future__ import annotations

import unicodedata
from typing import Iterable, TextIO

from transpile.tables import Table
from transpile.types import FluxType

from .csv import format_cell

Results = Iterable[tuple[str, list[Table]]]

_RIGHT_ALIGNED = frozenset({FluxType.INT, FluxType.UINT, FluxType.FLOAT})
_GAP = "  "
# Control characters would break the layout; show them escaped.
_ESCAPES = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _display_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _display_width(text))
    return fill + text if right else text + fill


def _cell(value: object, flux_type: FluxType) -> str:
    return format_cell(value, flux_type).translate(_ESCAPES)


def _title(result_name: str, table_id: int, table: Table) -> str:
    types = {c.label: c.type for c in table.columns}
    pairs = [
        f"{label}={_cell(value, types[label]) if label in types else value}"
        for label, value in zip(table.key, table.key_values())
    ]
    key_text = ", ".join(pairs) if pairs else "(empty)"
    return f"Result: {result_name}  Table: {table_id}  Group key: {key_text}"


def _render_table(result_name: str, table_id: int, table: Table) -> list[str]:
    columns = table.columns
    labels = [c.label.translate(_ESCAPES) for c in columns]
    type_names = [c.type.value for c in columns]
    body = [[_cell(v, c.type) for v, c in zip(row, columns)] for row in table.rows]
    widths = [
        max([_display_width(labels[i]), len(type_names[i])] + [_display_width(r[i]) for r in body])
        for i in range(len(columns))
    ]
    right = [c.type in _RIGHT_ALIGNED for c in columns]

    def line(cells: list[str]) -> str:
        return _GAP.join(_pad(text, widths[i], right[i]) for i, text in enumerate(cells)).rstrip()

    lines = [_title(result_name, table_id, table)]
    if columns:
        lines.append(line(labels))
        lines.append(line(type_names))
        lines.append(_GAP.join("-" * w for w in widths))
    lines.extend(line(cells) for cells in body)
    if not table.rows:
        lines.append("(no rows)")
    return lines


def write_table(results: Results, out: TextIO) -> None:
    """Write each result's tables as aligned text, a blank line after each table."""
    for name, tables in results:
        if not tables:
            out.write(f"Result: {name}  (no tables)\n\n")
        for table_id, table in enumerate(tables):
            out.write("\n".join(_render_table(name, table_id, table)) + "\n\n")
