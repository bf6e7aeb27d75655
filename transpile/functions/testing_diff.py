"""experimental.diff and testing.diff: the rows two streams disagree on (plan/diff.py).

https://docs.influxdata.com/flux/v0/stdlib/experimental/diff/ and
https://docs.influxdata.com/flux/v0/stdlib/testing/diff/: `want` is the "-" side, `got`
(piped in) the "+" side; tables are matched by group key and only differing rows are output.
"""
from __future__ import annotations

from ..analyze.objects import Stream
from ..analyze.operators import describe
from ..plan.diff import Diff
from .registry import flux_function
from .streams import stream_of


@flux_function("experimental", name="diff", pipe="got")
def experimental_diff(ctx, got, want):
    """experimental.diff(want, got): rows of want missing from got ("-") and the reverse ("+")."""
    return Stream(_diff(ctx, got, want))


@flux_function("testing", name="diff", pipe="got")
def testing_diff(ctx, got, want, epsilon=0.000000001, nansEqual=False, verbose=False):
    """testing.diff(want, epsilon, nansEqual): as experimental.diff; floats within epsilon are equal."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)):
        raise ctx.error(f"epsilon must be a float, got {describe(epsilon)}", "epsilon")
    if not isinstance(nansEqual, bool):
        raise ctx.error(f"nansEqual must be a bool, got {describe(nansEqual)}", "nansEqual")
    if verbose is not False:
        raise ctx.unsupported("verbose: true (detailed differences) is not supported", "verbose")
    return Stream(_diff(ctx, got, want, float(epsilon), nansEqual))


def _diff(ctx, got, want, epsilon=None, nans_equal=True) -> Diff:
    got_node, want_node = stream_of(ctx, got, "got"), stream_of(ctx, want, "want")
    if set(got_node.schema.key) != set(want_node.schema.key):
        raise ctx.unsupported(
            f"the streams are grouped by different columns ({list(want_node.schema.key)} and "
            f"{list(got_node.schema.key)}); flux2sql needs one group key per stream")
    for c in want_node.schema.columns:
        other = got_node.schema.type_of(c.label)
        if other is not None and other != c.type:
            raise ctx.unsupported(f"column {c.label!r} is {c.type.value} in want and {other.value} in got")
    return Diff(want_node, got_node, epsilon, nans_equal)
