"""Lowering of the contrib plan nodes (plan/contrib.py) to SQL.

Times are subtracted as `epoch_ns()` integers, so durations are exact to the nanosecond.
"""
from __future__ import annotations

from sqlglot import exp

from ..errors import FluxUnsupportedError
from ..plan import contrib as c
from . import sql
from .lowerer import Lowerer, lowers
from .relation import Relation
from .series import epoch_ns, in_table, paren, windowed, with_column


@lowers(c.EventDuration)
def lower_event_duration(lw: Lowerer, node: c.EventDuration) -> Relation:
    """https://docs.influxdata.com/flux/v0/stdlib/contrib/tomhollingworth/events/duration/
    — LEAD(time) over the table in row order; the last row (no next row) measures to the
    `stop` argument or to its own stop column. Whole units, truncated like Go's integer
    division."""
    rel = lw.composable_input(node.input, node.input.step)
    if node.time_column not in rel.columns:
        raise FluxUnsupportedError(f"events.duration: column {node.time_column!r} does not exist")
    time = rel.ref(node.time_column)
    if node.stop_ns is not None:
        stop = sql.time_literal(node.stop_ns)
    else:
        stop = rel.ref(node.stop_column)
    following = exp.Coalesce(this=in_table(rel, node, exp.Lead(this=time.copy())), expressions=[stop])
    duration = exp.IntDiv(
        this=paren(exp.Sub(this=epoch_ns(following), expression=epoch_ns(time))),
        expression=sql.number(node.unit_ns),
    )
    return windowed(rel, with_column(rel, node, node.column_name, duration))


@lowers(c.WhenNoTables)
def lower_when_no_tables(lw: Lowerer, node: c.WhenNoTables) -> Relation:
    """Choice 0: the input as it is. Choice 1: the fallback's rows under
    `WHERE NOT EXISTS (SELECT 1 FROM <input>)` (an empty table's placeholder row counts as
    a table, so any row of the input rules the fallback out)."""
    if node.choice == 0:
        return lw.relation(node.input)
    probe = lw.materialize(lw.relation(node.input), node.input.step)
    rel = lw.materialize(lw.relation(node.fallback), node.fallback.step)
    out = rel.with_columns(dict(rel.columns))
    out.where.append(exp.Not(this=exp.Exists(this=exp.select(sql.number(1)).from_(probe.source.copy()))))
    return out
