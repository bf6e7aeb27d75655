"""Flux operators on compile-time values: constant folding and row-dependent expressions.

When every operand is a constant the operator is computed here with Flux's rules
(integer division truncates, `+` joins strings, comparisons of times and durations);
otherwise it becomes a `scalar.Call` over the row's columns with its Flux type.
"""
from __future__ import annotations

import math
import re

from ..errors import FluxSemanticError, Span
from ..scalar import Call, Lit, Scalar
from ..types import FluxType
from ..values import Duration, Regex, Time, UInt
from .objects import RowValue

COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


def type_of_constant(value) -> FluxType | None:
    if isinstance(value, bool):
        return FluxType.BOOL
    if isinstance(value, int):
        return FluxType.INT
    if isinstance(value, float):
        return FluxType.FLOAT
    if isinstance(value, str):
        return FluxType.STRING
    if isinstance(value, Time):
        return FluxType.TIME
    if isinstance(value, UInt):
        return FluxType.UINT
    if isinstance(value, Duration):
        return FluxType.DURATION
    return None


def to_scalar(value, span: Span | None = None) -> Scalar:
    if isinstance(value, RowValue):
        return value.scalar
    if value is None or isinstance(value, (bool, int, float, str, Time, UInt, Duration, Regex)):
        return Lit(value, type_of_constant(value))
    raise FluxSemanticError(f"a {describe(value)} cannot be used as a column value", span)


def scalar_type(s: Scalar) -> FluxType | None:
    return getattr(s, "type", None)


def describe(value) -> str:
    from .objects import Builtin, Closure, Record, RowRecord, RowValue, Stream

    if isinstance(value, Stream):
        return "stream of tables"
    if isinstance(value, (Closure, Builtin)):
        return "function"
    if isinstance(value, (Record, RowRecord)):
        return "record"
    if isinstance(value, list):
        return "array"
    if isinstance(value, RowValue):
        return "value only known when the query runs"
    t = type_of_constant(value)
    return t.value if t else type(value).__name__


def binary(op: str, left, right, span: Span | None):
    if isinstance(left, RowValue) or isinstance(right, RowValue):
        return RowValue(symbolic_binary(op, to_scalar(left, span), to_scalar(right, span)))
    return fold_binary(op, left, right, span)


def symbolic_binary(op: str, left: Scalar, right: Scalar) -> Scalar:
    lt, rt = scalar_type(left), scalar_type(right)
    if op in COMPARISONS or op in ("=~", "!~"):
        return Call(op, (left, right), FluxType.BOOL)
    return Call(op, (left, right), lt or rt)


def logical(op: str, left, right, span: Span | None):
    if isinstance(left, RowValue) or isinstance(right, RowValue):
        return RowValue(Call(op, (to_scalar(left, span), to_scalar(right, span)), FluxType.BOOL))
    if op == "and":
        if left is False or right is False:
            return False
        return None if left is None or right is None else bool(left and right)
    if left is True or right is True:
        return True
    return None if left is None or right is None else bool(left or right)


def unary(op: str, value, span: Span | None):
    if isinstance(value, RowValue):
        s = value.scalar
        if op == "-":
            return RowValue(Call("neg", (s,), scalar_type(s)))
        if op == "+":
            return value
        if op == "not":
            return RowValue(Call("not", (s,), FluxType.BOOL))
        return RowValue(Call("exists", (s,), FluxType.BOOL))
    if op == "exists":
        return value is not None
    if value is None:
        return None
    if op == "not":
        if not isinstance(value, bool):
            raise FluxSemanticError(f"'not' needs a bool, got {describe(value)}", span)
        return not value
    if op == "+":
        return value
    if isinstance(value, Duration):
        return -value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return -value
    raise FluxSemanticError(f"cannot negate a {describe(value)}", span)


def fold_binary(op: str, a, b, span: Span | None):
    if op in ("=~", "!~"):
        if not isinstance(b, Regex) or not isinstance(a, (str, type(None))):
            raise FluxSemanticError(f"'{op}' needs a string on the left and a regex on the right", span)
        if a is None:
            return None
        found = re.search(b.pattern, a) is not None
        return found if op == "=~" else not found
    if a is None or b is None:
        return None
    if op in COMPARISONS:
        return _compare(op, _comparable(a), _comparable(b), span)
    if isinstance(a, str) and isinstance(b, str) and op == "+":
        return a + b
    if isinstance(a, Duration) and isinstance(b, Duration) and op in ("+", "-"):
        return a + b if op == "+" else a - b
    if isinstance(a, UInt) and isinstance(b, UInt):
        return UInt(_arith(op, a.value, b.value, span) % (1 << 64))
    if type(a) is type(b) and isinstance(a, (int, float)):
        return _arith(op, a, b, span)
    raise FluxSemanticError(f"cannot apply '{op}' to {describe(a)} and {describe(b)}", span)


def _comparable(v):
    if isinstance(v, Time):
        return v.nanoseconds
    if isinstance(v, UInt):
        return v.value
    if isinstance(v, Duration):
        return (v.months, v.nanoseconds)
    return v


def _compare(op, a, b, span):
    try:
        return {
            "==": a == b,
            "!=": a != b,
            "<": a < b,
            "<=": a <= b,
            ">": a > b,
            ">=": a >= b,
        }[op]
    except TypeError:
        raise FluxSemanticError(f"cannot compare {type(a).__name__} with {type(b).__name__}", span) from None


def _arith(op, a, b, span):
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "^":
        return float(a) ** float(b) if isinstance(a, float) or b < 0 else a**b
    if isinstance(a, int):
        if b == 0:
            raise FluxSemanticError("division by zero", span)
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)  # Go truncates toward zero
        return q if op == "/" else a - q * b
    if op == "/":
        if b == 0:
            return math.copysign(math.inf, a) if a else math.nan
        return a / b
    return math.fmod(a, b)
