"""The values a Flux program computes at compile time, beyond Python scalars.

Python `int`, `float`, `str`, `bool` and `None` stand for Flux int, float, string, bool and
null; `values.Time`, `UInt`, `Duration`, `Regex` for the rest of the basic types. This
module adds records, dicts, functions, packages, table streams and the symbolic row
values that row functions compute over columns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .. import ast
from ..errors import Span
from ..plan import PlanNode
from ..scalar import Scalar


@dataclass(frozen=True)
class Record:
    """A Flux record `{a: 1, b: "x"}`; field order is kept."""

    fields: dict

    def get(self, name: str, default=None):
        return self.fields.get(name, default)

    def __hash__(self) -> int:
        return hash(tuple(self.fields))


@dataclass(frozen=True)
class FluxDict:
    """A Flux dictionary `["a": 1]`."""

    items: dict

    def __hash__(self) -> int:
        return hash(tuple(self.items))


@dataclass(frozen=True)
class Closure:
    """A Flux function literal with the scope it was defined in."""

    expression: ast.FunctionExpression
    scope: object  # analyze.scope.Scope
    name: str = "<function>"

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.key.name if isinstance(p.key, ast.Identifier) else p.key.value for p in self.expression.params)

    @property
    def pipe_param(self) -> str | None:
        for p in self.expression.params:
            if isinstance(p.value, ast.PipeLiteral):
                return p.key.name if isinstance(p.key, ast.Identifier) else p.key.value
        return None

    def __hash__(self) -> int:
        return id(self.expression)


@dataclass(frozen=True)
class Builtin:
    """A function implemented by flux2sql (see functions.registry)."""

    name: str
    impl: Callable
    params: tuple[str, ...]
    pipe_param: str | None
    required: frozenset[str]
    defaults: dict = field(default_factory=dict, compare=False, hash=False)
    types: dict = field(default_factory=dict, compare=False, hash=False)  # param -> Python types it takes

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass(frozen=True)
class Package:
    """An imported package: its members, looked up by name."""

    path: str
    members: dict

    def __hash__(self) -> int:
        return hash(self.path)


@dataclass(frozen=True)
class Stream:
    """A stream of tables: a Plan node."""

    node: PlanNode


@dataclass(frozen=True)
class RowValue:
    """A value computed from the current row's columns (a scalar expression)."""

    scalar: Scalar


@dataclass(frozen=True)
class RowRecord:
    """A record whose fields may depend on the current row: `r`, `{r with x: r.a * 2}`.

    `fields` maps labels to row-dependent or constant values in order.
    """

    fields: dict

    def __hash__(self) -> int:
        return hash(tuple(self.fields))


@dataclass(frozen=True)
class Located:
    """An argument value together with where it was written (for error messages)."""

    value: object
    span: Span | None
