"""Flux's `influxdata/influxdb/monitor` package: checks, statuses and notifications.

The whole package is written in Flux (registered in FLUX_SOURCES, run when a program
imports it), composed from universe and experimental functions, each definition after its
page under https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/monitor/ .
`monitor.write` and `monitor.log` are package options: by default they write the statuses
and notifications to the `_monitoring` bucket with experimental.to(); a program's
`option monitor.write = ...` replaces them for check() and notify().
Must not: compute anything in Python; what cannot be said in Flux belongs in a builtin of
the package it comes from.
"""
from __future__ import annotations

from . import experimental_objects, wide_to  # noqa: F401  (registers experimental.objectKeys, experimental.to)
from .flux_defined import FLUX_SOURCES

PKG = "influxdata/influxdb/monitor"

FLUX_SOURCES[PKG] = '''
import "experimental"
import "influxdata/influxdb/v1"

// Captured before this package defines its own `from`.
_bucketFrom = from

bucket = "_monitoring"
levelOK = "ok"
levelInfo = "info"
levelWarn = "warn"
levelCrit = "crit"
levelUnknown = "unknown"

// log persists notification events, write persists check statuses (to the monitoring bucket).
option log = (tables=<-) => tables |> experimental.to(bucket: bucket)
option write = (tables=<-) => tables |> experimental.to(bucket: bucket)

// monitor.from(): check statuses (the `statuses` measurement), fields as columns.
from = (start, stop=now(), fn=(r) => true) =>
    _bucketFrom(bucket: bucket)
        |> range(start: start, stop: stop)
        |> filter(fn: (r) => r._measurement == "statuses")
        |> filter(fn: fn)
        |> v1.fieldsAsCols()

// monitor.logs(): notification events (the `notifications` measurement), fields as columns.
logs = (start, stop=now(), fn) =>
    _bucketFrom(bucket: bucket)
        |> range(start: start, stop: stop)
        |> filter(fn: (r) => r._measurement == "notifications")
        |> filter(fn: fn)
        |> v1.fieldsAsCols()

// monitor.check(): a status row per input row. The check's tags become group key columns;
// the level is the first of crit, warn, info, ok whose predicate holds ("unknown" if none);
// the row moves to the `statuses` measurement, stamped now(), keeping its own time in
// _source_timestamp (ns) and its measurement in _source_measurement.
check = (
    tables=<-,
    data,
    messageFn,
    crit=(r) => false,
    warn=(r) => false,
    info=(r) => false,
    ok=(r) => true,
) =>
    tables
        |> experimental.set(o: data.tags)
        |> experimental.group(mode: "extend", columns: experimental.objectKeys(o: data.tags))
        |> map(
            fn: (r) => ({r with
                _measurement: "statuses",
                _source_measurement: r._measurement,
                _type: data._type,
                _check_id: data._check_id,
                _check_name: data._check_name,
                _level:
                    if crit(r: r) then levelCrit
                    else if warn(r: r) then levelWarn
                    else if info(r: r) then levelInfo
                    else if ok(r: r) then levelOK
                    else levelUnknown,
                _source_timestamp: int(v: r._time),
                _time: now(),
            }),
        )
        |> map(fn: (r) => ({r with _message: messageFn(r: r)}))
        |> experimental.group(
            mode: "extend",
            columns: ["_source_measurement", "_type", "_check_id", "_check_name", "_level"],
        )
        |> write()

// monitor.notify(): the notification rule/endpoint data become group key columns, rows move
// to the `notifications` measurement stamped now() (their time kept in _status_timestamp),
// go through the endpoint (which adds _sent), and are logged.
notify = (tables=<-, endpoint, data) =>
    tables
        |> experimental.set(o: data)
        |> experimental.group(mode: "extend", columns: experimental.objectKeys(o: data))
        |> map(fn: (r) => ({r with _measurement: "notifications", _status_timestamp: int(v: r._time), _time: now()}))
        |> endpoint()
        |> experimental.group(mode: "extend", columns: ["_sent"])
        |> log()

// monitor.deadman(): the latest row of each table, with dead = no row at or after t.
deadman = (t, tables=<-) => tables |> max(column: "_time") |> map(fn: (r) => ({r with dead: r._time < t}))

// Level order used to detect a change of level (the four documented levels; others rank 0).
_levelRank = (level) =>
    if level == levelCrit then 4
    else if level == levelWarn then 3
    else if level == levelInfo then 2
    else if level == levelOK then 1
    else 0

// Rows of one series (the group key without _level), in the order statuses were produced,
// with `column` replaced by its change from the previous row (the first row has none).
_changes = (tables=<-, column) =>
    tables
        |> duplicate(column: "_level", as: "_monitor_level")
        |> drop(columns: ["_level"])
        |> rename(columns: {_monitor_level: "_level"})
        |> sort(columns: ["_source_timestamp", "_time"])
        |> difference(columns: [column])

// monitor.stateChangesOnly(): the rows whose level differs from the previous row's level,
// grouped by _level.
stateChangesOnly = (tables=<-) =>
    tables
        |> map(fn: (r) => ({r with _monitor_rank: _levelRank(level: r._level)}))
        |> _changes(column: "_monitor_rank")
        |> filter(fn: (r) => r._monitor_rank != 0)
        |> drop(columns: ["_monitor_rank"])
        |> experimental.group(mode: "extend", columns: ["_level"])

// monitor.stateChanges(): the rows at toLevel whose previous row was at fromLevel; "any"
// means any level other than the other side's.
stateChanges = (fromLevel="any", toLevel="any", tables=<-) => {
    isTo = (level) => if toLevel == "any" then level != fromLevel else level == toLevel
    isFrom = (level) => if fromLevel == "any" then level != toLevel else level == fromLevel

    // 1 = a "to" row, 0 = a "from" row, -10 = neither: the change is 1 only from "from" to "to".
    return
        if fromLevel == "any" and toLevel == "any" then
            tables |> stateChangesOnly()
        else
            tables
                |> map(
                    fn: (r) => ({r with
                        _monitor_side: if isTo(level: r._level) then 1 else if isFrom(level: r._level) then 0 else -10,
                    }),
                )
                |> _changes(column: "_monitor_side")
                |> filter(fn: (r) => r._monitor_side == 1)
                |> drop(columns: ["_monitor_side"])
                |> experimental.group(mode: "extend", columns: ["_level"])
}
'''
