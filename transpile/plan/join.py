"""The join plan node, shared by universe `join()`, the `join` package and `experimental.join`.

A join pairs rows of two streams whose `on` columns are equal (and, for `match_key`, whose
group keys are equal: join.tables "only compares records with the same group key"). Each
output column is a scalar expression over the two rows: a column of the left row is
`Col(LEFT + label)`, of the right row `Col(RIGHT + label)`. The row order inside each
output table is `order` (columns of the output) then the left row's position, then the
right row's; with `tables_by_key` the tables come in order of their group keys.

A join whose table pairs have different output key columns is compiled once per key
(`functions/join.py`): like csv.from with mixed types, the node then carries `site`,
`choice` and `alternatives` (SplitByType).

This module knows nothing of SQL.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..scalar import Scalar
from ..tables import Column
from ..types import FluxType
from .core import SEQ, OrderBy, PlanNode, Schema, SplitByType

LEFT = "\x00l."
RIGHT = "\x00r."


@dataclass(frozen=True)
class Join(SplitByType, PlanNode):
    """`method` is "inner", "left", "right" or "full"; `on` pairs (left label, right label)."""

    left: PlanNode
    right: PlanNode
    on: tuple[tuple[str, str], ...]
    method: str
    columns: tuple[tuple[str, Scalar], ...]
    types: tuple[FluxType, ...]
    key: tuple[str, ...]
    match_key: bool = False
    order_columns: tuple[str, ...] = ()
    flux_name: str = "join"
    tables_by_key: bool = False
    site: int = 0
    choice: int = 0
    alternatives: int = 1

    @property
    def inputs(self):  # type: ignore[override]
        return (self.left, self.right)

    @property
    def bounds(self):  # type: ignore[override]
        return None

    @cached_property
    def schema(self) -> Schema:
        return Schema(tuple(Column(label, t) for (label, _), t in zip(self.columns, self.types)), self.key)

    @property
    def order(self) -> OrderBy:  # type: ignore[override]
        return OrderBy(tuple((c, False) for c in self.order_columns) + ((SEQ, False),))
