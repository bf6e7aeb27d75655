"""Flux's `universe` package: the built-in table transformations and conversions.

Each function documents the Flux stdlib page it implements. Table functions return
Plan nodes; the lowering stage turns them into SQL.
"""
from __future__ import annotations

import builtins

from ..analyze.objects import Record, RowValue, Stream
from ..analyze.operators import describe
from ..plan import Aggregate, Filter, Group, Range, Selector, Sort, Union, Window
from ..plan.windows import PeriodWindow
from ..scalar import Call, Col, Lit
from ..types import FluxType
from ..values import INF, Duration, Time, UInt
from ..passes import merge_filter_into_scan, merge_range_into_scan
from .registry import flux_function, scalar
from .streams import (
    apply_row_fn,
    duration_arg,
    function_arg,
    project,
    record_columns,
    stream_of,
    string_list,
    time_arg,
)

PRELUDE = {"true": True, "false": False, "inf": INF}


def to_string(value) -> str:
    """Flux's string(v:) of a constant."""
    from ..timefmt import format_rfc3339

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Time):
        return format_rfc3339(value.nanoseconds)
    if isinstance(value, UInt):
        return str(value.value)
    if isinstance(value, float):
        return _format_float(value)
    return str(value)


def _format_float(v: float) -> str:
    from .scalar_support import go_format_float  # Go's strconv.FormatFloat(v, 'f', -1, 64)

    return go_format_float(v)


# ---------------------------------------------------------------- sources and results


@flux_function("universe")
def now(ctx):
    """now(): the time the query runs at (option now)."""
    return Time(ctx.now)


@flux_function("universe", name="yield")
def yield_(ctx, tables, name: str = "_result"):
    """yield(name): deliver the stream as a named result; it passes through."""
    node = stream_of(ctx, tables)
    ctx.evaluator.add_result(name, node, ctx.span)
    return tables


@flux_function("universe")
def range(ctx, tables, start, stop=None):
    """range(start, stop): rows with start <= _time < stop; adds _start/_stop to the group key.

    https://docs.influxdata.com/flux/v0/stdlib/universe/range/
    """
    node = stream_of(ctx, tables)
    lo = time_arg(ctx, start, "start")
    hi = time_arg(ctx, stop, "stop") if stop is not None else ctx.now
    # Merged into a bucket scan now, so later steps see the scan's narrowed schema.
    return Stream(merge_range_into_scan(Range(node, lo, hi)))


@flux_function("universe")
def filter(ctx, tables, fn, onEmpty="drop"):
    """filter(fn, onEmpty): keep rows for which fn is true; onEmpty "keep" keeps empty tables."""
    node = stream_of(ctx, tables)
    if onEmpty not in ("drop", "keep"):
        raise ctx.error('onEmpty must be "drop" or "keep"', "onEmpty")
    result = apply_row_fn(ctx, fn, node)
    if isinstance(result, bool) or result is None:
        predicate = Lit(bool(result), FluxType.BOOL)
    elif isinstance(result, RowValue) and result.scalar.type in (FluxType.BOOL, None):
        predicate = result.scalar
    else:
        what = result.scalar.type.value if isinstance(result, RowValue) else describe(result)
        raise ctx.error(f"fn must return a bool, got {what}", "fn")
    return Stream(merge_filter_into_scan(Filter(node, predicate, onEmpty == "keep")))


@flux_function("universe")
def map(ctx, tables, fn, mergeKey=False):
    """map(fn): replace each row by the record fn returns; key columns missing from it leave the key."""
    node = stream_of(ctx, tables)
    columns = record_columns(ctx, apply_row_fn(ctx, fn, node))
    labels = [c for c, _ in columns]
    key = [k for k in node.schema.key if k in labels]
    return Stream(project(node, columns, key, "map"))


def _select_columns(ctx, node, columns, fn, arg_name):
    if (columns is None) == (fn is None):
        raise ctx.error("give exactly one of columns or fn")
    if columns is not None:
        return builtins.set(string_list(ctx, columns, "columns"))
    chosen = builtins.set()
    for col in node.schema.labels:
        value = ctx.call(function_arg(ctx, fn, "fn"), {"column": col})
        if value is True:
            chosen.add(col)
        elif value is not False:
            raise ctx.error("fn must return a constant bool for each column name", "fn")
    return chosen


@flux_function("universe")
def keep(ctx, tables, columns=None, fn=None):
    """keep(columns|fn): only these columns; the key keeps the kept key columns."""
    node = stream_of(ctx, tables)
    chosen = _select_columns(ctx, node, columns, fn, "keep")
    cols = [(c.label, Col(c.label, c.type)) for c in node.schema.columns if c.label in chosen]
    key = [k for k in node.schema.key if k in chosen]
    return Stream(project(node, cols, key, "keep"))


@flux_function("universe")
def drop(ctx, tables, columns=None, fn=None):
    """drop(columns|fn): remove columns (missing ones are ignored); the key loses them too."""
    node = stream_of(ctx, tables)
    chosen = _select_columns(ctx, node, columns, fn, "drop")
    cols = [(c.label, Col(c.label, c.type)) for c in node.schema.columns if c.label not in chosen]
    key = [k for k in node.schema.key if k not in chosen]
    return Stream(project(node, cols, key, "drop"))


@flux_function("universe")
def rename(ctx, tables, columns=None, fn=None):
    """rename(columns: {old: "new"} | fn: (column) => string)."""
    node = stream_of(ctx, tables)
    if (columns is None) == (fn is None):
        raise ctx.error("give exactly one of columns or fn")
    mapping = {}
    if columns is not None:
        if not isinstance(columns, Record):
            raise ctx.error("columns must be a record {old: \"new\"}", "columns")
        mapping = dict(columns.fields)
    else:
        for col in node.schema.labels:
            mapping[col] = ctx.call(function_arg(ctx, fn, "fn"), {"column": col})
    cols = [(mapping.get(c.label, c.label), Col(c.label, c.type)) for c in node.schema.columns]
    key = [mapping.get(k, k) for k in node.schema.key]
    return Stream(project(node, cols, key, "rename"))


@flux_function("universe")
def duplicate(ctx, tables, column, as_):
    """duplicate(column, as): copy a column under a new name (replacing one of that name)."""
    node = stream_of(ctx, tables)
    t = node.schema.type_of(column)
    if t is None and not node.schema.has(column):
        raise ctx.error(f"column {column!r} does not exist", "column")
    cols = [(c.label, Col(c.label, c.type)) for c in node.schema.columns if c.label != as_]
    cols.append((as_, Col(column, t)))
    key = [k for k in node.schema.key if k != as_]
    return Stream(project(node, cols, key, "duplicate"))


@flux_function("universe")
def set(ctx, tables, key: str, value: str):
    """set(key, value): set a string column to a constant on every row."""
    node = stream_of(ctx, tables)
    cols = [(c.label, Col(c.label, c.type)) for c in node.schema.columns if c.label != key]
    cols.append((key, Lit(value, FluxType.STRING)))
    return Stream(project(node, cols, node.schema.key, "set"))


@flux_function("universe")
def group(ctx, tables, columns=[], mode: str = "by"):  # noqa: B006 - Flux's default
    """group(columns, mode): regroup by these columns ("by") or by all others ("except")."""
    node = stream_of(ctx, tables)
    wanted = string_list(ctx, columns, "columns")
    if mode == "by":
        key = tuple(c for c in wanted if node.schema.has(c))
    elif mode == "except":
        key = tuple(c for c in node.schema.labels if c not in wanted)
    else:
        raise ctx.error('mode must be "by" or "except"', "mode")
    return Stream(Group(node, key))


@flux_function("universe")
def union(ctx, tables):
    """union(tables: [a, b, ...]): all tables of all streams."""
    if not isinstance(tables, list) or len(tables) < 2:
        raise ctx.error("tables must be an array of at least two streams", "tables")
    streams = [stream_of(ctx, t, "tables") for t in tables]
    groups = _type_groups(streams)
    if len(groups) == 1:
        return Stream(Union(tuple(streams)))
    # A column with a different type per stream: one compilation per group of streams.
    site = ctx.evaluator.next_source_site()
    choice = ctx.evaluator.source_types.get(site, 0)
    return Stream(Union(tuple(groups[choice]), site=site, choice=choice, alternatives=len(groups)))


def _type_groups(streams: list) -> list[list]:
    """The streams split by the types of the columns whose type differs between them."""
    types: dict = {}
    for node in streams:
        for col in node.schema.columns:
            types.setdefault(col.label, builtins.set()).add(col.type)
    mixed = {label for label, seen in types.items() if len(seen) > 1}
    groups: dict = {}
    for node in streams:
        signature = tuple(sorted((c.label, c.type.value) for c in node.schema.columns if c.label in mixed))
        groups.setdefault(signature, []).append(node)
    return list(groups.values())


@flux_function("universe")
def sort(ctx, tables, columns=["_value"], desc: bool = False):  # noqa: B006
    """sort(columns, desc): order rows within each table (stable)."""
    node = stream_of(ctx, tables)
    return Stream(Sort(node, string_list(ctx, columns, "columns"), bool(desc)))


# ---------------------------------------------------------------- aggregates and selectors


def _aggregate(ctx, tables, function, column, out_type, **params):
    node = stream_of(ctx, tables)
    if not node.schema.has(column):
        raise ctx.error(f"column {column!r} does not exist", "column")
    in_type = node.schema.type_of(column)
    t = out_type(in_type) if callable(out_type) else out_type
    return Stream(Aggregate(node, function, column, t, tuple(sorted(params.items()))))


@flux_function("universe")
def count(ctx, tables, column: str = "_value"):
    return _aggregate(ctx, tables, "count", column, FluxType.INT)


@flux_function("universe")
def sum(ctx, tables, column="_value"):
    return _aggregate(ctx, tables, "sum", column, lambda t: t)


@flux_function("universe")
def mean(ctx, tables, column="_value"):
    return _aggregate(ctx, tables, "mean", column, FluxType.FLOAT)


@flux_function("universe")
def median(ctx, tables, column="_value", method="estimate_tdigest", compression=0.0):
    return quantile(ctx, tables, 0.5, column, method, compression)


@flux_function("universe")
def quantile(ctx, tables, q, column="_value", method="estimate_tdigest", compression=1000.0):
    if not isinstance(q, float) or not 0 <= q <= 1:
        raise ctx.error("q must be a float between 0.0 and 1.0", "q")
    if method not in ("estimate_tdigest", "exact_mean", "exact_selector"):
        raise ctx.error(f"unknown method {method!r}", "method")
    if method == "exact_selector":
        node = stream_of(ctx, tables)
        return Stream(Selector(node, "quantile", column, (("q", q),)))
    if not isinstance(compression, (int, float)) or isinstance(compression, bool):
        raise ctx.error("compression must be a float", "compression")
    # estimate_tdigest: the estimate of Flux's t-digest with this compression (lower/tdigest.py).
    return _aggregate(ctx, tables, "quantile", column, FluxType.FLOAT, q=q, method=method, compression=float(compression))


@flux_function("universe")
def spread(ctx, tables, column="_value"):
    return _aggregate(ctx, tables, "spread", column, lambda t: t)


@flux_function("universe")
def stddev(ctx, tables, column="_value", mode="sample"):
    return _aggregate(ctx, tables, "stddev", column, FluxType.FLOAT, mode=mode)


@flux_function("universe")
def skew(ctx, tables, column="_value"):
    return _aggregate(ctx, tables, "skew", column, FluxType.FLOAT)


def _selector(ctx, tables, function, column, **params):
    node = stream_of(ctx, tables)
    if not node.schema.has(column):
        raise ctx.error(f"column {column!r} does not exist", "column")
    return Stream(Selector(node, function, column, tuple(sorted(params.items())), flux_name=function))


@flux_function("universe")
def first(ctx, tables, column="_value"):
    return _selector(ctx, tables, "first", column)


@flux_function("universe")
def last(ctx, tables, column="_value"):
    return _selector(ctx, tables, "last", column)


@flux_function("universe")
def min(ctx, tables, column="_value"):
    return _selector(ctx, tables, "min", column)


@flux_function("universe")
def max(ctx, tables, column="_value"):
    return _selector(ctx, tables, "max", column)


@flux_function("universe")
def limit(ctx, tables, n: int, offset: int = 0):
    return _first_rows(ctx, tables, "limit", n, offset)


@flux_function("universe")
def tail(ctx, tables, n: int, offset: int = 0):
    return _first_rows(ctx, tables, "tail", n, offset)


def _first_rows(ctx, tables, function: str, n: int, offset: int) -> Stream:
    """limit()/tail(): n rows of each table after skipping offset, from its start or end."""
    node = stream_of(ctx, tables)
    for name, value in (("n", n), ("offset", offset)):
        if value < 0:
            raise ctx.error(f"{name} must not be negative, got {value}", name)
    return Stream(Selector(node, function, "_value", (("n", n), ("offset", offset)), flux_name=function))


# ---------------------------------------------------------------- windows


@flux_function("universe")
def window(
    ctx,
    tables,
    every=None,
    period=None,
    offset=Duration(),
    location=None,
    timeColumn="_time",
    startColumn="_start",
    stopColumn="_stop",
    createEmpty=False,
):
    """window(): split tables into windows aligned to the Unix epoch (plus offset), on the
    wall clock of `location` (default: option location).
    https://docs.influxdata.com/flux/v0/stdlib/universe/window/
    """
    node = stream_of(ctx, tables)
    if every is None and period is None:
        raise ctx.error("give every or period")
    every = duration_arg(ctx, every if every is not None else period, "every")
    period = duration_arg(ctx, period if period is not None else every, "period")
    offset = duration_arg(ctx, offset, "offset")
    inf = every == INF
    if not inf and (every.is_negative or every.is_zero):
        raise ctx.error("every must be positive", "every")
    zone, zone_offset = _window_location(ctx, location)
    # A fixed location offset shifts the wall clock: the same as shifting the windows back.
    offset = offset - zone_offset
    if not inf and period != every:
        return Stream(_period_window(ctx, node, every, period, offset, zone, bool(createEmpty), timeColumn, startColumn, stopColumn))
    return Stream(
        Window(node, every, period, _normal_offset(offset, every), bool(createEmpty), timeColumn, startColumn, stopColumn,
               location=zone, every_inf=inf)
    )


def _period_window(ctx, node, every, period, offset, zone, create_empty, time_column, start_column, stop_column):
    """window(period:) different from every: windows start every `every` and last `period`
    (overlapping, or with gaps between them). Fixed durations in UTC only."""
    if period.is_negative or period.is_zero:
        raise ctx.unsupported("window(period:) must be positive", "period")
    if not (every.is_fixed and period.is_fixed and offset.is_fixed):
        raise ctx.unsupported("window(period:) different from every needs fixed durations (no mo/y units)", "period")
    if zone != "UTC":
        raise ctx.unsupported("window(period:) different from every is only supported in UTC", "location")
    return PeriodWindow(node, every, period, _normal_offset(offset, every), create_empty, time_column, start_column, stop_column)


def _window_location(ctx, location) -> tuple[str, Duration]:
    """(zone, offset from UTC) of the window's location. Windows also take a fixed location
    whose offset counts calendar units (timezone.fixed(offset: -2mo2w)): the wall clock is
    then that calendar offset away from UTC."""
    from .timezone import location_of

    value = location if location is not None else ctx.location
    if isinstance(value, Record) and value.get("zone") in ("UTC", "") and isinstance(value.get("offset"), Duration) \
            and value.get("offset").months:
        return "UTC", value.get("offset")
    zone, zone_offset = location_of(ctx, location)
    return zone, Duration(0, zone_offset)


def _normal_offset(offset: Duration, every: Duration) -> Duration:
    """Offsets are taken modulo every (Flux normalises negative and large offsets)."""
    if every.is_fixed and offset.is_fixed and every.nanoseconds and every != INF:
        return Duration(0, offset.nanoseconds % every.nanoseconds)
    return offset


@flux_function("universe")
def aggregateWindow(
    ctx,
    tables,
    every,
    fn,
    period=None,
    offset=Duration(),
    location=None,
    column="_value",
    timeSrc="_stop",
    timeDst="_time",
    createEmpty=True,
):
    """aggregateWindow(): window |> fn(column) |> duplicate(timeSrc, timeDst) |> window(every: inf).

    https://docs.influxdata.com/flux/v0/stdlib/universe/aggregatewindow/
    """
    windowed = window(ctx, tables, every=every, period=period, offset=offset, location=location, createEmpty=createEmpty)
    aggregated = ctx.call(function_arg(ctx, fn, "fn"), {"column": column}, pipe=windowed)
    if not isinstance(aggregated, Stream):
        raise ctx.error("fn must return a stream of tables", "fn")
    dup = duplicate(ctx, aggregated, column=timeSrc, as_=timeDst)
    return window(ctx, dup, every=INF, timeColumn=timeDst)


# ---------------------------------------------------------------- conversions


def _convert_fold(target):
    def fold(v):
        from .conversions import convert_constant

        return convert_constant(v, target)

    return fold


def _convert_sql(target):
    def build(args, types):
        from .conversions import convert_sql

        return convert_sql(args[0], types[0], target)

    return build


for _name, _type in (
    ("float", FluxType.FLOAT),
    ("int", FluxType.INT),
    ("uint", FluxType.UINT),
    ("string", FluxType.STRING),
    ("bool", FluxType.BOOL),
    ("time", FluxType.TIME),
    ("duration", FluxType.DURATION),
):
    scalar("universe", _name, ("v",), _type, sql=_convert_sql(_type), fold=_convert_fold(_type))


def _to_type(target: FluxType, flux_name: str):
    def transform(ctx, tables):
        node = stream_of(ctx, tables)
        cols = []
        for c in node.schema.columns:
            expr = Col(c.label, c.type)
            if c.label == "_value":
                expr = Call(target.value, (expr,), target)
            cols.append((c.label, expr))
        return Stream(project(node, cols, node.schema.key, flux_name))

    transform.__name__ = flux_name
    return transform


for _flux_name, _target in (
    ("toFloat", FluxType.FLOAT),
    ("toInt", FluxType.INT),
    ("toUInt", FluxType.UINT),
    ("toString", FluxType.STRING),
    ("toBool", FluxType.BOOL),
    ("toTime", FluxType.TIME),
):
    flux_function("universe", name=_flux_name)(_to_type(_target, _flux_name))
