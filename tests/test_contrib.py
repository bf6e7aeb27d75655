"""The contrib packages: events.duration (a plan node), anomalydetection.mad and the
tickscript helpers (Flux source over universe and monitor), deadman's row for a series
that sent nothing (one compilation per side), and argument errors with positions.
Documented examples are in golden/contrib/."""
from __future__ import annotations

import statistics

import pytest

from flux_run import one_line_error
from runtime.database import Database

SECOND = 10**9


def rows_of(result, *labels):
    return [tuple(row[t.index(label)] for label in labels) for t in result for row in t.rows]


@pytest.fixture()
def db():
    database = Database(None)
    database.write("pulse,host=a value=1 1000000000000\npulse,host=a value=2 1010000000000\n"
                   "pulse,host=a value=3 1030500000000\npulse,host=b value=4 1020000000000\n",
                   bucket="metrics")
    yield database
    database.close()


def test_events_duration_measures_to_the_next_row_and_the_last_to_stop(db):
    result = db.query('''
import "contrib/tomhollingworth/events"
from(bucket: "metrics") |> range(start: 1000, stop: 1040) |> events.duration(unit: 1ms, columnName: "d")
''', now=2000 * SECOND)
    assert sorted(rows_of(result, "host", "_time", "d")) == [
        ("a", 1000 * SECOND, 10_000), ("a", 1010 * SECOND, 20_500), ("a", 1030_500_000_000, 9_500),
        ("b", 1020 * SECOND, 20_000)]


def test_events_duration_with_stop_truncates_to_whole_units(db):
    result = db.query('''
import "contrib/tomhollingworth/events"
from(bucket: "metrics") |> range(start: 1000, stop: 1040) |> filter(fn: (r) => r.host == "a")
    |> events.duration(stop: 1970-01-01T00:17:30.9Z)
''', now=2000 * SECOND)
    assert rows_of(result, "duration") == [(10,), (20,), (20,)]  # 20.5 s -> 20; 1030.5 s to 1050.9 s -> 20


def test_mad_flags_rows_whose_deviation_reaches_the_threshold():
    values = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 10.0}
    rows = ", ".join(f'{{_time: 2021-01-01T00:00:00Z, tag: "{k}", _value: {v}}}' for k, v in values.items())
    source = f'''
import "array"
import "contrib/anaisdg/anomalydetection"
array.from(rows: [{rows}]) |> group(columns: ["tag"]) |> anomalydetection.mad(threshold: 2.0)
'''
    db = Database(None)
    try:
        got = {tag: (score, level, mad) for tag, score, level, mad in rows_of(db.query(source, now=0), "tag", "_value", "level", "MAD")}
    finally:
        db.close()
    median = statistics.median(values.values())
    deviations = {k: abs(v - median) for k, v in values.items()}
    spread = statistics.median(deviations.values())
    for tag, deviation in deviations.items():
        score, level, mad = got[tag]
        assert score == pytest.approx(deviation / spread)
        assert level == ("anomaly" if deviation / spread >= 2.0 else "normal")
        assert mad == pytest.approx(1.4826 * spread)
    assert got["e"][1] == "anomaly" and got["b"][1] == "normal"


DEADMAN = '''
import "contrib/bonitoo-io/tickscript"
import "influxdata/influxdb/monitor"
option monitor.write = (tables=<-) => tables
from(bucket: "metrics")
    |> range(start: START)
    |> filter(fn: (r) => r._measurement == "pulse" and r._field == "value")
    |> tickscript.groupBy(columns: ["host"])
    |> tickscript.deadman(check: tickscript.defineCheck(id: "d", name: "pulse", type: "deadman"),
                          measurement: "pulse", threshold: 1)
'''


def test_deadman_gives_a_status_per_series(db):
    result = db.query(DEADMAN.replace("START", "1000"), now=2000 * SECOND)
    assert sorted(rows_of(result, "host", "dead", "_level", "_message")) == [
        ("a", False, "ok", "Deadman Check: pulse is: alive"), ("b", True, "crit", "Deadman Check: pulse is: dead")]


def test_deadman_reports_a_measurement_that_sent_nothing(db):
    result = db.query(DEADMAN.replace("START", "1500"), now=2000 * SECOND)
    assert rows_of(result, "_source_measurement", "dead", "_level", "_source_timestamp") == [
        ("pulse", True, "crit", 2000 * SECOND)]
    [table] = list(result)
    assert "host" not in table.key


def test_tickscript_alert_levels_ids_and_details(db):
    result = db.query('''
import "contrib/bonitoo-io/tickscript"
import "influxdata/influxdb/monitor"
option monitor.write = (tables=<-) => tables
from(bucket: "metrics") |> range(start: 1000, stop: 1040) |> filter(fn: (r) => r._field == "value")
    |> tickscript.select(as: "v")
    |> tickscript.groupBy(columns: ["host"])
    |> tickscript.alert(check: tickscript.defineCheck(id: "c", name: "values"),
        id: (r) => "${r._check_id}/${r.host}", details: (r) => "id ${r.id}",
        crit: (r) => r.v > 3.0, warn: (r) => r.v > 2.0)
''', now=2000 * SECOND)
    assert sorted(rows_of(result, "host", "v", "_level", "id", "details", "_message")) == [
        ("a", 1.0, "ok", "c/a", "id c/a", "Threshold Check: values is: ok"),
        ("a", 2.0, "ok", "c/a", "id c/a", "Threshold Check: values is: ok"),
        ("a", 3.0, "warn", "c/a", "id c/a", "Threshold Check: values is: warn"),
        ("b", 4.0, "crit", "c/b", "id c/b", "Threshold Check: values is: crit"),
    ]
    assert all("_start" not in t.labels and "_stop" not in t.labels for t in result)  # alert drops the range bounds


@pytest.mark.parametrize("source, message", [
    ('import "contrib/tomhollingworth/events"\nimport "array"\n'
     'array.from(rows: [{_time: 2020-01-01T00:00:00Z}]) |> events.duration()', "no column '_stop'"),
    ('import "contrib/tomhollingworth/events"\nimport "array"\n'
     'array.from(rows: [{_time: 2020-01-01T00:00:00Z}]) |> events.duration(unit: 0s, stop: 2021-01-01T00:00:00Z)',
     "unit must be a positive duration"),
    ('import "contrib/tomhollingworth/events"\nimport "array"\n'
     'array.from(rows: [{_time: 2020-01-01T00:00:00Z}]) |> events.duration(unit: 1mo, stop: 2021-01-01T00:00:00Z)',
     "unit must be a fixed duration"),
    ('import "contrib/tomhollingworth/events"\nimport "array"\n'
     'array.from(rows: [{_time: 2020-01-01T00:00:00Z, s: 1}]) |> events.duration(stopColumn: "s")', "not time"),
    ('import "contrib/tomhollingworth/events"\nimport "array"\n'
     'array.from(rows: [{t: 1}]) |> events.duration(stop: 2021-01-01T00:00:00Z)', "no column '_time'"),
    ('import "contrib/bonitoo-io/tickscript"\nimport "array"\n'
     'array.from(rows: [{_value: 1}]) |> tickscript.select(column: "_value")', "as"),
])
def test_argument_errors_are_one_line_with_a_position(source, message):
    assert message in one_line_error(source)
