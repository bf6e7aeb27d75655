"""Flux's `experimental/iox` package: iox.sqlInterval() (the others query a remote IOx).

iox.sqlInterval(d) writes a duration as a SQL interval string, its calendar part in years
and months and its fixed part in weeks, days, hours, minutes, seconds, milliseconds,
microseconds and nanoseconds, leaving out zero units: `1y2mo3w4d5h6m7s8ms` gives
"1 years 2 months 3 weeks 4 days 5 hours 6 minutes 7 seconds 8 milliseconds".
https://docs.influxdata.com/flux/v0/stdlib/experimental/iox/sqlinterval/

Durations computed per row are nanoseconds (no calendar part), so the duration of a text
column, `duration(v: r.s)`, is read from its text here: that keeps `1y2mo` exact.
Must not: format SQL text (templates of fixed SQL only).
"""
from __future__ import annotations

from ..analyze.objects import RowValue
from ..scalar import Call
from ..types import FluxType
from ..values import NS_PER_UNIT, Duration
from .registry import flux_function
from .scalar_support import register_sql, row_call, template

PKG = "experimental/iox"
_FROM_NANOSECONDS = "experimental/iox.sqlInterval.nanoseconds"
_FROM_TEXT = "experimental/iox.sqlInterval.text"

_NS_UNITS = (("weeks", "w"), ("days", "d"), ("hours", "h"), ("minutes", "m"), ("seconds", "s"),
             ("milliseconds", "ms"), ("microseconds", "us"), ("nanoseconds", "ns"))


def sql_interval(d: Duration) -> str:
    """The interval text of a duration (units keep the duration's sign)."""
    sign = -1 if (d.months < 0 or d.nanoseconds < 0) else 1
    months, nanos = abs(d.months), abs(d.nanoseconds)
    amounts = [("years", months // 12), ("months", months % 12)]
    for name, unit in _NS_UNITS:
        amounts.append((name, nanos // NS_PER_UNIT[unit]))
        nanos %= NS_PER_UNIT[unit]
    return " ".join(f"{sign * n} {name}" for name, n in amounts if n)


def _format_sql(months, nanos):
    """SQL of sql_interval() over BIGINT months and nanoseconds (DuckDB's // and % truncate
    toward zero, so negative durations get negative units, as in the fold)."""
    parts = ["CASE WHEN k // 12 <> 0 THEN CAST(k // 12 AS VARCHAR) || ' years' END",
             "CASE WHEN k % 12 <> 0 THEN CAST(k % 12 AS VARCHAR) || ' months' END"]
    rest = None
    for name, unit in _NS_UNITS:
        size = NS_PER_UNIT[unit]
        value = f"v // {size}" if rest is None else f"v % {rest} // {size}"
        parts.append(f"CASE WHEN {value} <> 0 THEN CAST({value} AS VARCHAR) || ' {name}' END")
        rest = size
    text = ("list_transform([CAST(n AS BIGINT)], v -> list_transform([CAST(mo AS BIGINT)], k -> concat_ws(' ', "
            + ", ".join(parts) + "))[1])[1]")
    return template(text, n=nanos, mo=months)


# A Flux duration literal: an optional sign, then amounts with units (longest unit names
# first, so that `ms` is not read as `m`).
_UNIT_ALTERNATION = "mo|ms|us|µs|ns|y|w|d|h|m|s"
_TEXT_SQL = f"""
CASE WHEN regexp_full_match(s, '-?([0-9]+({_UNIT_ALTERNATION}))+') THEN
  CASE WHEN starts_with(s, '-') THEN -1 ELSE 1 END * coalesce(list_sum(list_transform(
    regexp_extract_all(s, '[0-9]+({_UNIT_ALTERNATION})'),
    x -> CAST(regexp_extract(x, '^[0-9]+') AS BIGINT) * CASE regexp_extract(x, '[a-zµ]+$') {{cases}} ELSE 0 END)), 0)
ELSE error('invalid duration: ' || s) END
"""
_MONTH_CASES = "WHEN 'y' THEN 12 WHEN 'mo' THEN 1"
_NANOSECOND_CASES = " ".join(f"WHEN '{u}' THEN {n}" for u, n in NS_PER_UNIT.items())


def _text_sql(args, types):
    text = args[0]
    months = template(_TEXT_SQL.replace("{cases}", _MONTH_CASES), s=text)
    nanos = template(_TEXT_SQL.replace("{cases}", _NANOSECOND_CASES), s=text)
    return _format_sql(months, nanos)


register_sql(_FROM_NANOSECONDS, lambda args, types: _format_sql(template("0"), args[0]), FluxType.STRING)
register_sql(_FROM_TEXT, _text_sql, FluxType.STRING)


@flux_function(PKG, name="sqlInterval", pipe=None)
def sql_interval_fn(ctx, d):
    """iox.sqlInterval(d): the SQL interval text of a duration (constant or per row)."""
    if d is None:
        return None
    if isinstance(d, Duration):
        return sql_interval(d)
    if isinstance(d, RowValue):
        scalar = d.scalar
        if isinstance(scalar, Call) and scalar.fn == "duration" and getattr(scalar.args[0], "type", None) == FluxType.STRING:
            return RowValue(Call(_FROM_TEXT, scalar.args, FluxType.STRING))
        if scalar.type == FluxType.DURATION:
            return row_call(_FROM_NANOSECONDS, [d], FluxType.STRING, ctx.span)
    raise ctx.error("d must be a duration", "d")

