"""Plan nodes of `experimental/geo` that fold each table's rows in order:
`geo.ST_LineString()` and `geo.totalDistance()`.

Both give one row per table with the group key columns and one new column, like
`reduce()` (Flux defines them with reduce), but their accumulators (a growing string, the
distance from the previous row) are not SQL aggregates of single rows, so they have nodes
of their own. This module knows nothing of SQL (lowering: transpile/lower/geo.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..tables import Column
from ..types import FluxType
from .core import OrderBy, PlanNode, Schema, Unary


class _PerTable(Unary, PlanNode):
    """One row per table: the key columns, then `column`."""

    column: str
    column_type: FluxType

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        cols = tuple(c for c in s.columns if c.label in s.key and c.label != self.column)
        return Schema(cols + (Column(self.column, self.column_type),), s.key)

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy()


@dataclass(frozen=True)
class LineString(_PerTable):
    """`geo.ST_LineString()`: the table's points, in row order, as `"lon lat, lon lat, ..."`.

    https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/st_linestring/
    """

    input: PlanNode
    column: str = "st_linestring"
    column_type: FluxType = FluxType.STRING
    flux_name: str = "ST_LineString"


@dataclass(frozen=True)
class TotalDistance(_PerTable):
    """`geo.totalDistance()`: the sum of the distances between consecutive rows' points
    (lat, lon), times `radius` (the earth's radius in the distance unit).

    https://docs.influxdata.com/flux/v0/stdlib/experimental/geo/totaldistance/
    """

    input: PlanNode
    column: str
    radius: float
    column_type: FluxType = FluxType.FLOAT
    flux_name: str = "totalDistance"
