"""One stream held as several type variants, so a pivot can bring them back together.

A stream has one type per column (see transpile.compile), so a source whose tables
disagree on a column's type (`_value` of fields of mixed types, from a bucket or a CSV) is
split into type groups, and the program is normally compiled once per group. That is
right for every function that works table by table, but wrong for `pivot()` (and so
`fieldsAsCols()`, `geo.toRows()`, `monitor.stateChanges()` after them): pivot turns
fields of different types into columns of one row, so it must see every group at once.

Before splitting the whole program, `transpile.compile` therefore evaluates it once more
with the source in all its type groups at once (`AllChoices`): the source gives a
`StreamVariants`, each builtin applied to it is applied to every variant (`map_call`),
and a function that can merge variants (pivot) receives them all. Variants whose columns
come to agree (after `keys()`, or a conversion of `_value`) become one stream again. If
anything else would need the variants merged (a yield, a join, a function that returns no
stream), evaluation raises `NeedsSplit` and the program is compiled once per type group as
before.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..plan import Union
from .objects import Stream


class NeedsSplit(Exception):
    """The variants of a stream reached a place that cannot take them together."""


@dataclass(frozen=True)
class AllChoices:
    """`source_types` entry asking a source for all its type groups at once."""

    choices: tuple


@dataclass(frozen=True)
class StreamVariants:
    """The same stream once per type group of source `site`, in the source's choice order."""

    site: int
    streams: tuple[Stream, ...]

    @property
    def node(self):
        # Code that wants one plan node cannot use the variants.
        raise NeedsSplit()


def merges_variants(fn) -> bool:
    """Whether a builtin's implementation takes `StreamVariants` itself (e.g. pivot)."""
    return getattr(fn, "merges_variants", False)


def map_call(call, kwargs: dict):
    """Apply `call(**kwargs)` to each variant of the `StreamVariants` among the arguments."""
    variants = [v for v in kwargs.values() if isinstance(v, StreamVariants)]
    site, count = variants[0].site, len(variants[0].streams)
    if any(v.site != site or len(v.streams) != count for v in variants):
        raise NeedsSplit()
    results = []
    for i in range(count):
        args = {k: v.streams[i] if isinstance(v, StreamVariants) else v for k, v in kwargs.items()}
        results.append(call(**args))
    if not all(isinstance(r, Stream) for r in results):
        raise NeedsSplit()
    return _merged(results) or StreamVariants(site, tuple(results))


def _merged(results: list[Stream]) -> Stream | None:
    """The variants as one stream, once no column has two types in them (e.g. after
    `keys()` or a conversion of `_value`) and no step has yet mixed rows of different
    variants' tables: then their union is exactly the stream Flux has."""
    nodes = [r.node for r in results]
    types: dict = {}
    for n in nodes:
        for c in n.schema.columns:
            if types.setdefault(c.label, c.type) != c.type:
                return None
    if not all(_tables_stay_apart(n) for n in nodes):
        return None
    return Stream(Union(tuple(nodes)))


def _tables_stay_apart(node) -> bool:
    """True when every table of `node` comes from one table of its source: each step has
    one input and keeps at least the input's group key (so it never merges tables)."""
    while node.inputs:
        if len(node.inputs) != 1:
            return False
        below = node.inputs[0]
        if not set(below.schema.key) <= set(node.schema.key):
            return False
        node = below
    return True
