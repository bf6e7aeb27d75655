"""Flux's `internal/promql` package: the helpers that PromQL-on-Flux transpilers call.

https://docs.influxdata.com/flux/v0/stdlib/internal/promql/ . The time helpers and
`timestamp` are written in Flux (registered in FLUX_SOURCES, run when a program imports
the package). The other functions are Go builtins upstream: here they check their
arguments and build the Plan nodes of plan/promql.py. Nothing here computes data.
"""
from __future__ import annotations

import math
import re

from ..analyze.objects import Stream
from ..plan import PlanNode
from ..plan.promql import HistogramQuantile, LabelReplace, SeriesValue
from ..types import FluxType
from .flux_defined import FLUX_SOURCES
from .regexp import go_template_to_re2, python_pattern
from .registry import flux_function, package
from .streams import expect, stream_of

PKG = "internal/promql"

# https://github.com/influxdata/flux/blob/master/stdlib/internal/promql/promql.flux
# (timestamp is Flux there; the promql* time helpers are Go builtins on float seconds).
FLUX_SOURCES[PKG] = '''
import "date"

timestamp = (tables=<-) => tables |> map(fn: (r) => ({r with _value: float(v: int(v: r._time)) / 1000000000.0}))
_time_of = (timestamp) => time(v: int(v: timestamp * 1000000000.0))
promqlDayOfMonth = (timestamp) => float(v: date.monthDay(t: _time_of(timestamp)))
promqlDayOfWeek = (timestamp) => float(v: date.weekDay(t: _time_of(timestamp)))
promqlHour = (timestamp) => float(v: date.hour(t: _time_of(timestamp)))
promqlMinute = (timestamp) => float(v: date.minute(t: _time_of(timestamp)))
promqlMonth = (timestamp) => float(v: date.month(t: _time_of(timestamp)))
promqlYear = (timestamp) => float(v: date.year(t: _time_of(timestamp)))
promqlDaysInMonth = (timestamp) =>
    float(v: date.monthDay(t: date.sub(d: 1d, from: date.add(d: 1mo, to: date.truncate(t: _time_of(timestamp), unit: 1mo)))))
'''


# ---------------------------------------------------------------- range-vector functions


def _series(ctx, tables, *required: str) -> PlanNode:
    """The input stream, checked for the columns PromQL's functions read: a float
    `_value` (the type signatures say `_value: float`) and the listed time columns."""
    node = stream_of(ctx, tables)
    schema = node.schema
    if not schema.has("_value"):
        raise ctx.error("the input has no _value column")
    if schema.type_of("_value") not in (None, FluxType.FLOAT):
        raise ctx.error(f"_value must be of type float, got {schema.type_of('_value').value}")
    for label in required:
        if not schema.has(label):
            raise ctx.error(f"the input has no {label} column")
        if schema.type_of(label) not in (None, FluxType.TIME):
            raise ctx.error(f"{label} must be of type time, got {schema.type_of(label).value}")
    return node


def _bool(ctx, value, arg: str) -> bool:
    return expect(ctx, value, bool, arg, "a bool")


def _float(ctx, value, arg: str) -> float:
    return expect(ctx, value, float, arg, "a float")


def _string(ctx, value, arg: str) -> str:
    return expect(ctx, value, str, arg, "a string")


@flux_function(PKG)
def changes(ctx, tables):
    """https://docs.influxdata.com/flux/v0/stdlib/internal/promql/changes/ — PromQL's
    changes(): how many times a sample differs from the one before it."""
    return Stream(SeriesValue(_series(ctx, tables), "changes", flux_name="changes"))


@flux_function(PKG)
def resets(ctx, tables):
    """https://docs.influxdata.com/flux/v0/stdlib/internal/promql/resets/ — PromQL's
    resets(): how many times a sample is lower than the one before it (counter resets)."""
    return Stream(SeriesValue(_series(ctx, tables), "resets", flux_name="resets"))


@flux_function(PKG)
def extrapolatedRate(ctx, tables, isCounter=False, isRate=False):
    """https://docs.influxdata.com/flux/v0/stdlib/internal/promql/extrapolatedrate/ —
    PromQL's rate() (counter, rate), increase() (counter) and delta(): the change over
    each table's samples extrapolated towards its [_start, _stop) range."""
    node = _series(ctx, tables, "_time", "_start", "_stop")
    params = (("isCounter", _bool(ctx, isCounter, "isCounter")), ("isRate", _bool(ctx, isRate, "isRate")))
    return Stream(SeriesValue(node, "extrapolatedRate", params, flux_name="extrapolatedRate"))


@flux_function(PKG)
def instantRate(ctx, tables, isRate=False):
    """https://docs.influxdata.com/flux/v0/stdlib/internal/promql/instantrate/ — PromQL's
    irate() (isRate) and idelta(): from the last two samples of each table."""
    node = _series(ctx, tables, "_time")
    params = (("isRate", _bool(ctx, isRate, "isRate")),)
    return Stream(SeriesValue(node, "instantRate", params, flux_name="instantRate"))


@flux_function(PKG)
def linearRegression(ctx, tables, predict=False, fromNow=0.0):
    """https://docs.influxdata.com/flux/v0/stdlib/internal/promql/linearregression/ —
    PromQL's deriv() (the least-squares slope per second) and, with predict,
    predict_linear() (the fitted value `fromNow` seconds after _stop)."""
    predict = _bool(ctx, predict, "predict")
    node = _series(ctx, tables, "_time", *(("_stop",) if predict else ()))
    params = (("predict", predict), ("fromNow", _float(ctx, fromNow, "fromNow")))
    return Stream(SeriesValue(node, "linearRegression", params, flux_name="linearRegression"))


@flux_function(PKG)
def quantile(ctx, tables, q, method="exact_mean"):
    """https://docs.influxdata.com/flux/v0/stdlib/internal/promql/quantile/ — PromQL's
    quantile_over_time(): universe quantile() for q in [0, 1]; below that every table
    gives -Inf, above it +Inf. PromQL interpolates between samples, so the method
    defaults to exact_mean."""
    q = _float(ctx, q, "q")
    if 0.0 <= q <= 1.0:
        return ctx.call(package("universe")["quantile"], {"q": q, "method": method}, pipe=tables)
    node = stream_of(ctx, tables)
    params = (("value", -math.inf if q < 0.0 else math.inf),)
    return Stream(SeriesValue(node, "constant", params, flux_name="quantile"))


# ---------------------------------------------------------------- histograms and labels


@flux_function(PKG)
def promHistogramQuantile(ctx, tables, quantile=0.0, countColumn="_value", upperBoundColumn="le", valueColumn="_value"):
    """https://docs.influxdata.com/flux/v0/stdlib/internal/promql/promhistogramquantile/
    — PromQL's histogram_quantile() over each table (one histogram; a bucket per row)."""
    node = stream_of(ctx, tables)
    q = _float(ctx, quantile, "quantile")
    count_column = _string(ctx, countColumn, "countColumn")
    bound_column = _string(ctx, upperBoundColumn, "upperBoundColumn")
    value_column = _string(ctx, valueColumn, "valueColumn")
    schema = node.schema
    for label, arg, types in ((count_column, "countColumn", (FluxType.FLOAT,)),
                              (bound_column, "upperBoundColumn", (FluxType.FLOAT, FluxType.STRING))):
        if not schema.has(label):
            raise ctx.error(f"the input has no column {label!r}", arg)
        t = schema.type_of(label)
        if t is not None and t not in types:
            raise ctx.error(f"column {label!r} must be of type {' or '.join(x.value for x in types)}, got {t.value}", arg)
        if label in schema.key:
            raise ctx.error(f"column {label!r} must not be part of the group key", arg)
    return Stream(HistogramQuantile(node, q, count_column, bound_column, value_column))


@flux_function(PKG)
def labelReplace(ctx, tables, source, destination, regex, replacement):
    """https://docs.influxdata.com/flux/v0/stdlib/internal/promql/labelreplace/ — PromQL's
    label_replace(): where `regex` matches the whole value of the `source` column, the
    `destination` column becomes `replacement` with $1, ${name} ... expanded."""
    node = stream_of(ctx, tables)
    source = _string(ctx, source, "source")
    destination = _string(ctx, destination, "destination")
    pattern = _string(ctx, regex, "regex")
    template_text = _string(ctx, replacement, "replacement")
    for label, arg in ((source, "source"), (destination, "destination")):
        t = node.schema.type_of(label)
        if t is not None and t != FluxType.STRING:
            raise ctx.error(f"column {label!r} must be of type string, got {t.value}", arg)
    _check_pattern(ctx, pattern)
    return Stream(LabelReplace(node, source, destination, pattern, go_template_to_re2(template_text, pattern)))


# RE2 syntax Python's `re` lacks (Unicode classes, \Q...\E quoting, the ungreedy flag):
# stood in for by plain text when checking a pattern at compile time.
_RE2_ONLY = re.compile(r"\\[pP](?:\{\w+\}|\w)|\\Q.*?(?:\\E|$)|\(\?U\)")


def _check_pattern(ctx, pattern: str) -> None:
    """A pattern that cannot compile is an error here, with its position, rather than a
    failure of the generated SQL."""
    if python_pattern(_RE2_ONLY.sub("x", pattern)) is None:
        raise ctx.error(f"invalid regular expression {pattern!r}", "regex")
