"""Joins: universe `join()`, the `join` package (tables/inner/left/right/full/time) and
`experimental.join`. All build one `plan.join.Join` node.

- join(tables: {a: s1, b: s2}, on, method: "inner"): rows with equal `on` columns; a column
  present on both sides and not in `on` becomes `<column>_<name>` for each side; the group
  key is the union of both (renamed) keys; tables come in group key order, rows inside a
  table ordered by the `on` columns.
  https://docs.influxdata.com/flux/v0/stdlib/universe/join/
- join.tables(left, right, on: (l, r) => l.a == r.b and ..., as: (l, r) => {...}, method):
  only rows of tables with the same group key meet; the output keeps the input grouping.
  https://docs.influxdata.com/flux/v0/stdlib/join/tables/
- experimental.join(left, right, fn: (left, right) => {...}): rows with the same group key
  and `_time`. https://docs.influxdata.com/flux/v0/stdlib/experimental/join/

Flux joins table by table, so when a stream's tables have different columns (known at
compile time, `plan.table_shapes`) each pair of table shapes is joined on its own: renaming
and the output key follow the pair's columns, tables keyed by different columns never meet
(an outer join keeps them alone, keyed by their own key). Pieces with the same output key
columns are one stream; different key columns mean one compilation each (SplitByType).
"""
from __future__ import annotations

from dataclasses import replace

from ..analyze.objects import Closure, Located, Record, RowRecord, RowValue, Stream
from ..analyze.operators import scalar_type
from ..plan.core import Union
from ..plan.domains import column_present
from ..plan.join import LEFT, RIGHT, Join
from ..plan.table_shapes import restrict, table_shapes
from ..scalar import Call, Col, Scalar
from ..types import FluxType
from .registry import flux_function
from .streams import function_arg, record_columns, stream_of, string_list

METHODS = ("inner", "left", "right", "full")
# Tables are told apart by their columns only where the data is known at compile time.
_PER_TABLE = "tables with different columns are joined pair by pair only for data known at compile time (csv, array), not for buckets"
_AS_KEY = "as must keep the group key columns unchanged; " + _PER_TABLE


def _row(node, prefix: str) -> RowRecord:
    return RowRecord({c.label: RowValue(Col(prefix + c.label, c.type)) for c in node.schema.columns})


def _types(columns: list[tuple[str, Scalar]]) -> tuple[FluxType, ...]:
    return tuple(scalar_type(e) or FluxType.STRING for _, e in columns)


@flux_function("universe", pipe=None, partial=_PER_TABLE)
def join(ctx, tables, on=None, method="inner"):
    """The classic join of two named streams (see module docstring)."""
    if not isinstance(tables, Record) or len(tables.fields) != 2:
        raise ctx.error("tables must be a record of exactly two streams, e.g. {a: s1, b: s2}", "tables")
    (lname, lval), (rname, rval) = tables.fields.items()
    left, right = stream_of(ctx, lval, "tables"), stream_of(ctx, rval, "tables")
    if method != "inner":
        raise ctx.unsupported(f'method {method!r} is not supported; join() supports "inner" (use join.tables for outer joins)', "method")
    ls, rs = left.schema, right.schema
    on_cols = tuple(k for k in ls.key if k in rs.key) if on is None else string_list(ctx, on, "on")
    # Every table of one stream meets every table of the other, and renaming and the output
    # key depend on the pair's columns: one join per pair of table shapes.
    pieces = [_universe_pair(ctx, restrict(left, lshape, "join_" + lname), restrict(right, rshape, "join_" + rname),
                             lname, rname, on_cols)
              for lshape in table_shapes(left, by_all_columns=True)
              for rshape in table_shapes(right, by_all_columns=True)]
    return _by_output_key(ctx, pieces, "join")


def _universe_pair(ctx, left, right, lname: str, rname: str, on_cols: tuple[str, ...]) -> Join:
    """join() of two streams whose tables all have the same columns."""
    ls, rs = left.schema, right.schema
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
    # Tables come out in group key order (a later group() appends them so).
    return Join(left, right, tuple((c, c) for c in on_cols), "inner", tuple(columns), _types(columns), tuple(key),
                tables_by_key=True)


def _by_output_key(ctx, pieces: list, flux_name: str) -> Stream:
    """The stream of the join pieces: pieces with the same output key columns are one stream
    (a union); when the key columns differ, one compilation per key (SplitByType, see
    transpile.compile), as a stream has one static group key."""
    groups: dict[frozenset, list] = {}
    for piece in pieces:
        groups.setdefault(frozenset(piece.schema.key), []).append(piece)
    streams = []
    for group in groups.values():
        for a in group:
            for b in group:
                for c in a.schema.columns:
                    other = b.schema.type_of(c.label)
                    if other is not None and other != c.type:
                        raise ctx.unsupported(f"column {c.label!r} of the join has type {c.type.value} for some tables "
                                              f"and {other.value} for others; flux2sql needs one type per column")
        streams.append(group[0] if len(group) == 1 else Union(tuple(group), flux_name=flux_name))
    if len(streams) == 1:
        return Stream(streams[0])
    if any(_compiled_in_parts(piece) for piece in pieces):
        raise ctx.unsupported("the tables of this join need one compilation per output group key, and an input is "
                              "already compiled once per column type (mixed types); filter it to one type first")
    site = ctx.evaluator.next_source_site()
    choice = ctx.evaluator.source_types.get(site, 0)
    return Stream(replace(streams[choice], site=site, choice=choice, alternatives=len(streams)))


def _compiled_in_parts(node) -> bool:
    """True when a node upstream is a source compiled once per group of its tables."""
    stack, seen = [node], set()
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            if getattr(node, "alternatives", 1) > 1:
                return True
            stack.extend(node.inputs)
    return False


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
    # join.tables "only compares records with the same group key": tables keyed by other
    # columns never meet, and an outer join keeps them alone, keyed by their own key.
    lparts = [restrict(lnode, s, flux_name + "_left") for s in table_shapes(lnode, by_all_columns=False)]
    rparts = [restrict(rnode, s, flux_name + "_right") for s in table_shapes(rnode, by_all_columns=False)]

    def partner(node, parts):
        return next((p for p in parts if set(p.schema.key) == set(node.schema.key)), None)

    pieces = []
    for l in lparts:
        r = partner(l, rparts)
        if r is not None:
            pieces.append(_keyed_join(ctx, l, r, on, as_, method, flux_name))
        elif method in ("left", "full"):
            pieces.append(_keyed_join(ctx, l, rparts[0], on, as_, "left", flux_name))
    for r in rparts:
        if partner(r, lparts) is None and method in ("right", "full"):
            pieces.append(_keyed_join(ctx, lparts[0], r, on, as_, "right", flux_name))
    if not pieces:  # no pair of tables meets
        pieces.append(_keyed_join(ctx, lparts[0], rparts[0], on, as_, "inner", flux_name))
    return _by_output_key(ctx, pieces, flux_name)


def _keyed_join(ctx, lnode, rnode, on, as_, method, flux_name) -> Join:
    """join.tables of two streams whose tables each have the same key columns."""
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
    return Join(lnode, rnode, tuple(pairs), method, tuple(columns), _types(columns), key, match_key=True, flux_name=flux_name)


@flux_function("join", pipe="left", partial=_AS_KEY)
def tables(ctx, left, right, on, as_, method):
    """join.tables(left, right, on, as, method)."""
    return _join_tables(ctx, left, right, on, as_, method)


def _method(method: str):
    def fn(ctx, left, right, on, as_):
        return _join_tables(ctx, left, right, on, as_, method, flux_name=f"join.{method}")

    fn.__name__ = method
    return fn


for _m in METHODS:
    flux_function("join", name=_m, pipe="left", partial=_AS_KEY)(_method(_m))


@flux_function("join", name="time", pipe="left", partial=_AS_KEY)
def time(ctx, left, right, as_, method="inner"):
    """join.time(left, right, as, method): join.tables with on: (l, r) => l._time == r._time."""
    return _join_tables(ctx, left, right, [("_time", "_time")], as_, method, flux_name="join.time")


@flux_function("experimental", name="join", pipe=None, partial=_PER_TABLE)
def experimental_join(ctx, left, right, fn):
    """experimental.join(left, right, fn: (left, right) => record): inner join on group key and
    _time; tables whose keys differ (in columns or values) have no pair to join."""
    lnode, rnode = stream_of(ctx, left, "left"), stream_of(ctx, right, "right")
    lparts = [restrict(lnode, s, "experimental.join_left") for s in table_shapes(lnode, by_all_columns=False)]
    rparts = [restrict(rnode, s, "experimental.join_right") for s in table_shapes(rnode, by_all_columns=False)]
    pairs = [(l, r) for l in lparts for r in rparts if set(l.schema.key) == set(r.schema.key)] or [(lparts[0], rparts[0])]
    pieces = []
    for l, r in pairs:
        columns = record_columns(ctx, _call_two(ctx, fn, ("left", "right"), l, r, "fn"), "fn")
        labels = [c for c, _ in columns]
        key = tuple(k for k in l.schema.key if k in labels)
        pieces.append(Join(l, r, (("_time", "_time"),), "inner", tuple(columns), _types(columns), key, match_key=True,
                           flux_name="experimental.join"))
    return _by_output_key(ctx, pieces, "experimental.join")


# internal/promql.join is experimental.join under another name.
# https://docs.influxdata.com/flux/v0/stdlib/internal/promql/join/
flux_function("internal/promql", name="join", pipe=None)(experimental_join)
