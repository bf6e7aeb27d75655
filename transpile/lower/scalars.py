"""Lower `scalar` expressions (row functions) to SQL.

`OPERATORS` maps each Flux operator to a builder taking the lowered arguments and their
Flux types. Library scalar functions lower through their registry entry's `sql` builder.
"""
from __future__ import annotations

from typing import Callable

from sqlglot import exp

from ..errors import FluxUnsupportedError
from ..scalar import Call, Col, Lit, Scalar
from ..types import FluxType
from . import sql


def lower_scalar(expr: Scalar, resolve: Callable[[str], exp.Expression]) -> exp.Expression:
    """SQL for `expr`; `resolve(label)` gives the SQL of a column of the current row."""
    if isinstance(expr, Col):
        return resolve(expr.name)
    if isinstance(expr, Lit):
        return sql.literal(expr.value, expr.type)
    if isinstance(expr, Call):
        args = [lower_scalar(a, resolve) for a in expr.args]
        types = [getattr(a, "type", None) for a in expr.args]
        builder = OPERATORS.get(expr.fn)
        if builder is not None:
            return builder(args, types)
        from ..functions.registry import SCALARS

        entry = SCALARS.get(expr.fn)
        if entry is None or entry.sql is None:
            raise FluxUnsupportedError(f"{expr.fn}() cannot be computed per row in SQL yet")
        return entry.sql(args, types)
    lowering = SCALAR_KINDS.get(type(expr))
    if lowering is not None:
        return lowering(expr, resolve)
    raise TypeError(expr)


# Scalar kinds defined outside scalar.py lower through their own function
# `fn(expr, resolve) -> sqlglot expression`: e.g. a value read from a table stream is a
# scalar subquery (plan/extract.py, lower/extract.py).
SCALAR_KINDS: dict[type, Callable] = {}


def _paren(e: exp.Expression) -> exp.Expression:
    return e if isinstance(e, (exp.Column, exp.Literal, exp.Anonymous, exp.Cast, exp.Func, exp.Paren)) else exp.Paren(this=e)


def _binary(cls):
    return lambda a, t: cls(this=_paren(a[0]), expression=_paren(a[1]))


def _add(a, t):
    if t[0] == FluxType.STRING or t[1] == FluxType.STRING:
        return exp.DPipe(this=_paren(a[0]), expression=_paren(a[1]), safe=True)
    return exp.Add(this=_paren(a[0]), expression=_paren(a[1]))


def _div(a, t):
    if t[0] in (FluxType.INT, FluxType.UINT) and t[1] in (FluxType.INT, FluxType.UINT):
        # Flux (Go) integer division truncates toward zero: DuckDB's `//` does too.
        return exp.IntDiv(this=_paren(a[0]), expression=_paren(a[1]))
    return exp.Div(this=_paren(a[0]), expression=_paren(a[1]), typed=True, safe=False)


def _pow(a, t):
    return exp.Pow(this=_paren(a[0]), expression=_paren(a[1]))


def _regex(negate: bool):
    def build(a, t):
        m = sql.func("regexp_matches", a[0], a[1])
        return exp.Not(this=m) if negate else m

    return build


def _if(a, t):
    return exp.Case(ifs=[exp.If(this=a[0], true=a[1])], default=a[2])


def _concat(a, t):
    return sql.func("concat", *a)


OPERATORS: dict[str, Callable] = {
    "+": _add,
    "-": _binary(exp.Sub),
    "*": _binary(exp.Mul),
    "/": _div,
    "%": _binary(exp.Mod),
    "^": _pow,
    "==": _binary(exp.EQ),
    "!=": _binary(exp.NEQ),
    "<": _binary(exp.LT),
    "<=": _binary(exp.LTE),
    ">": _binary(exp.GT),
    ">=": _binary(exp.GTE),
    "=~": _regex(False),
    "!~": _regex(True),
    "and": lambda a, t: exp.And(this=_paren(a[0]), expression=_paren(a[1])),
    "or": lambda a, t: exp.Paren(this=exp.Or(this=_paren(a[0]), expression=_paren(a[1]))),
    "not": lambda a, t: exp.Not(this=_paren(a[0])),
    "exists": lambda a, t: exp.Not(this=exp.Is(this=_paren(a[0]), expression=exp.Null())),
    "neg": lambda a, t: exp.Neg(this=_paren(a[0])),
    "if": _if,
    "concat": _concat,
}
