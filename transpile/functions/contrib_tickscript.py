"""Flux's `contrib/bonitoo-io/tickscript` package: helpers to port Kapacitor TICKscripts.

Written in Flux (registered in FLUX_SOURCES) over universe functions and
`influxdata/influxdb/monitor`, each definition after its page under
https://docs.influxdata.com/flux/v0/stdlib/contrib/bonitoo-io/tickscript/ :

- defineCheck(id, name, type="custom"): the check record {_check_id, _check_name, _type, tags: {}}.
- select/compute(column="_value", fn, as): fn (an aggregate or selector, identity by
  default) applied to `column`, then `column` renamed `as`.
- selectWindow(column, fn, as, every, defaultValue): windows of `every` aggregated by fn
  (the window's stop as _time), nulls filled with defaultValue, `column` renamed `as`.
- groupBy(columns): group by `columns` and _measurement.
- join(tables, on=["_time"], measurement): join() of the two streams, `_measurement` set
  to `measurement` and added to the group key.
- alert(check, id, details, message, crit, warn, info, ok, topic): rows lose the range
  bounds (_start, _stop), gain the check's _check_id/_check_name, then `id` (a column
  computed by id(r)), `details` (details(r), which may use r.id) and, when topic is not
  "", a `_topic` group key column; then monitor.check() sets the level and message.
- deadman(check, measurement, threshold=0, id, message, topic): one row per input table,
  `dead` when the table has at most `threshold` rows; when the input has no table at all
  (nothing arrived), one dead row for `measurement`; each row stamped now() and passed to
  alert() with crit = dead.

`whenNoTables` (the one thing not expressible in Flux here: a row for an input without
tables) is a builtin of this module under INTERNAL, a path of its own for the package
source to import. Must not: compute data in Python.
"""
from __future__ import annotations

from ..analyze.objects import Stream
from ..plan.contrib import WhenNoTables
from . import monitor, reshape  # noqa: F401  (register the monitor package and experimental.group)
from .flux_defined import FLUX_SOURCES
from .join import _compiled_in_parts
from .registry import flux_function
from .streams import stream_of

PKG = "contrib/bonitoo-io/tickscript"
INTERNAL = "internal/tickscript"


@flux_function(INTERNAL)
def whenNoTables(ctx, tables, fallback):
    """The tables of `tables`, or those of `fallback` when `tables` holds no table at all."""
    node = stream_of(ctx, tables)
    other = stream_of(ctx, fallback, "fallback")
    if _compiled_in_parts(node) or _compiled_in_parts(other):
        raise ctx.unsupported("deadman() over a source compiled once per column type (fields of mixed types) "
                              "is not supported; filter it to one type first")
    site = ctx.evaluator.next_source_site()
    choice = ctx.evaluator.source_types.get(site, 0)
    return Stream(WhenNoTables(node, other, site=site, choice=choice))


FLUX_SOURCES[PKG] = '''
import "array"
import "experimental"
import "influxdata/influxdb/monitor"
import "internal/tickscript"

// Captured before this package defines its own `join`.
_universeJoin = join

defineCheck = (id, name, type="custom") => ({_check_id: id, _check_name: name, _type: type, tags: {}})

// rename(fn:) names its parameter `column`: the selected column is passed as `selected`.
_renamed = (selected, as, tables=<-) => tables |> rename(fn: (column) => if column == selected then as else column)

select = (column="_value", fn=(column, tables=<-) => tables, as, tables=<-) =>
    tables
        |> fn(column: column)
        |> _renamed(selected: column, as: as)

compute = select

selectWindow = (column="_value", fn, as, every, defaultValue, tables=<-) =>
    tables
        |> aggregateWindow(every: every, fn: fn, column: column, createEmpty: true)
        |> fill(column: column, value: defaultValue)
        |> _renamed(selected: column, as: as)

groupBy = (columns, tables=<-) =>
    tables
        |> group(columns: columns)
        |> experimental.group(mode: "extend", columns: ["_measurement"])

join = (tables, on=["_time"], measurement) =>
    _universeJoin(tables: tables, on: on)
        |> map(fn: (r) => ({r with _measurement: measurement}))
        |> experimental.group(mode: "extend", columns: ["_measurement"])

// The check's topic as a group key column, when there is one.
_withTopic = (topic, tables=<-) =>
    if topic == "" then
        tables
    else
        tables
            |> map(fn: (r) => ({r with _topic: topic}))
            |> experimental.group(mode: "extend", columns: ["_topic"])

alert = (
    check,
    id=(r) => "${r._check_id}",
    details=(r) => "",
    message=(r) => "Threshold Check: ${r._check_name} is: ${r._level}",
    crit=(r) => false,
    warn=(r) => false,
    info=(r) => false,
    ok=(r) => true,
    topic="",
    tables=<-,
) =>
    tables
        |> drop(columns: ["_start", "_stop"])
        |> map(fn: (r) => ({r with _check_id: check._check_id, _check_name: check._check_name}))
        |> map(fn: (r) => ({r with id: id(r: r)}))
        |> map(fn: (r) => ({r with details: details(r: r)}))
        |> _withTopic(topic: topic)
        |> monitor.check(data: check, messageFn: message, crit: crit, warn: warn, info: info, ok: ok)

deadman = (
    check,
    measurement,
    threshold=0,
    id=(r) => "${r._check_id}",
    message=(r) => "Deadman Check: ${r._check_name} is: " + (if r.dead then "dead" else "alive"),
    topic="",
    tables=<-,
) => {
    // count() of _time: the number of rows of each table.
    perTable =
        tables
            |> count(column: "_time")
            |> map(fn: (r) => ({r with dead: r._time <= threshold}))
            |> map(fn: (r) => ({r with _time: now(), _measurement: measurement}))
    // Nothing arrived: one table, keyed by the measurement, with a count of 0.
    nothing =
        array.from(rows: [{_time: now(), _measurement: measurement, dead: 0 <= threshold}])
            |> group(columns: ["_measurement"])

    return
        tickscript.whenNoTables(tables: perTable, fallback: nothing)
            |> alert(check: check, id: id, message: message, crit: (r) => r.dead, topic: topic)
}
'''
