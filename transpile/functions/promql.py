"""Flux's `internal/promql` package: the helpers that PromQL-on-Flux transpilers call.

https://docs.influxdata.com/flux/v0/stdlib/internal/promql/ . The time helpers and
`timestamp` are written in Flux (registered in FLUX_SOURCES, run when a program imports
the package). Nothing here computes data.
"""
from __future__ import annotations

from .flux_defined import FLUX_SOURCES

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
