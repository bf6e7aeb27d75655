"""`FirstTables`: the first n tables of a stream, in stream order (experimental.preview)."""
from __future__ import annotations

from dataclasses import dataclass

from .core import KeepsTables, PlanNode, Schema


@dataclass(frozen=True)
class FirstTables(KeepsTables, PlanNode):
    input: PlanNode
    n: int
    flux_name: str = "preview"

    @property
    def schema(self) -> Schema:
        return self.input.schema

