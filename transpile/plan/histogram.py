"""Plan nodes for histograms: `histogram()` (cumulative counts per upper bound) and
`histogramQuantile()` (a quantile interpolated from such counts). No SQL here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..tables import Column
from ..types import FluxType
from .core import SEQ, OrderBy, PlanNode, Schema, Unary


@dataclass(frozen=True)
class Histogram(Unary, PlanNode):
    """`histogram(column, upperBoundColumn, countColumn, bins, normalize)`: per table, one row
    per bin upper bound with the number of values <= it (a float; divided by the number of
    values when `normalize`). The group key columns are kept, other columns dropped.

    https://docs.influxdata.com/flux/v0/stdlib/universe/histogram/
    """

    input: PlanNode
    column: str
    upper_bound_column: str
    count_column: str
    bins: tuple[float, ...]
    normalize: bool
    flux_name: str = "histogram"

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        out = (self.upper_bound_column, self.count_column)
        cols = tuple(c for c in s.columns if c.label in s.key and c.label not in out)
        cols += (Column(self.upper_bound_column, FluxType.FLOAT), Column(self.count_column, FluxType.FLOAT))
        return Schema(cols, tuple(k for k in s.key if k not in out))

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy()


@dataclass(frozen=True)
class HistogramQuantile(Unary, PlanNode):
    """`histogramQuantile(quantile, countColumn, upperBoundColumn, valueColumn, minValue,
    onNonmonotonic)`: per table of cumulative bucket counts, the quantile by linear
    interpolation inside the bucket holding rank = quantile * total count.

    https://docs.influxdata.com/flux/v0/stdlib/universe/histogramquantile/
    """

    input: PlanNode
    quantile: float
    count_column: str
    upper_bound_column: str
    value_column: str
    min_value: float
    on_nonmonotonic: str
    flux_name: str = "histogramQuantile"

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        cols = tuple(c for c in s.columns if c.label in s.key and c.label != self.value_column)
        return Schema(cols + (Column(self.value_column, FluxType.FLOAT),), tuple(k for k in s.key if k != self.value_column))

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy(((SEQ, False),))
