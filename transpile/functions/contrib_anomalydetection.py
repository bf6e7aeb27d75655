"""Flux's `contrib/anaisdg/anomalydetection` package: `anomalydetection.mad()`.

Written in Flux (registered in FLUX_SOURCES, run when a program imports the package) over
universe functions, after https://docs.influxdata.com/flux/v0/stdlib/contrib/anaisdg/anomalydetection/mad/ :
rows are regrouped by `_time`; in each group `_value_diff` = |_value - median(_value)|,
`_value_diff_med` = median(_value_diff), `MAD` = k * _value_diff_med with k = 1.4826 (the
constant that makes the MAD estimate a normal distribution's standard deviation; the
documented example's MAD 16.330839 = 1.4826 * 11.015), `_value` = _value_diff /
_value_diff_med, and `level` is "anomaly" when `_value` reaches the threshold (the
example flags _value 1 at threshold 1.0, not 0.9999999999999999).
Must not: compute anything in Python.
"""
from __future__ import annotations

from .flux_defined import FLUX_SOURCES

PKG = "contrib/anaisdg/anomalydetection"

FLUX_SOURCES[PKG] = '''
import "math"

// Scale factor of the MAD for normally distributed data.
_k = 1.4826

mad = (table=<-, threshold=3.0) => {
    byTime = table |> group(columns: ["_time"])

    // |x - median(x)| within each _time group; the range bounds are not carried over.
    diff =
        join(tables: {data: byTime, med: byTime |> median()}, on: ["_time"])
            |> map(fn: (r) => ({r with _value: math.abs(x: r._value_data - r._value_med)}))
            |> drop(columns: ["_start", "_stop", "_value_data", "_value_med"])

    return
        join(tables: {diff: diff, med: diff |> median()}, on: ["_time"])
            |> rename(columns: {_value_med: "_value_diff_med"})
            |> map(
                fn: (r) =>
                    ({r with
                        MAD: _k * r._value_diff_med,
                        _value: r._value_diff / r._value_diff_med,
                    }),
            )
            |> map(fn: (r) => ({r with level: if r._value >= threshold then "anomaly" else "normal"}))
}
'''
