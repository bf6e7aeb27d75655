"""Flux's `contrib/tomhollingworth/events` package: `events.duration()`.

https://docs.influxdata.com/flux/v0/stdlib/contrib/tomhollingworth/events/duration/
A Go builtin in Flux; here the plan node `plan.contrib.EventDuration` (SQL: LEAD over the
table). Must not: compute data in Python.
"""
from __future__ import annotations

from ..analyze.objects import Stream
from ..plan.contrib import EventDuration
from ..types import FluxType
from ..values import Duration
from .registry import flux_function
from .series import column_name, time_column, unit_ns
from .streams import stream_of, time_arg

PKG = "contrib/tomhollingworth/events"

# The docs page says the unit defaults to 1ns, but Flux's implementation counts seconds
# by default: the conformance vectors contrib/tomhollingworth/events/duration* (rows 10 s
# apart give 10 without a unit) are the reference here.
DEFAULT_UNIT = Duration(0, 1_000_000_000)


@flux_function(PKG)
def duration(ctx, tables, unit=DEFAULT_UNIT, columnName="duration", timeColumn="_time", stopColumn="_stop", stop=None):
    """The time from each row to the next row of its table, in whole `unit`s; the last row
    measures to `stop` if given, else to its own `stopColumn` value."""
    node = stream_of(ctx, tables)
    time_col = time_column(ctx, node, timeColumn)
    stop_ns = None
    if stop is not None:
        stop_ns = time_arg(ctx, stop, "stop")
    else:
        stop_col = column_name(ctx, stopColumn, "stopColumn")
        if not node.schema.has(stop_col):
            raise ctx.error(f"no column {stop_col!r} to end the last event; give stop or stopColumn", "stopColumn")
        if node.schema.type_of(stop_col) != FluxType.TIME:
            raise ctx.error(f"column {stop_col!r} is of type {node.schema.type_of(stop_col).value}, not time", "stopColumn")
    return Stream(EventDuration(
        node,
        unit_ns(ctx, unit),
        column_name(ctx, columnName, "columnName"),
        time_col,
        stopColumn,
        stop_ns,
    ))
