"""Materialised Flux tables: the data model shared by annotated CSV, sources and output.

A Flux table has columns (label and type), a group key (the labels of the key columns,
whose values are the same on every row) and rows. Cells are Python values:
int for int/uint, float, str, bool, None for null; times and durations are int
nanoseconds (since the Unix epoch, UTC, for times).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .types import FluxType


@dataclass(frozen=True)
class Column:
    label: str
    type: FluxType


@dataclass
class Table:
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    # The key's values of a table with no rows (annotated CSV takes them from `#default`).
    empty_key_values: tuple | None = None

    def index(self, label: str) -> int:
        for i, col in enumerate(self.columns):
            if col.label == label:
                return i
        raise KeyError(label)

    def column(self, label: str) -> Column:
        return self.columns[self.index(label)]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.columns)

    def key_values(self) -> tuple:
        """The group key's values, in `key` order (from the first row; None when empty)."""
        if not self.rows:
            return self.empty_key_values or tuple(None for _ in self.key)
        first = self.rows[0]
        return tuple(first[self.index(k)] for k in self.key)
