"""The Plan: immutable operators over *streams of Flux tables*.

Every node knows its output schema: the columns with their Flux types, the group key
(which columns name a table) and the row order inside each table. Flux applies
aggregates, selectors, sort, limit, fill ... per table; SQL has no tables inside a
relation, so lowering turns the key into GROUP BY / PARTITION BY and the order into
ORDER BY inside window functions.

A stream is lowered to ONE relation whose rows carry every column of the schema and
the hidden column `__seq`, the row's position in stream order. A table with no rows
cannot be a row set, yet Flux keeps empty tables (an empty window still counts 0), so an
empty table is represented by one *placeholder* row whose `__seq` is NULL and whose
non-key columns are NULL. Output drops placeholders.

In Flux each table has its own columns; here a column some tables lack is in the schema
and null in those tables. `PlanNode.maybe_absent` names such *padding* columns, and output
drops them per table (runtime.execute.own_columns).

This module owns node definitions and schema derivation. It knows nothing of SQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from ..scalar import Col, Scalar
from ..tables import Column, Table
from ..types import FluxType
from ..values import Duration

SEQ = "__seq"


@dataclass(frozen=True)
class Schema:
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    def __post_init__(self) -> None:
        labels = self.labels
        missing = [k for k in self.key if k not in labels]
        if missing:
            raise ValueError(f"group key column(s) {missing} not in schema {labels}")

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.columns)

    def has(self, label: str) -> bool:
        return any(c.label == label for c in self.columns)

    def type_of(self, label: str) -> FluxType | None:
        for c in self.columns:
            if c.label == label:
                return c.type
        return None

    def non_key(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.label not in self.key)


@dataclass(frozen=True)
class OrderBy:
    """Row order inside each table: a list of (column, descending) tried in turn."""

    items: tuple[tuple[str, bool], ...] = ((SEQ, False),)


class PlanNode:
    """Base of all plan nodes (each a frozen dataclass)."""

    inputs: tuple["PlanNode", ...] = ()
    # True when the relation may hold empty-table placeholders.
    may_have_empty: bool = False

    @property
    def schema(self) -> Schema:  # pragma: no cover - every node defines it
        raise NotImplementedError

    @property
    def order(self) -> OrderBy:
        return self.inputs[0].order if self.inputs else OrderBy()

    @property
    def bounds(self) -> tuple[int, int] | None:
        """The time bounds set by an upstream `range()` (ns), if known statically."""
        return self.inputs[0].bounds if self.inputs else None

    @property
    def tables_in_key_order(self) -> bool:
        """True when the stream's tables come in the order of their group keys (storage
        returns series so), rather than in the order of `__seq` (csv.from, array.from)."""
        return self.inputs[0].tables_in_key_order if self.inputs else False

    @property
    def table_position(self) -> str | None:
        """The hidden column whose minimum over a table's rows orders the tables of the
        stream, when `__seq` does not (a windowed aggregate numbers each table's rows by
        window start). None: `__seq` runs through the stream, table after table."""
        return self.inputs[0].table_position if self.inputs else None

    @property
    def step(self) -> str:
        """The Flux function this node comes from (names the CTE)."""
        return getattr(self, "flux_name", type(self).__name__.lower())

    @cached_property
    def maybe_absent(self) -> frozenset[str]:
        """The *padding* columns: columns of the schema that some tables of the stream may
        not have. In Flux each table has its own columns; here a table lacking one holds
        nulls in it. Output drops a marked column from a table when its key value is null
        (in the key) or all its cells are null (outside the key); see `absent_columns`."""
        return absent_columns(self)


class SplitByType:
    """A source compiled once per group of its tables that agree on column types: `site`
    numbers it, `choice` is the group this node holds, of `alternatives`."""

    def source_choices(self) -> list:
        return list(range(self.alternatives))

    @property
    def source_choice(self):
        return self.choice


class Unary:
    """Mixin for plan nodes with one `input` field."""

    @property
    def inputs(self):
        return (self.input,)


class KeepsTables(Unary):
    """Mixin for single-input nodes that keep their input's tables, empty ones included."""

    @property
    def may_have_empty(self) -> bool:
        return self.input.may_have_empty


@dataclass(frozen=True)
class Literal(SplitByType, PlanNode):
    """Tables written in the script or read from annotated CSV at compile time.

    A stream has one type per column, so when a CSV's tables disagree on a column's type
    they are split into `alternatives` groups and the program is compiled once per group
    (`site` numbers the source, `choice` is the group this node holds; transpile.compile).
    """

    tables: tuple[Table, ...]
    flux_name: str = "csv"
    site: int = 0
    choice: int = 0
    alternatives: int = 1
    # The position (`__seq`) of each table's first row in the whole source, when this node
    # holds one type group of it, so that groups put back together keep the source's order.
    first_rows: tuple[int, ...] | None = None

    @cached_property
    def schema(self) -> Schema:
        columns: dict[str, Column] = {}
        key: list[str] = []
        for table in self.tables:
            for col in table.columns:
                seen = columns.get(col.label)
                if seen is not None and seen.type != col.type:
                    from ..errors import FluxUnsupportedError

                    raise FluxUnsupportedError(
                        f"column {col.label!r} has type {seen.type.value} in one table and "
                        f"{col.type.value} in another; flux2sql needs one type per column in a stream"
                    )
                columns.setdefault(col.label, col)
            for k in table.key:
                if k not in key:
                    key.append(k)
        return Schema(tuple(columns.values()), tuple(key))

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return any(not t.rows for t in self.tables)


@dataclass(frozen=True)
class Range(Unary, PlanNode):
    """`range(start, stop)`: keep rows with start <= _time < stop; set _start/_stop, add them to the key."""

    input: PlanNode
    start: int
    stop: int
    flux_name: str = "range"

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.input.may_have_empty or isinstance(self.input, Literal)

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        bounds = (Column("_start", FluxType.TIME), Column("_stop", FluxType.TIME))
        rest = tuple(c for c in s.columns if c.label not in ("_start", "_stop"))
        key = ("_start", "_stop") + tuple(k for k in s.key if k not in ("_start", "_stop"))
        return Schema(bounds + rest, key)

    @property
    def clamps_key(self) -> bool:
        """True when the input's tables already carry _start/_stop in their key: range()
        then narrows them to its bounds instead of replacing them ("each input table's
        group key value is modified to fit within the time bounds",
        https://docs.influxdata.com/flux/v0/stdlib/universe/range/)."""
        key = self.input.schema.key
        return "_start" in key and "_stop" in key

    @property
    def bounds(self):  # type: ignore[override]
        outer = self.input.bounds if self.clamps_key else None
        if outer is None:
            return (self.start, self.stop)
        return (max(self.start, outer[0]), min(self.stop, outer[1]))


@dataclass(frozen=True)
class Filter(Unary, PlanNode):
    """`filter(fn)`: keep rows where the predicate is true; `keep_empty` is onEmpty: "keep"."""

    input: PlanNode
    predicate: Scalar
    keep_empty: bool = False
    flux_name: str = "filter"

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.keep_empty

    @property
    def schema(self) -> Schema:
        return self.input.schema


@dataclass(frozen=True)
class Project(KeepsTables, PlanNode):
    """Compute each output column from the input row: map, keep, drop, rename, set, duplicate.

    `columns` are (label, expression, type) in output order; `key` the output group key.
    """

    input: PlanNode
    columns: tuple[tuple[str, Scalar], ...]
    key: tuple[str, ...]
    types: tuple[FluxType | None, ...]
    flux_name: str = "map"


    @cached_property
    def schema(self) -> Schema:
        cols = tuple(Column(label, t) for (label, _), t in zip(self.columns, self.types))
        return Schema(cols, self.key)


@dataclass(frozen=True)
class Group(KeepsTables, PlanNode):
    """`group(columns, mode)`: regroup rows into tables by a new key."""

    input: PlanNode
    key: tuple[str, ...]
    flux_name: str = "group"


    @cached_property
    def schema(self) -> Schema:
        return Schema(self.input.schema.columns, self.key)

    @property
    def order(self) -> OrderBy:
        """Flux appends whole input tables to the new tables, in stream order: rows keep
        their input table's order, tables come in the order of their first row."""
        items = self.input.order.items
        if self.input.tables_in_key_order:
            # Storage streams series in the order of their keys.
            return OrderBy(tuple((k, False) for k in self.input.schema.key) + items)
        if all(c == SEQ for c, _ in items) and self.input.table_position is None:
            return self.input.order  # __seq already runs table by table in stream order
        return OrderBy(((TABLE_SEQ, False),) + items)

    @property
    def table_position(self) -> str | None:  # type: ignore[override]
        return TABLE_SEQ if self.order.items[0][0] == TABLE_SEQ else self.input.table_position


# Hidden column: the stream position of the first row of a row's input table (see Group.order).
TABLE_SEQ = "__table_seq"
# Hidden column of a windowed aggregate's rows: the stream position of the input table the
# window came from (windows of one table share it; see PlanNode.table_position).
TABLE_FIRST = "__table_first"


def windowed(node: PlanNode) -> bool:
    """True when the node's input is split into time windows (window() not every: inf)."""
    return isinstance(node.input, Window) and not node.input.every_inf


@dataclass(frozen=True)
class Aggregate(Unary, PlanNode):
    """An aggregate: one row per table with the key columns and the aggregated column.

    `function` names an entry of the lowering's aggregate table (mean, sum, count, ...);
    `params` holds its constant arguments as (name, value) pairs.
    """

    input: PlanNode
    function: str
    column: str
    out_type: FluxType | None
    params: tuple[tuple[str, object], ...] = ()
    flux_name: str = ""

    @property
    def step(self) -> str:
        return self.flux_name or self.function

    @property
    def order(self) -> OrderBy:
        # One row per table; the hidden __seq places it when tables merge later.
        return OrderBy()

    @property
    def table_position(self) -> str | None:  # type: ignore[override]
        # Windowed: __seq is the window start, which restarts in every input table.
        # (Tables read from storage are ordered by their keys instead.)
        if self.tables_in_key_order:
            return None
        return TABLE_FIRST if windowed(self) or self.input.table_position else None

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        cols = tuple(c for c in s.columns if c.label in s.key) + (Column(self.column, self.out_type),)
        return Schema(cols, s.key)


@dataclass(frozen=True)
class Selector(Unary, PlanNode):
    """A selector keeps whole rows: first, last, min, max (one row), or limit/tail/sample (n rows)."""

    input: PlanNode
    function: str
    column: str
    params: tuple[tuple[str, object], ...] = ()
    flux_name: str = ""

    @property
    def step(self) -> str:
        return self.flux_name or self.function

    @property
    def schema(self) -> Schema:
        return self.input.schema

    @property
    def table_position(self) -> str | None:  # type: ignore[override]
        # Empty windows get rows numbered by window start (aggregates.fill_empty_windows).
        if windowed(self) and self.input.create_empty and not self.tables_in_key_order:
            return TABLE_FIRST
        return self.input.table_position


@dataclass(frozen=True)
class Sort(KeepsTables, PlanNode):
    input: PlanNode
    columns: tuple[str, ...]
    desc: bool
    flux_name: str = "sort"


    @property
    def schema(self) -> Schema:
        return self.input.schema

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        cols = tuple((c, self.desc) for c in self.columns if self.input.schema.has(c))
        return OrderBy(cols + self.input.order.items)


@dataclass(frozen=True)
class Window(Unary, PlanNode):
    """`window()`: split each table into time windows; _start/_stop become the window bounds.

    Fixed windows have `every`/`period`/`offset` durations aligned to the Unix epoch;
    `create_empty` keeps windows with no rows as empty tables. `every_inf` is window(every: inf):
    one window per table spanning the bounds.
    """

    input: PlanNode
    every: Duration
    period: Duration
    offset: Duration
    create_empty: bool
    time_column: str = "_time"
    start_column: str = "_start"
    stop_column: str = "_stop"
    location: str = "UTC"
    every_inf: bool = False
    flux_name: str = "window"

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.create_empty or self.input.may_have_empty

    @cached_property
    def schema(self) -> Schema:
        return windowed_schema(self.input.schema, self.start_column, self.stop_column)


def windowed_schema(s: Schema, start_column: str, stop_column: str) -> Schema:
    """The schema of a window() of `s`: the window bounds first and last in the key."""
    bounds = (Column(start_column, FluxType.TIME), Column(stop_column, FluxType.TIME))
    names = (start_column, stop_column)
    rest = tuple(c for c in s.columns if c.label not in names)
    key = tuple(k for k in s.key if k not in names) + names
    return Schema(bounds + rest, key)


@dataclass(frozen=True)
class Union(SplitByType, PlanNode):
    """`union(tables)`: all tables of all inputs; missing columns are null."""

    streams: tuple[PlanNode, ...]
    flux_name: str = "union"
    # Streams whose columns disagree on a type are unioned in groups, one compilation
    # each (see Literal and transpile.compile).
    site: int = 0
    choice: int = 0
    alternatives: int = 1

    @property
    def inputs(self):  # type: ignore[override]
        return self.streams

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return any(s.may_have_empty for s in self.streams)

    @property
    def bounds(self):  # type: ignore[override]
        # Known when every stream has the same range() bounds.
        found = {s.bounds for s in self.streams}
        return found.pop() if len(found) == 1 else None

    @cached_property
    def schema(self) -> Schema:
        # A table lacking a column has it null, as Literal does for the tables it holds;
        # so the key is every stream's key columns.
        columns: dict[str, Column] = {}
        key: dict[str, None] = {}
        for s in self.streams:
            for c in s.schema.columns:
                columns.setdefault(c.label, c)
            key.update(dict.fromkeys(s.schema.key))
        return Schema(tuple(columns.values()), tuple(key))


@dataclass(frozen=True)
class Yield:
    """A named result of the program."""

    name: str
    node: PlanNode
    span: object = field(default=None, compare=False)


# ---------------------------------------------------------------- padding columns
#
# Which columns may be absent from some tables (PlanNode.maybe_absent), one rule per node
# class. Sources mark them (a bucket's tag columns: InfluxDB stores no null tag, a series
# without tag X has no column X; csv.from's columns missing from some of its tables); a
# node that passes a column through unchanged keeps the mark; a node that sets or computes
# a column clears it. Nodes without a rule keep the marks of the key columns they keep
# (a key column holds one value per table, copied by every per-table transformation:
# null there still means the table lacked it) and clear the rest.

AbsentRule = Callable[[PlanNode], frozenset]
ABSENT_RULES: dict[type, AbsentRule] = {}


def absent_rule(*classes: type):
    """Register the padding-column rule of some node classes (subclasses inherit it)."""

    def register(rule: AbsentRule) -> AbsentRule:
        for cls in classes:
            ABSENT_RULES[cls] = rule
        return rule

    return register


def absent_columns(node: PlanNode) -> frozenset:
    for cls in type(node).__mro__:
        rule = ABSENT_RULES.get(cls)
        if rule is not None:
            return rule(node)
    return key_marks_kept(node)


NOTHING_ABSENT: frozenset = frozenset()


def key_marks_kept(node: PlanNode) -> frozenset:
    """The default: the marks of the columns in the group key of both input and output,
    with the same type."""
    if len(node.inputs) != 1:
        return NOTHING_ABSENT
    source = node.inputs[0]
    marks = source.maybe_absent
    if not marks:
        return NOTHING_ABSENT
    before, after = source.schema, node.schema
    return frozenset(m for m in marks if m in before.key and m in after.key
                     and before.type_of(m) == after.type_of(m))


def marks_passed_through(node: PlanNode, removed: tuple[str, ...] = ()) -> frozenset:
    """Every mark of the input whose column is still in the output (and not `removed`):
    for nodes that keep each table's columns as they are (filter, sort, group, selectors)."""
    marks = node.inputs[0].maybe_absent
    if not marks:
        return NOTHING_ABSENT
    schema = node.schema
    return frozenset(m for m in marks if m not in removed and schema.has(m))


@absent_rule(Filter, Sort, Group, Selector)
def _keeps_columns(node: PlanNode) -> frozenset:
    # Outside the key, "null on every row" stands for "absent": exact for a table group()
    # merged from tables with and without the column, unless a later filter or selector keeps
    # only rows from tables without it (Flux would then print the column empty).
    return marks_passed_through(node)


@absent_rule(Range)
def _range_marks(node: Range) -> frozenset:
    return marks_passed_through(node, ("_start", "_stop"))


@absent_rule(Window)
def _window_marks(node: Window) -> frozenset:
    return marks_passed_through(node, (node.start_column, node.stop_column))


# Projections that move a column's cells to another label unchanged: a column the table
# lacks stays lacking (rename ignores missing columns). map() with `r.x` under another
# label makes a column of nulls instead.
MOVES_CELLS = frozenset({"rename", "duplicate"})


@absent_rule(Project)
def _project_marks(node: Project) -> frozenset:
    marks = node.input.maybe_absent
    if not marks:
        return NOTHING_ABSENT
    moves = node.flux_name in MOVES_CELLS
    out = set()
    for label, expr in node.columns:
        name = expr.name if isinstance(expr, Col) else None
        if name in marks and (name == label or moves):
            out.add(label)
    return frozenset(out)


@absent_rule(Literal)
def _literal_marks(node: Literal) -> frozenset:
    """The columns missing from some of the tables (an annotated CSV block without them)."""
    labels = [set(t.labels) for t in node.tables]
    if len(labels) < 2:
        return NOTHING_ABSENT
    return frozenset(set.union(*labels) - set.intersection(*labels))


@absent_rule(Union)
def _union_marks(node: Union) -> frozenset:
    """The inputs' marks, and the columns some input lacks."""
    out: set = set()
    every = set(node.schema.labels)
    for s in node.streams:
        out |= s.maybe_absent
        every &= set(s.schema.labels)
    return frozenset(out | (set(node.schema.labels) - every))
