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
and a function that can merge variants (pivot) receives them all. If anything else would
need the variants merged (a yield, a join, a function that returns no stream), evaluation
raises `NeedsSplit` and the program is compiled once per type group as before.
"""
from __future__ import annotations

from dataclasses import dataclass

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
    return StreamVariants(site, tuple(results))
