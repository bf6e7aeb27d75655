"""The schema functions (influxdata/influxdb/schema and their v1 aliases) and buckets(),
end to end on a DuckDB database: exact rows, predicate and range handling, the plan pass
that reads the tables directly against the plain Flux pipeline, errors with positions."""
from __future__ import annotations

import pytest

import transpile
from runtime.database import Database
from runtime.execute import ConnectionCatalog
from transpile.errors import FluxError
from transpile.plan.storage import SeriesKeys, SeriesValues

NOW = "2023-11-15T00:00:00Z"
# 2023-11-14T22:13:20Z and later; disk's point is in 2020, out of the default -30d.
LINES = """\
cpu,host=a,cpu=cpu0 usage=1.5,count=3i 1700000000000000000
cpu,host=b,cpu=cpu1 usage=2.5,count=4i 1700000010000000000
cpu,host=c usage=2.5 1700000020000000000
mem,host=a,region=eu used=10i,free=2.0 1700000000000000000
mem,host=d,region=us used=11i 1700000030000000000
disk,path=/ free=1i 1600000000000000000
"""
BASE_KEYS = ["_field", "_measurement", "_start", "_stop"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = Database(tmp_path_factory.mktemp("schema") / "s.duckdb")
    database.write(LINES, bucket="telegraf")
    database.write("other,x=1 v=1 1700000000000000000\n", bucket="archive")
    yield database
    database.close()


def tables(db, call: str, pkg: str = "schema"):
    source = f'import "influxdata/influxdb/{pkg}"\n{call}\n'
    return list(db.query(source, now=NOW))


def values(db, call: str, pkg: str = "schema") -> list:
    """The `_value` column of the one table the call returns ([] for no table)."""
    found = tables(db, call, pkg)
    assert len(found) <= 1
    if not found:
        return []
    table = found[0]
    assert [c.label for c in table.columns] == ["_value"] and table.key == ()
    return [row[0] for row in table.rows]


CASES = [
    ('tagValues(bucket: "telegraf", tag: "host")', ["a", "b", "c", "d"]),
    # host=c has no cpu tag: no null row
    ('tagValues(bucket: "telegraf", tag: "cpu")', ["cpu0", "cpu1"]),
    ('tagValues(bucket: "telegraf", tag: "host", predicate: (r) => r.region == "us")', ["d"]),
    ('tagValues(bucket: "telegraf", tag: "host", predicate: (r) => r._field == "count")', ["a", "b"]),
    ('tagValues(bucket: "telegraf", tag: "host", predicate: (r) => r._field == "usage" and r.host != "a")', ["b", "c"]),
    ('tagValues(bucket: "telegraf", tag: "host", start: 2023-11-14T22:13:25Z)', ["b", "c", "d"]),
    ('tagValues(bucket: "telegraf", tag: "host", start: 2023-11-14T22:13:20Z, stop: 2023-11-14T22:13:30Z)', ["a"]),
    ('tagValues(bucket: "telegraf", tag: "path", start: 2020-01-01T00:00:00Z)', ["/"]),
    ('tagValues(bucket: "telegraf", tag: "path")', []),
    ('tagValues(bucket: "telegraf", tag: "nosuchtag")', []),
    ('measurementTagValues(bucket: "telegraf", measurement: "mem", tag: "host")', ["a", "d"]),
    ('measurementTagValues(bucket: "telegraf", measurement: "cpu", tag: "region")', []),
    ('tagKeys(bucket: "telegraf")', BASE_KEYS + ["cpu", "host", "region"]),
    ('tagKeys(bucket: "telegraf", predicate: (r) => r.host == "c")', BASE_KEYS + ["host"]),
    ('tagKeys(bucket: "telegraf", start: 2020-01-01T00:00:00Z, stop: 2021-01-01T00:00:00Z)', BASE_KEYS + ["path"]),
    ('tagKeys(bucket: "telegraf", start: 2010-01-01T00:00:00Z, stop: 2011-01-01T00:00:00Z)', []),
    ('measurementTagKeys(bucket: "telegraf", measurement: "cpu")', BASE_KEYS + ["cpu", "host"]),
    ('measurementTagKeys(bucket: "telegraf", measurement: "nope")', []),
    ('fieldKeys(bucket: "telegraf")', ["count", "free", "usage", "used"]),
    ('fieldKeys(bucket: "telegraf", predicate: (r) => r.host == "d" or r.host == "c")', ["usage", "used"]),
    ('fieldKeys(bucket: "telegraf", start: 2020-01-01T00:00:00Z)', ["count", "free", "usage", "used"]),
    ('measurementFieldKeys(bucket: "telegraf", measurement: "mem")', ["free", "used"]),
    ('measurementFieldKeys(bucket: "telegraf", measurement: "disk", start: 2020-01-01T00:00:00Z)', ["free"]),
    ('measurements(bucket: "telegraf")', ["cpu", "mem"]),
    ('measurements(bucket: "telegraf", start: 2020-01-01T00:00:00Z)', ["cpu", "disk", "mem"]),
    ('measurements(bucket: "archive")', ["other"]),
]


@pytest.mark.parametrize("call,expected", CASES, ids=[c for c, _ in CASES])
def test_schema_function_rows(db, call, expected):
    assert values(db, "schema." + call) == expected


@pytest.mark.parametrize("call,expected", CASES[:: 3], ids=[c for c, _ in CASES[:: 3]])
def test_v1_aliases_give_the_same_rows(db, call, expected):
    assert values(db, "v1." + call, pkg="v1") == expected


PIPELINES = [
    ("tagValues", 'keep(columns: ["host"]) |> group() |> distinct(column: "host") |> filter(fn: (r) => exists r._value)'),
    ("fieldKeys", 'keep(columns: ["_field"]) |> group() |> distinct(column: "_field")'),
    ("tagKeys", 'keys() |> keep(columns: ["_value"]) |> distinct()'),
]


@pytest.mark.parametrize("predicate", ['r.host != "b"', 'r._field == "usage" or r.region == "eu"', "true"])
@pytest.mark.parametrize("name,pipeline", PIPELINES, ids=[n for n, _ in PIPELINES])
def test_direct_read_matches_the_flux_pipeline(db, name, pipeline, predicate):
    """The pass (passes.read_schema_from_tables) against the plain pipeline: a condition on
    _value that always holds keeps the pass away."""
    def run(cond):
        src = (f'from(bucket: "telegraf") |> range(start: 2020-01-01T00:00:00Z) |> filter(fn: (r) => {cond})\n'
               f'    |> drop(columns: ["_value"]) |> {pipeline} |> sort()')
        return [row for t in db.query(src, now=NOW) for row in t.rows]

    direct = run(predicate)
    assert direct and direct == run(f"r._value == r._value and ({predicate})")


def compiled_node(db, call: str):
    source = f'import "influxdata/influxdb/schema"\n{call}\n'
    compiled = transpile.compile(source, now=NOW, catalog=ConnectionCatalog(db.connection))
    assert len(compiled.results) == 1
    return compiled.results[0].node


def test_the_pass_reads_the_tables_directly(db):
    assert isinstance(compiled_node(db, 'schema.measurementTagValues(bucket: "telegraf", measurement: "cpu", tag: "cpu")'), SeriesValues)
    assert isinstance(compiled_node(db, 'schema.tagValues(bucket: "telegraf", tag: "host")'), SeriesValues)
    assert isinstance(compiled_node(db, 'schema.measurements(bucket: "telegraf")'), SeriesValues)
    assert isinstance(compiled_node(db, 'schema.tagKeys(bucket: "telegraf")'), SeriesKeys)


def test_a_condition_on_value_reads_every_field_type(db):
    # usage 1.5 (a), 2.5 (b, c); count 3, 4 (a, b); used 10, 11 (a, d); free 2.0 (a)
    assert values(db, 'schema.tagValues(bucket: "telegraf", tag: "host", predicate: (r) => r._value > 2.4)') == ["a", "b", "c", "d"]
    assert values(db, 'schema.tagValues(bucket: "telegraf", tag: "host", predicate: (r) => r._value > 3.5 and r._value < 10.5)') == ["a", "b"]


def test_schema_functions_compose(db):
    got = values(db, 'schema.tagValues(bucket: "telegraf", tag: "host") |> filter(fn: (r) => r._value > "b") |> limit(n: 1)')
    assert got == ["c"]


def test_buckets_lists_the_database(db):
    for source in ("buckets()", 'import "influxdata/influxdb"\ninfluxdb.buckets()'):
        found = list(db.query(source, now=NOW))
        assert len(found) == 1
        table = found[0]
        assert [c.label for c in table.columns] == ["name", "id", "organizationID", "retentionPolicy", "retentionPeriod"]
        assert [c.type.value for c in table.columns] == ["string"] * 4 + ["int"]
        assert [r[0] for r in table.rows] == ["archive", "telegraf"]
        assert all(len(r[1]) == 16 and r[2] == "0000000000000000" and r[3] == "" and r[4] == 0 for r in table.rows)
        assert table.rows[0][1] != table.rows[1][1]


def test_buckets_feeds_a_filter(db):
    found = list(db.query('buckets() |> filter(fn: (r) => r.name =~ /^tele/) |> keep(columns: ["name"])', now=NOW))
    assert [r for t in found for r in t.rows] == [("telegraf",)]


@pytest.mark.parametrize("source,where", [
    ("x = 1\nbuckets()", "2:1"),
    ('import "influxdata/influxdb/schema"\n\nschema.tagValues(bucket: "telegraf", tag: "host")', "3:18"),
    ('import "influxdata/influxdb/v1"\nv1.tagKeys(bucket: "telegraf")', "2:12"),
])
def test_without_a_database_the_error_has_a_position(source, where):
    with pytest.raises(FluxError) as info:
        transpile.compile(source, now=NOW)
    text = info.value.format("q.flux")
    assert text.splitlines()[0].startswith(f"q.flux:{where}: ") and "--db" in text


def test_an_empty_database_file_lists_no_buckets(tmp_path):
    empty = Database(tmp_path / "e.duckdb")
    try:
        assert list(empty.query("buckets()", now=NOW)) == []
    finally:
        empty.close()


def test_an_in_memory_database_without_buckets_asks_for_a_file():
    # `flux2sql query` without --db: the in-memory database cannot hold the user's buckets.
    memory = Database()
    try:
        with pytest.raises(FluxError) as info:
            list(memory.query("buckets()", now=NOW))
        assert "pass --db" in str(info.value) and info.value.span.line == 1
    finally:
        memory.close()


def test_an_unknown_bucket_is_named_at_the_call(db):
    with pytest.raises(FluxError) as info:
        values(db, 'schema.measurements(bucket: "nope")')
    assert "bucket 'nope' not found" in str(info.value)
    assert (info.value.span.line, info.value.span.column) == (2, 21)
