"""Plan nodes for Flux's reshaping and selection functions: pivot, keys/columns, distinct,
unique, mode, sample, unpivot, keyValues, covariance and reduce.

pivot's new columns are named at compile time from the values the column-key columns can
take (`plan.domains`). This module knows nothing of SQL.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..scalar import Scalar
from ..tables import Column
from ..types import FluxType
from .core import SEQ, KeepsTables, OrderBy, PlanNode, Schema, Unary, absent_rule, key_marks_kept, marks_passed_through

# ---------------------------------------------------------------- nodes


class _OneInput(Unary, PlanNode):
    pass


@dataclass(frozen=True)
class Pivot(KeepsTables, _OneInput):
    """`pivot(rowKey, columnKey, valueColumn)`: one row per row-key value in each table,
    one column per column-key value combination (`new_columns`: (label, values)).

    https://docs.influxdata.com/flux/v0/stdlib/universe/pivot/ : the output columns are
    the row key and group key columns (minus columnKey and valueColumn) in input order,
    then the new columns; rows are sorted by the row key; a repeated (row, column) pair
    keeps the last value.
    """

    input: PlanNode
    row_key: tuple[str, ...]
    column_key: tuple[str, ...]
    value_column: str
    new_columns: tuple[tuple[str, tuple], ...]
    flux_name: str = "pivot"
    # Flux's pivot builds its output tables in a cache sorted by group key and emits them
    # in that order.
    tables_in_key_order = True

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        removed = set(self.column_key) | {self.value_column}
        kept = [c for c in s.columns if c.label not in removed and (c.label in s.key or c.label in self.row_key)]
        value_type = s.type_of(self.value_column)
        new_labels = {label for label, _ in self.new_columns}
        kept = [c for c in kept if c.label not in new_labels]
        cols = tuple(kept) + tuple(Column(label, value_type) for label, _ in self.new_columns)
        key = tuple(k for k in s.key if k not in removed and k not in new_labels)
        return Schema(cols, key)

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy(tuple((c, False) for c in self.row_key) + ((SEQ, False),))


@dataclass(frozen=True)
class PivotVariants(PlanNode):
    """pivot() of a stream held as type variants (analyze/variants.py): each variant is
    the same stream over one type group of its source. `pivots` are the per-variant
    pivots, each naming only the columns its variant supplies; the result is one pivot,
    whose rows join the columns of every variant (same semantics as `Pivot`).
    """

    pivots: tuple[Pivot, ...]
    flux_name: str = "pivot"

    @property
    def inputs(self):
        return tuple(p.input for p in self.pivots)

    @property
    def may_have_empty(self) -> bool:
        return any(p.may_have_empty for p in self.pivots)

    tables_in_key_order = True  # as Pivot

    @property
    def table_position(self) -> str | None:
        return None

    @property
    def bounds(self):
        return self.pivots[0].bounds

    @cached_property
    def schema(self) -> Schema:
        first = self.pivots[0].schema
        new = tuple(c for p in self.pivots for c in p.schema.columns[len(p.schema.columns) - len(p.new_columns):])
        return Schema(first.columns[: len(first.columns) - len(self.pivots[0].new_columns)] + new, first.key)

    @property
    def order(self) -> OrderBy:
        return self.pivots[0].order


@dataclass(frozen=True)
class ColumnLabels(KeepsTables, _OneInput):
    """`keys()` / `columns()`: per table, one row per label (group key labels, or all
    column labels) in the column `column`; the group key columns are kept.

    https://docs.influxdata.com/flux/v0/stdlib/universe/keys/ and /columns/
    """

    input: PlanNode
    column: str
    labels: tuple[str, ...]
    flux_name: str = "keys"


    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        cols = tuple(c for c in s.columns if c.label in s.key and c.label != self.column)
        return Schema(cols + (Column(self.column, FluxType.STRING),), tuple(k for k in s.key if k != self.column))

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy()


@dataclass(frozen=True)
class Distinct(KeepsTables, _OneInput):
    """`distinct(column)`: per table, each distinct value of `column` (nulls included) once,
    in order of first appearance, as `_value`; the group key columns are kept.

    https://docs.influxdata.com/flux/v0/stdlib/universe/distinct/
    """

    input: PlanNode
    column: str
    flux_name: str = "distinct"


    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        if self.column in s.key:
            cols = tuple(c for c in s.columns if c.label in s.key)
            return Schema(cols + (Column("_value", s.type_of(self.column)),), tuple(k for k in s.key if k != "_value"))
        cols = tuple(c for c in s.columns if c.label in s.key and c.label != "_value")
        return Schema(cols + (Column("_value", s.type_of(self.column)),), tuple(k for k in s.key if k != "_value"))

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy()


@dataclass(frozen=True)
class RowSelect(_OneInput):
    """Keep some rows of each table, whole: `unique(column)` (first row of each value),
    `sample(n, pos)` (every n-th row from pos), `mode(column)` handled by `Mode`.

    `kind` is "unique" or "sample"; `params` holds (name, value) pairs.
    """

    input: PlanNode
    kind: str
    column: str
    params: tuple[tuple[str, object], ...] = ()
    flux_name: str = ""

    @property
    def step(self) -> str:
        return self.flux_name or self.kind

    @property
    def schema(self) -> Schema:
        return self.input.schema

    passes_rows_through = True


@dataclass(frozen=True)
class Mode(_OneInput):
    """`mode(column)`: per table, the most frequent non-null value(s) of `column`, each
    on its own row in ascending order; the group key columns are kept.

    https://docs.influxdata.com/flux/v0/stdlib/universe/mode/
    """

    input: PlanNode
    column: str
    flux_name: str = "mode"

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        cols = tuple(c for c in s.columns if c.label in s.key and c.label != self.column)
        return Schema(cols + (Column(self.column, s.type_of(self.column)),), s.key)

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy(((self.column, False), (SEQ, False)))


@dataclass(frozen=True)
class Covariance(_OneInput):
    """`covariance(columns: [x, y], pearsonr, valueDst)`: per table, the sample covariance
    of two columns (or their Pearson correlation) in `value_dst`; the key columns are kept.

    https://docs.influxdata.com/flux/v0/stdlib/universe/covariance/
    """

    input: PlanNode
    x: str
    y: str
    pearsonr: bool
    value_dst: str
    flux_name: str = "covariance"

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        cols = tuple(c for c in s.columns if c.label in s.key and c.label != self.value_dst)
        return Schema(cols + (Column(self.value_dst, FluxType.FLOAT),), tuple(k for k in s.key if k != self.value_dst))

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy()


AGG = "\x00agg."


@dataclass(frozen=True)
class Reduce(_OneInput):
    """`reduce(fn, identity)` where each accumulator field has a shape SQL can aggregate.

    `aggregates` are (name, kind, argument): kind is "sum", "product", "max", "min",
    "count" or "last" (the value at the table's last row), the argument a scalar over the
    input row. `outputs` are (label, scalar over `Col(AGG + name)`), in the record's order.
    The group key columns are kept (a field of the same name overwrites one), the other
    input columns dropped.

    https://docs.influxdata.com/flux/v0/stdlib/universe/reduce/
    """

    input: PlanNode
    aggregates: tuple[tuple[str, str, Scalar], ...]
    outputs: tuple[tuple[str, Scalar], ...]
    types: tuple[FluxType, ...]
    flux_name: str = "reduce"

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        labels = {label for label, _ in self.outputs}
        cols = tuple(c for c in s.columns if c.label in s.key and c.label not in labels)
        cols += tuple(Column(label, t) for (label, _), t in zip(self.outputs, self.types))
        # A reducer field named like a key column overwrites it and stays in the key.
        return Schema(cols, s.key)

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy()


@dataclass(frozen=True)
class Unpivot(_OneInput):
    """`experimental.unpivot(otherColumns)`: every column outside the group key and
    `other_columns` becomes rows `_field` = its label, `_value` = its value (nulls are
    skipped); `_field` joins the group key unless it is one of `other_columns`. Rows come
    field by field, each in input order.

    https://docs.influxdata.com/flux/v0/stdlib/experimental/unpivot/
    """

    input: PlanNode
    other_columns: tuple[str, ...]
    value_columns: tuple[str, ...]
    flux_name: str = "unpivot"

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        kept = tuple(c for c in s.columns if c.label in s.key or c.label in self.other_columns)
        kept = tuple(c for c in kept if c.label not in ("_field", "_value"))
        value_type = s.type_of(self.value_columns[0]) if self.value_columns else FluxType.FLOAT
        cols = (Column("_field", FluxType.STRING),) + kept + (Column("_value", value_type),)
        key = tuple(k for k in s.key if k not in ("_field", "_value"))
        if "_field" not in self.other_columns:
            key = ("_field",) + key
        return Schema(cols, key)

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy()


@dataclass(frozen=True)
class KeyValues(_OneInput):
    """`keyValues(keyColumns)`: per table, the distinct (label, value) pairs of the listed
    columns as rows `_key`, `_value`, column by column, values in order of appearance;
    the group key columns are kept. https://docs.influxdata.com/flux/v0/stdlib/universe/keyvalues/
    """

    input: PlanNode
    key_columns: tuple[str, ...]
    flux_name: str = "keyValues"

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        cols = tuple(c for c in s.columns if c.label in s.key and c.label not in ("_key", "_value"))
        value_type = s.type_of(self.key_columns[0])
        return Schema(cols + (Column("_key", FluxType.STRING), Column("_value", value_type)),
                      tuple(k for k in s.key if k not in ("_key", "_value")))

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy()


# ---------------------------------------------------------------- padding columns
# (PlanNode.maybe_absent, see core.absent_rule). Nodes not listed keep the marks of the
# key columns they keep (core.key_marks_kept): ColumnLabels, Distinct, Mode, Covariance.


@absent_rule(Pivot)
def _pivot_marks(node: Pivot) -> frozenset:
    """pivot() gives a table a column for each column-key value of that table's rows only
    (https://docs.influxdata.com/flux/v0/stdlib/universe/pivot/): the new columns are
    named by the values of the whole stream, so each may be absent from some tables."""
    return key_marks_kept(node) | {label for label, _ in node.new_columns}


@absent_rule(PivotVariants)
def _pivot_variants_marks(node: PivotVariants) -> frozenset:
    labels = set(node.schema.labels)
    return frozenset(m for p in node.pivots for m in p.maybe_absent if m in labels)


@absent_rule(RowSelect)
def _row_select_marks(node: RowSelect) -> frozenset:
    return marks_passed_through(node)


@absent_rule(Reduce)
def _reduce_marks(node: Reduce) -> frozenset:
    # A reducer field named like a key column overwrites it.
    return key_marks_kept(node) - {label for label, _ in node.outputs}


@absent_rule(Unpivot, KeyValues)
def _rows_of_labels_marks(node: PlanNode) -> frozenset:
    return key_marks_kept(node) - {"_field", "_key", "_value"}
