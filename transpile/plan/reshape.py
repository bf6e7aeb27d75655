"""Plan nodes for Flux's reshaping and selection functions: pivot, keys/columns, distinct,
unique, mode, sample, and the helper that finds the values a column can take.

Schemas are static (see `core`), yet `pivot()` makes columns out of DATA values. The
choice made here: the new columns are computed at compile time from the *value domain*
of the column-key columns, found by walking the plan back to its `Literal` sources
(`column_values`). Row-subsetting steps (range, filter, sort, group, limit, ...) pass the
domain through, and `filter(fn: (r) => r._field == "x" or ...)` narrows it. The domain is
a superset of the values present after the plan runs, so a table may get a column that
holds only nulls where Flux would not create it; for Flux every table has its own
columns anyway, and a column of nulls is how this compiler's one-schema-per-stream model
shows "not in this table". When the domain cannot be known (a source whose data is not
known at compile time), pivot is refused with a clear error rather than guessed.

Extension points for nodes defined elsewhere: a node that only drops or reorders rows and
keeps its columns sets `passes_rows_through = True`; a source whose values are known
another way (a storage scan reading field names from the bucket catalog) defines
`known_values(column, where) -> tuple | None`.

This module knows nothing of SQL.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..scalar import Call, Col, Lit, Scalar
from ..tables import Column
from ..types import FluxType
from .core import (
    SEQ,
    Aggregate,
    Filter,
    Group,
    Literal,
    OrderBy,
    PlanNode,
    Project,
    Range,
    Schema,
    Selector,
    Sort,
    Union,
    Window,
)

# ---------------------------------------------------------------- value domains


def column_values(node: PlanNode, column: str, where: dict | None = None) -> tuple | None:
    """The distinct values `column` may hold in `node`'s output, in first-appearance order,
    or None when they cannot be known at compile time. Cells are raw table cells (times as
    int nanoseconds). `where` maps columns to the values a row must have to count (the
    equality filters met on the way to the source): the answer is a superset of what the
    plan really yields, never a subset."""
    where = where or {}
    handler = _DOMAIN.get(type(node))
    if handler is not None:
        return handler(node, column, where)
    known = getattr(node, "known_values", None)
    if known is not None:  # e.g. a storage scan answering from the bucket catalog
        return known(column, where)
    if getattr(node, "passes_rows_through", False) and node.inputs:
        return column_values(node.inputs[0], column, where)
    return None


def _literal_values(node: Literal, column: str, where: dict):
    seen: dict = {}
    for table in node.tables:
        index = {label: i for i, label in enumerate(table.labels)}
        for row in table.rows:
            if all((row[index[c]] if c in index else None) in allowed for c, allowed in where.items()):
                seen.setdefault(row[index[column]] if column in index else None, None)
    return tuple(seen)


def _through(node, column, where):
    return column_values(node.inputs[0], column, where)


def _filter_values(node: Filter, column: str, where: dict):
    from ..scalar import columns_used

    narrowed = dict(where)
    for c in columns_used(node.predicate):
        allowed = allowed_values(node.predicate, c)
        if allowed is not None:
            narrowed[c] = narrowed[c] & allowed if c in narrowed else allowed
    return column_values(node.input, column, narrowed)


def allowed_values(predicate: Scalar, column: str) -> set | None:
    """The values of `column` a row must have to pass `predicate` (None: any value)."""
    if isinstance(predicate, Call):
        if predicate.fn == "==" and len(predicate.args) == 2:
            a, b = predicate.args
            if isinstance(b, Col) and isinstance(a, Lit):
                a, b = b, a
            if isinstance(a, Col) and a.name == column and isinstance(b, Lit) and b.value is not None:
                return {_cell_of(b.value)}
            return None
        if predicate.fn == "and":
            sets = [s for s in (allowed_values(a, column) for a in predicate.args) if s is not None]
            if not sets:
                return None
            out = sets[0]
            for s in sets[1:]:
                out = out & s
            return out
        if predicate.fn == "or":
            sets = [allowed_values(a, column) for a in predicate.args]
            if any(s is None for s in sets):
                return None
            out: set = set()
            for s in sets:
                out |= s
            return out
    return None


def _cell_of(value):
    from ..values import Time, UInt

    if isinstance(value, Time):
        return value.nanoseconds
    if isinstance(value, UInt):
        return value.value
    return value


def _project_values(node: Project, column: str, where: dict):
    exprs = dict(node.columns)
    inner: dict = {}
    for c, allowed in where.items():
        e = exprs.get(c)
        if isinstance(e, Col):
            inner[e.name] = inner[e.name] & allowed if e.name in inner else allowed
        elif isinstance(e, Lit) and _cell_of(e.value) not in allowed:
            return ()
    e = exprs.get(column)
    if isinstance(e, Col):
        return column_values(node.input, e.name, inner)
    if isinstance(e, Lit):
        return (_cell_of(e.value),)
    return None


def _union_values(node: Union, column: str, where: dict):
    seen: dict = {}
    for stream in node.streams:
        values = column_values(stream, column, where) if stream.schema.has(column) else (None,)
        if values is None:
            return None
        for v in values:
            seen.setdefault(v, None)
    return tuple(seen)


def _aggregate_values(node: Aggregate, column: str, where: dict):
    if column not in node.schema.key:
        return None
    return column_values(node.input, column, {c: v for c, v in where.items() if c in node.schema.key})


def _pivot_values(node: Pivot, column: str, where: dict):
    new = dict(node.new_columns)
    kept = {c: v for c, v in where.items() if c not in new}
    if column not in new:
        return column_values(node.input, column, kept)
    for c, v in zip(node.column_key, new[column]):
        kept[c] = kept[c] & {v} if c in kept else {v}
    # (A row key without that combination leaves the cell null; that null is not listed.)
    return column_values(node.input, node.value_column, kept)


_DOMAIN = {
    Literal: _literal_values,
    Range: _through,
    Filter: _filter_values,
    Project: _project_values,
    Group: _through,
    Sort: _through,
    Selector: _through,
    Window: _through,
    Union: _union_values,
    Aggregate: _aggregate_values,
}


def label_of(values: tuple, types: tuple) -> str:
    """Flux's pivot column label: the column-key values joined by "_" ("null" for null)."""
    from ..functions.universe import to_string
    from ..values import Time, UInt

    parts = []
    for v, t in zip(values, types):
        if v is None:
            parts.append("null")
        elif t == FluxType.TIME:
            parts.append(to_string(Time(v)))
        elif t == FluxType.UINT:
            parts.append(to_string(UInt(v)))
        else:
            parts.append(to_string(v))
    return "_".join(parts)


# ---------------------------------------------------------------- nodes


class _OneInput(PlanNode):
    @property
    def inputs(self):  # type: ignore[override]
        return (self.input,)


@dataclass(frozen=True)
class Pivot(_OneInput):
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

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.input.may_have_empty

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


_DOMAIN[Pivot] = _pivot_values


@dataclass(frozen=True)
class ColumnLabels(_OneInput):
    """`keys()` / `columns()`: per table, one row per label (group key labels, or all
    column labels) in the column `column`; the group key columns are kept.

    https://docs.influxdata.com/flux/v0/stdlib/universe/keys/ and /columns/
    """

    input: PlanNode
    column: str
    labels: tuple[str, ...]
    flux_name: str = "keys"

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.input.may_have_empty

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        cols = tuple(c for c in s.columns if c.label in s.key and c.label != self.column)
        return Schema(cols + (Column(self.column, FluxType.STRING),), tuple(k for k in s.key if k != self.column))

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy()


@dataclass(frozen=True)
class Distinct(_OneInput):
    """`distinct(column)`: per table, each distinct value of `column` (nulls included) once,
    in order of first appearance, as `_value`; the group key columns are kept.

    https://docs.influxdata.com/flux/v0/stdlib/universe/distinct/
    """

    input: PlanNode
    column: str
    flux_name: str = "distinct"

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.input.may_have_empty

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
    The group key columns are kept, the other input columns dropped.

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
        return Schema(cols, tuple(k for k in s.key if k not in labels))

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


def _distinct_values(node: Distinct, column: str, where: dict):
    source = node.column if column == "_value" else column
    return column_values(node.input, source, {c: v for c, v in where.items() if c in node.input.schema.key})


def _unpivot_values(node: Unpivot, column: str, where: dict):
    fields = tuple(f for f in node.value_columns if "_field" not in where or f in where["_field"])
    if column == "_field":
        return fields
    kept = {c: v for c, v in where.items() if c not in ("_field", "_value")}
    if column != "_value":
        return column_values(node.input, column, kept)
    seen: dict = {}
    for f in fields:
        values = column_values(node.input, f, kept)
        if values is None:
            return None
        seen.update(dict.fromkeys(v for v in values if v is not None))
    return tuple(seen)


def _join_values(node, column: str, where: dict):
    from .join import LEFT, RIGHT

    expr = dict(node.columns).get(column)
    if not isinstance(expr, Col):
        return None
    for prefix, side, outer in ((LEFT, node.left, ("right", "full")), (RIGHT, node.right, ("left", "full"))):
        if expr.name.startswith(prefix):
            values = column_values(side, expr.name[len(prefix):])
            if values is not None and node.method in outer:
                values = tuple(dict.fromkeys(values + (None,)))
            return values
    return None


def _register_late() -> None:
    from .join import Join

    _DOMAIN.update({Distinct: _distinct_values, Unpivot: _unpivot_values, Join: _join_values})


_register_late()
