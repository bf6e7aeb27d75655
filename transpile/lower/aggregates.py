"""Lowering of aggregates, selectors and windows.

Aggregates become `GROUP BY ALL` over the key columns; selectors a QUALIFY on
`row_number()` per table; windows compute each row's window bounds with `time_bucket`
aligned to the Unix epoch (Flux's windows are, DuckDB's default origin is not).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlglot import exp

from .. import plan as p
from ..errors import FluxUnsupportedError
from ..types import FluxType
from ..values import Duration
from . import sql
from ..scalar import Col
from .lowerer import SEQ, Lowerer, is_constant, key_partition, lowers, marker_of, order_sql
from .relation import Relation
from .tdigest import tdigest_quantile
from .wallclock import from_local, to_local

@dataclass(frozen=True)
class AggregateInput:
    """What an aggregate builder sees of one table: the aggregated column, its Flux type,
    the call's constant arguments, and the table's rows in order."""

    value: exp.Expression
    type: FluxType | None
    params: dict
    rows: exp.Expression  # non-NULL on every real row (NULL on empty-table placeholders)
    order: list  # ORDER BY items of the table's rows

    def ref(self) -> exp.Expression:
        return self.value.copy()


def _skew(a: AggregateInput) -> exp.Expression:
    # Flux's skew is the population skewness; DuckDB's skewness() is the sample-adjusted one
    # (times sqrt(n(n-1)) / (n-2)), so undo that factor.
    n = lambda: sql.func("count", a.ref())  # noqa: E731
    return exp.Div(
        this=exp.Mul(this=sql.func("skewness", a.ref()), expression=exp.Paren(this=exp.Sub(this=n(), expression=sql.number(2)))),
        expression=sql.func("sqrt", exp.Mul(this=n(), expression=exp.Paren(this=exp.Sub(this=n(), expression=sql.number(1))))),
        typed=False, safe=False)


def _quantile(a: AggregateInput) -> exp.Expression:
    """quantile()/median(): the t-digest estimate (Flux's default method), or exact_mean:
    interpolation between the two values around the quantile."""
    q = float(a.params["q"])
    if a.params.get("method", "estimate_tdigest") == "exact_mean":
        return sql.func("quantile_cont", a.ref(), sql.number(q))
    return tdigest_quantile(values_in_order(a), q, float(a.params.get("compression", 0.0)))


def values_in_order(a: AggregateInput) -> exp.Expression:
    """The table's non-null, non-NaN values as a LIST of DOUBLE, in row order."""
    value = sql.cast(a.ref(), FluxType.FLOAT)
    collected = exp.ArrayAgg(this=exp.Order(this=value, expressions=a.order) if a.order else value)
    x = exp.to_identifier("__x")
    keep = exp.And(this=exp.Not(this=exp.Is(this=exp.column(x.copy()), expression=exp.Null())),
                   expression=exp.Not(this=sql.func("isnan", exp.column(x.copy()))))
    return sql.func("list_filter", collected, exp.Lambda(this=keep, expressions=[x]))


# name -> builder of the SQL aggregate from an AggregateInput
AGGREGATES: dict[str, Callable[[AggregateInput], exp.Expression]] = {
    # Flux's count() counts rows, null values included
    # (https://docs.influxdata.com/flux/v0/stdlib/universe/count/).
    "count": lambda a: sql.func("count", a.rows.copy()),
    "sum": lambda a: sql.cast(sql.func("sum", a.ref()), a.type),
    "mean": lambda a: sql.func("avg", a.ref()),
    "spread": lambda a: exp.Sub(this=sql.func("max", a.ref()), expression=sql.func("min", a.ref())),
    "stddev": lambda a: sql.func("stddev_pop" if a.params.get("mode") == "population" else "stddev_samp", a.ref()),
    "skew": _skew,
    "distinct_count": lambda a: sql.func("count", exp.Distinct(expressions=[a.ref()])),
    "quantile": _quantile,
}


@lowers(p.Aggregate)
def lower_aggregate(lw: Lowerer, node: p.Aggregate) -> Relation:
    build = AGGREGATES.get(node.function)
    if build is None:
        raise FluxUnsupportedError(f"{node.function}() cannot be lowered to SQL yet")
    window = node.input if p.core.windowed(node) else None
    if window is not None:
        from .field_aggregates import aggregate_of_fields

        fields = aggregate_of_fields(lw, [node])
        if fields is not None:
            return fields
        rows = window_input(lw, window)
        raw = raw_windows(window, rows)
        if raw is not None:
            return windowed_aggregate(lw, node, raw, build)
        rel = windowed_relation(lw, window, rows)
    else:
        rel = lw.composable_input(node.input, node.input.step)
    value = build(AggregateInput(rel.ref(node.column), node.input.schema.type_of(node.column), dict(node.params),
                                 rows_present(rel, node.input), order_sql(rel, node.input)))
    columns = {k: rel.ref(k) for k in node.schema.key}
    columns[node.column] = value
    columns[SEQ] = table_order(rel, node)
    if node.table_position == p.core.TABLE_FIRST:
        columns[p.core.TABLE_FIRST] = sql.func("min", rel.ref(node.input.table_position or SEQ))
    out = rel.with_columns(columns, group_by_all=True)
    if not node.schema.key:
        # A SQL aggregate of no rows still gives one row; Flux gives none without a table.
        out.having = exp.GT(this=sql.func("count", exp.Star()), expression=sql.number(0))
    if window is not None and window.create_empty:
        return fill_empty_windows(lw, out, node, window)
    return out


def rows_present(rel: Relation, node: p.PlanNode) -> exp.Expression:
    """An expression that is non-NULL on every real row (NULL on empty-table placeholders):
    what count() counts."""
    marker = marker_of(node)
    if node.may_have_empty and marker in rel.columns:
        return rel.ref(marker)
    return exp.Star()


def table_order(rel: Relation, node: p.Aggregate) -> exp.Expression:
    """Where the aggregate's row goes in its output table: its window's start when the
    input is windowed (Flux emits windows in time order), else its table's first row."""
    if isinstance(node.input, p.Window) and not node.input.every_inf:
        # An aggregate (not a grouping expression): GROUP BY ALL must not group by it too.
        return sql.func("min", sql.func("epoch_ns", rel.ref(node.input.start_column)))
    column, desc = node.input.order.items[-1]
    return sql.func("max" if desc else "min", rel.ref(column))


def fill_empty_windows(lw: Lowerer, agg: Relation, node: p.PlanNode, window: p.Window) -> Relation:
    """Every window of every table gets a row: join the aggregate's (or selector's) rows
    onto the grid of windows; an empty window's row has nulls (count: 0)."""
    bounds = window.bounds
    if bounds is None:
        raise FluxUnsupportedError("window(createEmpty: true) needs a range() before it")
    name = lw.ctes.add(node.step, agg.to_select())
    start_col, stop_col = window.start_column, window.stop_column
    others = [k for k in node.schema.key if k not in (start_col, stop_col)]
    tables = exp.select(*[sql.col(k) for k in others]).from_(sql.ident(name)).distinct() if others else None
    starts = _window_starts(window, bounds)
    if window.location != "UTC" and not in_nanoseconds(window):
        w, w_stop = local_bounds_of_wall(window, sql.col("__window", "grid"))
    else:
        w = _grid_window_start(window)
        w_stop = window_stop(window, w.copy())
    grid_cols = {k: sql.col(k, "tables") for k in others}
    grid_cols[start_col] = sql.func("greatest", w, sql.time_literal(bounds[0]))
    grid_cols[stop_col] = sql.func("least", w_stop, sql.time_literal(bounds[1]))
    grid = exp.select(*[sql.alias(e, k) for k, e in grid_cols.items()])
    if tables is not None:
        grid = grid.from_(exp.Subquery(this=tables, alias=exp.TableAlias(this=sql.ident("tables"))))
        grid = grid.join(_cross(starts), copy=False)
    else:
        grid = grid.from_(starts, copy=False)
    grid_name = lw.ctes.add("windows", grid)
    cond = sql.and_all(
        [exp.NullSafeEQ(this=sql.col(k, "w"), expression=sql.col(k, "a")) for k in others]
        + [exp.EQ(this=sql.col(start_col, "w"), expression=sql.col(start_col, "a"))]
    )
    columns = {k: sql.col(k, "w") for k in node.schema.key}
    columns.update({c: sql.col(c, "a") for c in node.schema.labels if c not in columns})
    if node.function == "count":
        columns[node.column] = exp.Coalesce(this=columns[node.column], expressions=[sql.number(0)])
    columns[SEQ] = sql.func("epoch_ns", sql.col(start_col, "w"))
    # Where the window's input table stood in the stream (see PlanNode.table_position).
    position = p.core.TABLE_FIRST if isinstance(node, p.Aggregate) else (node.input.table_position or SEQ)
    if position in agg.columns:
        columns[p.core.TABLE_FIRST] = sql.col(position, "a")
    source = exp.Table(this=sql.ident(grid_name), alias=exp.TableAlias(this=sql.ident("w")))
    join = exp.Join(this=exp.Table(this=sql.ident(name), alias=exp.TableAlias(this=sql.ident("a"))), on=cond, side="LEFT")
    return Relation(source=source, columns=columns, joins=[join])


def _window_starts(window: p.Window, bounds: tuple[int, int]) -> exp.Subquery:
    """The subquery `grid` of every window start between the bounds, in column `__window`:
    epoch nanoseconds for windows finer than a microsecond, else timestamps (on the local
    wall clock for windows in a time zone: a local day may last 23 or 25 hours)."""
    last = (bounds[1] - 1) // 1000 * 1000  # window starts are whole microseconds
    if in_nanoseconds(window):
        first = _ns(window_start(window, sql.time_literal(bounds[0])))
        series = sql.func("generate_series", first, sql.number(bounds[1] - 1), sql.number(window.every.nanoseconds))
    elif window.location == "UTC":
        first = window_start(window, sql.time_literal(bounds[0]))
        series = sql.func("generate_series", first, sql.time_literal(last), duration_sql(window.every))
    else:
        first = local_window_start(window, to_local(sql.time_literal(bounds[0]), window.location))
        series = sql.func("generate_series", first, to_local(sql.time_literal(last), window.location), duration_sql(window.every))
    grid_from = exp.Unnest(expressions=[series], alias=exp.TableAlias(columns=[sql.ident("__window")]))
    return _subquery(exp.select(exp.Star(), copy=False).from_(grid_from, copy=False), "grid")


def _grid_window_start(window: p.Window) -> exp.Expression:
    """The start instant of the `grid` row's window (see _window_starts; UTC windows)."""
    if in_nanoseconds(window):
        return _time_ns(sql.col("__window", "grid"))
    return sql.cast(sql.col("__window", "grid"), FluxType.TIME)


def _subquery(select: exp.Select, alias: str) -> exp.Subquery:
    return exp.Subquery(this=select, alias=exp.TableAlias(this=sql.ident(alias)))


def _cross(source: exp.Expression) -> exp.Join:
    # Built, not parsed: `join(join_type="cross")` parses a snippet of SQL each time.
    return exp.Join(this=source, kind="CROSS")


# ---------------------------------------------------------------- selectors

SELECTOR_ORDER = {
    "first": lambda rel, node: order_sql(rel, node),
    "last": lambda rel, node: order_sql(rel, node, reverse=True),
    "min": lambda rel, node: [sql.ordered(rel.ref(node.column))] + order_sql(rel, node),
    "max": lambda rel, node: [sql.ordered(rel.ref(node.column), True)] + order_sql(rel, node),
}


def _struct(fields: dict) -> exp.Struct:
    return exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(k), expression=v) for k, v in fields.items()])


# Selectors as aggregates: (arg_min or arg_max, the ordering key from value and __seq).
# Ties go to the first row, as in Flux: max orders by (value, -__seq).
ARG_SELECTORS = {
    "first": ("arg_min", lambda value, seq: seq),
    "last": ("arg_max", lambda value, seq: seq),
    "min": ("arg_min", lambda value, seq: _struct({"v": value, "s": seq})),
    "max": ("arg_max", lambda value, seq: _struct({"v": value, "s": exp.Neg(this=seq)})),
}


def arg_selector(lw: Lowerer, rel: Relation, node: p.Selector) -> Relation:
    """first/last/min/max as one aggregate per table: `arg_max({row}, value)`, then the
    row's fields. Cheaper than ranking every row with ROW_NUMBER() (no sort)."""
    if node.function in ("first", "last") and _times_order_rows(node.input):
        return _first_or_last_by_time(lw, rel, node)
    fn, order_key = ARG_SELECTORS[node.function]
    key = set(node.schema.key)
    carried = [label for label in rel.columns if label not in key]
    row = _struct({f"c{i}": rel.ref(label) for i, label in enumerate(carried)})
    picked = sql.func(fn, row, order_key(rel.ref(node.column), rel.ref(SEQ)))
    columns = {k: rel.ref(k) for k in node.schema.key}
    columns["__row"] = picked
    grouped = rel.with_columns(columns, group_by_all=True)
    grouped.where.append(exp.Not(this=exp.Is(this=rel.ref(node.column), expression=exp.Null())))
    inner = lw.materialize(grouped, node.step)
    out = {}
    for label in node.schema.labels:
        if label in key:
            out[label] = inner.ref(label)
        else:
            out[label] = exp.Dot(this=sql.col("__row"), expression=exp.to_identifier(f"c{carried.index(label)}"))
    for i, label in enumerate(carried):
        if label not in out:
            out[label] = exp.Dot(this=sql.col("__row"), expression=exp.to_identifier(f"c{i}"))
    return inner.with_columns(out)


def _times_order_rows(node: p.PlanNode) -> bool:
    """True when each table of `node` (a storage scan) has one row per time and orders its
    rows by time (`__seq` is the time): the first or last row is that of the least or
    greatest time, and no two rows tie."""
    return getattr(node, "unique_times", False) and getattr(node, "seq_is_time", False)


def _first_or_last_by_time(lw: Lowerer, rel: Relation, node: p.Selector) -> Relation:
    """first/last of tables with one row per time (`_times_order_rows`): a scalar aggregate
    per column, `max(_time)` and `arg_max(_value, __seq)`, rather than one struct of the
    whole row. Data written in time order makes every row the new last one, and copying a
    value costs less than copying a row (last() of a day of cpu at 10M points: 0.95 s ->
    0.38 s). The rows cannot tie, so the columns all come from the same row."""
    pick, extreme = ("arg_min", "min") if node.function == "first" else ("arg_max", "max")
    key = set(node.schema.key)
    columns = {k: rel.ref(k) for k in node.schema.key}
    for label in rel.columns:
        if label in key:
            continue
        if label in ("_time", SEQ):
            columns[label] = sql.func(extreme, rel.ref(label))
        elif label == node.column:  # not null: rows without a value are not selected
            columns[label] = sql.func(pick, rel.ref(label), rel.ref(SEQ))
        else:
            columns[label] = sql.func(pick + "_null", rel.ref(label), rel.ref(SEQ))
    grouped = rel.with_columns(columns, group_by_all=True)
    grouped.where.append(exp.Not(this=exp.Is(this=rel.ref(node.column), expression=exp.Null())))
    inner = lw.materialize(grouped, node.step)
    hidden = [label for label in inner.columns if label not in node.schema.labels]
    return inner.with_columns({label: inner.ref(label) for label in [*node.schema.labels, *hidden]})


@lowers(p.Selector)
def lower_selector(lw: Lowerer, node: p.Selector) -> Relation:
    window = node.input if p.core.windowed(node) else None
    if window is None:
        return select_rows(lw, node, lw.composable_input(node.input, node.input.step))
    rows = window_input(lw, window)
    raw = raw_windows(window, rows)
    if raw is not None and node.function in ARG_SELECTORS and window.order.items == ((SEQ, False),) \
            and SEQ in raw.rel.columns:
        return windowed_selector(lw, node, raw)
    selected = select_rows(lw, node, windowed_relation(lw, window, rows))
    if window.create_empty and node.function in SELECTOR_ORDER:
        # aggregateWindow(fn: max) keeps a row (of nulls) for an empty window, as for aggregates.
        return fill_empty_windows(lw, selected, node, window)
    return selected


def select_rows(lw: Lowerer, node: p.Selector, rel: Relation) -> Relation:
    """The rows `node` selects from each table of `rel` (its input, composable)."""
    params = dict(node.params)
    partition = key_partition(rel, node)
    out = rel.with_columns(dict(rel.columns))
    if node.function in ARG_SELECTORS and node.input.order.items == ((SEQ, False),) and SEQ in rel.columns:
        return arg_selector(lw, rel, node)
    if node.function in SELECTOR_ORDER:
        out.where.append(exp.Not(this=exp.Is(this=rel.ref(node.column), expression=exp.Null())))
        rank = sql.over(exp.RowNumber(), partition, SELECTOR_ORDER[node.function](rel, node))
        out.qualify.append(exp.EQ(this=rank, expression=sql.number(1)))
        return out
    if node.function in ("limit", "tail"):
        n, offset = int(params["n"]), int(params.get("offset", 0))
        order = order_sql(rel, node, reverse=node.function == "tail")
        if not partition:
            # One table: its first n rows in order, without ranking every row.
            out.order_by, out.limit, out.offset = order, n, offset
            return out
        rank = sql.over(exp.RowNumber(), partition, order)
        out.qualify.append(exp.Between(this=rank, low=sql.number(offset + 1), high=sql.number(offset + n)))
        return out
    if node.function == "quantile":
        # method "exact_selector": the row at index ceil(q * n) - 1 of the values in order.
        out.where.append(exp.Not(this=exp.Is(this=rel.ref(node.column), expression=exp.Null())))
        rank = sql.over(exp.RowNumber(), partition, [sql.ordered(rel.ref(node.column))] + order_sql(rel, node))
        count = sql.over(sql.func("count", rel.ref(node.column)), partition)
        wanted = sql.func("greatest", sql.number(1), sql.func("ceil", exp.Mul(this=sql.number(float(params["q"])), expression=count)))
        out.qualify.append(exp.EQ(this=rank, expression=wanted))
        return out
    raise FluxUnsupportedError(f"{node.function}() cannot be lowered to SQL yet")


# ------------------------------------------------- windowed aggregates and selectors
#
# aggregateWindow's rows are grouped by their raw window start (the epoch-aligned bucket
# of `_time`); the window's bounds, cut at the range bounds, are computed once per group
# afterwards rather than on every row (the bucket determines them: two buckets never cut
# to the same bounds while start < stop). Empty windows are a grid of bucket starts.

WINDOW = "__window_start"  # hidden column: a group's window start before the cut at the range bounds


@dataclass(frozen=True)
class RawWindows:
    """A window() lowered by its consumer: the input rows `rel` (rows without a time
    dropped), each row's raw window start `bucket`, and the constant range bounds
    (`cut`) the windows are cut at, if the input has them."""

    window: p.Window
    rel: Relation
    bucket: exp.Expression
    cut: tuple[exp.Expression, exp.Expression] | None

    def bounds(self, start: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
        """(start, stop) of the window whose raw start is `start`, cut at the range bounds."""
        stop = window_stop(self.window, start.copy())
        if self.cut is None:
            return start, stop
        return (sql.func("greatest", start, self.cut[0].copy()), sql.func("least", stop, self.cut[1].copy()))


def window_input(lw: Lowerer, window: p.Window) -> Relation | None:
    """The rows of the window's input, when the window's consumer may lower the window
    itself (no other step reads it), else None."""
    if lw.uses.get(id(window), 0) > 1:
        return None
    return lw.composable_input(window.input, window.input.step)


def windowed_relation(lw: Lowerer, window: p.Window, rows: Relation | None) -> Relation:
    """The window's rows with their `_start`/`_stop` (see window_input for `rows`)."""
    return lw.relation(window) if rows is None else window_relation(window, rows)


def raw_windows(window: p.Window, rows: Relation | None) -> RawWindows | None:
    """The window as RawWindows, or None when its bounds are not a function of the raw
    window start alone: windows on a local wall clock (a start may name no instant or
    two), range bounds that are not constants, or a window read by several steps."""
    if rows is None or window.every_inf or window.period != window.every:
        return None
    if window.location != "UTC" and not in_nanoseconds(window):
        return None
    cut = None
    if window.input.schema.has(window.start_column) and window.input.schema.has(window.stop_column):
        cut = (rows.ref(window.start_column), rows.ref(window.stop_column))
        if not all(is_constant(e) for e in cut):
            return None
    t = rows.ref(window.time_column)
    rel = rows.with_columns(dict(rows.columns))
    rel.where.append(exp.Not(this=exp.Is(this=t, expression=exp.Null())))
    return RawWindows(window, rel, window_start(window, t.copy()), cut)


def windowed_aggregate(lw: Lowerer, node: p.Aggregate, raw: RawWindows, build) -> Relation:
    rel, window = raw.rel, raw.window
    value = build(AggregateInput(rel.ref(node.column), window.schema.type_of(node.column), dict(node.params),
                                 rows_present(rel, window), order_sql(rel, window)))
    columns = _group_columns(rel, node, raw)
    columns[node.column] = value
    if node.table_position == p.core.TABLE_FIRST:
        columns[p.core.TABLE_FIRST] = sql.func("min", rel.ref(window.table_position or SEQ))
    grouped = rel.with_columns(columns, group_by_all=True)
    return windowed_result(lw, grouped, node, raw, lambda ref, start, stop: {node.column: ref(node.column)})


def _group_columns(rel: Relation, node: p.PlanNode, raw: RawWindows) -> dict:
    bounds = (raw.window.start_column, raw.window.stop_column)
    columns = {k: rel.ref(k) for k in node.schema.key if k not in bounds}
    columns[WINDOW] = raw.bucket.copy()
    return columns


# Selectors whose value alone is wanted: the selected row's value.
VALUE_SELECTORS = {
    "first": lambda value, seq: sql.func("arg_min", value, seq),
    "last": lambda value, seq: sql.func("arg_max", value, seq),
    "min": lambda value, seq: sql.func("min", value),
    "max": lambda value, seq: sql.func("max", value),
}


def windowed_selector(lw: Lowerer, node: p.Selector, raw: RawWindows) -> Relation:
    """first/last/min/max of each window: one aggregate per window (see arg_selector)."""
    rel, window = raw.rel, raw.window
    key = set(node.schema.key)
    columns = _group_columns(rel, node, raw)
    if selected_time_unread(lw, node, rel):
        # Only the value of the selected row is read (aggregateWindow puts the window's
        # stop in its time): max(v) instead of the whole row.
        columns[node.column] = VALUE_SELECTORS[node.function](rel.ref(node.column), rel.ref(SEQ))
        unpack = lambda ref, start, stop: {window.time_column: stop, node.column: ref(node.column)}  # noqa: E731
    else:
        fn, order_key = ARG_SELECTORS[node.function]
        carried = [label for label in rel.columns if label not in key]
        row = _struct({f"c{i}": rel.ref(label) for i, label in enumerate(carried)})
        columns["__row"] = sql.func(fn, row, order_key(rel.ref(node.column), rel.ref(SEQ)))

        def unpack(ref, start, stop):
            return {label: exp.Dot(this=ref("__row"), expression=exp.to_identifier(f"c{i}"))
                    for i, label in enumerate(carried)}
    grouped = rel.with_columns(columns, group_by_all=True)
    grouped.where.append(exp.Not(this=exp.Is(this=rel.ref(node.column), expression=exp.Null())))
    return windowed_result(lw, grouped, node, raw, unpack)


def selected_time_unread(lw: Lowerer, node: p.Selector, rel: Relation) -> bool:
    """True when nothing reads the selected rows' time, `__seq` or other columns than the
    value: the only step after `node` is a projection (aggregateWindow's duplicate of
    `_stop` into `_time`) that does not read the time column, on a storage stream whose
    `__seq` is the row's time (so window starts order the rows as the selected ones)."""
    window = node.input
    parent = lw.parents.get(id(node))
    if lw.uses.get(id(node), 0) != 1 or not isinstance(parent, p.Project) or not node.tables_in_key_order:
        return False
    if set(window.schema.labels) - set(node.schema.key) != {window.time_column, node.column}:
        return False
    if any(not isinstance(e, Col) or e.name == window.time_column for _, e in parent.columns):
        return False
    seq = rel.columns.get(SEQ)
    return seq == sql.func("epoch_ns", rel.ref(window.time_column))


def windowed_result(lw: Lowerer, grouped: Relation, node: p.PlanNode, raw: RawWindows, unpack) -> Relation:
    """The rows of a windowed aggregate or selector from `grouped` (one row per table and
    raw window start): `unpack(ref, start, stop)` gives the non-key columns from the
    grouped columns `ref(label)` and the window's bounds."""
    if raw.window.create_empty:
        return fill_windows(lw, grouped, node, raw, unpack)
    inner = lw.materialize(grouped, node.step)
    start, stop = raw.bounds(inner.ref(WINDOW))
    columns = _window_key(node, raw, inner.ref, start, stop)
    columns.update(unpack(inner.ref, start.copy(), stop.copy()))
    columns[SEQ] = sql.func("epoch_ns", start.copy())
    if p.core.TABLE_FIRST in inner.columns:
        columns[p.core.TABLE_FIRST] = inner.ref(p.core.TABLE_FIRST)
    return inner.with_columns(_reorder(columns, node))


def _window_key(node: p.PlanNode, raw: RawWindows, ref, start: exp.Expression, stop: exp.Expression) -> dict:
    bounds = {raw.window.start_column: start, raw.window.stop_column: stop}
    return {k: bounds[k].copy() if k in bounds else ref(k) for k in node.schema.key}


def fill_windows(lw: Lowerer, grouped: Relation, node: p.PlanNode, raw: RawWindows, unpack) -> Relation:
    """Every window of every table gets a row (createEmpty): the grid of raw window starts
    of each table, LEFT JOINed with the grouped rows; an empty window's row has nulls
    (count: 0). Key columns that are constants (the measurement, the field of a one-field
    scan) are not in the grid nor in the join."""
    window = raw.window
    bounds = window.bounds
    if bounds is None:
        raise FluxUnsupportedError("window(createEmpty: true) needs a range() before it")
    name = lw.ctes.add(node.step, grouped.to_select())
    start_col, stop_col = window.start_column, window.stop_column
    others = [k for k in node.schema.key if k not in (start_col, stop_col)]
    varying = [k for k in others if not is_constant(grouped.columns[k])]
    # The tables there are: a constant column still tells whether there is any.
    listed = varying or others[:1]
    starts = _window_starts(window, bounds)
    w = _grid_window_start(window)
    grid = exp.select(*[sql.alias(sql.col(k, "tables"), k) for k in listed], sql.alias(w, WINDOW), copy=False)
    if listed:
        tables = exp.select(*[sql.col(k) for k in listed], copy=False).from_(sql.ident(name), copy=False)
        tables = tables.distinct(copy=False)
        grid = grid.from_(exp.Subquery(this=tables, alias=exp.TableAlias(this=sql.ident("tables"))), copy=False)
        grid = grid.join(_cross(starts), copy=False)
    else:
        grid = grid.from_(starts, copy=False)
    grid_name = lw.ctes.add("windows", grid)
    cond = sql.and_all(
        [exp.NullSafeEQ(this=sql.col(k, "w"), expression=sql.col(k, "a")) for k in varying]
        + [exp.EQ(this=sql.col(WINDOW, "w"), expression=sql.col(WINDOW, "a"))]
    )
    start, stop = raw.bounds(sql.col(WINDOW, "w"))
    grid_ref = lambda k: sql.col(k, "w") if k in varying else grouped.columns[k].copy()  # noqa: E731
    columns = _window_key(node, raw, grid_ref, start, stop)
    unpacked = unpack(lambda k: sql.col(k, "a"), start.copy(), stop.copy())
    columns.update({k: e for k, e in unpacked.items() if k in node.schema.labels})
    if isinstance(node, p.Aggregate) and node.function == "count":
        columns[node.column] = exp.Coalesce(this=columns[node.column], expressions=[sql.number(0)])
    columns[SEQ] = sql.func("epoch_ns", start.copy())
    if node.table_position == p.core.TABLE_FIRST:
        # Where the window's input table stood in the stream (see PlanNode.table_position).
        position = p.core.TABLE_FIRST if isinstance(node, p.Aggregate) else (window.table_position or SEQ)
        if position in unpacked:
            columns[p.core.TABLE_FIRST] = unpacked[position]
        elif position in grouped.columns:
            columns[p.core.TABLE_FIRST] = sql.col(position, "a")
    source = exp.Table(this=sql.ident(grid_name), alias=exp.TableAlias(this=sql.ident("w")))
    join = exp.Join(this=exp.Table(this=sql.ident(name), alias=exp.TableAlias(this=sql.ident("a"))), on=cond, side="LEFT")
    return Relation(source=source, columns=_reorder(columns, node), joins=[join])


# ---------------------------------------------------------------- windows


def duration_sql(d: Duration) -> exp.Expression:
    if d.months and d.nanoseconds:
        raise FluxUnsupportedError(f"mixed calendar and fixed durations ({d}) are not supported in windows")
    if d.months:
        return exp.Interval(this=exp.Literal.string(str(d.months)), unit=exp.var("MONTH"))
    if d.nanoseconds % 1000:
        raise FluxUnsupportedError(f"window durations below a microsecond ({d}) are not supported")
    return sql.interval_ns(d.nanoseconds)


def add_duration(t: exp.Expression, d: Duration) -> exp.Expression:
    if d.months and d.nanoseconds:
        # A calendar offset such as 2mo2w (a timezone.fixed() offset): months first, then the rest.
        return add_duration(add_duration(t, Duration(d.months, 0)), Duration(0, d.nanoseconds))
    return exp.Add(this=t, expression=duration_sql(d))


def in_nanoseconds(window: p.Window) -> bool:
    """True for fixed UTC windows finer than DuckDB's microsecond INTERVALs: those are
    computed exactly on epoch nanoseconds instead."""
    durations = (window.every, window.period, window.offset)
    return window.location == "UTC" and all(d.is_fixed for d in durations) and any(d.nanoseconds % 1000 for d in durations)


def _ns(t: exp.Expression) -> exp.Expression:
    return sql.func("epoch_ns", t)


def _time_ns(ns: exp.Expression) -> exp.Expression:
    return sql.func("make_timestamp_ns", ns)


def window_stop(window: p.Window, start: exp.Expression) -> exp.Expression:
    """The end of the window starting at `start` (`period` later on the wall clock)."""
    if in_nanoseconds(window):
        return _time_ns(exp.Add(this=_ns(start), expression=sql.number(window.period.nanoseconds)))
    if window.location == "UTC":
        return add_duration(start, window.period)
    return local_bounds(window, to_local(start, window.location))[1]


EPOCH = sql.cast(exp.Literal.string("1970-01-01"), FluxType.TIME)


def window_start(window: p.Window, t: exp.Expression) -> exp.Expression:
    """The start of the window holding time `t`: epoch-aligned buckets shifted by offset,
    counted on the wall clock of the window's location (Flux's days follow local midnight)."""
    if in_nanoseconds(window):
        # t - ((t - offset) mod every), with a non-negative mod.
        every = sql.number(window.every.nanoseconds)
        shifted = exp.Sub(this=_ns(t), expression=sql.number(window.offset.nanoseconds))
        rem = exp.Mod(this=exp.Paren(this=exp.Add(this=exp.Paren(this=exp.Mod(this=shifted, expression=every)),
                                                   expression=every.copy())), expression=every.copy())
        return _time_ns(exp.Sub(this=_ns(t.copy()), expression=exp.Paren(this=rem)))
    if window.location == "UTC":
        return sql.cast(bucket_start(window, t, EPOCH.copy()), FluxType.TIME)
    return local_bounds(window, to_local(t, window.location))[0]


def bucket_start(window: p.Window, t: exp.Expression, epoch: exp.Expression) -> exp.Expression:
    """time_bucket() of `t` into windows of `every` from `epoch` plus the window's offset.
    DuckDB counts calendar buckets in whole months from the origin's month, so the part of
    the offset below a month shifts `t` instead (window(every: 1y, offset: 2w))."""
    every = duration_sql(window.every)
    offset = window.offset
    if window.every.months and offset.nanoseconds:
        fixed = Duration(0, offset.nanoseconds)
        origin = add_duration(epoch, Duration(offset.months, 0)) if offset.months else epoch
        shifted = exp.Sub(this=t, expression=duration_sql(fixed))
        return add_duration(sql.func("time_bucket", every, shifted, origin), fixed)
    origin = epoch if offset.is_zero else add_duration(epoch, offset)
    return sql.func("time_bucket", every, t, origin)


def local_bounds(window: p.Window, local: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    """(start, stop) instants of the window holding wall-clock time `local`: both counted
    on the wall clock from the window's wall-clock start, then read as instants."""
    return local_bounds_of_wall(window, local_window_start(window, local))


def local_bounds_of_wall(window: p.Window, wall: exp.Expression) -> tuple[exp.Expression, exp.Expression]:
    """(start, stop) instants of the window starting at wall-clock time `wall`."""
    stop = add_duration(wall.copy(), window.period)
    return from_local(wall, window.location, window.bounds), from_local(stop, window.location, window.bounds)


def local_window_start(window: p.Window, local: exp.Expression) -> exp.Expression:
    """The wall-clock start of the window holding wall-clock time `local`."""
    return bucket_start(window, local, exp.Cast(this=exp.Literal.string("1970-01-01"), to=exp.DataType.build("TIMESTAMP")))


@lowers(p.Window)
def lower_window(lw: Lowerer, node: p.Window) -> Relation:
    return window_relation(node, lw.composable_input(node.input, node.input.step))


def window_relation(node: p.Window, rel: Relation) -> Relation:
    """The rows of `rel` (the window's input, composable) with their window's bounds."""
    if node.every_inf:
        bounds = node.input.bounds
        columns = dict(rel.columns)
        if bounds is not None:
            columns[node.start_column] = sql.time_literal(bounds[0])
            columns[node.stop_column] = sql.time_literal(bounds[1])
        return rel.with_columns(_reorder(columns, node))
    if node.period != node.every:
        raise FluxUnsupportedError("window(period:) different from every is not supported yet")
    t = rel.ref(node.time_column)
    if node.location != "UTC" and not in_nanoseconds(node):
        start, stop = local_bounds(node, to_local(t, node.location))
    else:
        start = window_start(node, t)
        stop = window_stop(node, start.copy())
    columns = dict(rel.columns)
    if node.input.schema.has(node.start_column) and node.input.schema.has(node.stop_column):
        start = sql.func("greatest", start, rel.ref(node.start_column))
        stop = sql.func("least", stop, rel.ref(node.stop_column))
    columns[node.start_column] = start
    columns[node.stop_column] = stop
    out = rel.with_columns(_reorder(columns, node))
    out.where.append(exp.Not(this=exp.Is(this=t.copy(), expression=exp.Null())))
    return out


def _reorder(columns: dict, node: p.PlanNode) -> dict:
    labels = list(node.schema.labels)
    out = {k: columns[k] for k in labels if k in columns}
    out.update({k: v for k, v in columns.items() if k not in out})
    return out
