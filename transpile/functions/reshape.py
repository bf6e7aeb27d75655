"""Flux's reshaping and selection functions: pivot, fieldsAsCols, keys, columns, distinct,
unique, mode, sample, top/bottom, highest*/lowest*, experimental.group and the
experimental aggregates that are universe ones under another name.

Functions that Flux itself defines in Flux (top, bottom, highestMax, ...) are built here
the same way, from the universe functions (sort, limit, group, max, ...), so they share
their plan nodes and SQL. Joins live in functions/join.py.
"""
from __future__ import annotations

from ..analyze.objects import Record, RowValue, Stream
from ..analyze.variants import NeedsSplit, StreamVariants
from ..plan import Group
from ..plan.domains import column_rows, column_values, label_of
from ..plan.reshape import (
    ColumnLabels,
    Covariance,
    Distinct,
    KeyValues,
    Mode,
    Pivot,
    PivotVariants,
    RowSelect,
    Unpivot,
)
from ..scalar import Col
from ..values import Duration
from . import universe
from .registry import alias, flux_function, package
from .streams import stream_of, string_list


def _column_arg(ctx, node, column: str, arg: str = "column") -> str:
    if not isinstance(column, str):
        raise ctx.error(f"{arg} must be a string", arg)
    if not node.schema.has(column):
        raise ctx.error(f"column {column!r} does not exist", arg)
    return column


def _int_arg(ctx, value, arg: str, minimum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ctx.error(f"{arg} must be an integer", arg)
    if minimum is not None and value < minimum:
        raise ctx.error(f"{arg} must be at least {minimum}", arg)
    return value


# ---------------------------------------------------------------- pivot


@flux_function("universe", partial="the column-key values must be knowable at compile time (csv/array sources, equality filters)")
def pivot(ctx, tables, rowKey, columnKey, valueColumn):
    """pivot(rowKey, columnKey, valueColumn): https://docs.influxdata.com/flux/v0/stdlib/universe/pivot/

    The new columns come from the values the column-key columns can take, known at compile
    time from the plan's sources (see plan/domains.py for why and how). A stream held as
    type variants (fields of mixed types) is pivoted as one: see analyze/variants.py.
    """
    if isinstance(tables, StreamVariants):
        return _pivot_variants(ctx, tables, rowKey, columnKey, valueColumn)
    node = stream_of(ctx, tables)
    row_key = string_list(ctx, rowKey, "rowKey")
    column_key = string_list(ctx, columnKey, "columnKey")
    if not column_key:
        raise ctx.error("columnKey must name at least one column", "columnKey")
    if not isinstance(valueColumn, str) or not node.schema.has(valueColumn):
        raise ctx.error(f"value column {valueColumn!r} does not exist", "valueColumn")
    for arg, cols in (("rowKey", row_key), ("columnKey", column_key)):
        for c in cols:
            if not node.schema.has(c):
                raise ctx.error(f"column {c!r} does not exist", arg)
    combos = column_rows(node, column_key)
    if combos is None:
        unknown = [c for c in column_key if column_values(node, c) is None] or list(column_key)
        raise ctx.unsupported(
            f"the values of column {unknown[0]!r} are not known at compile time, so the pivoted columns cannot be "
            "named (pivot needs a csv.from/array.from source or a filter naming the values)",
            "columnKey",
        )
    types = tuple(node.schema.type_of(c) for c in column_key)
    seen: dict = {}
    for combo in combos:
        seen.setdefault(label_of(combo, types), combo)
    new_columns = tuple(seen.items())
    return Stream(Pivot(node, row_key, column_key, valueColumn, new_columns))


def _pivot_variants(ctx, variants: StreamVariants, rowKey, columnKey, valueColumn) -> Stream:
    """One pivot over every type variant: each variant names the columns it supplies."""
    pivots = [pivot(ctx, stream, rowKey, columnKey, valueColumn).node for stream in variants.streams]
    pivots = [p for p in pivots if p.new_columns] or pivots[:1]
    if len(pivots) == 1:
        return Stream(pivots[0])
    kept = {(p.schema.columns[: len(p.schema.columns) - len(p.new_columns)], p.schema.key) for p in pivots}
    if len(kept) > 1:
        raise NeedsSplit()  # the variants differ beyond the pivoted values: compile them apart
    seen: dict = {}
    for p in pivots:
        for label, _ in p.new_columns:
            if label in seen:
                raise ctx.error(f"column {label!r} would hold values of two types", "columnKey")
            seen[label] = p
    return Stream(PivotVariants(tuple(pivots)))


pivot.merges_variants = True


def _fields_as_cols(ctx, tables):
    """fieldsAsCols(): pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value").

    https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/schema/fieldsascols/
    """
    return pivot(ctx, tables, ["_time"], ["_field"], "_value")


_fields_as_cols.merges_variants = True


_FIELDS_KNOWN = "the _field values must be knowable at compile time, as for pivot"
flux_function("influxdata/influxdb/schema", name="fieldsAsCols", partial=_FIELDS_KNOWN)(_fields_as_cols)
flux_function("influxdata/influxdb/v1", name="fieldsAsCols", partial=_FIELDS_KNOWN)(_fields_as_cols)


# ---------------------------------------------------------------- keys, columns, distinct


@flux_function("universe")
def keys(ctx, tables, column="_value"):
    """keys(column): the group key labels of each table, one per row.

    https://docs.influxdata.com/flux/v0/stdlib/universe/keys/
    """
    node = stream_of(ctx, tables)
    return Stream(ColumnLabels(node, column, tuple(node.schema.key), flux_name="keys"))


@flux_function("universe")
def columns(ctx, tables, column="_value"):
    """columns(column): the column labels of each table, one per row.

    https://docs.influxdata.com/flux/v0/stdlib/universe/columns/
    """
    node = stream_of(ctx, tables)
    return Stream(ColumnLabels(node, column, tuple(node.schema.labels), flux_name="columns"))


@flux_function("universe")
def keyValues(ctx, tables, keyColumns):
    """keyValues(keyColumns): distinct (label, value) pairs per table (see plan.reshape.KeyValues)."""
    node = stream_of(ctx, tables)
    cols = string_list(ctx, keyColumns, "keyColumns")
    if not cols:
        raise ctx.error("keyColumns must name at least one column", "keyColumns")
    for c in cols:
        _column_arg(ctx, node, c, "keyColumns")
    if len({node.schema.type_of(c) for c in cols}) > 1:
        raise ctx.error("the keyColumns must all have the same type", "keyColumns")
    return Stream(KeyValues(node, cols))


@flux_function("universe")
def distinct(ctx, tables, column: str = "_value"):
    """distinct(column): https://docs.influxdata.com/flux/v0/stdlib/universe/distinct/"""
    node = stream_of(ctx, tables)
    return Stream(Distinct(node, _column_arg(ctx, node, column)))


@flux_function("universe")
def unique(ctx, tables, column: str = "_value"):
    """unique(column): the first row of each distinct value. https://docs.influxdata.com/flux/v0/stdlib/universe/unique/"""
    node = stream_of(ctx, tables)
    return Stream(RowSelect(node, "unique", _column_arg(ctx, node, column), flux_name="unique"))


@flux_function("universe")
def mode(ctx, tables, column="_value"):
    """mode(column): https://docs.influxdata.com/flux/v0/stdlib/universe/mode/"""
    node = stream_of(ctx, tables)
    return Stream(Mode(node, _column_arg(ctx, node, column)))


@flux_function("universe", partial="pos: -1 (random start) starts at row 0")
def sample(ctx, tables, n: int, pos: int = -1):
    """sample(n, pos): every n-th row of each table from row `pos` (0-based).

    https://docs.influxdata.com/flux/v0/stdlib/universe/sample/ ; pos -1 means a random start
    in [0, n); this compiler must be deterministic and starts at 0, one of those outcomes.
    """
    node = stream_of(ctx, tables)
    n = _int_arg(ctx, n, "n", 1)
    pos = _int_arg(ctx, pos, "pos", -1)
    if pos >= n:
        raise ctx.error("pos must be less than n", "pos")
    return Stream(RowSelect(node, "sample", "_value", (("n", n), ("pos", max(pos, 0))), flux_name="sample"))


# ---------------------------------------------------------------- top, bottom, highest*, lowest*


def _sort_limit(ctx, tables, n, columns, desc):
    _int_arg(ctx, n, "n", 0)
    cols = string_list(ctx, columns, "columns")
    return universe.limit(ctx, universe.sort(ctx, tables, list(cols), desc), n)


@flux_function("universe")
def top(ctx, tables, n: int, columns=["_value"]):  # noqa: B006 - Flux's default
    """top(n, columns) = sort(columns, desc: true) |> limit(n). https://docs.influxdata.com/flux/v0/stdlib/universe/top/"""
    return _sort_limit(ctx, tables, n, columns, True)


@flux_function("universe")
def bottom(ctx, tables, n: int, columns=["_value"]):  # noqa: B006
    """bottom(n, columns) = sort(columns) |> limit(n). https://docs.influxdata.com/flux/v0/stdlib/universe/bottom/"""
    return _sort_limit(ctx, tables, n, columns, False)


def _highest_or_lowest(reducer, desc: bool, flux_name: str):
    """Flux's _highestOrLowest: group(groupColumns) |> reducer(column) |> group() |> top/bottom(n)."""

    def fn(ctx, tables, n, column="_value", groupColumns=[]):  # noqa: B006
        grouped = universe.group(ctx, tables, list(string_list(ctx, groupColumns, "groupColumns")))
        reduced = reducer(ctx, grouped, column=column)
        return _sort_limit(ctx, universe.group(ctx, reduced, []), n, [column], desc)

    fn.__name__ = flux_name
    return fn


for _name, _reducer, _desc in (
    ("highestMax", universe.max, True),
    ("highestAverage", universe.mean, True),
    ("highestCurrent", universe.last, True),
    ("lowestMin", universe.min, False),
    ("lowestAverage", universe.mean, False),
    ("lowestCurrent", universe.last, False),
):
    flux_function("universe", name=_name)(_highest_or_lowest(_reducer, _desc, _name))


# ---------------------------------------------------------------- covariance


@flux_function("universe")
def covariance(ctx, tables, columns, pearsonr=False, valueDst="_value"):
    """covariance(columns: [x, y], pearsonr, valueDst). https://docs.influxdata.com/flux/v0/stdlib/universe/covariance/"""
    node = stream_of(ctx, tables)
    cols = string_list(ctx, columns, "columns")
    if len(cols) != 2:
        raise ctx.error("columns must name exactly two columns", "columns")
    for c in cols:
        _column_arg(ctx, node, c, "columns")
        if not node.schema.type_of(c).is_numeric:
            raise ctx.error(f"column {c!r} is a {node.schema.type_of(c).value}; covariance needs numbers", "columns")
    return Stream(Covariance(node, cols[0], cols[1], bool(pearsonr), valueDst))


@flux_function("universe", pipe=None)
def cov(ctx, x, y, on, pearsonr=False):
    """cov(x, y, on, pearsonr) = join(tables: {x, y}, on) |> covariance(columns: ["_value_x", "_value_y"]).

    https://docs.influxdata.com/flux/v0/stdlib/universe/cov/
    """
    from .join import join

    joined = join(ctx, Record({"x": x, "y": y}), on=on)
    return covariance(ctx, joined, ["_value_x", "_value_y"], pearsonr)


@flux_function("universe", pipe=None)
def pearsonr(ctx, x, y, on):
    """pearsonr(x, y, on) = cov(x, y, on, pearsonr: true). https://docs.influxdata.com/flux/v0/stdlib/universe/pearsonr/"""
    return cov(ctx, x, y, on, True)


# ---------------------------------------------------------------- time columns


def _map_time_columns(ctx, tables, columns, fn, flux_name, arg="columns"):
    from ..types import FluxType

    node = stream_of(ctx, tables)
    for c in columns:
        if node.schema.has(c) and node.schema.type_of(c) != FluxType.TIME:
            raise ctx.error(f"column {c!r} is a {node.schema.type_of(c).value}, not a time", arg)
    cols = []
    for c in node.schema.columns:
        expr = Col(c.label, c.type)
        if c.label in columns:
            value = fn(RowValue(expr))
            expr = value.scalar if isinstance(value, RowValue) else expr
        cols.append((c.label, expr))
    from .streams import project

    return Stream(project(node, cols, node.schema.key, flux_name))


@flux_function("universe")
def truncateTimeColumn(ctx, tables, unit, timeColumn="_time"):
    """truncateTimeColumn(unit, timeColumn): date.truncate on one time column.

    https://docs.influxdata.com/flux/v0/stdlib/universe/truncatetimecolumn/
    """
    from .registry import package as pkg

    truncate = pkg("date")["truncate"]
    return _map_time_columns(ctx, tables, (timeColumn,), lambda v: ctx.call(truncate, {"t": v, "unit": unit}),
                             "truncateTimeColumn", "timeColumn")


@flux_function("universe")
def timeShift(ctx, tables, duration, columns=["_start", "_stop", "_time"]):  # noqa: B006
    """timeShift(duration, columns): add a duration to time columns (absent ones are ignored).

    https://docs.influxdata.com/flux/v0/stdlib/universe/timeshift/
    """
    from .registry import package as pkg

    if not isinstance(duration, Duration):
        raise ctx.error("duration must be a duration", "duration")
    add = pkg("date")["add"]
    utc = Record({"zone": "UTC", "offset": Duration()})
    return _map_time_columns(ctx, tables, string_list(ctx, columns, "columns"),
                             lambda v: ctx.call(add, {"d": duration, "to": v, "location": utc}), "timeShift")


# ---------------------------------------------------------------- experimental


@flux_function("experimental", name="group")
def experimental_group(ctx, tables, columns, mode):
    """experimental.group(columns, mode: "extend"): add columns to the group key.

    https://docs.influxdata.com/flux/v0/stdlib/experimental/group/
    """
    node = stream_of(ctx, tables)
    if mode != "extend":
        raise ctx.error('mode must be "extend"', "mode")
    wanted = string_list(ctx, columns, "columns")
    key = tuple(node.schema.key) + tuple(c for c in wanted if c not in node.schema.key and node.schema.has(c))
    return Stream(Group(node, key))


@flux_function("experimental")
def unpivot(ctx, tables, otherColumns=["_time"]):  # noqa: B006
    """experimental.unpivot(otherColumns): columns to (_field, _value) rows (see plan.reshape.Unpivot)."""
    node = stream_of(ctx, tables)
    others = string_list(ctx, otherColumns, "otherColumns")
    s = node.schema
    values = tuple(c.label for c in s.columns if c.label not in s.key and c.label not in others)
    if not values:
        raise ctx.error("there is no column to unpivot", "otherColumns")
    kinds = {s.type_of(c) for c in values}
    if len(kinds) > 1:
        raise ctx.unsupported(f"the unpivoted columns {', '.join(values)} must share one type", "otherColumns")
    return Stream(Unpivot(node, others, values))


@flux_function("experimental", name="set")
def experimental_set(ctx, tables, o):
    """experimental.set(o: record): set columns to constant values (new columns are added).

    https://docs.influxdata.com/flux/v0/stdlib/experimental/set/
    """
    from ..analyze.operators import to_scalar
    from .streams import project

    node = stream_of(ctx, tables)
    if not isinstance(o, Record):
        raise ctx.error("o must be a record of constant values", "o")
    values = {label: to_scalar(v, ctx.arg_spans.get("o")) for label, v in o.fields.items()}
    cols = [(c.label, values.pop(c.label, Col(c.label, c.type))) for c in node.schema.columns]
    cols += list(values.items())
    return Stream(project(node, cols, node.schema.key, "experimental.set"))


# experimental.<aggregate>() are the universe ones restricted to _value; the extra optional
# `column` parameter they accept here is harmless. https://docs.influxdata.com/flux/v0/stdlib/experimental/
for _name in ("mean", "sum", "count", "first", "last", "min", "max", "spread", "stddev", "skew", "unique", "mode",
              "quantile", "distinct"):
    if _name in package("universe"):
        alias("experimental", _name, "universe", _name)
