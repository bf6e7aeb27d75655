"""Lowering of the internal/promql nodes (plan/promql.py) to window functions and aggregates.

A PromQL series is a Flux table: PARTITION BY its group key, samples in the table's row
order. Range-vector functions run in three steps:
1. `<fn>_samples`: each row's value and time when it is a sample (both non-null), then
   `<fn>_ranked`: as a window over its table, its rank among the samples and the
   sample before it;
2. `<fn>_stats`: one row per table (GROUP BY the key) with the sums, first and last
   samples the function needs; tables with too few samples are dropped (HAVING);
3. the PromQL formula over those, with intermediate quantities as named columns.

Float arithmetic follows Prometheus' order of operations. Go compares NaN as unordered
(every comparison false, `!=` true) while DuckDB orders NaN above every number and
equal to itself, so comparisons of values that may be NaN go through `go_lt` and kin.
Times are epoch nanoseconds (exact integers) until they become float seconds.
"""
from __future__ import annotations

from typing import Callable

from sqlglot import exp

from ..errors import FluxUnsupportedError
from ..plan import promql as pq
from ..types import FluxType
from . import sql
from .aggregates import table_order
from .lowerer import SEQ, Lowerer, hidden, key_partition, lowers
from .relation import Relation
from .series import as_double, case, epoch_ns, frame, in_table, not_null, paren, previous_non_null, rows_so_far

NS_PER_SECOND = 1_000_000_000

# ------------------------------------------------------------------ SQL arithmetic


def _operand(e: exp.Expression) -> exp.Expression:
    simple = (exp.Column, exp.Literal, exp.Anonymous, exp.Cast, exp.Func, exp.Paren, exp.Window, exp.Case)
    return e if isinstance(e, simple) else paren(e)


def add(a, b):
    return exp.Add(this=_operand(a), expression=_operand(b))


def sub(a, b):
    return exp.Sub(this=_operand(a), expression=_operand(b))


def mul(a, b):
    return exp.Mul(this=_operand(a), expression=_operand(b))


def div(a, b):
    return exp.Div(this=_operand(a), expression=_operand(b), typed=False, safe=False)


def dbl(v: float) -> exp.Expression:
    return sql.literal(float(v))


def is_nan(e: exp.Expression) -> exp.Expression:
    return sql.func("isnan", e)


def _unless_nan(e: exp.Expression, cond: exp.Expression, finite: bool) -> exp.Expression:
    return cond if finite or isinstance(e, exp.Literal) else exp.And(this=cond, expression=exp.Not(this=is_nan(e.copy())))


def go_lt(a: exp.Expression, b: exp.Expression, finite: bool = False) -> exp.Expression:
    """Go's `a < b` on floats (false when either is NaN). DuckDB differs only when b is
    NaN and a is not; `finite` says b cannot be NaN."""
    return _unless_nan(b, exp.LT(this=_operand(a), expression=_operand(b)), finite)


def go_gt(a: exp.Expression, b: exp.Expression, finite: bool = False) -> exp.Expression:
    """Go's `a > b`; `finite` says a cannot be NaN."""
    return go_lt(b, a, finite)


def go_ge(a: exp.Expression, b: exp.Expression, finite: bool = False) -> exp.Expression:
    """Go's `a >= b`: DuckDB differs only when a is NaN (`finite` says it cannot be)."""
    return _unless_nan(a, exp.GTE(this=_operand(a), expression=_operand(b)), finite)


def seconds(ns: exp.Expression) -> exp.Expression:
    """Integer nanoseconds as float seconds."""
    return div(as_double(ns), dbl(NS_PER_SECOND))


def let(lw: Lowerer, rel: Relation, step: str, columns: dict) -> Relation:
    """`rel` with named intermediate columns (replacing those of the same name), as a
    CTE later steps read them from."""
    return lw.materialize(rel.with_columns({**rel.columns, **columns}), step)


# ------------------------------------------------------------------ step 1: samples

V, T, RANK, PREV_V, PREV_T, X = "__v", "__t", "__rank", "__prev_v", "__prev_t", "__x"


def samples(lw: Lowerer, node: pq.SeriesValue, x_origin: str | None = None) -> Relation:
    """Every input row with: __v/__t (value, time in ns) when it is a sample, else null;
    __rank (1, 2, ... over the samples); __prev_v/__prev_t (the sample before it);
    with `x_origin` ("first" or "_stop") also __x, its time in seconds from that origin."""
    table = node.input
    rel = lw.composable_input(table, table.step)
    value = rel.ref(node.column)
    has_time = table.schema.has(node.time_column)
    columns = dict(rel.columns)
    if has_time:
        time_ns = epoch_ns(rel.ref(node.time_column))
        columns[V] = case((not_null(time_ns.copy()), value.copy()))
        columns[T] = case((not_null(value), time_ns))
    else:
        columns[V] = value
    rel = lw.materialize(rel.with_columns(columns), f"{node.step}_samples")

    v = rel.ref(V)
    columns = dict(rel.columns)
    columns[RANK] = case((not_null(v.copy()), in_table(rel, table, exp.Count(this=v.copy()), rows_so_far())))
    columns[PREV_V] = previous_non_null(rel, table, v.copy())
    if has_time:
        t = rel.ref(T)
        columns[PREV_T] = previous_non_null(rel, table, t.copy())
        if x_origin == "first":
            whole = frame("UNBOUNDED", "PRECEDING", "UNBOUNDED", "FOLLOWING")
            origin = in_table(rel, table, exp.IgnoreNulls(this=exp.FirstValue(this=t.copy())), whole)
            columns[X] = seconds(sub(t.copy(), origin))
        elif x_origin is not None:
            columns[X] = seconds(sub(t.copy(), epoch_ns(rel.ref(x_origin))))
    return lw.materialize(rel.with_columns(columns, has_window=True), f"{node.step}_ranked")


def first(rel: Relation, column: str) -> exp.Expression:
    """The column's value at the table's first sample."""
    return sql.func("arg_min", rel.ref(column), rel.ref(RANK))


def last(rel: Relation, column: str) -> exp.Expression:
    """The column's value at the table's last sample (arg_max skips null values: for
    __prev_v that is only the first sample's)."""
    return sql.func("arg_max", rel.ref(column), rel.ref(RANK))


def sample_count(rel: Relation) -> exp.Expression:
    return exp.Count(this=rel.ref(V))


def bound_ns(rel: Relation, column: str) -> exp.Expression:
    """_start or _stop of the table (the same on its every row), in ns."""
    return sql.func("max", epoch_ns(rel.ref(column)))


# ------------------------------------------------------------------ the functions


def _count(lw: Lowerer, rel: Relation, node, counted: exp.Expression) -> Relation:
    """How many samples of each table satisfy `counted`, as a float (0 for a table
    without samples: a count, as Flux's count() of an empty table)."""
    total = exp.Sum(this=case((counted, sql.number(1)), default=sql.number(0)))
    value = as_double(exp.Coalesce(this=sql.col("__count"), expressions=[sql.number(0)]))
    return per_table(lw, rel, node, {"__count": total}, {node.column: value})


def _changes(lw: Lowerer, node, prm) -> Relation:
    """PromQL changes(): samples that differ from the one before. DuckDB's `<>` is Go's
    `!=` except that NaN equals NaN, which is what PromQL wants (NaN to NaN is no change)."""
    rel = samples(lw, node)
    return _count(lw, rel, node, exp.NEQ(this=rel.ref(V), expression=rel.ref(PREV_V)))


def _resets(lw: Lowerer, node, prm) -> Relation:
    """PromQL resets(): samples lower than the one before."""
    rel = samples(lw, node)
    return _count(lw, rel, node, go_lt(rel.ref(V), rel.ref(PREV_V)))


def _extrapolated_rate(lw: Lowerer, node, prm) -> Relation:
    """PromQL's extrapolatedRate (rate, increase, delta): the change between the first
    and last samples (for a counter, plus the value before each reset), extrapolated
    to the range [_start, _stop): to each edge by the gap to it when that gap is under
    1.1 average sample intervals, else by half an interval; a counter is not
    extrapolated below zero. A rate is per second of the range."""
    rel = samples(lw, node)
    counter, rate = prm["isCounter"], prm["isRate"]
    delta = sub(last(rel, V), first(rel, V))
    if counter:
        reset_values = exp.Sum(this=case((go_lt(rel.ref(V), rel.ref(PREV_V)), rel.ref(PREV_V))))
        delta = add(delta, exp.Coalesce(this=reset_values, expressions=[dbl(0)]))
    stats = {
        "__n": sample_count(rel),
        "__first_v": first(rel, V),
        "__delta": delta,
        "__sampled": seconds(sub(last(rel, T), first(rel, T))),
        "__to_start": seconds(sub(first(rel, T), bound_ns(rel, "_start"))),
        "__to_end": seconds(sub(bound_ns(rel, "_stop"), last(rel, T))),
        "__range": seconds(sub(bound_ns(rel, "_stop"), bound_ns(rel, "_start"))),
    }
    c = sql.col
    # Times are integers, so the durations (and the average interval) are never NaN.
    lets = [{"__average": div(c("__sampled"), sub(c("__n"), sql.number(1)))}]
    if counter:
        # Counters cannot be negative: extrapolate at most to where the line hits zero.
        lets[0]["__to_zero"] = mul(c("__sampled"), paren(div(c("__first_v"), c("__delta"))))
        positive = sql.and_all([go_gt(c("__delta"), dbl(0)), go_ge(c("__first_v"), dbl(0)),
                                go_lt(c("__to_zero"), c("__to_start"), finite=True)])
        lets.append({"__to_start": case((positive, c("__to_zero")), default=c("__to_start"))})
    threshold = mul(c("__average"), dbl(1.1))
    half = div(c("__average"), dbl(2))

    def edge(gap: str) -> exp.Expression:
        return case((go_lt(c(gap), threshold.copy(), finite=True), c(gap)), default=half.copy())

    interval = add(add(c("__sampled"), edge("__to_start")), edge("__to_end"))
    result = mul(c("__delta"), paren(div(interval, c("__sampled"))))
    if rate:
        result = div(result, c("__range"))
    return per_table(lw, rel, node, stats, {node.column: result}, min_samples=2, lets=lets)


def _instant_rate(lw: Lowerer, node, prm) -> Relation:
    """PromQL's instantValue (irate, idelta): from the last two samples; for a rate a
    drop is a counter reset (the last value counts from zero), divided by the seconds
    between them. Two samples at the same time give no row."""
    rel = samples(lw, node)
    stats = {
        "__n": sample_count(rel),
        "__last_v": last(rel, V),
        "__prev_v": last(rel, PREV_V),
        "__interval": sub(last(rel, T), last(rel, PREV_T)),
    }
    c = sql.col
    result = sub(c("__last_v"), c("__prev_v"))
    if prm["isRate"]:
        result = case((go_lt(c("__last_v"), c("__prev_v")), c("__last_v")), default=result)
        result = div(result, seconds(c("__interval")))
    keep = exp.NEQ(this=c("__interval"), expression=sql.number(0))
    return per_table(lw, rel, node, stats, {node.column: result}, min_samples=2, keep=keep)


def _linear_regression(lw: Lowerer, node, prm) -> Relation:
    """PromQL's linearRegression (deriv, predict_linear): least squares over the samples
    with x the time in seconds from the first sample (deriv) or from _stop (predict);
    deriv is the slope, predict_linear the line's value `fromNow` seconds after _stop."""
    predict = prm["predict"]
    rel = samples(lw, node, x_origin="_stop" if predict else "first")
    x, y = rel.ref(X), rel.ref(V)
    stats = {
        "__n": as_double(sample_count(rel)),
        "__sum_x": exp.Sum(this=x.copy()),
        "__sum_y": exp.Sum(this=y.copy()),
        "__sum_xy": exp.Sum(this=mul(x.copy(), y.copy())),
        "__sum_x2": exp.Sum(this=mul(x.copy(), x.copy())),
    }
    c = sql.col
    moments = {
        "__cov_xy": sub(c("__sum_xy"), div(mul(c("__sum_x"), c("__sum_y")), c("__n"))),
        "__var_x": sub(c("__sum_x2"), div(mul(c("__sum_x"), c("__sum_x")), c("__n"))),
    }
    slope = div(c("__cov_xy"), c("__var_x"))
    result = slope
    if predict:
        intercept = sub(div(c("__sum_y"), c("__n")), div(mul(slope.copy(), c("__sum_x")), c("__n")))
        result = add(mul(slope.copy(), dbl(prm["fromNow"])), intercept)
    return per_table(lw, rel, node, stats, {node.column: result}, min_samples=2, lets=[moments])


def _constant(lw: Lowerer, node, prm) -> Relation:
    """promql.quantile() with q out of [0, 1]: every table gives the same value."""
    rel = lw.composable_input(node.input, node.input.step)
    return per_table(lw, rel, node, {}, {node.column: dbl(prm["value"])})


FUNCTIONS: dict[str, Callable] = {
    "changes": _changes,
    "resets": _resets,
    "extrapolatedRate": _extrapolated_rate,
    "instantRate": _instant_rate,
    "linearRegression": _linear_regression,
    "constant": _constant,
}


def per_table(lw: Lowerer, rel: Relation, node, stats: dict, result: dict, min_samples: int = 0,
              lets: list | None = None, keep: exp.Expression | None = None) -> Relation:
    """Steps 2 and 3: `stats` aggregated per table (GROUP BY the key; tables with fewer
    than `min_samples` samples dropped), then each dict of `lets` in turn, then `result`
    computed from them; rows where `keep` is false are dropped."""
    columns = {k: rel.ref(k) for k in node.schema.key}
    columns.update(stats)
    columns[SEQ] = table_order(rel, node)
    grouped = rel.with_columns(columns, group_by_all=True)
    having = []
    if min_samples:
        having.append(exp.GTE(this=sample_count(rel), expression=sql.number(min_samples)))
    if not node.schema.key:
        # A SQL aggregate of no rows still gives a row; Flux gives none without a table.
        having.append(exp.GT(this=exp.Count(this=exp.Star()), expression=sql.number(0)))
    grouped.having = sql.and_all(having)
    out = lw.materialize(grouped, f"{node.step}_stats")
    for columns in lets or ():
        out = let(lw, out, f"{node.step}_terms", columns)
    final = {k: out.ref(k) for k in node.schema.key}
    final.update(result)
    final[SEQ] = out.ref(SEQ)
    out = out.with_columns(final)
    if keep is not None:
        out.where.append(keep)
    return out


@lowers(pq.SeriesValue)
def lower_series_value(lw: Lowerer, node: pq.SeriesValue) -> Relation:
    build = FUNCTIONS.get(node.function)
    if build is None:
        raise FluxUnsupportedError(f"promql.{node.function}() cannot be lowered to SQL yet")
    return build(lw, node, dict(node.params))


# ------------------------------------------------------------------ histogram_quantile

BOUND, COUNT, CUM, PREV_BOUND, PREV_CUM, BUCKETS, TOP, TOTAL, HIT = (
    "__bound", "__count", "__cum", "__prev_bound", "__prev_cum", "__buckets", "__top", "__total", "__hit")


@lowers(pq.HistogramQuantile)
def lower_histogram_quantile(lw: Lowerer, node: pq.HistogramQuantile) -> Relation:
    """PromQL's histogram_quantile() (bucketQuantile) on each table: buckets are rows,
    their upper bound parsed from the bound column (rows whose bound is not a number are
    skipped, as PromQL skips a malformed `le`); buckets with the same bound are merged
    (counts added) and counts made non-decreasing. With rank = q * the total count, the
    answer is interpolated linearly inside the first bucket whose count reaches the rank
    (from 0 for the first bucket); in the +Inf bucket it is the highest finite bound.
    NaN without a +Inf bucket or with fewer than two buckets; q < 0 gives -Inf, q > 1 +Inf."""
    table = node.input
    rel = lw.composable_input(table, table.step)
    bound = rel.ref(node.upper_bound_column)
    if table.schema.type_of(node.upper_bound_column) != FluxType.FLOAT:
        bound = exp.TryCast(this=bound, to=sql.sql_type(FluxType.FLOAT))
    key = list(node.schema.key)
    # Buckets: one row per distinct bound of each table.
    columns = {k: rel.ref(k) for k in key}
    columns[BOUND] = bound
    columns[COUNT] = exp.Sum(this=rel.ref(node.count_column))
    columns[SEQ] = sql.func("min", rel.ref(SEQ))
    buckets = rel.with_columns(columns, group_by_all=True)
    buckets.where += [not_null(bound.copy()), not_null(rel.ref(node.count_column))]
    rel = lw.materialize(buckets, f"{node.step}_buckets")

    by_bound = [sql.ordered(rel.ref(BOUND))]
    partition = key_partition(rel, node)
    whole = frame("UNBOUNDED", "PRECEDING", "UNBOUNDED", "FOLLOWING")
    cum = sql.over(sql.func("max", rel.ref(COUNT)), partition, by_bound, rows_so_far())
    columns = dict(rel.columns)
    columns[CUM] = cum
    columns[PREV_BOUND] = sql.over(exp.Lag(this=rel.ref(BOUND)), partition, by_bound)
    columns[PREV_CUM] = sql.over(sql.func("max", rel.ref(COUNT)), partition, by_bound,
                                 frame("UNBOUNDED", "PRECEDING", sql.number(1), "PRECEDING"))
    columns[BUCKETS] = sql.over(exp.Count(this=exp.Star()), partition)
    columns[TOP] = sql.over(sql.func("max", rel.ref(BOUND)), partition)
    columns[TOTAL] = sql.over(sql.func("max", rel.ref(COUNT)), partition, None, whole)
    columns["__index"] = sql.over(exp.RowNumber(), partition, by_bound)
    columns[SEQ] = sql.over(sql.func("min", rel.ref(SEQ)), partition)
    rel = lw.materialize(rel.with_columns(columns, has_window=True), f"{node.step}_cumulative")

    c = sql.col
    rank = mul(dbl(node.quantile), c(TOTAL))
    hit = go_ge(c(CUM), rank.copy())
    # The bucket: the first whose count reaches the rank; PromQL searches all but the
    # last bucket and takes the last when none does.
    first_hit_else_last = [sql.ordered(case((hit, sql.number(0)), default=sql.number(1))),
                           sql.ordered(case((hit.copy(), c("__index")), default=exp.Neg(this=c("__index"))))]
    pick = sql.over(exp.RowNumber(), key_partition(rel, node), first_hit_else_last)
    chosen = rel.with_columns(dict(rel.columns), has_window=True)
    chosen.qualify.append(exp.EQ(this=pick, expression=sql.number(1)))
    rel = lw.materialize(chosen, f"{node.step}_bucket")

    base_count = exp.Coalesce(this=c(PREV_CUM), expressions=[dbl(0)])
    start = exp.Coalesce(this=c(PREV_BOUND), expressions=[dbl(0)])
    within = div(sub(rank.copy(), base_count), sub(c(CUM), base_count.copy()))
    interpolated = add(start, mul(sub(c(BOUND), start.copy()), paren(within)))
    nan = dbl(float("nan"))
    value = case(
        (exp.Not(this=exp.EQ(this=c(TOP), expression=dbl(float("inf")))), nan),
        (exp.LT(this=c(BUCKETS), expression=sql.number(2)), nan.copy()),
        (exp.EQ(this=c("__index"), expression=c(BUCKETS)), c(PREV_BOUND)),
        (exp.And(this=exp.EQ(this=c("__index"), expression=sql.number(1)), expression=exp.LTE(this=c(BOUND), expression=dbl(0))), c(BOUND)),
        default=interpolated,
    )
    if node.quantile < 0 or node.quantile > 1:
        value = dbl(float("-inf") if node.quantile < 0 else float("inf"))
    final = {k: rel.ref(k) for k in key}
    final[node.value_column] = value
    final[SEQ] = rel.ref(SEQ)
    return rel.with_columns(final)


# ------------------------------------------------------------------ label_replace


@lowers(pq.LabelReplace)
def lower_label_replace(lw: Lowerer, node: pq.LabelReplace) -> Relation:
    """PromQL's label_replace(): the pattern is anchored at both ends (RE2 in DuckDB as in
    Go); a missing source reads as the empty string; an empty expansion is null."""
    rel = lw.composable_input(node.input, node.input.step)
    anchored = exp.Literal.string(f"^(?:{node.pattern})$")
    source = exp.Coalesce(this=rel.ref(node.source), expressions=[exp.Literal.string("")]) \
        if node.input.schema.has(node.source) else exp.Literal.string("")
    expanded = sql.func("regexp_replace", source.copy(), anchored.copy(), exp.Literal.string(node.rewrite))
    current = rel.ref(node.destination) if node.input.schema.has(node.destination) else sql.null(FluxType.STRING)
    replaced = case((sql.func("regexp_matches", source, anchored), sql.func("nullif", expanded, exp.Literal.string(""))), default=current)
    columns = {c.label: rel.ref(c.label) for c in node.schema.columns}
    columns[node.destination] = replaced
    columns.update(hidden(rel, node.input))
    return rel.with_columns(columns)
