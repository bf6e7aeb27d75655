"""`internal/debug` and `planner`: helpers of Flux's own test suite.

debug.pass/opaque/slurp change how Flux's planner executes a stream, not what it
contains, so they are the identity here; debug.sink discards its input; debug.null
is a typed null; debug.getOption reads the current value of a package option (set by the
program with `option pkg.name = ...`). https://github.com/influxdata/flux/blob/master/stdlib/internal/debug/debug.flux
"""
from __future__ import annotations

from ..analyze.objects import Stream
from ..plan import Filter
from ..scalar import Lit
from ..types import FluxType
from .registry import flux_function, package
from .streams import stream_of


def _identity(flux_name: str):
    def identity(ctx, tables):
        stream_of(ctx, tables)
        return tables

    identity.__name__ = flux_name
    return identity


for _name in ("pass", "opaque", "slurp"):
    flux_function("internal/debug", name=_name)(_identity(_name))


@flux_function("internal/debug")
def sink(ctx, tables):
    """debug.sink(): consumes the stream and outputs no tables."""
    return Stream(Filter(stream_of(ctx, tables), Lit(False, FluxType.BOOL)))


@flux_function("internal/debug", pipe=None)
def null(ctx, type="string"):
    """debug.null(type): a null value (its type only matters to Flux's type checker)."""
    return None


@flux_function("internal/debug", name="getOption", pipe=None)
def get_option(ctx, pkg, name):
    """debug.getOption(pkg, name): the value of option `name` of the package imported as `pkg`."""
    if not isinstance(pkg, str) or not isinstance(name, str):
        raise ctx.error("pkg and name must be strings")
    members = ctx.evaluator.package(pkg).members
    if name not in members:
        raise ctx.error(f"option {pkg}.{name} is not set", "name")
    return members[name]


# `option planner.disablePhysicalRules = [...]` only tunes Flux's planner.
package("planner")
