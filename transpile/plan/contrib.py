"""Plan nodes of the contrib packages whose functions are Go builtins in Flux (the rest
of contrib is Flux source over universe functions, see functions/contrib_*.py).

- EventDuration: `events.duration()` (contrib/tomhollingworth/events), the time from each
  row to the next row of its table.
- WhenNoTables: the stream, or, when it holds no table at all, another one (the row
  `tickscript.deadman()` reports for a measurement that sent nothing).

This module knows nothing of SQL (lowering: transpile/lower/contrib.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..types import FluxType
from .core import KeepsTables, OrderBy, PlanNode, Schema, SplitByType
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


@dataclass(frozen=True)
class WhenNoTables(SplitByType, PlanNode):
    """The tables of `input`; when `input` holds no table at all (no row, not even an
    empty table), the tables of `fallback` instead.

    The two streams have different group keys in general and a stream has one static key,
    so the program is compiled once per side (SplitByType, as joins whose pieces differ in
    key columns; see transpile.compile): choice 0 is `input` unchanged, choice 1 is
    `fallback` kept only when `input` has no row. The runtime concatenates both results.
    """

    input: PlanNode
    fallback: PlanNode
    site: int = 0
    choice: int = 0
    alternatives: int = 2
    flux_name: str = "whenNoTables"

    @property
    def chosen(self) -> PlanNode:
        return self.input if self.choice == 0 else self.fallback

    @property
    def inputs(self):  # type: ignore[override]
        return (self.chosen,) if self.choice == 0 else (self.fallback, self.input)

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.chosen.may_have_empty

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return self.chosen.order

    @property
    def bounds(self):  # type: ignore[override]
        return self.chosen.bounds

    @property
    def schema(self) -> Schema:  # type: ignore[override]
        return self.chosen.schema
