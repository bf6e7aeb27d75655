"""`Diff`: the rows two streams disagree on, table by table (experimental.diff, testing.diff).

https://docs.influxdata.com/flux/v0/stdlib/experimental/diff/ and .../testing/diff/: tables
with the same group key are compared; a row of `want` that `got` lacks is output with
`_diff` "-", a row of `got` that `want` lacks with "+". A table with no differences gives
no table; an empty table is the same as a missing one. The docs leave the exact output
open; flux2sql matches rows as multisets (a row equals a row with the same value in every
column) and lists the unmatched ones by their position in their table, "-" before "+".

This module defines the node only; lowering is in lower/diff.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..tables import Column
from ..types import FluxType
from .core import OrderBy, PlanNode, Schema

DIFF = "_diff"


@dataclass(frozen=True)
class Diff(PlanNode):
    """`want` (the "-" side) against `got` (the "+" side).

    `epsilon`: floats this close are equal (testing.diff); None compares exactly.
    `nans_equal`: whether NaN equals NaN.
    """

    want: PlanNode
    got: PlanNode
    epsilon: float | None = None
    nans_equal: bool = True
    flux_name: str = "diff"

    @property
    def inputs(self):  # type: ignore[override]
        return (self.want, self.got)

    @property
    def bounds(self):  # type: ignore[override]
        return None

    @property
    def table_position(self):  # type: ignore[override]
        return None

    @property
    def tables_in_key_order(self) -> bool:  # type: ignore[override]
        return False

    @property
    def order(self) -> OrderBy:
        return OrderBy()

    @cached_property
    def schema(self) -> Schema:
        columns: dict[str, Column] = {}
        for s in (self.want.schema, self.got.schema):
            for c in s.columns:
                if c.label != DIFF:
                    columns.setdefault(c.label, c)
        return Schema(tuple(columns.values()) + (Column(DIFF, FluxType.STRING),), self.want.schema.key)
