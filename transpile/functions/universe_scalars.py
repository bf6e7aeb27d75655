"""Scalar helpers of Flux's universe package: `contains(value, set)` and `length(arr)`.

https://docs.influxdata.com/flux/v0/stdlib/universe/contains/ and .../length/ . Arrays are
compile-time lists (their elements may be row values); `contains` with any row value
lowers to SQL `IN`, `false` rather than null when nothing matches.
"""
from __future__ import annotations

from sqlglot import exp

from ..analyze.objects import RowValue
from ..analyze.operators import _comparable
from ..lower import sql
from ..types import FluxType
from .registry import flux_function
from .scalar_support import ROW_ARRAY_CALLS, is_row, paren, register_sql, row_call

CONTAINS_CALL = "flux2sql.contains"
LENGTH_CALL = "flux2sql.list_length"


def _contains_sql(args, types):
    value, *members = args
    if not members:
        return exp.false()
    return sql.func("coalesce", exp.In(this=paren(value), expressions=members), exp.false())


register_sql(CONTAINS_CALL, _contains_sql, FluxType.BOOL)
# contains() over an array computed by the query (a row array, e.g. getColumn()).
LIST_CONTAINS_CALL = "flux2sql.list_contains"
register_sql(LIST_CONTAINS_CALL, lambda a, t: sql.func("coalesce", sql.func("list_contains", a[0], a[1]), exp.false()), FluxType.BOOL)
register_sql(LENGTH_CALL, lambda a, t: sql.cast(sql.func("len", a[0]), FluxType.INT), FluxType.INT)


@flux_function("universe", pipe=None)
def contains(ctx, value, set):
    """contains(value, set): whether the array `set` holds `value`."""
    if isinstance(set, RowValue) and getattr(set.scalar, "fn", None) in ROW_ARRAY_CALLS:
        return row_call(LIST_CONTAINS_CALL, (set, value), FluxType.BOOL, ctx.span)
    if not isinstance(set, list):
        raise ctx.error("set must be an array", "set")
    if is_row(value, *set):
        return row_call(CONTAINS_CALL, (value, *set), FluxType.BOOL, ctx.span)
    if value is None:
        return False
    return any(v is not None and type(v) is type(value) and _comparable(v) == _comparable(value) for v in set)


@flux_function("universe", pipe=None)
def length(ctx, arr):
    """length(arr): the number of elements of an array."""
    if isinstance(arr, RowValue) and getattr(arr.scalar, "fn", None) in ROW_ARRAY_CALLS:
        return row_call(LENGTH_CALL, (arr,), FluxType.INT, ctx.span)
    if not isinstance(arr, list):
        raise ctx.error("arr must be an array", "arr")
    return len(arr)
