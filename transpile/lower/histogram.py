"""Lowering of `histogram()` and `histogramQuantile()`.

histogram: the input rows cross joined with a VALUES list of the bins, grouped by the key
and the bin: `count_if(value <= le)`.

histogramQuantile follows Flux's algorithm (stdlib/universe/histogram_quantile.go): sort
the buckets by upper bound; rank = quantile * total count (the count of the highest
bucket); the bucket found is the last one whose count <= rank; interpolate linearly
between it and the next one (from minValue and 0 when rank is below the first bucket);
return the bound itself when rank equals its count, when the other bound is infinite,
or when it is the highest bucket. A table with no samples gives null; non-monotonic
counts raise an error, drop the table, or are forced up to the running maximum.
"""
from __future__ import annotations

from sqlglot import exp

from ..plan.histogram import Histogram, HistogramQuantile
from ..types import FluxType
from . import sql
from .lowerer import SEQ, Lowerer, lowers
from .relation import Relation


def _float(e: exp.Expression) -> exp.Expression:
    return sql.cast(e, FluxType.FLOAT)


def _const(v: float) -> exp.Expression:
    """A DOUBLE constant (a bare `1.5` is a DECIMAL in DuckDB)."""
    e = sql.number(float(v))
    return e if isinstance(e, exp.Cast) else _float(e)


@lowers(Histogram)
def lower_histogram(lw: Lowerer, node: Histogram) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    bins = exp.Values(
        expressions=[exp.Tuple(expressions=[_const(b), sql.number(i)]) for i, b in enumerate(node.bins)],
        alias=exp.TableAlias(this=sql.ident("bins"), columns=[sql.ident("__le"), sql.ident("__bin")]),
    )
    le = sql.col("__le", "bins")
    value = _float(rel.ref(node.column))
    count = _float(sql.func("count_if", exp.LTE(this=value, expression=le.copy())))
    if node.normalize:
        count = exp.Div(this=count, expression=_float(sql.func("count", value.copy())), typed=True, safe=True)
    columns = {c.label: rel.ref(c.label) for c in node.schema.columns if c.label not in (node.upper_bound_column, node.count_column)}
    columns[node.upper_bound_column] = le
    columns[node.count_column] = count
    columns[SEQ] = sql.col("__bin", "bins")
    out = rel.with_columns(columns, group_by_all=True)
    out.joins = list(rel.joins) + [exp.Join(this=bins, kind="CROSS")]
    return out


def _not_null(e: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.Is(this=e, expression=exp.Null()))


@lowers(HistogramQuantile)
def lower_histogram_quantile(lw: Lowerer, node: HistogramQuantile) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    key = [k for k in node.schema.key]
    partition = [rel.ref(k) for k in key]
    ub, count = _float(rel.ref(node.upper_bound_column)), _float(rel.ref(node.count_column))
    by_bound = [sql.ordered(ub.copy())]
    running = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")
    # Step 1, per bucket: its count forced to the running maximum, the previous count, the total.
    buckets = {k: rel.ref(k) for k in key}
    buckets["__ub"] = ub
    buckets["__c"] = count
    buckets["__cf"] = sql.over(sql.func("max", count.copy()), partition, by_bound, running)
    buckets["__prev"] = sql.over(sql.func("lag", count.copy()), [p.copy() for p in partition], [o.copy() for o in by_bound])
    buckets["__rank"] = exp.Mul(this=_const(node.quantile),
                                expression=sql.over(sql.func("max", count.copy()), [p.copy() for p in partition]))
    buckets["__total"] = sql.over(sql.func("max", count.copy()), [p.copy() for p in partition])
    buckets[SEQ] = rel.ref(SEQ)
    step1 = rel.with_columns(buckets, has_window=True)
    step1.where.append(_not_null(rel.ref(SEQ)))
    step1.where.append(_not_null(ub.copy()))
    b = lw.materialize(step1, node.step + "_buckets")
    # Step 2, per table: the bucket holding the rank and the one after it.
    c, cf, bound, rank = sql.col("__c"), sql.col("__cf"), sql.col("__ub"), sql.col("__rank")

    def agg(fn: str, e: exp.Expression, cond: exp.Expression | None = None) -> exp.Expression:
        call = sql.func(fn, e)
        return exp.Filter(this=call, expression=exp.Where(this=cond)) if cond is not None else call

    below = exp.LTE(this=cf.copy(), expression=rank.copy())
    above = exp.GT(this=cf.copy(), expression=rank.copy())
    stats = {k: b.ref(k) for k in key}
    stats["__rank"] = agg("max", rank.copy())
    stats["__total"] = agg("max", sql.col("__total"))
    stats["__bad"] = agg("bool_or", exp.LT(this=c.copy(), expression=sql.col("__prev")))
    stats["__lo_ub"] = agg("max", bound.copy(), below)
    stats["__lo_c"] = agg("max", cf.copy(), below.copy())
    stats["__hi_ub"] = agg("min", bound.copy(), above)
    stats["__hi_c"] = agg("min", cf.copy(), above.copy())
    stats["__max_ub"] = agg("max", bound.copy())
    stats["__first_ub"] = agg("min", bound.copy())
    stats["__first_c"] = sql.func("arg_min", cf.copy(), bound.copy())
    stats[SEQ] = agg("min", sql.col(SEQ))
    s = lw.materialize(b.with_columns(stats, group_by_all=True), node.step)
    # Step 3: the interpolation.
    rank = s.ref("__rank")
    first = exp.Is(this=s.ref("__lo_ub"), expression=exp.Null())
    lo_b = exp.Case(ifs=[exp.If(this=first, true=_const(node.min_value))], default=s.ref("__lo_ub"))
    lo_c = exp.Case(ifs=[exp.If(this=first.copy(), true=_const(0.0))], default=s.ref("__lo_c"))
    hi_b = exp.Case(ifs=[exp.If(this=first.copy(), true=s.ref("__first_ub"))], default=s.ref("__hi_ub"))
    hi_c = exp.Case(ifs=[exp.If(this=first.copy(), true=s.ref("__first_c"))], default=s.ref("__hi_c"))
    inf = _const(float("inf"))
    scale = exp.Div(this=exp.Paren(this=exp.Sub(this=rank.copy(), expression=lo_c.copy())),
                    expression=exp.Paren(this=exp.Sub(this=hi_c, expression=lo_c.copy())), typed=True, safe=False)
    interpolated = exp.Add(this=lo_b.copy(), expression=exp.Mul(
        this=exp.Paren(this=exp.Sub(this=hi_b.copy(), expression=lo_b.copy())), expression=scale))
    value = exp.Case(
        ifs=[
            exp.If(this=exp.EQ(this=s.ref("__total"), expression=_const(0.0)), true=sql.null(FluxType.FLOAT)),
            exp.If(this=exp.EQ(this=s.ref("__lo_ub"), expression=s.ref("__max_ub")), true=s.ref("__max_ub")),
            exp.If(this=exp.EQ(this=rank.copy(), expression=lo_c.copy()), true=lo_b.copy()),
            exp.If(this=exp.EQ(this=lo_b.copy(), expression=exp.Neg(this=inf.copy())), true=hi_b.copy()),
            exp.If(this=exp.EQ(this=hi_b.copy(), expression=inf.copy()), true=lo_b.copy()),
        ],
        default=interpolated,
    )
    bad = s.ref("__bad")
    out_cols = {k: s.ref(k) for k in key}
    if node.on_nonmonotonic == "error":
        value = exp.Case(ifs=[exp.If(this=exp.Coalesce(this=bad.copy(), expressions=[exp.false()]),
                                     true=_float(sql.func("error", exp.Literal.string("histogramQuantile: histogram records counts are not monotonic"))))],
                         default=value)
    out_cols[node.value_column] = value
    out_cols[SEQ] = s.ref(SEQ)
    out = s.with_columns(out_cols)
    if node.on_nonmonotonic == "drop":
        out.where.append(exp.Not(this=exp.Coalesce(this=bad.copy(), expressions=[exp.false()])))
    return out

