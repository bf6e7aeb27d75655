"""Output writers for query results: annotated CSV, a text table, JSON.

A query result is `list[tuple[str, list[Table]]]`: (result name, its tables in order).
Every writer has the signature `write(results, out: TextIO) -> None` and only formats;
`WRITERS` maps the CLI's `--format` names to them.
"""
from __future__ import annotations

from typing import Callable, Iterable, TextIO

from transpile.tables import Table

from .csv import write_csv
from .json import write_json
from .table import write_table

Writer = Callable[[Iterable[tuple[str, list[Table]]], TextIO], None]

WRITERS: dict[str, Writer] = {
    "csv": write_csv,
    "table": write_table,
    "json": write_json,
}

__all__ = ["WRITERS", "Writer", "write_csv", "write_json", "write_table"]
