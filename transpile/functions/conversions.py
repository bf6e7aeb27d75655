"""Flux type conversions (`float(v:)`, `int(v:)`, `string(v:)`, ...): constants and SQL.

https://docs.influxdata.com/flux/v0/stdlib/universe/float/ and siblings. Flux converts
strings by parsing them, bools to 0/1, times to nanoseconds, floats to ints by truncation.
"""
from __future__ import annotations

from sqlglot import exp

from ..lower import sql
from ..types import FluxType
from ..values import Duration, Time, UInt


def convert_constant(v, target: FluxType):
    from ..timefmt import parse_rfc3339
    from .universe import to_string

    if v is None:
        return None
    if target == FluxType.STRING:
        if isinstance(v, float):
            from .scalar_support import go_format_float

            return go_format_float(v)  # Go's strconv.FormatFloat(v, 'f', -1, 64)
        return to_string(v)
    raw = v.value if isinstance(v, UInt) else v.nanoseconds if isinstance(v, (Time,)) else v
    if isinstance(v, Duration):
        raw = v.nanoseconds
    if target == FluxType.FLOAT:
        return float(raw)
    if target in (FluxType.INT, FluxType.UINT, FluxType.TIME, FluxType.DURATION):
        if isinstance(raw, str):
            if target == FluxType.TIME:
                return Time(parse_rfc3339(raw))
            if target == FluxType.DURATION:
                from ..annotated_csv import parse_cell

                return Duration(0, parse_cell(raw, FluxType.DURATION))
            raw = float(raw) if any(ch in raw for ch in ".eE") else int(raw)
        n = int(raw)
        return {FluxType.INT: n, FluxType.UINT: UInt(n % (1 << 64)), FluxType.TIME: Time(n), FluxType.DURATION: Duration(0, n)}[target]
    if target == FluxType.BOOL:
        if isinstance(raw, str):
            if raw not in ("true", "false"):
                raise ValueError(f"cannot convert {raw!r} to bool")
            return raw == "true"
        return bool(raw)
    raise ValueError(f"cannot convert to {target.value}")


def convert_sql(e: exp.Expression, source: FluxType | None, target: FluxType) -> exp.Expression:
    if source == target:
        return e
    if target == FluxType.STRING:
        if source == FluxType.TIME:
            return sql.func("strftime", e, exp.Literal.string("%Y-%m-%dT%H:%M:%S.%nZ"))
        if source == FluxType.FLOAT:
            from .scalar_support import go_format_float_sql

            return go_format_float_sql(e)
        return sql.cast(e, FluxType.STRING)
    if source == FluxType.TIME and target in (FluxType.INT, FluxType.UINT, FluxType.FLOAT):
        return sql.cast(sql.func("epoch_ns", e), target)
    if source in (FluxType.INT, FluxType.UINT) and target == FluxType.TIME:
        return sql.func("make_timestamp_ns", sql.cast(e, FluxType.INT))
    if source == FluxType.FLOAT and target in (FluxType.INT, FluxType.UINT):
        return sql.cast(sql.func("trunc", e), target)
    if source == FluxType.STRING and target in (FluxType.INT, FluxType.UINT):
        return sql.cast(e, target)
    if {source, target} == {FluxType.INT, FluxType.UINT}:
        return _wrap_integer(e, target)
    return sql.cast(e, target)


TWO_64 = 1 << 64


def _wrap_integer(e: exp.Expression, target: FluxType) -> exp.Expression:
    """int <-> uint as Go converts them: the same 64 bits (uint(v: -1) is 2^64 - 1)."""
    wide = exp.Cast(this=e, to=exp.DataType.build("HUGEINT"))
    if target == FluxType.UINT:
        return sql.cast(exp.Mod(this=exp.Paren(this=exp.Add(this=wide, expression=sql.number(TWO_64))),
                                expression=sql.number(TWO_64)), FluxType.UINT)
    over = exp.GT(this=e.copy(), expression=sql.number((1 << 63) - 1))
    return sql.cast(exp.Case(ifs=[exp.If(this=over, true=exp.Sub(this=wide.copy(), expression=sql.number(TWO_64)))],
                             default=e.copy()), FluxType.INT)
