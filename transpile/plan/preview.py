"""`FirstTables`: the first n tables of a stream, in stream order (experimental.preview)."""
from __future__ import annotations

from dataclasses import dataclass

from .core import PlanNode, Schema, Unary


@dataclass(frozen=True)
class FirstTables(Unary, PlanNode):
    input: PlanNode
    n: int
    flux_name: str = "preview"

    @property
    def schema(self) -> Schema:
        return self.input.schema

    @property
    def may_have_empty(self) -> bool:  # type: ignore[override]
        return self.input.may_have_empty
