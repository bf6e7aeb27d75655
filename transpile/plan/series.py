"""Plan nodes of the time-series math family: functions computed row by row over each
table in its row order (difference, derivative, cumulativeSum, moving averages, elapsed,
state tracking, fill, ...) and the per-table integral.

Each node says which columns it rewrites and with which Flux type, whether it may drop
rows (then a table can become empty, so `may_have_empty`), and nothing about SQL.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..scalar import Scalar
from ..tables import Column
from ..types import FluxType
from .core import KeepsTables, PlanNode, Schema, Unary


def retyped(schema: Schema, types: dict) -> Schema:
    """The schema with some columns given new types."""
    return Schema(tuple(Column(c.label, types.get(c.label, c.type)) for c in schema.columns), schema.key)


def with_column(schema: Schema, label: str, t: FluxType) -> Schema:
    """The schema with `label` appended (or replaced in place) as a column of type `t`."""
    if schema.has(label):
        return retyped(schema, {label: t})
    return Schema(schema.columns + (Column(label, t),), schema.key)


def numeric(schema: Schema, columns) -> tuple[str, ...]:
    """The listed columns that exist in the schema with a numeric type."""
    return tuple(c for c in columns if schema.type_of(c) in (FluxType.INT, FluxType.UINT, FluxType.FLOAT))


@dataclass(frozen=True)
class Difference(Unary, PlanNode):
    """difference(): each value minus the previous non-null value of its table.

    int and uint become int (Go's difference subtracts into an int64), float stays float;
    the first row is dropped unless `keep_first`.
    """

    input: PlanNode
    columns: tuple[str, ...]
    non_negative: bool = False
    keep_first: bool = False
    initial_zero: bool = False
    flux_name: str = "difference"

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.input.may_have_empty or not self.keep_first

    @cached_property
    def targets(self) -> tuple[str, ...]:
        return numeric(self.input.schema, self.columns)

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        return retyped(s, {c: FluxType.FLOAT if s.type_of(c) == FluxType.FLOAT else FluxType.INT for c in self.targets})


@dataclass(frozen=True)
class Derivative(Unary, PlanNode):
    """derivative(): rate of change per `unit_ns` between subsequent non-null values (float).

    Rows whose time equals the previous row's time are dropped, then the first row.
    """

    input: PlanNode
    columns: tuple[str, ...]
    unit_ns: int
    non_negative: bool = False
    initial_zero: bool = False
    time_column: str = "_time"
    flux_name: str = "derivative"

    may_have_empty = True

    @cached_property
    def targets(self) -> tuple[str, ...]:
        return numeric(self.input.schema, self.columns)

    @cached_property
    def schema(self) -> Schema:
        return retyped(self.input.schema, {c: FluxType.FLOAT for c in self.targets})


@dataclass(frozen=True)
class CumulativeSum(KeepsTables, PlanNode):
    """cumulativeSum(): running sum of the non-null values; types are kept."""

    input: PlanNode
    columns: tuple[str, ...]
    flux_name: str = "cumulativeSum"


    @cached_property
    def targets(self) -> tuple[str, ...]:
        return numeric(self.input.schema, self.columns)

    @property
    def schema(self) -> Schema:
        return self.input.schema


@dataclass(frozen=True)
class MovingAverage(Unary, PlanNode):
    """movingAverage(n) and exponentialMovingAverage(n) of `_value` (float).

    `kind` is "simple" or "exponential". A table with n rows or more keeps its rows from
    the n-th on; a shorter one gives a single row (its last) holding the mean.
    """

    input: PlanNode
    n: int
    kind: str = "simple"
    column: str = "_value"
    flux_name: str = "movingAverage"

    may_have_empty = True

    @cached_property
    def schema(self) -> Schema:
        return retyped(self.input.schema, {self.column: FluxType.FLOAT})


@dataclass(frozen=True)
class Elapsed(Unary, PlanNode):
    """elapsed(): the time since the previous row in whole `unit_ns` (int); drops the first row."""

    input: PlanNode
    unit_ns: int
    time_column: str = "_time"
    column_name: str = "elapsed"
    flux_name: str = "elapsed"

    may_have_empty = True

    @cached_property
    def schema(self) -> Schema:
        return with_column(self.input.schema, self.column_name, FluxType.INT)


@dataclass(frozen=True)
class StateTracking(KeepsTables, PlanNode):
    """stateCount()/stateDuration(): how many rows / how long `predicate` has held (-1 when it does not)."""

    input: PlanNode
    predicate: Scalar
    count_column: str | None = None
    duration_column: str | None = None
    unit_ns: int = 1_000_000_000
    time_column: str = "_time"
    flux_name: str = "stateTracking"


    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        for label in (self.count_column, self.duration_column):
            if label is not None:
                s = with_column(s, label, FluxType.INT)
        return s


@dataclass(frozen=True)
class Fill(KeepsTables, PlanNode):
    """fill(): replace nulls in `column` by `value`, or by the previous non-null value."""

    input: PlanNode
    column: str
    value: object = None
    use_previous: bool = False
    flux_name: str = "fill"


    @property
    def schema(self) -> Schema:
        return self.input.schema


@dataclass(frozen=True)
class HourSelection(Unary, PlanNode):
    """hourSelection(): keep rows whose hour of day (in `location`) is within [start, stop]."""

    input: PlanNode
    start: int
    stop: int
    location: str = "UTC"
    time_column: str = "_time"
    flux_name: str = "hourSelection"

    may_have_empty = True

    @property
    def schema(self) -> Schema:
        return self.input.schema


@dataclass(frozen=True)
class Integral(Unary, PlanNode):
    """integral(): area under each column over time, in `unit_ns`; one row per table.

    `interpolate` "linear" extends the curve to the table's _start and _stop; `average`
    (timeWeightedAvg) divides the area by the length of [_start, _stop) in units.
    """

    input: PlanNode
    columns: tuple[str, ...]
    unit_ns: int
    time_column: str = "_time"
    interpolate: str = ""
    average: bool = False
    flux_name: str = "integral"

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        cols = tuple(c for c in s.columns if c.label in s.key)
        cols += tuple(Column(c, FluxType.FLOAT) for c in self.columns if c not in s.key)
        return Schema(cols, s.key)

    @property
    def order(self):
        from .core import OrderBy

        return OrderBy()


@dataclass(frozen=True)
class ChandeMomentumOscillator(Unary, PlanNode):
    """chandeMomentumOscillator(n): float; the first n rows of each table are dropped."""

    input: PlanNode
    n: int
    columns: tuple[str, ...] = ("_value",)
    flux_name: str = "chandeMomentumOscillator"

    may_have_empty = True

    @cached_property
    def targets(self) -> tuple[str, ...]:
        return numeric(self.input.schema, self.columns)

    @cached_property
    def schema(self) -> Schema:
        return retyped(self.input.schema, {c: FluxType.FLOAT for c in self.targets})


@dataclass(frozen=True)
class RelativeStrengthIndex(ChandeMomentumOscillator):
    """relativeStrengthIndex(n): float; the first n rows of each table are dropped."""

    flux_name: str = "relativeStrengthIndex"


@dataclass(frozen=True)
class KaufmansAMA(Unary, PlanNode):
    """kaufmansAMA(n, column): float; the first n rows of each table are dropped."""

    input: PlanNode
    n: int
    column: str = "_value"
    flux_name: str = "kaufmansAMA"

    may_have_empty = True

    @cached_property
    def schema(self) -> Schema:
        return retyped(self.input.schema, {self.column: FluxType.FLOAT})


@dataclass(frozen=True)
class InterpolateLinear(KeepsTables, PlanNode):
    """interpolate.linear(every): rows added at each multiple of `every_ns` (from the Unix
    epoch) between two points, with linearly interpolated float `_value`.

    Rows are ordered by time: `__seq` becomes the row's time in ns.
    """

    input: PlanNode
    every_ns: int
    flux_name: str = "interpolate.linear"


    @property
    def schema(self) -> Schema:
        return self.input.schema

    @property
    def order(self):
        from .core import OrderBy

        return OrderBy()


@dataclass(frozen=True)
class TimedMovingAverage(Unary, PlanNode):
    """timedMovingAverage(every, period, column): the mean of `column` over each window of
    length `period_ns` ending at a multiple of `every_ns` (windows cut at _start/_stop),
    one row per window holding data, `_time` = the window's stop. Output: the group key
    columns, `column` (float) and `_time`.
    """

    input: PlanNode
    every_ns: int
    period_ns: int
    column: str = "_value"
    flux_name: str = "timedMovingAverage"

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        cols = tuple(c for c in s.columns if c.label in s.key and c.label not in (self.column, "_time"))
        cols += (Column(self.column, FluxType.FLOAT), Column("_time", FluxType.TIME))
        return Schema(cols, tuple(k for k in s.key if k not in (self.column, "_time")))

    @property
    def order(self):
        from .core import OrderBy

        return OrderBy()


@dataclass(frozen=True)
class PercentChange(Unary, PlanNode):
    """The last step of tripleExponentialDerivative: `(v[i] / v[i - 1] - 1) * 100` of
    `_value`, from each table's second row; a table of one row (too short for the
    triple EMA) keeps that row with NaN."""

    input: PlanNode
    flux_name: str = "tripleExponentialDerivative"

    may_have_empty = True

    @property
    def schema(self) -> Schema:
        return self.input.schema
