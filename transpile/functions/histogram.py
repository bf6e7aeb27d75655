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


@flux_function("experimental/prometheus", name="histogramQuantile")
def prometheus_histogram_quantile(ctx, tables, quantile, metricVersion=2, onNonmonotonic="force"):
    """prometheus.histogramQuantile(quantile, metricVersion: 2, onNonmonotonic: "force").

    Flux defines it (stdlib/experimental/prometheus/prometheus.flux, metric version 2) as
    below; version 1 reads the bound from `_field` instead of `le` and drops the sum and count fields:
    filter(_measurement == "prometheus") |> group(mode: "except", columns: ["le", "_value"])
    |> map(le: float(v: r.le)) |> histogramQuantile(quantile, onNonmonotonic)
    |> group(mode: "except", columns: ["le", "_value", "_time"]) |> set(key: "quantile",
    value: string(v: quantile)) |> experimental.group(columns: ["quantile"], mode: "extend").
    https://docs.influxdata.com/flux/v0/stdlib/experimental/prometheus/histogramquantile/
    """
    from ..plan import Filter, Group
    from ..scalar import Call, Col, Lit
    from ..types import FluxType
    from . import universe
    from .reshape import experimental_group
    from .streams import project

    if metricVersion not in (1, 2):
        raise ctx.error("metricVersion must be 1 or 2", "metricVersion")
    node = stream_of(ctx, tables)
    q = _number(ctx, quantile, "quantile")
    # Version 2 stores the bound in an `le` tag of measurement "prometheus"; version 1 in
    # the field name of a measurement named after the metric.
    bound = "le" if metricVersion == 2 else "_field"
    if not node.schema.has(bound):
        raise ctx.error(f"the input has no {bound} column", "tables")
    field = Col("_field", FluxType.STRING)
    if metricVersion == 2:
        node = Filter(node, Call("==", (Col("_measurement", FluxType.STRING), Lit("prometheus", FluxType.STRING)), FluxType.BOOL))
    else:  # the summary fields beside the buckets
        keep = [Call("!=", (field, Lit(f, FluxType.STRING)), FluxType.BOOL) for f in ("sum", "count")]
        node = Filter(node, Call("and", tuple(keep), FluxType.BOOL))
    node = Group(node, tuple(c for c in node.schema.labels if c not in (bound, "_value")))
    source = Col(bound, node.schema.type_of(bound))
    cols = [(c.label, Col(c.label, c.type)) for c in node.schema.columns if c.label not in (bound, "le")]
    cols.append(("le", Call("float", (source,), FluxType.FLOAT)))
    node = project(node, cols, node.schema.key, "map")
    quantiles = histogramQuantile(ctx, Stream(node), q, onNonmonotonic=onNonmonotonic)
    regrouped = universe.group(ctx, quantiles, ["le", "_value", "_time"], mode="except")
    labelled = universe.set(ctx, regrouped, "quantile", universe.to_string(q))
    return experimental_group(ctx, labelled, ["quantile"], "extend")
