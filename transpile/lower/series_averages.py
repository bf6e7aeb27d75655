"""Lowering of the averaging and momentum nodes of plan/series.py: movingAverage,
exponentialMovingAverage (and the EMA chains built on it), tripleExponentialDerivative,
chandeMomentumOscillator, kaufmansAMA, relativeStrengthIndex.

Moving averages and oscillators over the last n rows are window aggregates. The
exponential average, Kaufman's adaptive average and Wilder's smoothing in the relative
strength index are true recurrences (each value depends on the previous one), so they
are recursive CTEs stepping through each table's rows in order: they compute the same
floating-point operations as Flux, in the same order. Helpers come from `series`.
"""
from __future__ import annotations

from sqlglot import exp

from ..errors import FluxUnsupportedError
from ..plan import series as s
from . import sql
from .lowerer import Lowerer, lowers
from .relation import Relation
from .series import (
    after_first_rows,
    previous_non_null,
    as_double,
    case,
    in_table,
    is_null,
    keep_rows,
    last_n_rows,
    live_rows_only,
    paren,
    row_number,
    windowed,
)


# ------------------------------------------------------------------ moving averages


@lowers(s.MovingAverage)
def lower_moving_average(lw: Lowerer, node: s.MovingAverage) -> Relation:
    """movingAverage(n): the mean of the non-null values among the last n rows, from the
    n-th row on; a table with fewer than n rows gives its last row with the mean of all
    its values (NaN when they are all null, as Flux divides 0 by 0).
    exponentialMovingAverage(n): see `exponential_average`.
    https://docs.influxdata.com/flux/v0/stdlib/universe/movingaverage/"""
    rel = lw.composable_input(node.input, node.input.step)
    if node.column not in rel.columns:
        raise FluxUnsupportedError(f"{node.flux_name}: cannot find {node.column} column")
    n = node.n
    count = in_table(rel, node, exp.Count(this=exp.Star()), ordered=False)
    position = row_number(rel, node)
    short = exp.LT(this=count.copy(), expression=sql.number(n))
    passes = exp.Or(
        this=exp.GTE(this=position.copy(), expression=sql.number(n)),
        expression=paren(exp.And(this=short.copy(), expression=exp.EQ(this=position.copy(), expression=count.copy()))),
    )
    if node.kind == "exponential":
        return exponential_average(lw, rel, node, count, position, passes)
    value = rel.ref(node.column)
    mean_all = in_table(rel, node, exp.Avg(this=value.copy()), ordered=False)
    nan = sql.literal(float("nan"))
    average = case(
        (short, exp.Coalesce(this=mean_all, expressions=[nan])),
        default=in_table(rel, node, exp.Avg(this=value.copy()), last_n_rows(n)),
    )
    columns = dict(rel.columns)
    columns[node.column] = live_rows_only(rel, node, average, node.column)
    return keep_rows(lw, windowed(rel, columns), node, passes)


TABLE_ID, POSITION, COUNT, SEED, EMA = "__table", "__position", "__count", "__seed", "__ema"


def numbered(lw: Lowerer, rel: Relation, node, extra: dict) -> Relation:
    """The input as a CTE with each row's table id, position (from 1) and table size,
    plus `extra` columns (window expressions over `rel`)."""
    key = [rel.ref(c) for c in node.schema.key]
    columns = dict(rel.columns)
    columns[TABLE_ID] = sql.over(exp.Anonymous(this="dense_rank"), [], [sql.ordered(e) for e in key]) if key else sql.number(1)
    columns[POSITION] = row_number(rel, node)
    columns[COUNT] = in_table(rel, node, exp.Count(this=exp.Star()), ordered=False)
    columns.update(extra)
    return lw.materialize(windowed(rel, columns), node.step)


def recurrence(lw: Lowerer, base: Relation, node, start: int, seed: dict, step: dict) -> str:
    """A recursive CTE stepping through every table's rows in order, from position `start`.

    `seed` gives the state columns at that row from the row's columns (`b.<label>`);
    `step(b, r)` gives them at the next row from that row (`b`) and the previous state
    (`r`). Returns the CTE's name; its rows are (table id, position, state columns...).
    """
    base_name = base.source.name
    states = list(seed)
    b = exp.Table(this=sql.ident(base_name), alias=exp.TableAlias(this=sql.ident("b")))
    anchor = (
        exp.select(sql.col(TABLE_ID, "b"), sql.col(POSITION, "b"), *[sql.alias(seed[k], k) for k in states])
        .from_(b.copy())
        .where(exp.EQ(this=sql.col(POSITION, "b"), expression=sql.number(start)))
    )
    following = exp.And(
        this=exp.EQ(this=sql.col(TABLE_ID, "b"), expression=sql.col(TABLE_ID, "r")),
        expression=exp.EQ(this=sql.col(POSITION, "b"), expression=exp.Add(this=sql.col(POSITION, "r"), expression=sql.number(1))),
    )
    recursive_step = (
        exp.select(sql.col(TABLE_ID, "b"), sql.col(POSITION, "b"), *[sql.alias(step[k], k) for k in states])
        .from_(exp.Table(this=sql.ident("r")))
        .join(b.copy(), on=following)
    )
    cte = exp.CTE(
        this=exp.Union(this=anchor, expression=recursive_step, distinct=False),
        alias=exp.TableAlias(this=sql.ident("r"), columns=[sql.ident(c) for c in [TABLE_ID, POSITION] + states]),
    )
    body = exp.select(exp.Star()).from_(exp.Table(this=sql.ident("r")))
    body.set("with_", exp.With(expressions=[cte], recursive=True))
    return lw.ctes.add(f"{node.step}_steps", body)


def joined_with_states(base: Relation, states_name: str) -> Relation:
    """The numbered rows (as `b`) left-joined with their recurrence states (as `e`)."""
    join = exp.Join(
        this=exp.Table(this=sql.ident(states_name), alias=exp.TableAlias(this=sql.ident("e"))),
        on=exp.And(
            this=exp.EQ(this=sql.col(TABLE_ID, "b"), expression=sql.col(TABLE_ID, "e")),
            expression=exp.EQ(this=sql.col(POSITION, "b"), expression=sql.col(POSITION, "e")),
        ),
        side="LEFT",
    )
    b = exp.Table(this=sql.ident(base.source.name), alias=exp.TableAlias(this=sql.ident("b")))
    hidden_numbering = (TABLE_ID, POSITION, COUNT)
    columns = {label: sql.col(label, "b") for label in base.columns if label not in hidden_numbering and not label.startswith("__x")}
    return Relation(source=b, columns=columns, joins=[join])


def exponential_average(lw: Lowerer, rel: Relation, node: s.MovingAverage, count, position, passes) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/exponentialmovingaverage/

    The n-th row's average is the mean of the first n values; after it each row's is
    `x * k + previous * (1 - k)` with k = 2 / (n + 1); a null row repeats the previous
    average; a first value after only nulls starts the average.
    """
    n = node.n
    k = 2 / float(n + 1)
    value = rel.ref(node.column)
    seed = case(
        (exp.LT(this=count.copy(), expression=sql.number(n)), in_table(rel, node, exp.Avg(this=value.copy()), ordered=False)),
        default=in_table(rel, node, exp.Avg(this=value.copy()), last_n_rows(n)),
    )
    base = numbered(lw, rel, node, {SEED: seed})
    x, previous = sql.col(node.column, "b"), sql.col(EMA, "r")
    step_value = case(
        (is_null(x.copy()), previous.copy()),
        (is_null(previous.copy()), as_double(x.copy())),
        default=exp.Add(
            this=exp.Mul(this=x.copy(), expression=sql.literal(k)),
            expression=exp.Mul(this=previous.copy(), expression=sql.literal(1.0 - k)),
        ),
    )
    states = recurrence(lw, base, node, n, {EMA: sql.col(SEED, "b")}, {EMA: step_value})
    out = joined_with_states(base, states)
    out.columns.pop(SEED)
    # A table shorter than n rows: its last row with the mean of its values (null if none).
    short = exp.LT(this=sql.col(COUNT, "b"), expression=sql.number(n))
    out.columns[node.column] = case((short, sql.col(SEED, "b")), default=sql.col(EMA, "e"))
    out.where.append(exp.Or(
        this=exp.GTE(this=sql.col(POSITION, "b"), expression=sql.number(n)),
        expression=paren(exp.And(this=short.copy(), expression=exp.EQ(this=sql.col(POSITION, "b"), expression=sql.col(COUNT, "b")))),
    ))
    return out


# ------------------------------------------------------------------ momentum indicators

STEP = "__x_step"


def with_steps(lw: Lowerer, node, columns) -> Relation:
    """The input as a CTE with each column's step from the previous row (0 on the first;
    like Flux, these functions read a null as 0)."""
    rel = lw.composable_input(node.input, node.input.step)
    out = dict(rel.columns)
    for label in columns:
        value = as_double(exp.Coalesce(this=rel.ref(label), expressions=[sql.number(0)]))
        before = in_table(rel, node, exp.Lag(this=value.copy()))
        out[f"{STEP}_{label}"] = exp.Coalesce(this=exp.Sub(this=value, expression=before), expressions=[sql.literal(0.0)])
    return lw.materialize(windowed(rel, out), node.step)


def ups_and_downs(rel: Relation, node, label: str, n: int) -> tuple[exp.Expression, exp.Expression]:
    """Sums of the rises and of the falls over the last n steps."""
    step = rel.ref(f"{STEP}_{label}")
    rise = sql.func("greatest", step.copy(), sql.literal(0.0))
    fall = sql.func("greatest", exp.Neg(this=step.copy()), sql.literal(0.0))
    return (in_table(rel, node, exp.Sum(this=rise), last_n_rows(n)), in_table(rel, node, exp.Sum(this=fall), last_n_rows(n)))


def ratio(numerator: exp.Expression, denominator: exp.Expression) -> exp.Expression:
    """numerator / denominator, NaN for 0 / 0 as in Go's float division."""
    return case(
        (exp.EQ(this=denominator.copy(), expression=sql.literal(0.0)), sql.literal(float("nan"))),
        default=exp.Div(this=paren(numerator), expression=paren(denominator)),
    )


def oscillator(up: exp.Expression, down: exp.Expression) -> exp.Expression:
    """100 * (up - down) / (up + down)."""
    return exp.Mul(this=sql.literal(100.0), expression=paren(ratio(exp.Sub(this=up, expression=down), exp.Add(this=up.copy(), expression=down.copy()))))


@lowers(s.ChandeMomentumOscillator)
def lower_chande_momentum_oscillator(lw: Lowerer, node: s.ChandeMomentumOscillator) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/chandemomentumoscillator/ —
    100 * (rises - falls) / (rises + falls) over the last n steps, from the (n+1)-th row."""
    rel = with_steps(lw, node, node.targets)
    columns = {label: e for label, e in rel.columns.items() if not label.startswith(STEP)}
    for label in node.targets:
        up, down = ups_and_downs(rel, node, label, node.n)
        columns[label] = oscillator(up, down)
    return keep_rows(lw, windowed(rel, columns), node, after_first_rows(rel, node, node.n))


KAMA = "__kama"


@lowers(s.KaufmansAMA)
def lower_kaufmans_ama(lw: Lowerer, node: s.KaufmansAMA) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/kaufmansama/ — from the
    (n+1)-th row: kama = previous + sc * (x - previous), starting from the n-th value,
    with sc = (er * (2/3 - 2/31) + 2/31)^2 and er = |rises - falls| / (rises + falls)
    over the last n steps (Kaufman's efficiency ratio)."""
    from fractions import Fraction

    label, n = node.column, node.n
    rel = with_steps(lw, node, (label,))
    up, down = ups_and_downs(rel, node, label, n)
    x = as_double(exp.Coalesce(this=rel.ref(label), expressions=[sql.number(0)]))
    base = numbered(lw, rel, node, {
        "__x_value": x,
        "__x_before": in_table(rel, node, exp.Lag(this=x.copy())),
        "__x_er": exp.Abs(this=ratio(exp.Sub(this=up, expression=down), exp.Add(this=up.copy(), expression=down.copy()))),
    })
    fast, slow = float(Fraction(2, 3) - Fraction(2, 31)), float(Fraction(2, 31))
    sc = sql.func("power", exp.Add(this=exp.Mul(this=sql.col("__x_er", "b"), expression=sql.literal(fast)), expression=sql.literal(slow)), sql.literal(2.0))

    def move(previous: exp.Expression) -> exp.Expression:
        return exp.Add(this=previous, expression=exp.Mul(this=sc.copy(), expression=paren(exp.Sub(this=sql.col("__x_value", "b"), expression=previous.copy()))))

    states = recurrence(lw, base, node, n + 1, {KAMA: move(sql.col("__x_before", "b"))}, {KAMA: move(sql.col(KAMA, "r"))})
    out = joined_with_states(base, states)
    out.columns = {k: v for k, v in out.columns.items() if not k.startswith(STEP)}
    out.columns[label] = sql.col(KAMA, "e")
    out.where.append(exp.GT(this=sql.col(POSITION, "b"), expression=sql.number(n)))
    return out


@lowers(s.RelativeStrengthIndex)
def lower_relative_strength_index(lw: Lowerer, node: s.RelativeStrengthIndex) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/relativestrengthindex/ —
    100 - 100 / (1 + gain / loss) from the (n+1)-th row. As Flux computes it: each
    non-null value rises or falls from the previous non-null value (from 0 for the first);
    gain and loss are the running means of the rises and falls over the first n rows,
    then follow Wilder's smoothing `step * k + previous * (1 - k)` with k = 1/n; a null
    row leaves them unchanged (null before any value). A table of n rows or fewer gives
    its last row with the index so far."""
    n = node.n
    k = 1 / float(n)
    rel = lw.composable_input(node.input, node.input.step)
    extra, seed, step = {}, {}, {}
    for i, label in enumerate(node.targets):
        x = as_double(rel.ref(label))
        before = exp.Coalesce(this=previous_non_null(rel, node, x.copy()), expressions=[sql.literal(0.0)])
        extra[f"__x_value{i}"] = x
        extra[f"__x_rise{i}"] = sql.func("greatest", exp.Sub(this=x.copy(), expression=before), sql.literal(0.0))
        extra[f"__x_fall{i}"] = sql.func("greatest", exp.Sub(this=before.copy(), expression=x.copy()), sql.literal(0.0))
        row_null = is_null(sql.col(f"__x_value{i}", "b"))
        seen = sql.col(f"__seen{i}", "r")
        seed[f"__seen{i}"] = case((row_null.copy(), sql.literal(0.0)), default=sql.literal(1.0))
        step[f"__seen{i}"] = case((row_null.copy(), seen.copy()), default=sql.func("least", exp.Add(this=seen.copy(), expression=sql.literal(1.0)), sql.literal(float(n))))
        for state, moved in ((f"__gain{i}", f"__x_rise{i}"), (f"__loss{i}", f"__x_fall{i}")):
            previous, move = sql.col(state, "r"), sql.col(moved, "b")
            seed[state] = move.copy()
            step[state] = case(
                (row_null.copy(), previous.copy()),
                (exp.EQ(this=seen.copy(), expression=sql.literal(0.0)), move.copy()),
                (exp.LTE(this=sql.col(POSITION, "b"), expression=sql.number(n)),
                 exp.Div(this=paren(exp.Add(this=exp.Mul(this=previous.copy(), expression=seen.copy()), expression=move.copy())),
                         expression=paren(exp.Add(this=seen.copy(), expression=sql.literal(1.0))))),
                default=exp.Add(this=exp.Mul(this=move.copy(), expression=sql.literal(k)),
                                expression=exp.Mul(this=previous.copy(), expression=sql.literal(1.0 - k))),
            )
    base = numbered(lw, rel, node, extra)
    states = recurrence(lw, base, node, 1, seed, step)
    out = joined_with_states(base, states)
    short = exp.LTE(this=sql.col(COUNT, "b"), expression=sql.number(n))
    for i, label in enumerate(node.targets):
        gain, loss = sql.col(f"__gain{i}", "e"), sql.col(f"__loss{i}", "e")
        index = exp.Sub(
            this=sql.literal(100.0),
            expression=exp.Div(this=sql.literal(100.0), expression=paren(exp.Add(this=sql.literal(1.0), expression=exp.Div(this=gain, expression=loss)))),
        )
        nothing_yet = exp.EQ(this=sql.col(f"__seen{i}", "e"), expression=sql.literal(0.0))
        # Before any value Flux divides 0 by 0 for a short table, and gives null otherwise.
        out.columns[label] = case((nothing_yet, case((short.copy(), sql.literal(float("nan"))))), default=index)
    out.where.append(exp.Or(
        this=exp.GT(this=sql.col(POSITION, "b"), expression=sql.number(n)),
        expression=paren(exp.And(this=short.copy(), expression=exp.EQ(this=sql.col(POSITION, "b"), expression=sql.col(COUNT, "b")))),
    ))
    return out


# ------------------------------------------------------------------ tripleExponentialDerivative


@lowers(s.PercentChange)
def lower_percent_change(lw: Lowerer, node: s.PercentChange) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/universe/tripleexponentialderivative/ —
    TRIX[i] = ((EMA3[i] / EMA3[i - 1]) - 1) * 100; "if there are not enough values ... the
    output _value is NaN; all other columns are the same as the last record"."""
    rel = lw.composable_input(node.input, node.input.step)
    value = rel.ref("_value")
    before = in_table(rel, node, exp.Lag(this=value.copy()))
    rows = in_table(rel, node, exp.Count(this=exp.Star()), ordered=False)
    alone = exp.EQ(this=rows, expression=sql.number(1))
    change = exp.Mul(
        this=paren(exp.Sub(this=exp.Div(this=value.copy(), expression=before), expression=sql.literal(1.0))),
        expression=sql.literal(100.0),
    )
    columns = dict(rel.columns)
    columns["_value"] = live_rows_only(rel, node, case((alone.copy(), sql.literal(float("nan"))), default=change), "_value")
    passes = exp.Or(this=after_first_rows(rel, node), expression=alone.copy())
    return keep_rows(lw, windowed(rel, columns), node, passes)
