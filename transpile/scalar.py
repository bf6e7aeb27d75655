"""Scalar expressions over the columns of one row: what Flux row functions become.

`(r) => r._value * 2.0 > 1.0` analyses to `Call(">", (Call("*", (Col("_value"), Lit(2.0))), Lit(1.0)))`,
each node carrying its Flux type. The lowering stage turns these into SQL; passes inspect
them (which columns a predicate reads, whether it is constant). No SQL here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from .types import FluxType


@dataclass(frozen=True)
class Scalar:
    pass


@dataclass(frozen=True)
class Col(Scalar):
    """A column of the current row; `type` is None when the schema does not know it."""

    name: str
    type: FluxType | None


@dataclass(frozen=True)
class Lit(Scalar):
    """A constant: int, float, str, bool, None, `Time`, `UInt`, `Duration` or `Regex`."""

    value: object
    type: FluxType | None


@dataclass(frozen=True)
class Call(Scalar):
    """An operator or scalar function applied to arguments.

    `fn` names an entry of the lowering's operator table: Flux operators (`+`, `==`, `=~`,
    `and`, `not`, `exists`, `neg`, `if`), conversions (`float`, `int`, ...) and library
    functions by their qualified Flux name (`strings.toUpper`).
    """

    fn: str
    args: tuple[Scalar, ...]
    type: FluxType | None


def columns_used(expr: Scalar) -> set[str]:
    return {c.name for c in walk(expr) if isinstance(c, Col)}


def walk(expr: Scalar) -> Iterator[Scalar]:
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Call):
            stack.extend(node.args)


def rename_columns(expr: Scalar, mapping: dict[str, Scalar]) -> Scalar:
    """Replace column references by expressions (used to compose projections)."""
    if isinstance(expr, Col):
        return mapping.get(expr.name, expr)
    if isinstance(expr, Call):
        return Call(expr.fn, tuple(rename_columns(a, mapping) for a in expr.args), expr.type)
    return expr
