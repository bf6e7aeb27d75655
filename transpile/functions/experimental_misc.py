"""Small `experimental` functions that reuse universe ones.

experimental.window is universe window() (its differences are in Flux's planner, not in
the rows); experimental.preview limits a stream to its first tables and rows.
https://docs.influxdata.com/flux/v0/stdlib/experimental/window/ and /preview/
"""
from __future__ import annotations

from ..analyze.objects import Stream
from ..plan import Selector
from ..plan.preview import FirstTables
from . import universe  # noqa: F401  (registers window, which is aliased below)
from .registry import alias, flux_function
from .streams import stream_of

alias("experimental", "window", "universe", "window")


@flux_function("experimental")
def preview(ctx, tables, nrows=5, ntables=5):
    """The first `ntables` tables of the stream, each cut to its first `nrows` rows."""
    node = stream_of(ctx, tables)
    for name, value in (("nrows", nrows), ("ntables", ntables)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ctx.error(f"{name} must be a non-negative integer", name)
    limited = Selector(node, "limit", "_value", (("n", nrows), ("offset", 0)), flux_name="preview")
    return Stream(FirstTables(limited, ntables))
