"""The monitor package and the small packages around it (pagerduty, http, iox, debug):
statuses written to and read back from the _monitoring bucket, package options set by the
program, Go's path escaping in SQL and Python alike, and argument errors with positions.
Row-level semantics are in golden/monitor/ and golden/misc_packages/."""
from __future__ import annotations

import pytest

from flux_run import one_line_error
from runtime.database import Database
from transpile.functions.http_pkg import path_escape
from transpile.functions.iox import sql_interval
from transpile.values import Duration

SECOND = 10**9
CHECK = '''
import "influxdata/influxdb/monitor"
import "influxdata/influxdb/v1"

from(bucket: "telegraf")
    |> range(start: 0)
    |> v1.fieldsAsCols()
    |> monitor.check(
        data: {_check_id: "c1", _check_name: "cpu", _type: "threshold", tags: {team: "ops"}},
        messageFn: (r) => "usage ${r.usage}",
        crit: (r) => r.usage < 5.0,
        warn: (r) => r.usage < 10.0,
    )
'''


def rows_of(result, *labels):
    return sorted(tuple(row[t.index(label)] for label in labels) for t in result for row in t.rows)


@pytest.fixture()
def db():
    database = Database(None)
    database.write("cpu,host=h1 usage=3.0 1000000000000\ncpu,host=h1 usage=50.0 2000000000000\n"
                   "cpu,host=h2 usage=7.0 2000000000000", bucket="telegraf")
    yield database
    database.close()


def test_check_writes_statuses_to_the_monitoring_bucket_by_default(db):
    result = db.query(CHECK, now=3000 * SECOND)
    assert result.rows_written == 9  # 3 statuses x (usage, _message, _source_timestamp)
    assert rows_of(result, "host", "_level", "_message") == [
        ("h1", "crit", "usage 3"), ("h1", "ok", "usage 50"), ("h2", "warn", "usage 7")]
    messages = db.query('''
import "influxdata/influxdb/monitor"
monitor.from(start: 0, fn: (r) => r._field == "_message")
''', now=4000 * SECOND)
    assert rows_of(messages, "_time", "host", "team", "_check_id", "_level", "_message") == [
        (3000 * SECOND, "h1", "ops", "c1", "crit", "usage 3"),
        (3000 * SECOND, "h1", "ops", "c1", "ok", "usage 50"),
        (3000 * SECOND, "h2", "ops", "c1", "warn", "usage 7"),
    ]


def test_option_monitor_write_replaces_the_write(db):
    source = 'option monitor.write = (tables=<-) => tables |> filter(fn: (r) => r._level != "ok")\n'
    result = db.query(CHECK.replace('import "influxdata/influxdb/v1"\n', 'import "influxdata/influxdb/v1"\n' + source),
                      now=3000 * SECOND)
    assert result.rows_written == 0
    assert rows_of(result, "host", "_level") == [("h1", "crit"), ("h2", "warn")]
    assert "_monitoring" not in db.buckets()


def test_option_set_by_the_program_is_read_by_debug_get_option():
    db = Database(None)
    try:
        result = db.query('''
import "array"
import "internal/debug"

option debug.vectorize = true
array.from(rows: [{v: 1}]) |> map(fn: (r) => ({v: debug.getOption(pkg: "internal/debug", name: "vectorize")}))
''', now=0)
        assert rows_of(result, "v") == [(True,)]
    finally:
        db.close()


@pytest.mark.parametrize("text", [
    "/hellohi!@#", "./random$^%", "a b+c;d,e?f=g&h:i~j", "é€😀", "", "-_.~$&+:=@",
])
def test_path_escape_sql_matches_the_go_fold(text):
    escaped = path_escape(text)
    db = Database(None)
    try:
        result = db.query('import "array"\nimport "http"\n'
                          f'array.from(rows: [{{p: "{text}"}}]) |> map(fn: (r) => ({{e: http.pathEscape(inputString: r.p)}}))',
                          now=0)
        assert rows_of(result, "e") == [(escaped,)]
    finally:
        db.close()
    assert all(c.isalnum() and c.isascii() or c in "-_.~$&+:=@%" for c in escaped)


def test_sql_interval_fold():
    assert sql_interval(Duration(14, 3 * 7 * 86400 * SECOND + 8_000_000)) == "1 years 2 months 3 weeks 8 milliseconds"
    assert sql_interval(Duration(0, -90 * 60 * SECOND)) == "-1 hours -30 minutes"


@pytest.mark.parametrize("source, message", [
    ('import "influxdata/influxdb/monitor"\nimport "array"\narray.from(rows: [{_time: 2021-01-01T00:00:00Z}])\n'
     '    |> monitor.check(messageFn: (r) => "m")', "missing required argument 'data'"),
    ('import "pagerduty"\nimport "array"\narray.from(rows: [{a: 1}]) |> pagerduty.dedupKey(exclude: "a")',
     "exclude must be an array of strings"),
    ('import "experimental/iox"\nx = iox.sqlInterval(d: "1h")', "d must be a duration"),
    ('import "internal/debug"\nx = debug.getOption(pkg: "internal/debug", name: "nope")', "option internal/debug.nope is not set"),
    ('import "influxdata/influxdb/secrets"\nx = secrets.get(key: "token")', "no secret store"),
])
def test_argument_errors_are_one_line_with_a_position(source, message):
    assert message in one_line_error(source)
