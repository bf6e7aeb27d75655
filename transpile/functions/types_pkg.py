"""Flux's `types` package: type tests, decided at compile time from the static column types.

https://docs.influxdata.com/flux/v0/stdlib/types/ . Every column of a flux2sql stream has
one static type, so `types.isType(v: r._value, type: "int")` is a constant per stream
(a null cell of an int column is still an int, as in Flux's typed columns).
"""
from __future__ import annotations

from ..analyze.objects import Closure, Builtin, FluxDict, Record, RowRecord, RowValue, Stream
from ..analyze.operators import scalar_type, type_of_constant
from ..scalar import Lit
from ..types import FluxType
from ..values import Regex
from .registry import flux_function

PKG = "types"
TYPE_NAMES = ("string", "bytes", "int", "uint", "float", "bool", "time", "duration", "regexp")
_NUMERIC = {FluxType.INT, FluxType.UINT, FluxType.FLOAT}


def type_name(ctx, v, arg: str = "v") -> str | None:
    """The Flux basic type name of a value (None: not a basic type)."""
    if isinstance(v, RowValue):
        t = scalar_type(v.scalar)
        if t is None and isinstance(v.scalar, Lit) and v.scalar.value is None:
            return None  # a column the row does not have: null, of no type
        if t is None:
            raise ctx.unsupported("the type of this value is not known at compile time", arg)
        return t.value
    if isinstance(v, Regex):
        return "regexp"
    if isinstance(v, (Record, RowRecord, FluxDict, list, Closure, Builtin, Stream)):
        return None
    t = type_of_constant(v)
    return t.value if t is not None else None


@flux_function(PKG, pipe=None)
def isType(ctx, v, type):
    """types.isType(v, type): whether v has the basic type named by `type`."""
    if type not in TYPE_NAMES:
        raise ctx.error(f"type must be one of {', '.join(TYPE_NAMES)}", "type")
    return type_name(ctx, v) == type


@flux_function(PKG, pipe=None)
def isNumeric(ctx, v):
    """types.isNumeric(v): whether v is an int, uint or float."""
    return type_name(ctx, v) in {t.value for t in _NUMERIC}
