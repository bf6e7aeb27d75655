"""Lowering of plan.windows.PeriodWindow: window() with `period` different from `every`.

Each row is repeated once per window holding it: the latest window start at or before the
row's time, and the ceil(period / every) - 1 starts before it, kept while the row's time is
before start + period (https://docs.influxdata.com/flux/v0/stdlib/universe/window/). All
arithmetic is on epoch nanoseconds (exact). The hidden `__seq` is renumbered by (window
start, input order), so rows keep their order inside a window and a window's first row
orders its table among the others. With createEmpty, windows of a table that hold no row
get an empty-table placeholder (marker NULL), as the other table functions expect.
Must not: lower equal-period windows (core.Window, lower/aggregates.py).
"""
from __future__ import annotations

from sqlglot import exp

from ..errors import FluxUnsupportedError
from ..plan.windows import RAW_START, PeriodWindow
from . import sql
from .lowerer import SEQ, Lowerer, lowers, marker_of, order_sql
from .relation import Relation, passthrough
from .series import epoch_ns, floor_to, not_null


@lowers(PeriodWindow)
def lower_period_window(lw: Lowerer, node: PeriodWindow) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    every, period = node.every.nanoseconds, node.period.nanoseconds
    t = epoch_ns(rel.ref(node.time_column))
    latest = floor_to(exp.Sub(this=t, expression=sql.number(node.offset.nanoseconds)), sql.number(every))
    latest = exp.Add(this=latest, expression=sql.number(node.offset.nanoseconds))
    back = sql.func("unnest", sql.func("range", sql.number(node.windows_per_row)))
    repeated = dict(rel.columns)
    repeated[RAW_START] = exp.Sub(this=latest, expression=exp.Mul(this=back, expression=sql.number(every)))
    expanded = rel.with_columns(repeated)
    expanded.where.append(not_null(rel.ref(node.time_column)))
    rows = lw.materialize(expanded, node.step)

    raw = rows.ref(RAW_START)
    inside = exp.LT(this=epoch_ns(rows.ref(node.time_column)), expression=exp.Add(this=raw, expression=sql.number(period)))
    columns = {label: rows.ref(label) for label in node.schema.labels}
    columns.update(_bounds(node, rows.ref, raw))
    # Renumbered: window after window, rows in their input order inside each.
    columns[SEQ] = sql.over(exp.RowNumber(), [], [sql.ordered(raw.copy())] + order_sql(rows, node.input))
    columns[RAW_START] = raw.copy()
    windowed = Relation(source=rows.source, columns=columns, where=[inside], has_window=True)
    if not node.create_empty:
        return windowed
    return _with_empty_windows(lw, node, windowed)


def _bounds(node: PeriodWindow, ref, raw: exp.Expression) -> dict:
    """The window's _start/_stop from its raw start, cut at the input's range bounds."""
    start = sql.func("make_timestamp_ns", raw.copy())
    stop = sql.func("make_timestamp_ns", exp.Add(this=raw.copy(), expression=sql.number(node.period.nanoseconds)))
    if node.input.schema.has(node.start_column) and node.input.schema.has(node.stop_column):
        start = sql.func("greatest", start, ref(node.start_column))
        stop = sql.func("least", stop, ref(node.stop_column))
    return {node.start_column: start, node.stop_column: stop}


def _with_empty_windows(lw: Lowerer, node: PeriodWindow, windowed: Relation) -> Relation:
    """`windowed` plus one placeholder row per (table, window) without rows: the windows
    are those meeting the static range bounds; the tables, the input's other key values."""
    if node.bounds is None:
        raise FluxUnsupportedError("window(createEmpty: true) needs a range() before it")
    lo, hi = node.bounds
    every, period, offset = node.every.nanoseconds, node.period.nanoseconds, node.offset.nanoseconds
    first = (lo - period - offset) // every * every + offset + every  # the first start with start + period > lo
    name = lw.ctes.add(node.step, windowed.to_select())
    keys = [k for k in node.schema.key if k not in (node.start_column, node.stop_column)]

    grid = exp.Unnest(expressions=[sql.func("generate_series", sql.number(first), sql.number(hi - 1), sql.number(every))],
                      alias=exp.TableAlias(this=sql.ident("grid"), columns=[sql.ident(RAW_START)]))
    tables = exp.select(*[sql.col(k) for k in keys] or [sql.alias(sql.number(1), "__one")], copy=False)
    tables = tables.from_(exp.Table(this=sql.ident(name)), copy=False).distinct(copy=False)
    seen = exp.select(sql.number(1), copy=False).from_(exp.Table(this=sql.ident(name), alias=exp.TableAlias(this=sql.ident("w"))), copy=False)
    same = [exp.NullSafeEQ(this=sql.col(k, "w"), expression=sql.col(k, "t")) for k in keys]
    same.append(exp.EQ(this=sql.col(RAW_START, "w"), expression=sql.col(RAW_START, "grid")))
    seen = seen.where(sql.and_all(same), copy=False)

    marker = marker_of(node)
    raw = sql.col(RAW_START, "grid")
    empty = {label: sql.null(node.schema.type_of(label)) for label in windowed.columns}
    empty.update({k: sql.col(k, "t") for k in keys})
    empty.update(_bounds(node, lambda label: sql.time_literal(lo if label == node.start_column else hi), raw))
    empty[RAW_START] = raw.copy()
    empty[marker] = sql.null()
    placeholders = exp.select(*[sql.alias(e, label) for label, e in empty.items()], copy=False)
    placeholders = placeholders.from_(exp.Subquery(this=tables, alias=exp.TableAlias(this=sql.ident("t"))), copy=False)
    placeholders = placeholders.join(grid, join_type="cross", copy=False)
    placeholders = placeholders.where(exp.Not(this=exp.Exists(this=seen)), copy=False)

    real = exp.select(*[sql.col(label) for label in windowed.columns], copy=False).from_(exp.Table(this=sql.ident(name)), copy=False)
    union = exp.Union(this=real, expression=placeholders, distinct=False)
    both = lw.ctes.add(node.step, union)
    return passthrough(exp.Table(this=sql.ident(both)), windowed.columns.keys())
