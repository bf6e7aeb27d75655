"""Lowering of the time-series math nodes (plan/series.py) to window functions.

Each Flux table is a window partition (PARTITION BY the group key) in the table's row
order (ORDER BY the node's order, ending with `__seq`). "The previous non-null value"
is `last_value(v IGNORE NULLS)` over the rows before the current one. Nodes that drop
rows (the first row of difference/derivative/elapsed, the rows before the n-th of a
moving average, hours outside hourSelection) go through `keep_empty_tables`, so a table
left with no rows stays an empty table, as in Flux. Time differences are computed on
`epoch_ns()` integers, so they are exact to the nanosecond.

This module also holds the window helpers; moving averages and momentum indicators
(recurrences as recursive CTEs) are lowered in `series_averages`.
"""
from __future__ import annotations

from sqlglot import exp

from ..errors import FluxUnsupportedError
from ..plan import series as s
from ..types import FluxType
from . import sql
from .lowerer import SEQ, Lowerer, key_partition, lowers, marker_of, order_sql, scalar_sql
from .nodes import keep_empty_tables
from .relation import Relation

# ------------------------------------------------------------------ window helpers


def frame(start, start_side, end, end_side=None) -> exp.WindowSpec:
    """ROWS BETWEEN <start> <start_side> AND <end> [<end_side>]."""
    return exp.WindowSpec(kind="ROWS", start=start, start_side=start_side, end=end, end_side=end_side)


def rows_before() -> exp.WindowSpec:
    """Every earlier row of the table."""
    return frame("UNBOUNDED", "PRECEDING", sql.number(1), "PRECEDING")


def rows_so_far() -> exp.WindowSpec:
    """Every row of the table up to and including the current one."""
    return frame("UNBOUNDED", "PRECEDING", "CURRENT ROW")


def last_n_rows(n: int) -> exp.WindowSpec:
    return frame(sql.number(n - 1), "PRECEDING", "CURRENT ROW")


def in_table(rel: Relation, node, fn: exp.Expression, window: exp.WindowSpec | None = None, ordered: bool = True) -> exp.Window:
    """`fn` as a window over the current row's table, in the table's row order."""
    return sql.over(fn, key_partition(rel, node), order_sql(rel, node) if ordered else None, window)


def previous_non_null(rel: Relation, node, value: exp.Expression) -> exp.Window:
    return in_table(rel, node, exp.IgnoreNulls(this=exp.LastValue(this=value)), rows_before())


def previous_value(rel: Relation, node, label: str, value: exp.Expression) -> exp.Window:
    """The last non-null value of `label` before the current row: LAG() when the input
    holds no nulls in that column (a storage scan's `_value`), which needs no frame."""
    if label in not_null_columns(node.input):
        return in_table(rel, node, exp.Lag(this=value))
    return previous_non_null(rel, node, value)


def not_null_columns(node) -> set:
    return {"_value"} if getattr(node, "values_not_null", False) else set()


def drop_first_rows(lw: Lowerer, rel: Relation, node) -> Relation:
    """`rel` without the first row of each table (difference, derivative, elapsed)."""
    if lw.empty_tables_unseen(node):
        # Nothing downstream sees the emptied tables: filter, no placeholders.
        out = rel.with_columns(dict(rel.columns), has_window=True)
        out.qualify.append(after_first_rows(rel, node))
        return out
    return keep_rows(lw, rel, node, after_first_rows(rel, node))


def row_number(rel: Relation, node) -> exp.Window:
    return in_table(rel, node, exp.RowNumber())


def is_null(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=e, expression=exp.Null())


def not_null(e: exp.Expression) -> exp.Expression:
    return exp.Not(this=is_null(e))


def case(*whens, default=None) -> exp.Case:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in whens], default=default)


def paren(e: exp.Expression) -> exp.Expression:
    return exp.Paren(this=e)


def epoch_ns(t: exp.Expression) -> exp.Expression:
    return sql.func("epoch_ns", t)


def floor_to(x: exp.Expression, step: exp.Expression) -> exp.Expression:
    """x rounded down to a multiple of step, in integers (also for negative x)."""
    remainder = exp.Mod(this=paren(exp.Add(this=paren(exp.Mod(this=x.copy(), expression=step.copy())), expression=step.copy())), expression=step.copy())
    return exp.Sub(this=x, expression=paren(remainder))


def as_double(e: exp.Expression) -> exp.Expression:
    return sql.cast(e, FluxType.FLOAT)


def live_rows_only(rel: Relation, node, value: exp.Expression, label: str | None = None) -> exp.Expression:
    """Keep placeholder rows (empty tables) placeholders: their non-key cells stay NULL
    (a key cell, which names the empty table, keeps its value)."""
    if not node.input.may_have_empty or label in node.schema.key:
        return value
    marker = marker_of(node.input)
    if marker not in rel.columns:
        return value
    return case((not_null(rel.ref(marker)), value))


def keep_rows(lw: Lowerer, rel: Relation, node, passes: exp.Expression) -> Relation:
    """Keep the rows where `passes` (may use window functions); emptied tables stay as empty tables."""
    return keep_empty_tables(lw, rel, node, passes, marker_of(node.input))


def after_first_rows(rel: Relation, node, n: int = 1) -> exp.Expression:
    return exp.GT(this=row_number(rel, node), expression=sql.number(n))


def windowed(rel: Relation, columns: dict) -> Relation:
    return rel.with_columns(columns, has_window=True)


# ------------------------------------------------------------------ difference


@lowers(s.Difference)
def lower_difference(lw: Lowerer, node: s.Difference) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/difference/ — value minus the
    last non-null value before it; null when the value is null or has no predecessor."""
    rel = lw.composable_input(node.input, node.input.step)
    columns = dict(rel.columns)
    for label in node.targets:
        in_type = node.input.schema.type_of(label)
        out_type = node.schema.type_of(label)
        value = rel.ref(label)
        if in_type == FluxType.UINT:
            value = sql.cast(value, FluxType.INT)
        previous = previous_value(rel, node, label, value.copy())
        diff = exp.Sub(this=value.copy(), expression=previous)
        if node.non_negative:
            # A drop means the counter restarted: without initialZero the difference is
            # null; with it, the difference from 0 (null when the value is negative).
            restarted = sql.null(out_type)
            if node.initial_zero:
                restarted = case((exp.LT(this=value.copy(), expression=sql.number(0)), sql.null(out_type)), default=value.copy())
            diff = case((exp.LT(this=paren(diff.copy()), expression=sql.number(0)), restarted), default=diff)
        columns[label] = live_rows_only(rel, node, diff, label)
    out = windowed(rel, columns)
    if node.keep_first:
        return out
    return drop_first_rows(lw, out, node)


# ------------------------------------------------------------------ derivative


@lowers(s.Derivative)
def lower_derivative(lw: Lowerer, node: s.Derivative) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/derivative/ — rows that repeat
    the previous row's time are ignored; each value's rate is taken against the last
    non-null value before it (and that value's time)."""
    rel = lw.composable_input(node.input, node.input.step)
    if node.time_column not in rel.columns:
        raise FluxUnsupportedError(f"derivative: no column {node.time_column!r} exists")
    # A storage scan has one row per time (nothing to drop) and no null values (the
    # previous value and its time are the previous row's): one window, no frames.
    times_unique = node.time_column == "_time" and getattr(node.input, "unique_times", False)
    plain = times_unique and set(node.targets) <= not_null_columns(node.input)
    if not times_unique:
        time = rel.ref(node.time_column)
        before = in_table(rel, node, exp.Lag(this=time.copy()))
        distinct = rel.with_columns(dict(rel.columns))
        distinct.qualify.append(paren(exp.Or(this=is_null(before), expression=exp.NEQ(this=before.copy(), expression=time))))
        rel = lw.materialize(distinct, node.step)

    time = rel.ref(node.time_column)
    columns = dict(rel.columns)
    for label in node.targets:
        in_type = node.input.schema.type_of(label)
        value = rel.ref(label)
        if plain:
            prev_value = in_table(rel, node, exp.Lag(this=value.copy()))
            prev_time = in_table(rel, node, exp.Lag(this=time.copy()))
        else:
            prev_value = previous_non_null(rel, node, value.copy())
            prev_time = previous_non_null(rel, node, case((not_null(value.copy()), time.copy())))
        elapsed = exp.Div(
            this=as_double(exp.Sub(this=epoch_ns(time.copy()), expression=epoch_ns(prev_time))),
            expression=as_double(sql.number(node.unit_ns)),
        )
        if in_type == FluxType.FLOAT:
            diff = exp.Sub(this=value.copy(), expression=prev_value.copy())
        elif in_type == FluxType.UINT:
            # Unsigned subtraction cannot go below zero: subtract the smaller from the larger.
            diff = case(
                (exp.GT(this=prev_value.copy(), expression=value.copy()),
                 exp.Neg(this=as_double(exp.Sub(this=prev_value.copy(), expression=value.copy())))),
                default=as_double(exp.Sub(this=value.copy(), expression=prev_value.copy())),
            )
        else:
            diff = as_double(exp.Sub(this=value.copy(), expression=prev_value.copy()))
        rate = exp.Div(this=paren(diff), expression=paren(elapsed))
        if node.non_negative:
            dropped = sql.literal(0.0) if node.initial_zero else sql.null(FluxType.FLOAT)
            rate = case((exp.GT(this=prev_value.copy(), expression=value.copy()), dropped), default=rate)
        columns[label] = rate
    return drop_first_rows(lw, windowed(rel, columns), node)


# ------------------------------------------------------------------ cumulativeSum


@lowers(s.CumulativeSum)
def lower_cumulative_sum(lw: Lowerer, node: s.CumulativeSum) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/cumulativesum/ — a null adds
    nothing (its row shows the sum so far, 0 before any value)."""
    rel = lw.composable_input(node.input, node.input.step)
    columns = dict(rel.columns)
    for label in node.targets:
        t = node.schema.type_of(label)
        running = in_table(rel, node, exp.Sum(this=rel.ref(label)), rows_so_far())
        total = sql.cast(exp.Coalesce(this=running, expressions=[sql.number(0)]), t)
        columns[label] = live_rows_only(rel, node, total, label)
    return windowed(rel, columns)


# ------------------------------------------------------------------ elapsed


@lowers(s.Elapsed)
def lower_elapsed(lw: Lowerer, node: s.Elapsed) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/elapsed/ — whole units of
    time since the previous row; the first row of each table is dropped."""
    rel = lw.composable_input(node.input, node.input.step)
    if node.time_column not in rel.columns:
        raise FluxUnsupportedError(f"elapsed: column {node.time_column!r} does not exist")
    time = rel.ref(node.time_column)
    before = in_table(rel, node, exp.Lag(this=time.copy()))
    elapsed = exp.IntDiv(
        this=paren(exp.Sub(this=epoch_ns(time), expression=epoch_ns(before))),
        expression=sql.number(node.unit_ns),
    )
    return drop_first_rows(lw, windowed(rel, with_column(rel, node, node.column_name, elapsed)), node)


def with_column(rel: Relation, node, label: str, value: exp.Expression) -> dict:
    """The relation's columns in `node`'s schema order with `label` set to `value` (added or
    replaced), then the hidden ones."""
    columns = {name: e for name, e in rel.columns.items() if name != label}
    ordered = {c.label: value if c.label == label else columns.pop(c.label) for c in node.schema.columns}
    ordered.update(columns)
    return ordered


# ------------------------------------------------------------------ stateCount / stateDuration

STATE, RUN = "__state", "__run"


@lowers(s.StateTracking)
def lower_state_tracking(lw: Lowerer, node: s.StateTracking) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/statecount/ and
    .../stateduration/ — rows in the state count 1, 2, 3 ... (durations from the run's
    first row); a row out of the state gives -1 and ends the run. A run is numbered by
    how many rows out of the state came before it."""
    rel = lw.composable_input(node.input, node.input.step)
    state = exp.Coalesce(this=paren(scalar_sql(rel, node.predicate)), expressions=[exp.false()])
    marked = dict(rel.columns)
    marked[STATE] = state
    marked[RUN] = in_table(rel, node, exp.Sum(this=case((state.copy(), sql.number(0)), default=sql.number(1))), rows_so_far())
    rel = lw.materialize(windowed(rel, marked), node.step)
    in_state = rel.ref(STATE)
    run = key_partition(rel, node) + [rel.ref(RUN)]
    order = order_sql(rel, node)
    minus_one = sql.number(-1)
    columns = {label: e for label, e in rel.columns.items() if label not in (STATE, RUN)}
    added = {}
    if node.count_column is not None:
        count = sql.over(exp.Sum(this=case((in_state.copy(), sql.number(1)), default=sql.number(0))), run, order, rows_so_far())
        added[node.count_column] = case((in_state.copy(), sql.cast(count, FluxType.INT)), default=minus_one.copy())
    if node.duration_column is not None:
        time = rel.ref(node.time_column)
        started = sql.over(exp.IgnoreNulls(this=exp.FirstValue(this=case((in_state.copy(), time.copy())))), run, order, rows_so_far())
        duration = exp.IntDiv(
            this=paren(exp.Sub(this=epoch_ns(time.copy()), expression=epoch_ns(started))),
            expression=sql.number(node.unit_ns),
        )
        added[node.duration_column] = case((in_state.copy(), duration), default=minus_one.copy())
    out = {}
    for c in node.schema.columns:
        e = added.get(c.label, columns.get(c.label))
        out[c.label] = live_rows_only(rel, node, e, c.label) if c.label in added else e
    out.update({k: v for k, v in columns.items() if k not in out})
    return windowed(rel, out)


# ------------------------------------------------------------------ fill


@lowers(s.Fill)
def lower_fill(lw: Lowerer, node: s.Fill) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/fill/ — nulls become `value`,
    or with usePrevious the last non-null value before them (still null before any)."""
    rel = lw.composable_input(node.input, node.input.step)
    t = node.schema.type_of(node.column)
    columns = dict(rel.columns)
    value = rel.ref(node.column)
    if node.use_previous:
        filled = in_table(rel, node, exp.IgnoreNulls(this=exp.LastValue(this=value)), rows_so_far())
        columns[node.column] = live_rows_only(rel, node, filled, node.column)
        return windowed(rel, columns)
    columns[node.column] = live_rows_only(rel, node, exp.Coalesce(this=value, expressions=[sql.literal(node.value, t)]), node.column)
    return rel.with_columns(columns)


# ------------------------------------------------------------------ hourSelection


@lowers(s.HourSelection)
def lower_hour_selection(lw: Lowerer, node: s.HourSelection) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/hourselection/ — the hour of
    day of the time column in `location`, within start..stop (both included; a range
    with start > stop wraps around midnight)."""
    rel = lw.composable_input(node.input, node.input.step)
    time = rel.ref(node.time_column)
    if node.location not in ("UTC", ""):
        # The instant as TIMESTAMPTZ from whole epoch seconds (exact, and independent of
        # the session's TimeZone setting), then the wall clock in the location.
        seconds = exp.IntDiv(this=paren(floor_to(epoch_ns(time), sql.number(1_000_000_000))), expression=sql.number(1_000_000_000))
        time = sql.func("timezone", exp.Literal.string(node.location), sql.func("to_timestamp", seconds))
    hour = sql.func("hour", time)
    lo, hi = sql.number(node.start), sql.number(node.stop)
    if node.start <= node.stop:
        passes = exp.Between(this=hour, low=lo, high=hi)
    else:
        passes = paren(exp.Or(this=exp.GTE(this=hour, expression=lo), expression=exp.LTE(this=hour.copy(), expression=hi)))
    return keep_rows(lw, rel, node, passes)


# ------------------------------------------------------------------ integral


def _first_last_points(rel: Relation, node, value: exp.Expression, time_ns: exp.Expression) -> dict:
    """Per table: the value and time (ns) of the 1st, 2nd, next-to-last and last non-null points."""
    rank = in_table(rel, node, exp.Count(this=value.copy()), rows_so_far())
    total = in_table(rel, node, exp.Count(this=value.copy()), ordered=False)
    picks = {"1": rank, "2": rank.copy(), "n": rank.copy(), "m": rank.copy()}
    wanted = {"1": sql.number(1), "2": sql.number(2), "n": total, "m": exp.Sub(this=total.copy(), expression=sql.number(1))}
    out = {}
    for name, r in picks.items():
        hit = exp.And(this=not_null(value.copy()), expression=exp.EQ(this=r, expression=wanted[name]))
        out[f"__v{name}"] = case((hit, value.copy()))
        out[f"__t{name}"] = case((hit.copy(), time_ns.copy()))
    return out


def _edge_area(near_v, near_t, far_v, far_t, edge_t, unit: exp.Expression) -> exp.Expression:
    """Area between the curve extended in a straight line (through the two points nearest
    the edge; flat with one point) and the edge of the range."""
    slope = exp.Coalesce(
        this=exp.Div(this=paren(exp.Sub(this=far_v, expression=near_v)), expression=as_double(exp.Sub(this=far_t, expression=near_t))),
        expressions=[sql.literal(0.0)],
    )
    gap = as_double(exp.Sub(this=edge_t, expression=near_t.copy()))
    edge_v = exp.Add(this=near_v.copy(), expression=exp.Mul(this=paren(slope), expression=gap))
    area = exp.Mul(
        this=exp.Mul(this=sql.literal(0.5), expression=paren(exp.Add(this=edge_v, expression=near_v.copy()))),
        expression=paren(exp.Div(this=gap.copy(), expression=unit)),
    )
    return exp.Coalesce(this=area, expressions=[sql.literal(0.0)])


@lowers(s.Integral)
def lower_integral(lw: Lowerer, node: s.Integral) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/integral/ — the trapezoid
    rule over the non-null points of each table; with interpolate: "linear" the curve is
    extended to _start and _stop. timeWeightedAvg divides by (_stop - _start) / unit."""
    rel = lw.composable_input(node.input, node.input.step)
    if node.time_column not in rel.columns:
        raise FluxUnsupportedError(f"integral: no column {node.time_column!r} exists")
    time_ns = epoch_ns(rel.ref(node.time_column))
    unit = as_double(sql.number(node.unit_ns))
    pieces = dict(rel.columns)
    for label in node.columns:
        value = as_double(rel.ref(label))
        prev_value = previous_non_null(rel, node, value.copy())
        prev_time = previous_non_null(rel, node, case((not_null(value.copy()), time_ns.copy())))
        elapsed = exp.Div(this=as_double(exp.Sub(this=time_ns.copy(), expression=prev_time)), expression=unit.copy())
        area = exp.Mul(
            this=exp.Mul(this=sql.literal(0.5), expression=paren(exp.Add(this=value.copy(), expression=prev_value))),
            expression=paren(elapsed),
        )
        pieces[f"__area_{label}"] = case((not_null(value.copy()), area))
        if node.interpolate:
            pieces.update({f"{k}_{label}": v for k, v in _first_last_points(rel, node, value, time_ns).items()})
    rel = lw.materialize(windowed(rel, pieces), node.step)

    columns = {k: rel.ref(k) for k in node.schema.key}
    for label in node.columns:
        total = exp.Coalesce(this=exp.Sum(this=rel.ref(f"__area_{label}")), expressions=[sql.literal(0.0)])
        if node.interpolate:
            point = {k: exp.Max(this=rel.ref(f"__{k}_{label}")) for k in ("v1", "t1", "v2", "t2", "vn", "tn", "vm", "tm")}
            # _start/_stop are the same on every row of a table; max() reads them in the aggregate.
            start, stop = exp.Max(this=epoch_ns(rel.ref("_start"))), exp.Max(this=epoch_ns(rel.ref("_stop")))
            before = _edge_area(point["v1"], point["t1"], point["v2"], point["t2"], start, unit.copy())
            after = _edge_area(point["vn"], point["tn"], point["vm"], point["tm"], stop, unit.copy())
            # The area before the first point runs backwards in time: subtract it.
            total = exp.Add(this=exp.Sub(this=total, expression=before), expression=after)
        if node.average:
            span = as_double(exp.Sub(this=exp.Max(this=epoch_ns(rel.ref("_stop"))), expression=exp.Max(this=epoch_ns(rel.ref("_start")))))
            total = exp.Div(this=paren(exp.Mul(this=paren(total), expression=unit.copy())), expression=paren(span))
        columns[label] = total
    columns[SEQ] = exp.Coalesce(this=exp.Min(this=rel.ref(SEQ)), expressions=[sql.number(0)])
    return rel.with_columns(columns, group_by_all=True)


# ------------------------------------------------------------------ interpolate.linear


@lowers(s.InterpolateLinear)
def lower_interpolate_linear(lw: Lowerer, node: s.InterpolateLinear) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/interpolate/linear/ — between each
    point (x0, y0) and the next (x1, y1), a row at every multiple of `every` after x0's
    window and before x1, valued y0 + (y1 - y0) / (x1 - x0) * (x - x0). Times are epoch
    nanoseconds throughout, so inserted times are exact."""
    rel = lw.composable_input(node.input, node.input.step)
    time_ns = epoch_ns(rel.ref("_time"))
    points = dict(rel.columns)
    points["__x"] = time_ns
    points["__x_next"] = in_table(rel, node, exp.Lead(this=time_ns.copy()))
    points["__y_next"] = in_table(rel, node, exp.Lead(this=rel.ref("_value")))
    rel = lw.materialize(windowed(rel, points), node.step)

    every = sql.number(node.every_ns)
    x, x_next, y, y_next = rel.ref("__x"), rel.ref("__x_next"), rel.ref("_value"), rel.ref("__y_next")
    # The first window boundary after x0 (the stop of x0's epoch-aligned window).
    first = exp.Add(this=floor_to(x.copy(), every.copy()), expression=every.copy())
    grid = sql.func("generate_series", first, exp.Sub(this=x_next.copy(), expression=sql.number(1)), every.copy())
    gen = "__x_new"
    key = set(node.schema.key)
    labels = [c.label for c in node.schema.columns]
    slope = exp.Div(this=paren(exp.Sub(this=y_next.copy(), expression=y.copy())), expression=as_double(exp.Sub(this=x_next.copy(), expression=x.copy())))
    inner = exp.select(*[sql.col(c) for c in rel.columns], sql.alias(sql.func("unnest", grid), gen)).from_(rel.source.copy())
    inner = inner.where(not_null(x_next.copy()))
    inner_name = lw.ctes.add(f"{node.step}_grid", inner)
    added = {}
    for label in labels:
        if label == "_time":
            added[label] = sql.func("make_timestamp_ns", sql.col(gen))
        elif label == "_value":
            added[label] = exp.Add(
                this=sql.col("_value"),
                expression=exp.Mul(this=paren(slope), expression=as_double(exp.Sub(this=sql.col(gen), expression=sql.col("__x")))),
            )
        else:
            added[label] = sql.col(label) if label in key else sql.null(node.schema.type_of(label))
    added[SEQ] = sql.col(gen)
    originals = {label: rel.ref(label) for label in labels}
    originals[SEQ] = case((not_null(rel.ref(SEQ)), x.copy()))
    union = exp.Union(
        this=rel.with_columns(originals).to_select(),
        expression=exp.select(*[sql.alias(e, k) for k, e in added.items()]).from_(exp.Table(this=sql.ident(inner_name))),
        distinct=False,
    )
    name = lw.ctes.add(node.step, union)
    return Relation(source=exp.Table(this=sql.ident(name)), columns={c: sql.col(c) for c in labels + [SEQ]})


# ------------------------------------------------------------------ timedMovingAverage

WINDOW_START = "__window"


@lowers(s.TimedMovingAverage)
def lower_timed_moving_average(lw: Lowerer, node: s.TimedMovingAverage) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/timedmovingaverage/ —
    window(every, period) |> mean() |> duplicate(_stop, _time) |> window(every: inf):
    a row at time t lies in every window [s, s + period) with s a multiple of `every` in
    (t - period, t]; each window holding rows gives its mean, timed at its stop (cut at
    the table's _stop)."""
    rel = lw.composable_input(node.input, node.input.step)
    time_ns = epoch_ns(rel.ref("_time"))
    every, period = sql.number(node.every_ns), sql.number(node.period_ns)
    earliest = exp.Add(this=floor_to(exp.Sub(this=time_ns.copy(), expression=period.copy()), every.copy()), expression=every.copy())
    starts = sql.func("unnest", sql.func("generate_series", earliest, time_ns.copy(), every.copy()))
    key = list(node.schema.key)
    columns = {k: rel.ref(k) for k in key}
    columns[node.column] = rel.ref(node.column)
    columns[WINDOW_START] = starts
    windows = rel.with_columns(columns)
    windows.where.append(not_null(time_ns.copy()))
    rel = lw.materialize(windows, node.step)

    stop = exp.Add(this=rel.ref(WINDOW_START), expression=period.copy())
    if "_stop" in key:
        stop = sql.func("least", stop, epoch_ns(rel.ref("_stop")))
    out = {k: rel.ref(k) for k in key}
    out[node.column] = exp.Avg(this=rel.ref(node.column))
    out["_time"] = sql.func("make_timestamp_ns", stop)
    out[SEQ] = rel.ref(WINDOW_START)
    return rel.with_columns(out, group_by_all=True)
