"""from(bucket:) and to(bucket:) end to end: the seed task on a DuckDB file, checked against
means computed by hand, idempotence, mixed field types, errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runtime.database import Database
from transpile.errors import FluxError

HOUR = 3600 * 10**9
T0 = 1_700_002_800 * 10**9  # 2023-11-14T23:00:00Z
SEED = (Path(__file__).resolve().parent.parent / "runtime" / "examples" / "seed_task.flux").read_text()


def points() -> str:
    """An hour and a bit of mem points every 10 s for two hosts: `used` is an integer
    field, `used_percent` a float one, so the seed task reads two types."""
    lines = []
    for host, scale in (("myHost", 1), ("other", 7)):
        for i in range(-30, 390):  # from 22:55 to 00:05
            t = T0 + i * 10 * 10**9
            lines.append(f"mem,host={host} used={i * scale}i,used_percent={i * scale / 10} {t}")
    return "\n".join(lines)


@pytest.fixture()
def db(tmp_path):
    database = Database(tmp_path / "t.duckdb")
    database.write(points(), bucket="telegraf/default")
    yield database
    database.close()


def expected_means() -> dict[int, float]:
    """Window stop -> mean of `used` for myHost: 30 points per 5 minutes."""
    out = {}
    for w in range(12):
        values = [i for i in range(w * 30, w * 30 + 30)]
        out[T0 + (w + 1) * 5 * 60 * 10**9] = sum(values) / len(values)
    return out


def written(db: Database, field: str):
    return db.connection.execute(
        f'SELECT epoch_ns(_time), "{field}", host FROM "telegraf_downsampled".mem ORDER BY _time'
    ).fetchall()


def test_seed_task_writes_the_five_minute_means_and_is_idempotent(db):
    result = db.query(SEED, now=T0 + HOUR)
    assert result.rows_written == 24  # 12 windows x 2 fields
    rows = written(db, "used")
    assert {t: v for t, v, _ in rows} == pytest.approx(expected_means())
    assert {h for _, _, h in rows} == {"myHost"}
    percent = {t: v for t, v, _ in written(db, "used_percent")}
    assert percent == pytest.approx({t: v / 10 for t, v in expected_means().items()})
    db.query(SEED, now=T0 + HOUR)
    assert written(db, "used") == rows


def test_query_result_keeps_series_tables_and_types(db):
    script = 'from(bucket: "telegraf/default") |> range(start: -5m) |> filter(fn: (r) => r.host == "myHost")'
    result = db.query(script, now=T0 + HOUR)
    tables = {t.key_values()[3]: t for t in result}  # by _field
    assert set(tables) == {"used", "used_percent"}
    assert tables["used"].column("_value").type.value == "int"
    assert tables["used_percent"].column("_value").type.value == "float"
    assert len(tables["used"].rows) == 30


def test_unknown_bucket_lists_the_buckets(db):
    with pytest.raises(FluxError, match="'nope' not found .*telegraf/default"):
        db.query('from(bucket: "nope") |> range(start: -1h)', now=T0)


def test_writing_into_the_bucket_being_read_is_an_error(db):
    with pytest.raises(FluxError, match="cannot write into bucket"):
        db.query('from(bucket: "telegraf/default") |> range(start: -1h) |> to(bucket: "telegraf/default")', now=T0)


def test_to_skips_nulls_and_nan_and_a_failed_query_writes_nothing(db):
    script = '''
import "array"
array.from(rows: [
    {_time: 2024-01-01T00:00:00Z, _measurement: "m", _field: "f", _value: 1.5, tag: "a"},
    {_time: 2024-01-01T00:00:10Z, _measurement: "m", _field: "f", _value: 0.0 / 0.0, tag: "a"},
    {_time: 2024-01-01T00:00:20Z, _measurement: "m", _field: "f", _value: 2.5, tag: ""},
])
  |> to(bucket: "out")
'''
    result = db.query(script, now=T0)
    assert result.rows_written == 2
    rows = db.connection.execute('SELECT epoch_ns(_time), f, tag FROM "out".m ORDER BY _time').fetchall()
    assert rows == [(1704067200000000000, 1.5, "a"), (1704067220000000000, 2.5, None)]


def test_to_a_new_table_keeps_the_later_of_a_point_given_twice(db):
    # A new measurement table is filled with one INSERT (nothing stored to merge with);
    # a point repeated in the to()'s input still keeps its later value, as a later line would.
    script = '''
import "array"
array.from(rows: [
    {_time: 2024-01-01T00:00:00Z, _measurement: "m", _field: "f", _value: 1.0, tag: "a"},
    {_time: 2024-01-01T00:00:00Z, _measurement: "m", _field: "g", _value: 2.0, tag: "a"},
    {_time: 2024-01-01T00:00:00Z, _measurement: "m", _field: "f", _value: 3.0, tag: "a"},
    {_time: 2024-01-01T00:00:10Z, _measurement: "m", _field: "f", _value: 4.0, tag: "b"},
])
  |> to(bucket: "fresh")
'''
    assert db.query(script, now=T0).rows_written == 3  # f and g at 00:00 for a, f at 00:10 for b
    rows = db.connection.execute('SELECT epoch_ns(_time), tag, f, g FROM "fresh".m ORDER BY _time').fetchall()
    assert rows == [(1704067200000000000, "a", 3.0, 2.0), (1704067210000000000, "b", 4.0, None)]
    # Written again into the table that now exists: merged, not doubled.
    assert db.query(script, now=T0).rows_written == 3
    assert db.connection.execute('SELECT count(*) FROM "fresh".m').fetchone() == (2,)


def test_cli_query_with_db_prints_annotated_csv(db, tmp_path):
    path = db.path
    db.close()
    script = tmp_path / "q.flux"
    script.write_text('from(bucket: "telegraf/default") |> range(start: -1m) |> filter(fn: (r) => r._field == "used" and r.host == "myHost") |> count()')
    out = subprocess.run([sys.executable, "-m", "runtime.cli.main", "query", str(script), "--db", path,
                          "--now", "2023-11-15T00:00:00Z"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("#group") and lines[-2].endswith(",6")


def test_pivot_of_fields_read_from_a_bucket(db):
    # The field names come from the bucket's catalog (a float field and nothing else here).
    script = '''from(bucket: "telegraf/default")
  |> range(start: -1m)
  |> filter(fn: (r) => r._measurement == "mem" and r._field == "used_percent" and r.host == "myHost")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")'''
    (table,) = list(db.query(script, now=T0 + HOUR))
    assert "used_percent" in table.labels and "_value" not in table.labels
    values = [row[table.index("used_percent")] for row in table.rows]
    assert values == pytest.approx([i / 10 for i in range(354, 360)])


def test_pivot_of_fields_of_mixed_types_gives_one_row_per_time(db):
    # `used` is an integer field and `used_percent` a float one: pivot sees both type
    # groups at once (analyze/variants.py) and puts them side by side with their own types.
    script = '''from(bucket: "telegraf/default")
  |> range(start: -1m)
  |> filter(fn: (r) => r._measurement == "mem" and r.host == "myHost")
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> map(fn: (r) => ({r with ratio: float(v: r.used) / r.used_percent}))'''
    result = db.query(script, now=T0 + HOUR)
    (table,) = list(result)
    rows = [dict(zip(table.labels, row)) for row in table.rows]
    assert [r["used"] for r in rows] == list(range(354, 360))
    assert [r["used_percent"] for r in rows] == pytest.approx([i / 10 for i in range(354, 360)])
    assert [r["ratio"] for r in rows] == pytest.approx([10.0] * 6)
    assert all(isinstance(r["used"], int) for r in rows)


def test_two_sources_of_mixed_field_types_in_one_script(db):
    # Each result is compiled once per type group of the source it reads.
    script = '''a = from(bucket: "telegraf/default") |> range(start: -1m) |> filter(fn: (r) => r.host == "myHost") |> last()
b = from(bucket: "telegraf/default") |> range(start: -1m) |> filter(fn: (r) => r.host == "other") |> first()
a |> yield(name: "a")
b |> yield(name: "b")'''
    result = db.query(script, now=T0 + HOUR)
    values = {name: sorted((t.key_values()[t.key.index("_field")], t.rows[0][t.index("_value")]) for t in tables)
              for name, tables in result.results}
    assert values["a"] == [("used", 359), ("used_percent", pytest.approx(35.9))]
    assert values["b"] == [("used", 354 * 7), ("used_percent", pytest.approx(354 * 7 / 10))]


WIDE_ROWS = '''import "array"
import "experimental"
import "influxdata/influxdb"
array.from(rows: [
    {_time: 2021-01-01T00:00:00Z, _measurement: "m", host: "a", temp: 21.5, hum: 40},
    {_time: 2021-01-01T00:01:00Z, _measurement: "m", host: "a", temp: 22.0, hum: 41},
    {_time: 2021-01-01T00:00:00Z, _measurement: "m", host: "b", temp: 19.0, hum: 55},
])
    |> group(columns: ["_measurement", "host"])
'''


@pytest.mark.parametrize("writer", ["experimental.to", "influxdb.wideTo"])
def test_pivoted_rows_are_written_as_one_point_per_row_with_a_field_per_column(db, writer):
    # https://docs.influxdata.com/flux/v0/stdlib/experimental/to/ and /influxdata/influxdb/wideto/:
    # key columns (but _measurement, _start, _stop) are tags, the other columns fields.
    script = WIDE_ROWS + f'    |> {writer}(bucket: "wide")'
    assert db.query(script, now=T0).rows_written == 6  # 3 rows x 2 fields
    db.query(script, now=T0)  # written again: the same points are overwritten, not doubled
    read = '''from(bucket: "wide") |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-02T00:00:00Z)
  |> keep(columns: ["_time", "host", "_field", "_value"])'''
    points = sorted(
        (row[t.index("host")], row[t.index("_field")], row[t.index("_time")], row[t.index("_value")])
        for t in db.query(read, now=T0) for row in t.rows
    )
    minute = 60 * 10**9
    t0 = 1_609_459_200 * 10**9
    assert points == [
        ("a", "hum", t0, 40), ("a", "hum", t0 + minute, 41),
        ("a", "temp", t0, 21.5), ("a", "temp", t0 + minute, 22.0),
        ("b", "hum", t0, 55), ("b", "temp", t0, 19.0),
    ]


def test_monitor_logs_reads_back_the_notifications_written_to_the_monitoring_bucket(db):
    # https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/monitor/logs/: the
    # notifications measurement of _monitoring from start to now, filtered by fn, fields as
    # columns (monitor.notify writes them there through experimental.to).
    write = '''import "array"
import "experimental"
import "influxdata/influxdb/monitor"
array.from(rows: [
    {_time: 2021-01-01T00:00:00Z, _measurement: "notifications", _check_name: "cpu", _level: "crit", _message: "cpu is crit", _sent: true},
    {_time: 2021-01-01T00:30:00Z, _measurement: "notifications", _check_name: "cpu", _level: "ok", _message: "cpu is ok", _sent: true},
    {_time: 2020-12-31T21:00:00Z, _measurement: "notifications", _check_name: "cpu", _level: "crit", _message: "too old", _sent: true},
    {_time: 2021-01-01T00:40:00Z, _measurement: "statuses", _check_name: "cpu", _level: "crit", _message: "a status", _sent: false},
])
    |> group(columns: ["_measurement", "_check_name", "_level"])
    |> experimental.to(bucket: monitor.bucket)'''
    db.query(write, now="2021-01-01T01:00:00Z")
    read = '''import "influxdata/influxdb/monitor"
monitor.logs(start: -2h, fn: (r) => r._level == monitor.levelCrit)'''
    (table,) = list(db.query(read, now="2021-01-01T01:00:00Z"))
    rows = [dict(zip(table.labels, row)) for row in table.rows]
    assert [(r["_check_name"], r["_level"], r["_message"], r["_sent"]) for r in rows] == [("cpu", "crit", "cpu is crit", True)]


def test_monitoring_bucket_exists_before_any_check_wrote_to_it(db):
    script = 'import "influxdata/influxdb/monitor"\nmonitor.from(start: -1h)'
    assert list(db.query(script, now=T0 + HOUR)) == []


def test_first_and_last_of_a_bucket_are_the_rows_of_the_least_and_greatest_time():
    # Written out of time order, with a field that is missing at some times: first() and
    # last() of each series take the row of its least or greatest time with a value
    # (lowered as min/max of the time and arg_min/arg_max of the value).
    database = Database()
    try:
        database.write("\n".join([
            "m,h=a x=3i,y=1.5 3000", "m,h=a x=1i 1000", "m,h=a x=5i 5000", "m,h=a y=0.5 500",
            "m,h=b x=7i 2000", "m,h=a y=9.5 4000",
        ]), bucket="b")
        found = {}
        for fn in ("first", "last"):
            result = database.query(f'from(bucket: "b") |> range(start: 0, stop: 10000) |> {fn}()', now=T0)
            for table in result:
                for row in table.rows:
                    cells = dict(zip(table.labels, row))
                    found[(fn, cells["h"], cells["_field"])] = (cells["_time"], cells["_value"])
        assert found == {
            ("first", "a", "x"): (1000, 1), ("last", "a", "x"): (5000, 5),
            ("first", "a", "y"): (500, 0.5), ("last", "a", "y"): (4000, 9.5),
            ("first", "b", "x"): (2000, 7), ("last", "b", "x"): (2000, 7),
        }
    finally:
        database.close()


def test_transpile_shows_the_rows_a_to_writes_before_the_results():
    # `flux2sql transpile` of a task: its to() is a statement of its own (the rows upserted
    # into the bucket), in the order the statements run, and runs as printed.
    import duckdb
    import sqlglot

    import transpile

    script = '''import "array"
rows = array.from(rows: [
    {_time: 2024-01-01T00:00:00Z, _measurement: "m", _field: "f", _value: 1.5, tag: "a"},
    {_time: 2024-01-01T00:00:10Z, _measurement: "m", _field: "f", _value: 2.5, tag: "b"},
])
rows |> to(bucket: "out") |> yield(name: "written")
rows |> count() |> yield(name: "counted")
'''
    statements = sqlglot.parse(transpile.compile(script, now=T0).sql(), read="duckdb")
    comments = [" ".join(s.comments or []) for s in statements]
    assert len(statements) == 2
    assert 'to(bucket: "out")' in comments[0] and "result: written" in comments[0]
    assert "result: counted" in comments[1]
    con = duckdb.connect()
    written = con.execute(statements[0].sql(dialect="duckdb")).fetchall()
    assert len(written) == 2
