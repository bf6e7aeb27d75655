"""Flux type conversions (`float(v:)`, `int(v:)`, `string(v:)`, ...): constants and SQL.

https://docs.influxdata.com/flux/v0/stdlib/universe/float/ and siblings. Flux converts
strings by parsing them, bools to 0/1, times to nanoseconds, floats to ints by truncation.
"""
from __future__ import annotations

import re

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
                # time(v: "2021-01-01") is 2021-01-01T00:00:00Z
                # (https://docs.influxdata.com/flux/v0/data-types/basic/time/).
                return Time(parse_rfc3339(raw + "T00:00:00Z" if _DATE_ONLY.fullmatch(raw) else raw))
            if target == FluxType.DURATION:
                from ..annotated_csv import parse_cell

                return Duration(0, parse_cell(raw, FluxType.DURATION))
            # Go's strconv.ParseInt / ParseUint: digits only ("3.7" and "1e3" are errors).
            if not (_INT_TEXT if target != FluxType.UINT else _UINT_TEXT).fullmatch(raw):
                raise ValueError(f"cannot convert string {raw!r} to {target.value}: not an integer")
            raw = int(raw)
        n = int(raw)
        return {FluxType.INT: n, FluxType.UINT: UInt(n % (1 << 64)), FluxType.TIME: Time(n), FluxType.DURATION: Duration(0, n)}[target]
    if target == FluxType.BOOL:
        # Strings must be "true" or "false", numbers 0 or 1
        # (https://docs.influxdata.com/flux/v0/data-types/basic/bool/).
        if isinstance(raw, str):
            if raw not in ("true", "false"):
                raise ValueError(f"cannot convert {raw!r} to bool")
            return raw == "true"
        if isinstance(raw, bool) or raw in (0, 1):
            return bool(raw)
        raise ValueError(f"cannot convert {raw!r} to bool (a number must be 0 or 1)")
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
    if source == FluxType.STRING and target == FluxType.TIME:
        return _rfc3339_sql(e)
    if source in (FluxType.STRING, FluxType.INT, FluxType.UINT, FluxType.FLOAT) and target == FluxType.BOOL:
        return _bool_sql(e, source)
    if source in (FluxType.INT, FluxType.UINT) and target == FluxType.TIME:
        return sql.func("make_timestamp_ns", sql.cast(e, FluxType.INT))
    if source == FluxType.FLOAT and target in (FluxType.INT, FluxType.UINT):
        return sql.cast(sql.func("trunc", e), target)
    if source == FluxType.STRING and target in (FluxType.INT, FluxType.UINT):
        return _integer_text_sql(e, target)
    if {source, target} == {FluxType.INT, FluxType.UINT}:
        return _wrap_integer(e, target)
    return sql.cast(e, target)


TWO_64 = 1 << 64
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_TEXT, _UINT_TEXT = re.compile(r"[+-]?[0-9]+"), re.compile(r"\+?[0-9]+")


def _integer_text_sql(e: exp.Expression, target: FluxType) -> exp.Expression:
    """int(v:)/uint(v:) of a string per row: digits only, as Go's ParseInt/ParseUint (DuckDB's
    cast would round "3.7" to 4)."""
    pattern = (_INT_TEXT if target == FluxType.INT else _UINT_TEXT).pattern
    message = exp.Literal.string(f"{target.value}(): cannot convert a string that is not an integer")
    return exp.Case(ifs=[exp.If(this=exp.Is(this=e.copy(), expression=exp.Null()), true=sql.null(target)),
                         exp.If(this=sql.func("regexp_full_match", e.copy(), exp.Literal.string(pattern)),
                                true=sql.cast(e, target))],
                    default=sql.cast(sql.func("error", message), target))


def _rfc3339_sql(e: exp.Expression) -> exp.Expression:
    """An RFC3339 string as TIMESTAMP_NS in UTC, exact to the nanosecond.

    DuckDB's cast to TIMESTAMP_NS keeps the wall-clock time and drops a `+01:00` offset, and
    its TIMESTAMPTZ is microseconds, so the offset is subtracted here as integer nanoseconds.
    """
    offset = exp.Literal.string(r"[+-]\d\d:\d\d$")
    sign = exp.Case(ifs=[exp.If(this=exp.EQ(this=sql.func("substr", e.copy(), sql.number(-6), sql.number(1)),
                                            expression=exp.Literal.string("-")),
                                true=sql.number(-1))], default=sql.number(1))
    part = lambda start: sql.cast(sql.func("substr", e.copy(), sql.number(start), sql.number(2)), FluxType.INT)
    seconds = exp.Add(this=exp.Mul(this=part(-5), expression=sql.number(3600)),
                      expression=exp.Mul(this=part(-2), expression=sql.number(60)))
    offset_ns = exp.Case(ifs=[exp.If(this=sql.func("regexp_matches", e.copy(), offset),
                                     true=exp.Mul(this=exp.Mul(this=sign, expression=exp.Paren(this=seconds)),
                                                  expression=sql.number(1_000_000_000)))],
                         default=sql.number(0))
    wall_clock = sql.func("epoch_ns", sql.cast(e, FluxType.TIME))
    return sql.func("make_timestamp_ns", exp.Sub(this=wall_clock, expression=offset_ns))


def _bool_sql(e: exp.Expression, source: FluxType) -> exp.Expression:
    """bool(v:) per row: "true"/"false" or 0/1, anything else is an error as in Flux."""
    true, false = ("true", "false") if source == FluxType.STRING else (1, 0)
    literal = exp.Literal.string if source == FluxType.STRING else sql.number
    message = exp.Literal.string("bool(): cannot convert a value other than "
                                 + ('"true" or "false"' if source == FluxType.STRING else "0 or 1") + " to bool")
    return exp.Case(ifs=[exp.If(this=exp.Is(this=e.copy(), expression=exp.Null()), true=sql.null(FluxType.BOOL)),
                         exp.If(this=exp.EQ(this=e.copy(), expression=literal(true)), true=exp.true()),
                         exp.If(this=exp.EQ(this=e.copy(), expression=literal(false)), true=exp.false())],
                    default=sql.cast(sql.func("error", message), FluxType.BOOL))


def _wrap_integer(e: exp.Expression, target: FluxType) -> exp.Expression:
    """int <-> uint as Go converts them: the same 64 bits (uint(v: -1) is 2^64 - 1)."""
    wide = exp.Cast(this=e, to=exp.DataType.build("HUGEINT"))
    if target == FluxType.UINT:
        return sql.cast(exp.Mod(this=exp.Paren(this=exp.Add(this=wide, expression=sql.number(TWO_64))),
                                expression=sql.number(TWO_64)), FluxType.UINT)
    over = exp.GT(this=e.copy(), expression=sql.number((1 << 63) - 1))
    return sql.cast(exp.Case(ifs=[exp.If(this=over, true=exp.Sub(this=wide.copy(), expression=sql.number(TWO_64)))],
                             default=e.copy()), FluxType.INT)
