"""Library functions written in Flux, as Flux's own stdlib defines many of them.

Each entry is Flux source for (part of) a package; the evaluator runs it when a program
imports the package and adds its definitions to the package's registered members. The
definitions follow the upstream stdlib's Flux (cited per package).
"""
from __future__ import annotations

FLUX_SOURCES: dict[str, str] = {
    # https://github.com/influxdata/flux/blob/master/stdlib/internal/promql/promql.flux
    # (timestamp is Flux there; the promql* time helpers are Go builtins on float seconds).
    "internal/promql": '''
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
''',
    # https://github.com/influxdata/flux/blob/master/stdlib/experimental/experimental.flux
    "experimental": '''
alignTime = (tables=<-, alignTo=time(v: 0)) =>
    tables
        |> stateDuration(fn: (r) => true, column: "timeDiff", unit: 1ns)
        |> map(fn: (r) => ({r with _time: time(v: int(v: alignTo) + r.timeDiff)}))
        |> drop(columns: ["timeDiff"])
''',
}
