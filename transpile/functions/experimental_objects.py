"""`experimental.objectKeys()`: the labels of a record, as an array of strings.

https://docs.influxdata.com/flux/v0/stdlib/experimental/objectkeys/
Records are compile-time values here (a row record's labels are its schema's columns).
"""
from __future__ import annotations

from ..analyze.objects import Record, RowRecord
from .registry import flux_function


@flux_function("experimental", pipe=None)
def objectKeys(ctx, o):
    """experimental.objectKeys(o): the labels of record `o` in order."""
    if not isinstance(o, (Record, RowRecord)):
        raise ctx.error("o must be a record", "o")
    return list(o.fields)
