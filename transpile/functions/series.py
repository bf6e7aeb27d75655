"""The time-series math functions of Flux's universe (and their experimental variants):
argument checking and the Plan nodes they build (plan/series.py).

Functions that Flux itself defines in Flux from other functions (increase, doubleEMA,
tripleEMA, kaufmansER, aggregate.rate) are composed here the same way, so they keep the
semantics of their parts. Nothing here computes data: lowering turns the nodes into SQL.
"""
from __future__ import annotations

from ..analyze.operators import type_of_constant

from ..analyze.objects import Builtin, Record, RowValue, Stream
from ..analyze.operators import describe
from ..plan.series import ChandeMomentumOscillator, InterpolateLinear, KaufmansAMA, PercentChange, RelativeStrengthIndex, TimedMovingAverage
from ..plan.series import CumulativeSum, Derivative, Difference, Elapsed, Fill, HourSelection, Integral, MovingAverage, StateTracking
from ..scalar import Call, Col, Lit
from ..types import FluxType
from ..values import Duration
from .registry import alias, flux_function, package
from .streams import apply_row_fn, duration_arg, function_arg, project, stream_of, string_list

SECOND = Duration(0, 1_000_000_000)


def unit_ns(ctx, value, arg: str = "unit") -> int:
    """A positive fixed duration in nanoseconds (calendar units have no fixed length)."""
    d = duration_arg(ctx, value, arg)
    if d.months:
        raise ctx.unsupported(f"{arg} must be a fixed duration (no mo/y units), got {d}", arg)
    if d.nanoseconds <= 0:
        raise ctx.error(f"{arg} must be a positive duration, got {d}", arg)
    return d.nanoseconds


def positive_int(ctx, value, arg: str = "n") -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ctx.error(f"{arg} must be an int, got {describe(value)}", arg)
    if value <= 0:
        raise ctx.error(f"{arg} must be greater than 0, got {value}", arg)
    return value


def boolean(ctx, value, arg: str) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(f"{arg} must be a bool, got {describe(value)}", arg)
    return value


def column_name(ctx, value, arg: str) -> str:
    if not isinstance(value, str):
        raise ctx.error(f"{arg} must be a string, got {describe(value)}", arg)
    return value


def time_column(ctx, node, value, arg: str = "timeColumn") -> str:
    """The name of an existing column of type time."""
    label = column_name(ctx, value, arg)
    if not node.schema.has(label):
        raise ctx.error(f"no column {label!r} exists", arg)
    if node.schema.type_of(label) != FluxType.TIME:
        raise ctx.error(f"column {label!r} is of type {node.schema.type_of(label).value}, not time", arg)
    return label


def value_column(ctx, node, name: str, label: str = "_value", arg: str | None = None) -> str:
    """An existing numeric column that `name` is computed from."""
    t = node.schema.type_of(label)
    if not node.schema.has(label):
        raise ctx.error(f"cannot find the {label} column", arg)
    if t is not None and not t.is_numeric:
        raise ctx.error(f"cannot take {name} of column {label} (type {t.value})", arg)
    return label


# ---------------------------------------------------------------- differences and rates


@flux_function("universe")
def difference(ctx, tables, nonNegative: bool = False, columns=["_value"], keepFirst: bool = False, initialZero: bool = False):  # noqa: B006
    """https://docs.influxdata.com/flux/v0/stdlib/universe/difference/"""
    node = stream_of(ctx, tables)
    cols = string_list(ctx, columns, "columns")
    for c in cols:
        if node.schema.type_of(c) == FluxType.TIME:
            raise ctx.error("difference does not support time columns. try the elapsed function", "columns")
    return Stream(Difference(node, cols, boolean(ctx, nonNegative, "nonNegative"), boolean(ctx, keepFirst, "keepFirst"),
                             boolean(ctx, initialZero, "initialZero")))


@flux_function("universe")
def derivative(ctx, tables, unit=SECOND, nonNegative: bool = False, columns=["_value"], timeColumn: str = "_time", initialZero: bool = False):  # noqa: B006
    """https://docs.influxdata.com/flux/v0/stdlib/universe/derivative/"""
    node = stream_of(ctx, tables)
    cols = string_list(ctx, columns, "columns")
    time_col = time_column(ctx, node, timeColumn)
    for c in cols:
        t = node.schema.type_of(c)
        if t is not None and not t.is_numeric:
            raise ctx.error(f"unsupported derivative column type {c}:{t.value}", "columns")
    return Stream(Derivative(node, cols, unit_ns(ctx, unit), boolean(ctx, nonNegative, "nonNegative"),
                             boolean(ctx, initialZero, "initialZero"), time_col))


@flux_function("universe")
def cumulativeSum(ctx, tables, columns=["_value"]):  # noqa: B006
    """https://docs.influxdata.com/flux/v0/stdlib/universe/cumulativesum/"""
    node = stream_of(ctx, tables)
    return Stream(CumulativeSum(node, string_list(ctx, columns, "columns")))


@flux_function("universe")
def increase(ctx, tables, columns=["_value"]):  # noqa: B006
    """increase() = difference(nonNegative: true, keepFirst: true, initialZero: true) |> cumulativeSum()
    https://docs.influxdata.com/flux/v0/stdlib/universe/increase/"""
    diffs = difference(ctx, tables, nonNegative=True, columns=columns, keepFirst=True, initialZero=True)
    return cumulativeSum(ctx, diffs, columns=columns)


@flux_function("universe")
def elapsed(ctx, tables, unit=SECOND, timeColumn="_time", columnName="elapsed"):
    """https://docs.influxdata.com/flux/v0/stdlib/universe/elapsed/"""
    node = stream_of(ctx, tables)
    time_col = time_column(ctx, node, timeColumn)
    return Stream(Elapsed(node, unit_ns(ctx, unit), time_col, column_name(ctx, columnName, "columnName")))


# ---------------------------------------------------------------- moving averages


@flux_function("universe")
def movingAverage(ctx, tables, n):
    """https://docs.influxdata.com/flux/v0/stdlib/universe/movingaverage/"""
    node = stream_of(ctx, tables)
    value_column(ctx, node, "a moving average")
    return Stream(MovingAverage(node, positive_int(ctx, n), "simple"))


@flux_function("universe")
def exponentialMovingAverage(ctx, tables, n):
    """https://docs.influxdata.com/flux/v0/stdlib/universe/exponentialmovingaverage/"""
    node = stream_of(ctx, tables)
    value_column(ctx, node, "an exponential moving average")
    return Stream(MovingAverage(node, positive_int(ctx, n), "exponential", flux_name="exponentialMovingAverage"))


def _copy_value(node, as_: str, flux_name: str):
    cols = [(c.label, Col(c.label, c.type)) for c in node.schema.columns if c.label != as_]
    cols.append((as_, Col("_value", node.schema.type_of("_value"))))
    return project(node, cols, node.schema.key, flux_name)


def _combine_value(node, value, drop: tuple[str, ...], flux_name: str):
    cols = [(c.label, value if c.label == "_value" else Col(c.label, c.type)) for c in node.schema.columns if c.label not in drop]
    return project(node, cols, [k for k in node.schema.key if k not in drop], flux_name)


def _f(label: str):
    return Col(label, FluxType.FLOAT)


def _mul(a, b):
    return Call("*", (a, b), FluxType.FLOAT)


@flux_function("universe")
def doubleEMA(ctx, tables, n):
    """doubleEMA = 2 * EMA(x) - EMA(EMA(x)), as Flux defines it from exponentialMovingAverage.
    https://docs.influxdata.com/flux/v0/stdlib/universe/doubleema/"""
    first = stream_of(ctx, exponentialMovingAverage(ctx, tables, n))
    second = MovingAverage(_copy_value(first, "__ema", "duplicate"), n, "exponential", flux_name="exponentialMovingAverage")
    value = Call("-", (_mul(Lit(2.0, FluxType.FLOAT), _f("__ema")), _f("_value")), FluxType.FLOAT)
    return Stream(_combine_value(second, value, ("__ema",), "doubleEMA"))


@flux_function("universe")
def tripleEMA(ctx, tables, n):
    """tripleEMA = 3 * EMA1 - 3 * EMA2 + EMA3, as Flux defines it.
    https://docs.influxdata.com/flux/v0/stdlib/universe/tripleema/"""
    first = stream_of(ctx, exponentialMovingAverage(ctx, tables, n))
    second = MovingAverage(_copy_value(first, "__ema1", "duplicate"), n, "exponential", flux_name="exponentialMovingAverage")
    third = MovingAverage(_copy_value(second, "__ema2", "duplicate"), n, "exponential", flux_name="exponentialMovingAverage")
    three = Lit(3.0, FluxType.FLOAT)
    value = Call("+", (Call("-", (_mul(three, _f("__ema1")), _mul(three, _f("__ema2"))), FluxType.FLOAT), _f("_value")), FluxType.FLOAT)
    return Stream(_combine_value(third, value, ("__ema1", "__ema2"), "tripleEMA"))


@flux_function("universe")
def tripleExponentialDerivative(ctx, tables, n):
    """TRIX: ((EMA3[i] / EMA3[i - 1]) - 1) * 100 with EMA3 = EMA(EMA(EMA(_value))).
    https://docs.influxdata.com/flux/v0/stdlib/universe/tripleexponentialderivative/"""
    node = stream_of(ctx, tables)
    value_column(ctx, node, "an exponential moving average")
    n = positive_int(ctx, n)
    for _ in (1, 2, 3):
        node = MovingAverage(node, n, "exponential", flux_name="exponentialMovingAverage")
    return Stream(PercentChange(node))


@flux_function("universe")
def timedMovingAverage(ctx, tables, every, period, column="_value"):
    """timedMovingAverage = window(every, period) |> mean(column) |> duplicate(_stop, _time) |> window(every: inf)
    https://docs.influxdata.com/flux/v0/stdlib/universe/timedmovingaverage/"""
    node = stream_of(ctx, tables)
    column = value_column(ctx, node, "a mean", column_name(ctx, column, "column"), "column")
    time_column(ctx, node, "_time")
    return Stream(TimedMovingAverage(node, unit_ns(ctx, every, "every"), unit_ns(ctx, period, "period"), column))


# ---------------------------------------------------------------- momentum indicators


def _numeric_columns(ctx, node, columns, name: str) -> tuple[str, ...]:
    cols = string_list(ctx, columns, "columns")
    for c in cols:
        t = node.schema.type_of(c)
        if t is not None and not t.is_numeric:
            raise ctx.error(f"cannot take {name} of column {c} (type {t.value})", "columns")
    return cols


@flux_function("universe")
def chandeMomentumOscillator(ctx, tables, n, columns=["_value"]):  # noqa: B006
    """https://docs.influxdata.com/flux/v0/stdlib/universe/chandemomentumoscillator/"""
    node = stream_of(ctx, tables)
    cols = _numeric_columns(ctx, node, columns, "chande momentum oscillator")
    return Stream(ChandeMomentumOscillator(node, positive_int(ctx, n), cols))


@flux_function("universe")
def relativeStrengthIndex(ctx, tables, n, columns=["_value"]):  # noqa: B006
    """https://docs.influxdata.com/flux/v0/stdlib/universe/relativestrengthindex/"""
    node = stream_of(ctx, tables)
    cols = _numeric_columns(ctx, node, columns, "relative strength index")
    return Stream(RelativeStrengthIndex(node, positive_int(ctx, n), cols))


@flux_function("universe")
def kaufmansAMA(ctx, tables, n, column="_value"):
    """https://docs.influxdata.com/flux/v0/stdlib/universe/kaufmansama/"""
    node = stream_of(ctx, tables)
    column = value_column(ctx, node, "KAMA", column_name(ctx, column, "column"), "column")
    return Stream(KaufmansAMA(node, positive_int(ctx, n), column))


@flux_function("universe")
def kaufmansER(ctx, tables, n):
    """kaufmansER = chandeMomentumOscillator(n) |> map(_value: abs(_value) / 100.0)
    https://docs.influxdata.com/flux/v0/stdlib/universe/kaufmanser/"""
    node = stream_of(ctx, tables)
    cmo = ChandeMomentumOscillator(node, positive_int(ctx, n), ("_value",))
    v = _f("_value")
    magnitude = Call("if", (Call("<", (v, Lit(0.0, FluxType.FLOAT)), FluxType.BOOL), Call("neg", (v,), FluxType.FLOAT), v), FluxType.FLOAT)
    value = Call("/", (magnitude, Lit(100.0, FluxType.FLOAT)), FluxType.FLOAT)
    return Stream(_combine_value(cmo, value, (), "kaufmansER"))


# ---------------------------------------------------------------- state tracking


def _predicate(ctx, fn, node):
    result = apply_row_fn(ctx, fn, node)
    if isinstance(result, bool) or result is None:
        return Lit(bool(result), FluxType.BOOL)
    if isinstance(result, RowValue):
        return result.scalar
    raise ctx.error(f"fn must return a bool, got {describe(result)}", "fn")


@flux_function("universe")
def stateCount(ctx, tables, fn, column="stateCount"):
    """https://docs.influxdata.com/flux/v0/stdlib/universe/statecount/"""
    node = stream_of(ctx, tables)
    function_arg(ctx, fn, "fn")
    return Stream(StateTracking(node, _predicate(ctx, fn, node), count_column=column_name(ctx, column, "column"),
                                flux_name="stateCount"))


@flux_function("universe")
def stateDuration(ctx, tables, fn, column="stateDuration", timeColumn="_time", unit=SECOND):
    """https://docs.influxdata.com/flux/v0/stdlib/universe/stateduration/"""
    node = stream_of(ctx, tables)
    function_arg(ctx, fn, "fn")
    return Stream(StateTracking(node, _predicate(ctx, fn, node), duration_column=column_name(ctx, column, "column"),
                                unit_ns=unit_ns(ctx, unit), time_column=time_column(ctx, node, timeColumn),
                                flux_name="stateDuration"))


# ---------------------------------------------------------------- fill and hourSelection


@flux_function("universe")
def fill(ctx, tables, column: str = "_value", value=None, usePrevious: bool = False):
    """https://docs.influxdata.com/flux/v0/stdlib/universe/fill/"""
    node = stream_of(ctx, tables)
    column = column_name(ctx, column, "column")
    use_previous = boolean(ctx, usePrevious, "usePrevious")
    if (value is None) == (not use_previous):
        raise ctx.error("give exactly one of value or usePrevious")
    if not node.schema.has(column):
        # Flux fills a column a table does not have by adding it.
        if use_previous:
            return tables
        cols = [(c.label, Col(c.label, c.type)) for c in node.schema.columns]
        cols.append((column, Lit(value, type_of_constant(value))))
        return Stream(project(node, cols, node.schema.key, "fill"))
    if not use_previous:
        want = node.schema.type_of(column)
        got = type_of_constant(value)
        if got is None or got != want:
            raise ctx.error(f"value type {got.value if got else describe(value)} does not match column type {want.value}", "value")
    return Stream(Fill(node, column, value, use_previous))


def _zone(ctx, location) -> str:
    if location is None:
        location = ctx.location
    if location is None:
        return "UTC"
    if isinstance(location, Record):
        zone = location.get("zone", "UTC")
        offset = location.get("offset", Duration())
        if isinstance(offset, Duration) and not offset.is_zero:
            raise ctx.unsupported("a location with a fixed offset is not supported", "location")
        return zone
    if isinstance(location, str):
        return location
    raise ctx.error(f"location must be a location record, got {describe(location)}", "location")


@flux_function("universe")
def hourSelection(ctx, tables, start, stop, location=None, timeColumn="_time"):
    """https://docs.influxdata.com/flux/v0/stdlib/universe/hourselection/"""
    node = stream_of(ctx, tables)
    for arg, v in (("start", start), ("stop", stop)):
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 23:
            raise ctx.error(f"{arg} must be an hour from 0 to 23, got {describe(v)}", arg)
    return Stream(HourSelection(node, start, stop, _zone(ctx, location), time_column(ctx, node, timeColumn)))


# ---------------------------------------------------------------- integrals


@flux_function("universe")
def integral(ctx, tables, unit=SECOND, column="_value", timeColumn="_time", interpolate=""):
    """https://docs.influxdata.com/flux/v0/stdlib/universe/integral/"""
    node = stream_of(ctx, tables)
    if interpolate not in ("", "linear"):
        raise ctx.error(f'interpolate must be "" or "linear", got {describe(interpolate)}', "interpolate")
    return Stream(_integral(ctx, node, unit, column_name(ctx, column, "column"), time_column(ctx, node, timeColumn),
                            interpolate))


def _integral(ctx, node, unit, column, time_column, interpolate, average=False):
    t = node.schema.type_of(column)
    if t is not None and not t.is_numeric:
        raise ctx.error(f"cannot integrate column {column!r} of type {t.value}")
    if (interpolate or average) and not (node.schema.has("_start") and node.schema.has("_stop")):
        raise ctx.error("linear interpolation needs the _start and _stop columns (use range() first)")
    return Integral(node, (column,), unit_ns(ctx, unit), time_column, interpolate, average,
                    flux_name="timeWeightedAvg" if average else "integral")


@flux_function("universe")
def timeWeightedAvg(ctx, tables, unit):
    """timeWeightedAvg = integral(unit, interpolate: "linear") * unit / (_stop - _start)
    https://docs.influxdata.com/flux/v0/stdlib/universe/timeweightedavg/"""
    node = stream_of(ctx, tables)
    return Stream(_integral(ctx, node, unit, "_value", "_time", "linear", average=True))


# ---------------------------------------------------------------- not expressible in SQL


@flux_function("universe")
def holtWinters(ctx, tables, n, interval, seasonality=0, timeColumn="_time", column="_value", withFit=False):
    """holtWinters fits its parameters with Nelder-Mead optimisation, an iterative numeric
    search that SQL cannot express exactly."""
    raise ctx.unsupported("not supported: it fits its parameters by Nelder-Mead optimisation, which cannot be computed exactly in SQL")


# ---------------------------------------------------------------- experimental variants

# experimental.fill and experimental.kaufmansAMA are the universe functions under an
# older name (https://docs.influxdata.com/flux/v0/stdlib/experimental/).
alias("experimental", "fill", "universe", "fill")
alias("experimental", "kaufmansAMA", "universe", "kaufmansAMA")


@flux_function("interpolate", name="linear")
def interpolate_linear(ctx, tables, every):
    """https://docs.influxdata.com/flux/v0/stdlib/interpolate/linear/"""
    node = stream_of(ctx, tables)
    for c in node.schema.columns:
        if c.label not in node.schema.key and c.label not in ("_time", "_value"):
            raise ctx.error(f"interpolate.linear requires column {c.label!r} to be in group key")
    if node.schema.type_of("_value") not in (None, FluxType.FLOAT):
        raise ctx.error(f"cannot interpolate {node.schema.type_of('_value').value} values; expected float values")
    return Stream(InterpolateLinear(node, unit_ns(ctx, every, "every")))


@flux_function("experimental/aggregate")
def rate(ctx, tables, every, groupColumns=[], unit=SECOND):  # noqa: B006
    """aggregate.rate = derivative(nonNegative: true, unit) |> aggregateWindow(every, fn:
    mean |> group(groupColumns) |> experimental.group(["_start", "_stop"], "extend") |> sum)
    https://docs.influxdata.com/flux/v0/stdlib/experimental/aggregate/rate/"""
    columns = string_list(ctx, groupColumns, "groupColumns")
    universe, experimental = package("universe"), package("experimental")

    def per_window(ctx, tables, column):
        averaged = ctx.call(universe["mean"], {"column": column}, pipe=tables)
        grouped = ctx.call(universe["group"], {"columns": list(columns)}, pipe=averaged)
        extended = ctx.call(experimental["group"], {"columns": ["_start", "_stop"], "mode": "extend"}, pipe=grouped)
        return ctx.call(universe["sum"], {"column": column}, pipe=extended)

    fn = Builtin("aggregate.rate.fn", per_window, ("tables", "column"), "tables", frozenset({"column"}), {})
    rates = derivative(ctx, tables, unit=unit, nonNegative=True)
    return ctx.call(universe["aggregateWindow"], {"every": every, "fn": fn}, pipe=rates)
