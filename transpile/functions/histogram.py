"""histogram(), histogramQuantile(), linearBins(), logarithmicBins() and their
experimental twins. https://docs.influxdata.com/flux/v0/stdlib/universe/histogram/
"""
from __future__ import annotations

from ..analyze.objects import Stream
from ..plan.histogram import Histogram, HistogramQuantile
from .registry import alias, flux_function
from .streams import stream_of

NONMONOTONIC = ("error", "drop", "force")


def _number(ctx, value, arg: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.error(f"{arg} must be a number", arg)
    return float(value)


@flux_function("universe")
def histogram(ctx, tables, bins, column="_value", upperBoundColumn="le", countColumn="_value", normalize=False):
    """histogram(bins, column, upperBoundColumn, countColumn, normalize): cumulative counts per bin."""
    node = stream_of(ctx, tables)
    if not isinstance(bins, list) or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bins):
        raise ctx.error("bins must be an array of floats", "bins")
    if not node.schema.has(column):
        raise ctx.error(f"column {column!r} does not exist", "column")
    bounds = tuple(sorted(float(b) for b in bins))
    return Stream(Histogram(node, column, upperBoundColumn, countColumn, bounds, bool(normalize)))


@flux_function("universe")
def histogramQuantile(ctx, tables, quantile, countColumn="_value", upperBoundColumn="le", valueColumn="_value",
                      minValue=0.0, onNonmonotonic="error"):
    """histogramQuantile(): https://docs.influxdata.com/flux/v0/stdlib/universe/histogramquantile/"""
    node = stream_of(ctx, tables)
    q = _number(ctx, quantile, "quantile")
    if not 0.0 <= q <= 1.0:
        raise ctx.error("quantile must be between 0.0 and 1.0", "quantile")
    if onNonmonotonic not in NONMONOTONIC:
        raise ctx.error(f"onNonmonotonic must be one of {', '.join(NONMONOTONIC)}", "onNonmonotonic")
    for arg, col in (("countColumn", countColumn), ("upperBoundColumn", upperBoundColumn)):
        if not node.schema.has(col):
            raise ctx.error(f"column {col!r} does not exist", arg)
    return Stream(HistogramQuantile(node, q, countColumn, upperBoundColumn, valueColumn, _number(ctx, minValue, "minValue"),
                                    onNonmonotonic))


@flux_function("universe", pipe=None)
def linearBins(ctx, start, width, count, infinity=True):
    """linearBins(): count bounds from start, width apart (+Inf appended when infinity)."""
    start, width = _number(ctx, start, "start"), _number(ctx, width, "width")
    bins = [start + i * width for i in range(int(count))]
    return bins + [float("inf")] if infinity else bins


@flux_function("universe", pipe=None)
def logarithmicBins(ctx, start, factor, count, infinity=True):
    """logarithmicBins(): count bounds from start, each factor times the previous."""
    start, factor = _number(ctx, start, "start"), _number(ctx, factor, "factor")
    bins = [start * factor**i for i in range(int(count))]
    return bins + [float("inf")] if infinity else bins


alias("experimental", "histogram", "universe", "histogram")
alias("experimental", "histogramQuantile", "universe", "histogramQuantile")
