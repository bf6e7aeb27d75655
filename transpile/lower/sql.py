"""Small sqlglot builders shared by the lowering modules (DuckDB dialect).

Every piece of SQL text is produced by sqlglot from these expression trees: identifiers
are always quoted and user values always go in as literals.
"""
from __future__ import annotations

import math

from sqlglot import exp

from ..types import FluxType
from ..values import Duration, Regex, Time, UInt

DIALECT = "duckdb"

SQL_TYPES = {
    FluxType.INT: "BIGINT",
    FluxType.UINT: "UBIGINT",
    FluxType.FLOAT: "DOUBLE",
    FluxType.STRING: "VARCHAR",
    FluxType.BOOL: "BOOLEAN",
    FluxType.TIME: "TIMESTAMP_NS",
    FluxType.DURATION: "BIGINT",  # durations are nanoseconds
}


def sql_type(t: FluxType | None) -> exp.DataType:
    # Built from the type's enum member: DataType.build parses the name, which costs
    # more than the rest of a small CAST.
    return exp.DataType(this=_DATA_TYPES[SQL_TYPES.get(t, "VARCHAR")], nested=False)


_DATA_TYPES = {name: exp.DataType.build(name, dialect=DIALECT).this for name in set(SQL_TYPES.values()) | {"VARCHAR"}}


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def func(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def cast(e: exp.Expression, t: FluxType | None) -> exp.Expression:
    return exp.Cast(this=e, to=sql_type(t))


def alias(e: exp.Expression, name: str) -> exp.Expression:
    if isinstance(e, exp.Column) and e.name == name and not e.table:
        return e
    return exp.Alias(this=e, alias=ident(name))


def null(t: FluxType | None = None) -> exp.Expression:
    return cast(exp.Null(), t) if t is not None else exp.Null()


def time_literal(ns: int) -> exp.Expression:
    """`CAST('2024-01-01 00:00:00.123456789' AS TIMESTAMP_NS)`, exact to the nanosecond."""
    from ..timefmt import format_rfc3339

    text = format_rfc3339(ns).replace("T", " ").rstrip("Z")
    return exp.Cast(this=exp.Literal.string(text), to=sql_type(FluxType.TIME))


def number(v: int | float) -> exp.Expression:
    if isinstance(v, float):
        if math.isnan(v):
            return exp.Cast(this=exp.Literal.string("NaN"), to=sql_type(FluxType.FLOAT))
        if math.isinf(v):
            return exp.Cast(this=exp.Literal.string("Infinity" if v > 0 else "-Infinity"), to=sql_type(FluxType.FLOAT))
        text = repr(v)
        return exp.Literal.number(text)
    if v < 0:
        return exp.Neg(this=exp.Literal.number(str(-v)))
    return exp.Literal.number(str(v))


def literal(value, t: FluxType | None = None) -> exp.Expression:
    """A constant as SQL with the right type."""
    if value is None:
        return null(t)
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        lit = number(value)
        return cast(lit, FluxType.INT) if abs(value) > 2**31 - 1 else lit
    if isinstance(value, float):
        e = number(value)
        return e if isinstance(e, exp.Cast) else cast(e, FluxType.FLOAT)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, Time):
        return time_literal(value.nanoseconds)
    if isinstance(value, UInt):
        return cast(number(value.value), FluxType.UINT)
    if isinstance(value, Duration):
        if value.months:
            return exp.Interval(this=exp.Literal.string(str(value.months)), unit=exp.var("MONTH"))
        return number(value.nanoseconds)
    if isinstance(value, Regex):
        return exp.Literal.string(value.pattern)
    raise TypeError(f"no SQL literal for {value!r}")


def interval_ns(ns: int) -> exp.Expression:
    """A DuckDB INTERVAL for a whole number of microseconds (DuckDB intervals are µs)."""
    return func("to_microseconds", number(ns // 1000))


def and_all(preds: list[exp.Expression]) -> exp.Expression | None:
    if not preds:
        return None
    out = preds[0]
    for p in preds[1:]:
        out = exp.And(this=out, expression=p)
    return out


def over(fn: exp.Expression, partition: list[exp.Expression], order: list[exp.Ordered] | None = None, frame=None) -> exp.Window:
    kwargs = {"this": fn}
    if partition:
        kwargs["partition_by"] = partition
    if order:
        kwargs["order"] = exp.Order(expressions=order)
    if frame is not None:
        kwargs["spec"] = frame
    return exp.Window(**kwargs)


def ordered(e: exp.Expression, desc: bool = False, nulls_first: bool | None = None) -> exp.Ordered:
    if nulls_first is None:
        nulls_first = not desc
    return exp.Ordered(this=e, desc=desc, nulls_first=nulls_first)


def union_all(selects: list) -> exp.Expression:
    """`a UNION ALL b UNION ALL ...` of SELECTs (the first one alone if there is one)."""
    union = selects[0]
    for select in selects[1:]:
        union = exp.Union(this=union, expression=select, distinct=False)
    return union
