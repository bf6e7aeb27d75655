"""Values extracted from a stream of tables: tableFind, getColumn, getRecord, findColumn, findRecord.

Flux evaluates these eagerly: `findRecord()` runs the stream and hands a record to the rest
of the script. In one SQL statement the extracted value is a *scalar subquery* over the
stream's SQL, so `filter(fn: (r) => r._value > rec._value)` filters by a subquery.

- `FindTable` is the first table of a stream whose group key satisfies a predicate
  (https://docs.influxdata.com/flux/v0/stdlib/universe/tablefind/).
- `TableCell` and `TableColumn` are scalar expressions (a value of a row, a column as an
  array) read from the first table of a stream. Evaluated inside a row function of
  another stream (`map(fn: (r) => getById(id: r._value))`), the stream may depend on the
  outer row: `OuterRef` names a column of that row, and the subquery is correlated.
- `ChooseStream` is `if <row value> then streamA else streamB` inside such a row function:
  which stream is read depends on the outer row.

This module defines nodes and scalars only; lowering is in lower/extract.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..scalar import Scalar
from ..tables import Column
from ..types import FluxType
from .core import SEQ, OrderBy, PlanNode, Schema, Unary


@dataclass(frozen=True)
class FindTable(Unary, PlanNode):
    """The first table (in stream order) whose group key satisfies `predicate`.

    `predicate` is a scalar over the key columns, or a constant bool. `missing` is the
    error message an extraction raises when no table matches (tableFind), None when it
    gives null or an empty array instead (findRecord, findColumn).
    """

    input: PlanNode
    predicate: Scalar | bool
    missing: str | None = field(default=None, compare=False)
    flux_name: str = "tableFind"

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.input.may_have_empty

    @property
    def schema(self) -> Schema:
        return self.input.schema


@dataclass(frozen=True, eq=False)
class OuterRef(Scalar):
    """A column of the row a correlated subquery is evaluated for (the outer row)."""

    name: str
    type: FluxType | None


@dataclass(frozen=True, eq=False)
class TableCell(Scalar):
    """`column` of row `index` (0-based, in the table's row order) of the single table `node`.

    `missing_table` / `missing_row`: the error raised when `node` holds no table / no such
    row (getRecord); None gives null (findRecord returns an empty record).
    """

    node: PlanNode
    column: str
    index: Scalar
    type: FluxType | None
    missing_table: str | None = None
    missing_row: str | None = None


@dataclass(frozen=True, eq=False)
class TableColumn(Scalar):
    """The values of `column` in the single table `node`, in row order, as an array.

    `type` is the element type. `missing_table`: the error raised when `node` holds no
    table (getColumn after tableFind); None gives an empty array (findColumn).
    """

    node: PlanNode
    column: str
    type: FluxType | None
    missing_table: str | None = None


@dataclass(frozen=True)
class ChooseStream(PlanNode):
    """`if test then when_true else when_false` where `test` depends on the outer row.

    Both streams must agree on the group key and on the types of shared columns; a
    column one of them lacks is null in its rows.
    """

    test: Scalar
    when_true: PlanNode
    when_false: PlanNode
    flux_name: str = "choose"

    @property
    def inputs(self):  # type: ignore[override]
        return (self.when_true, self.when_false)

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.when_true.may_have_empty or self.when_false.may_have_empty

    @property
    def bounds(self):  # type: ignore[override]
        a, b = self.when_true.bounds, self.when_false.bounds
        return a if a == b else None

    @property
    def table_position(self):  # type: ignore[override]
        return None

    @property
    def tables_in_key_order(self) -> bool:  # type: ignore[override]
        return self.when_true.tables_in_key_order and self.when_false.tables_in_key_order

    @property
    def order(self) -> OrderBy:
        a, b = self.when_true.order, self.when_false.order
        return a if a == b else OrderBy(((SEQ, False),))

    @cached_property
    def schema(self) -> Schema:
        columns: dict[str, Column] = {}
        for s in (self.when_true.schema, self.when_false.schema):
            for c in s.columns:
                columns.setdefault(c.label, c)
        return Schema(tuple(columns.values()), self.when_true.schema.key)
