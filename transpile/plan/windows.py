"""Plan node for window() whose `period` differs from `every`: overlapping windows (a row in
several tables) or gapped ones (a row in none).

https://docs.influxdata.com/flux/v0/stdlib/universe/window/ : "A single input row may be
placed into zero or more output tables". Window starts are the multiples of `every` from
the Unix epoch plus `offset`; a window lasts `period` (influxdata/influxdb#20001: bounds
are computed from start times). Windows are cut at the input's _start/_stop as window()
does. The equal-period case stays core.Window.
Must not: hold SQL (lowering is lower/windows.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..values import Duration
from .core import SEQ, OrderBy, PlanNode, Schema, Unary, windowed_schema

RAW_START = "__window_raw"  # hidden column: a row's window start (ns), before the cut at the range bounds


@dataclass(frozen=True)
class PeriodWindow(Unary, PlanNode):
    """window(every, period, offset) with period != every, on fixed durations in UTC.

    Rows keep their input columns; `start_column`/`stop_column` become the window bounds.
    Row order: by window start, then the input's order (the hidden `__seq` is renumbered
    so). The order ends with the raw window start, which orders the tables (empty ones
    too, whose placeholder has no `__seq`) when a later step merges them.
    `create_empty` adds an empty table (a placeholder row) for each window of each table
    that holds no row, between the static range bounds.
    """

    input: PlanNode
    every: Duration
    period: Duration
    offset: Duration
    create_empty: bool = False
    time_column: str = "_time"
    start_column: str = "_start"
    stop_column: str = "_stop"
    flux_name: str = "window"

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.create_empty or self.input.may_have_empty

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy(((SEQ, False), (RAW_START, False)))

    @property
    def tables_in_key_order(self) -> bool:  # type: ignore[override]
        return False

    @property
    def windows_per_row(self) -> int:
        """The most windows one instant can lie in: ceil(period / every)."""
        return max(1, -(-self.period.nanoseconds // self.every.nanoseconds))

    @cached_property
    def schema(self) -> Schema:
        return windowed_schema(self.input.schema, self.start_column, self.stop_column)
