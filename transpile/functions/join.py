"""Joins: universe `join()`, the `join` package (tables/inner/left/right/full/time) and
`experimental.join`. All build one `plan.join.Join` node.

- join(tables: {a: s1, b: s2}, on, method: "inner"): rows with equal `on` columns; a column
  present on both sides and not in `on` becomes `<column>_<name>` for each side; the group
  key is the union of both (renamed) keys; rows are ordered by the `on` columns.
  https://docs.influxdata.com/flux/v0/stdlib/universe/join/
- join.tables(left, right, on: (l, r) => l.a == r.b and ..., as: (l, r) => {...}, method):
  only rows of tables with the same group key meet; the output keeps the input grouping.
  https://docs.influxdata.com/flux/v0/stdlib/join/tables/
- experimental.join(left, right, fn: (left, right) => {...}): rows with the same group key
  and `_time`. https://docs.influxdata.com/flux/v0/stdlib/experimental/join/
"""
from __future__ import annotations

from ..analyze.objects import Closure, Located, Record, RowRecord, RowValue, Stream
from ..analyze.operators import scalar_type
from ..plan.domains import column_present
from ..plan.join import LEFT, RIGHT, Join
from ..scalar import Call, Col, Scalar
from ..types import FluxType
from .registry import flux_function
from .streams import function_arg, record_columns, stream_of, string_list

METHODS = ("inner", "left", "right", "full")
_SAME_KEY = "a full join needs both streams to have the same group key columns"


def _row(node, prefix: str) -> RowRecord:
    return RowRecord({c.label: RowValue(Col(prefix + c.label, c.type)) for c in node.schema.columns})


def _types(columns: list[tuple[str, Scalar]]) -> tuple[FluxType, ...]:
    return tuple(scalar_type(e) or FluxType.STRING for _, e in columns)


@flux_function("universe", pipe=None, partial="renaming and keys are decided per stream, not per table pair")
def join(ctx, tables, on=None, method="inner"):
    """The classic join of two named streams (see module docstring)."""
    if not isinstance(tables, Record) or len(tables.fields) != 2:
        raise ctx.error("tables must be a record of exactly two streams, e.g. {a: s1, b: s2}", "tables")
    (lname, lval), (rname, rval) = tables.fields.items()
    left, right = stream_of(ctx, lval, "tables"), stream_of(ctx, rval, "tables")
    if method != "inner":
        raise ctx.unsupported(f'method {method!r} is not supported; join() supports "inner" (use join.tables for outer joins)', "method")
    ls, rs = left.schema, right.schema
    if on is None:
        on_cols = tuple(k for k in ls.key if k in rs.key)
    else:
        on_cols = string_list(ctx, on, "on")
    for c in on_cols:
        if not ls.has(c) or not rs.has(c):
            raise ctx.error(f"column {c!r} of on is missing from {'tables.' + (lname if not ls.has(c) else rname)}", "on")
        if ls.type_of(c) != rs.type_of(c):
            raise ctx.error(f"column {c!r} has type {ls.type_of(c).value} on one side and {rs.type_of(c).value} on the other", "on")

    # A column in a stream's schema that none of its tables has (other tables of the source
    # did) is not "in both streams": it keeps its name and the other side's values.
    in_left = {c.label for c in ls.columns if c.label in on_cols or column_present(left, c.label)}
    in_right = {c.label for c in rs.columns if c.label in on_cols or column_present(right, c.label)}

    def out_label(label: str, side: str) -> str:
        if label in on_cols:
            return label
        return f"{label}_{side}" if label in in_left and label in in_right else label

    columns: list[tuple[str, Scalar]] = []
    for c in ls.columns:  # on columns, shared columns (renamed), left-only columns
        if c.label in on_cols or c.label in in_left or c.label not in in_right:
            columns.append((out_label(c.label, lname), Col(LEFT + c.label, c.type)))
    for c in rs.columns:  # shared columns (renamed), right-only columns
        taken = c.label in on_cols or (ls.has(c.label) and c.label not in in_right)
        if not taken:
            columns.append((out_label(c.label, rname), Col(RIGHT + c.label, c.type)))
    key: list[str] = []
    for k in ls.key:
        key.append(out_label(k, lname))
    for k in rs.key:
        label = out_label(k, rname)
        if label not in key:
            key.append(label)
    node = Join(left, right, tuple((c, c) for c in on_cols), "inner", tuple(columns), _types(columns), tuple(key))
    return Stream(node)


def _equalities(ctx, predicate, arg: str) -> list[tuple[str, str]]:
    """The (left column, right column) pairs of `l.a == r.b and ...`."""
    pairs: list[tuple[str, str]] = []

    def walk(e):
        if isinstance(e, Call) and e.fn == "and":
            for a in e.args:
                walk(a)
            return
        if isinstance(e, Call) and e.fn == "==" and all(isinstance(a, Col) for a in e.args):
            a, b = e.args
            if a.name.startswith(RIGHT) and b.name.startswith(LEFT):
                a, b = b, a
            if a.name.startswith(LEFT) and b.name.startswith(RIGHT):
                pairs.append((a.name[len(LEFT):], b.name[len(RIGHT):]))
                return
        raise ctx.error("on must compare columns of l and r with == joined by `and`", arg)

    if not isinstance(predicate, RowValue):
        raise ctx.error("on must compare columns of l and r with == joined by `and`", arg)
    walk(predicate.scalar)
    return pairs


def _call_two(ctx, fn, names: tuple[str, str], left, right, arg: str):
    fn = function_arg(ctx, fn, arg)
    span = ctx.arg_spans.get(arg, ctx.span)
    if isinstance(fn, Closure):
        params = fn.param_names
        if len(params) != 2:
            raise ctx.error(f"{arg} must take two parameters ({names[0]}, {names[1]})", arg)
        names = params
    args = {names[0]: Located(_row(left, LEFT), span), names[1]: Located(_row(right, RIGHT), span)}
    return ctx.evaluator.call_value(fn, args, span)


def _join_tables(ctx, left, right, on, as_, method, flux_name="join.tables"):
    if method not in METHODS:
        raise ctx.error(f"method must be one of {', '.join(METHODS)}", "method")
    lnode, rnode = stream_of(ctx, left, "left"), stream_of(ctx, right, "right")
    # Tables with different key columns never have the same group key, so they never meet;
    # with the same key on every output table that is expressible unless both sides remain.
    if set(lnode.schema.key) != set(rnode.schema.key) and method == "full":
        raise ctx.unsupported("a full join of streams with different group key columns is not supported", "method")
    pairs = on if isinstance(on, list) else _equalities(ctx, _call_two(ctx, on, ("l", "r"), lnode, rnode, "on"), "on")
    result = _call_two(ctx, as_, ("l", "r"), lnode, rnode, "as")
    columns = record_columns(ctx, result, "as")
    labels = [c for c, _ in columns]
    keyed = rnode if method == "right" else lnode
    key = tuple(k for k in keyed.schema.key if k in labels)
    for k in key:
        expr = dict(columns)[k]
        if not (isinstance(expr, Col) and expr.name in (LEFT + k, RIGHT + k)):
            raise ctx.unsupported(f"as must keep group key column {k!r} unchanged", "as")
    node = Join(lnode, rnode, tuple(pairs), method, tuple(columns), _types(columns), key, match_key=True, flux_name=flux_name)
    return Stream(node)


@flux_function("join", pipe="left", partial=_SAME_KEY)
def tables(ctx, left, right, on, as_, method):
    """join.tables(left, right, on, as, method)."""
    return _join_tables(ctx, left, right, on, as_, method)


def _method(method: str):
    def fn(ctx, left, right, on, as_):
        return _join_tables(ctx, left, right, on, as_, method, flux_name=f"join.{method}")

    fn.__name__ = method
    return fn


for _m in METHODS:
    flux_function("join", name=_m, pipe="left", partial=_SAME_KEY)(_method(_m))


@flux_function("join", name="time", pipe="left", partial=_SAME_KEY)
def time(ctx, left, right, as_, method="inner"):
    """join.time(left, right, as, method): join.tables with on: (l, r) => l._time == r._time."""
    return _join_tables(ctx, left, right, [("_time", "_time")], as_, method, flux_name="join.time")


@flux_function("experimental", name="join", pipe=None)
def experimental_join(ctx, left, right, fn):
    """experimental.join(left, right, fn: (left, right) => record): inner join on group key and _time
    (streams with different key columns have no pair to join)."""
    lnode, rnode = stream_of(ctx, left, "left"), stream_of(ctx, right, "right")
    result = _call_two(ctx, fn, ("left", "right"), lnode, rnode, "fn")
    columns = record_columns(ctx, result, "fn")
    labels = [c for c, _ in columns]
    key = tuple(k for k in lnode.schema.key if k in labels)
    node = Join(lnode, rnode, (("_time", "_time"),), "inner", tuple(columns), _types(columns), key, match_key=True,
                flux_name="experimental.join")
    return Stream(node)


# internal/promql.join is experimental.join under another name.
# https://docs.influxdata.com/flux/v0/stdlib/internal/promql/join/
flux_function("internal/promql", name="join", pipe=None)(experimental_join)
