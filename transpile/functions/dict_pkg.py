"""Flux's `dict` package: dictionaries are compile-time values; lookups may be per row.

https://docs.influxdata.com/flux/v0/stdlib/dict/ . `dict.get` with a key computed from
the row becomes a CASE over the dictionary's entries (`key = k1 THEN v1 ...`).
"""
from __future__ import annotations

from ..analyze.objects import FluxDict, Record, RowValue
from ..analyze.operators import scalar_type, to_scalar
from ..scalar import Call, Lit
from ..types import FluxType
from .registry import flux_function

PKG = "dict"


def _dict_arg(ctx, d) -> FluxDict:
    if not isinstance(d, FluxDict):
        raise ctx.error("dict must be a dictionary", "dict")
    return d


def _key(ctx, key):
    if isinstance(key, RowValue):
        raise ctx.unsupported("the key must be a constant here", "key")
    return key


@flux_function(PKG, pipe=None)
def fromList(ctx, pairs):
    """dict.fromList(pairs: [{key, value}, ...]): a dictionary (a later pair replaces an earlier one)."""
    if not isinstance(pairs, list) or not all(isinstance(p, Record) and set(p.fields) == {"key", "value"} for p in pairs):
        raise ctx.error("pairs must be an array of {key, value} records", "pairs")
    return FluxDict({p.fields["key"]: p.fields["value"] for p in pairs})


@flux_function(PKG, pipe=None)
def insert(ctx, dict, key, value):
    """dict.insert(dict, key, value): a new dictionary with key set to value."""
    items = _dict_arg(ctx, dict).items.copy()
    items[_key(ctx, key)] = value
    return FluxDict(items)


@flux_function(PKG, pipe=None)
def remove(ctx, dict, key):
    """dict.remove(dict, key): a new dictionary without key."""
    items = _dict_arg(ctx, dict).items.copy()
    items.pop(_key(ctx, key), None)
    return FluxDict(items)


@flux_function(PKG, pipe=None)
def get(ctx, dict, key, default):
    """dict.get(dict, key, default): the value of key, or default when it is absent."""
    items = _dict_arg(ctx, dict).items
    if not isinstance(key, RowValue):
        return items.get(key, default)
    key_scalar = key.scalar
    out = to_scalar(default, ctx.arg_spans.get("default"))
    result_type = scalar_type(out)
    for k, v in reversed(list(items.items())):
        value = to_scalar(v, ctx.arg_spans.get("dict"))
        result_type = result_type or scalar_type(value)
        test = Call("==", (key_scalar, Lit(k, scalar_type(to_scalar(k)))), FluxType.BOOL)
        out = Call("if", (test, value, out), result_type)
    if isinstance(out, Call):
        out = Call(out.fn, out.args, result_type)
    return RowValue(out)
