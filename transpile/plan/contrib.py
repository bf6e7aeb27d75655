"""Plan nodes of the contrib packages whose functions are Go builtins in Flux (the rest
of contrib is Flux source over universe functions, see functions/contrib_*.py).

- EventDuration: `events.duration()` (contrib/tomhollingworth/events), the time from each
  row to the next row of its table.

This module knows nothing of SQL (lowering: transpile/lower/contrib.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..types import FluxType
from .core import KeepsTables, PlanNode, Schema
from .series import with_column


@dataclass(frozen=True)
class EventDuration(KeepsTables, PlanNode):
    """`events.duration()`: for each row, the time until the next row of its table in whole
    `unit_ns` (int, truncated); the last row measures up to `stop_ns` when given, else up
    to its own `stop_column` value. Keeps every row (unlike elapsed()).

    https://docs.influxdata.com/flux/v0/stdlib/contrib/tomhollingworth/events/duration/
    """

    input: PlanNode
    unit_ns: int
    column_name: str = "duration"
    time_column: str = "_time"
    stop_column: str = "_stop"
    stop_ns: int | None = None
    flux_name: str = "duration"

    @cached_property
    def schema(self) -> Schema:
        return with_column(self.input.schema, self.column_name, FluxType.INT)
