"""Library functions written in Flux, as Flux's own stdlib defines many of them.

Each entry is Flux source for (part of) a package; the evaluator runs it when a program
imports the package and adds its definitions to the package's registered members (names
starting with `_` stay private). `option name = ...` in an entry declares a package option:
a program's `option pkg.name = ...` replaces it for the package's own functions too.
Definitions cite the Flux documentation they implement. Other modules of this package may
add their own entries (functions/promql.py adds "internal/promql").
"""
from __future__ import annotations

FLUX_SOURCES: dict[str, str] = {
    # https://github.com/influxdata/flux/blob/master/stdlib/experimental/experimental.flux
    "experimental": '''
import "date"

alignTime = (tables=<-, alignTo=time(v: 0)) =>
    tables
        |> stateDuration(fn: (r) => true, column: "timeDiff", unit: 1ns)
        |> map(fn: (r) => ({r with _time: time(v: int(v: alignTo) + r.timeDiff)}))
        |> drop(columns: ["timeDiff"])

// Deprecated aliases of date.add/date.sub (same parameters):
// https://docs.influxdata.com/flux/v0/stdlib/experimental/addduration/ and /subduration/
addDuration = date.add
subDuration = date.sub
''',
}
