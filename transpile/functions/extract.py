"""Extracting values from streams: tableFind, getColumn, getRecord, findColumn, findRecord.

Flux runs the stream when one of these is called and hands the script a table, an array
or a record (https://docs.influxdata.com/flux/v0/stdlib/universe/tablefind/, .../getcolumn/,
.../getrecord/, .../findcolumn/, .../findrecord/). flux2sql compiles the whole script to one
statement, so an extracted value is a scalar subquery over the stream's SQL (plan/extract.py):
it can be used wherever a row value can (`filter(fn: (r) => r._value > rec._value)`,
`contains(value: r.host, set: hosts)`, `map(fn: (r) => ({r with limit: rec._value}))`), but not
where flux2sql needs a value at compile time (`range(start: rec._time)`): those report the
argument as a row value, with its position.

Errors Flux raises while running (tableFind finds no table, getRecord's index is out of
bounds) are raised by the query, with the position of the call.

This module also owns the two evaluator hooks for streams read inside a row function
(`map(fn: (r) => zs |> filter(fn: (z) => z.id == r.id) |> findRecord(...))`):
`mark_outer_refs` and `choose_stream`.
"""
from __future__ import annotations

from ..analyze.objects import Record, RowRecord, RowValue, Stream
from ..analyze.operators import describe
from ..errors import FluxSemanticError, FluxUnsupportedError
from ..plan.extract import ChooseStream, FindTable, OuterRef, TableCell, TableColumn
from ..scalar import Call, Col, Lit, Scalar, walk
from ..types import FluxType
from .registry import flux_function
from .scalar_support import ROW_ARRAY_CALLS, register_sql
from .streams import function_arg, stream_of

# A column read from a table is an array per row, like strings.split(): indexing and
# length() know such arrays by this call (functions/scalar_support.py).
COLUMN_CALL = "flux2sql.table_column"
ROW_ARRAY_CALLS.add(COLUMN_CALL)
register_sql(COLUMN_CALL, lambda args, types: args[0])


# ---------------------------------------------------------------- Flux functions


@flux_function("universe")
def tableFind(ctx, tables, fn):
    """tableFind(fn): the first table whose group key satisfies fn; an error if there is none."""
    node = stream_of(ctx, tables)
    return Stream(FindTable(node, _key_predicate(ctx, fn, node), missing=f"{_at(ctx)}tableFind: no table found"))


@flux_function("universe", pipe="table")
def getColumn(ctx, table, column):
    """getColumn(column): the column of a table as an array; an error if the column is missing."""
    node = _one_table(ctx, table)
    _check_column_name(ctx, column)
    if not node.schema.has(column):
        raise ctx.error(f"column {column!r} is not in the table (columns: {', '.join(node.schema.labels)})", "column")
    return _column_array(TableColumn(node, column, node.schema.type_of(column), missing_table=node.missing))


@flux_function("universe", pipe="table")
def getRecord(ctx, table, idx):
    """getRecord(idx): row idx of a table as a record; an error if the index is out of bounds."""
    node = _one_table(ctx, table)
    index = _index(ctx, idx)
    if isinstance(idx, int) and idx < 0:
        raise ctx.error(f"index {idx} out of bounds", "idx")
    missing_row = f"{_at(ctx)}getRecord: index {_describe_index(idx)} out of bounds"
    return _record(node, index, node.missing, missing_row)


@flux_function("universe")
def findColumn(ctx, tables, fn, column):
    """findColumn(fn, column): the column of the first table whose key satisfies fn, as an
    array; empty if no table matches or the column is missing."""
    node = stream_of(ctx, tables)
    _check_column_name(ctx, column)
    found = FindTable(node, _key_predicate(ctx, fn, node))
    if not node.schema.has(column):
        return []
    return _column_array(TableColumn(found, column, node.schema.type_of(column)))


@flux_function("universe")
def findRecord(ctx, tables, fn, idx):
    """findRecord(fn, idx): row idx of the first table whose key satisfies fn, as a record;
    an empty record (every field null) if there is no such table or row."""
    node = stream_of(ctx, tables)
    index = _index(ctx, idx)
    return _record(FindTable(node, _key_predicate(ctx, fn, node)), index, None, None)


# ---------------------------------------------------------------- helpers


def _at(ctx) -> str:
    """The call's position as a message prefix (the query raises the error, not the compiler)."""
    return f"{ctx.span}: " if ctx.span is not None else ""


def _key_predicate(ctx, fn, node) -> Scalar | bool:
    """fn applied to a record of the table's group key (`(key) => key._measurement == "cpu"`)."""
    key = RowRecord({k: RowValue(Col(k, node.schema.type_of(k))) for k in node.schema.key})
    result = ctx.evaluator.row_function(function_arg(ctx, fn, "fn"), key, ctx.arg_spans.get("fn", ctx.span))
    if result is None or isinstance(result, bool):
        return bool(result)
    if isinstance(result, RowValue):
        return result.scalar
    raise ctx.error(f"fn must return a bool, got {describe(result)}", "fn")


def _one_table(ctx, value) -> FindTable:
    """The table piped into getColumn/getRecord: tableFind's result, or else the first table."""
    node = stream_of(ctx, value, "table")
    if isinstance(node, FindTable) and node.missing is not None:
        return node
    return FindTable(node, True, missing=f"{_at(ctx)}{ctx.name}: the stream holds no table")


def _check_column_name(ctx, column) -> None:
    if not isinstance(column, str):
        raise ctx.error(f"column must be a string, got {describe(column)}", "column")


def _index(ctx, idx) -> Scalar:
    if isinstance(idx, bool) or not isinstance(idx, (int, RowValue)):
        raise ctx.error(f"idx must be an int, got {describe(idx)}", "idx")
    if isinstance(idx, RowValue):
        # A row value here belongs to the row a surrounding map()/filter() is evaluating.
        return _all_outer(idx.scalar)
    return Lit(idx, FluxType.INT)


def _describe_index(idx) -> str:
    return str(idx) if isinstance(idx, int) else "(computed per row)"


def _record(node: FindTable, index: Scalar, missing_table, missing_row) -> RowRecord:
    return RowRecord({
        c.label: RowValue(TableCell(node, c.label, index, c.type, missing_table, missing_row))
        for c in node.schema.columns
    })


def _column_array(column: TableColumn) -> RowValue:
    return RowValue(Call(COLUMN_CALL, (column,), column.type))


# ---------------------------------------------------------------- streams read inside a row function


def mark_outer_refs(value, enclosing: list):
    """Mark the columns of enclosing rows in what a nested row function returned.

    `enclosing` holds the (record, extra arguments) of the row functions being evaluated
    around this one: `map(fn: (r) => zs |> filter(fn: (z) => z.id == r.id) ...)` evaluates
    the filter's function inside map's. Both rows' columns are `Col`s; the ones that came
    from the outer record (the very objects in it) become `OuterRef`s, read by the
    correlated subquery from the outer row.
    """
    outer = set()
    for record, extra in enclosing:
        for item in [record, *(extra or {}).values()]:
            outer.update(id(c) for c in _columns_in(item))
    if not outer:
        return value
    return _map_value(value, lambda s: _replace_cols(s, lambda c: id(c) in outer))


def choose_stream(evaluator, test: RowValue, when_true, when_false, span) -> Stream:
    """`if test then a else b` with a row-dependent test and stream branches (inside a row
    function: which stream a subquery reads depends on the outer row)."""
    if not isinstance(when_true, Stream) or not isinstance(when_false, Stream):
        raise FluxSemanticError(
            f"both branches must be streams of tables, got {describe(when_true)} and {describe(when_false)}", span)
    a, b = when_true.node, when_false.node
    if tuple(a.schema.key) != tuple(b.schema.key):
        raise FluxUnsupportedError(
            f"the two streams have different group keys ({list(a.schema.key)} and {list(b.schema.key)}); "
            "flux2sql needs one group key per stream", span)
    for c in a.schema.columns:
        other = b.schema.type_of(c.label)
        if other is not None and other != c.type:
            raise FluxUnsupportedError(
                f"column {c.label!r} is {c.type.value} in one branch and {other.value} in the other", span)
    return Stream(ChooseStream(_all_outer(test.scalar), a, b))


def _all_outer(expr: Scalar) -> Scalar:
    """Every column in `expr` is a column of the outer row (the expression has no row of its own)."""
    return _replace_cols(expr, lambda c: True)


def _columns_in(value):
    if isinstance(value, RowValue):
        return [s for s in walk(value.scalar) if isinstance(s, Col)]
    if isinstance(value, (RowRecord, Record)):
        return [c for v in value.fields.values() for c in _columns_in(v)]
    if isinstance(value, list):
        return [c for v in value for c in _columns_in(v)]
    return []


def _map_value(value, fn):
    if isinstance(value, RowValue):
        new = fn(value.scalar)
        return value if new is value.scalar else RowValue(new)
    if isinstance(value, RowRecord):
        return RowRecord({k: _map_value(v, fn) for k, v in value.fields.items()})
    if isinstance(value, list):
        return [_map_value(v, fn) for v in value]
    return value


def _replace_cols(expr: Scalar, is_outer) -> Scalar:
    if isinstance(expr, Col):
        return OuterRef(expr.name, expr.type) if is_outer(expr) else expr
    if isinstance(expr, Call):
        args = tuple(_replace_cols(a, is_outer) for a in expr.args)
        return expr if all(a is b for a, b in zip(args, expr.args)) else Call(expr.fn, args, expr.type)
    if isinstance(expr, TableCell):
        index = _replace_cols(expr.index, is_outer)
        if index is expr.index:
            return expr
        return TableCell(expr.node, expr.column, index, expr.type, expr.missing_table, expr.missing_row)
    return expr

