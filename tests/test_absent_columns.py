"""Tables of one stream with different column sets: a column some tables lack is not a
column of those tables (plan: PlanNode.maybe_absent; output: runtime.execute.own_columns).

In Flux each table has its own columns: a series without tag X has no column X (InfluxDB
stores no null tag), an annotated CSV block without a column gives tables without it, and
group() merging tables with and without a column gives the merged table that column
(https://docs.influxdata.com/flux/v0/get-started/data-model/ ; keys():
https://docs.influxdata.com/flux/v0/stdlib/universe/keys/). Every test checks the exact
columns of each table.
"""
from __future__ import annotations

import io
import json

import pytest

from runtime.database import Database

NOW = "2023-11-15T01:00:00Z"
T0 = 1_700_006_400 * 10**9  # 2023-11-15T00:00:00Z
SEC = 10**9

# Two measurements with different tag sets, and a third whose series differ in tags.
POINTS = "\n".join([
    f"cpu,cpu=cpu0,host=h1 usage_user=1.5 {T0}",
    f"cpu,cpu=cpu0,host=h1 usage_user=2.5 {T0 + 10 * SEC}",
    f"cpu,cpu=cpu1,host=h1 usage_user=3.5 {T0}",
    f"mem,host=h1 used_percent=40.0 {T0}",
    f"mem,host=h1 used_percent=41.0 {T0 + 10 * SEC}",
    f"mem,host=h2 used_percent=50.0 {T0}",
    f"disk,device=sda,host=h1 used=7i {T0}",
    f"disk,host=h1 used=9i {T0}",
])
RANGE = 'from(bucket: "b") |> range(start: 2023-11-14T23:00:00Z, stop: 2023-11-15T00:30:00Z)'
BASE = ["_start", "_stop", "_time", "_value", "_field", "_measurement"]


@pytest.fixture(scope="module")
def db():
    database = Database()
    database.write(POINTS, bucket="b")
    yield database
    database.close()


def shapes(db, flux: str) -> dict:
    """{group key as a sorted tuple of (label, value): (column labels, key labels)}."""
    out = {}
    for table in db.query(flux, now=NOW):
        key = tuple(sorted(zip(table.key, table.key_values())))
        assert key not in out
        out[key] = (list(table.labels), sorted(table.key))
    return out


def labels_by(db, flux: str, column: str) -> dict:
    """{value of `column` in the table: its column labels}."""
    out = {}
    for table in db.query(flux, now=NOW):
        out[table.rows[0][table.index(column)]] = list(table.labels)
    return out


def test_each_measurement_has_its_own_tag_columns(db):
    got = labels_by(db, RANGE + ' |> filter(fn: (r) => r._measurement == "mem" or r.cpu == "cpu0") |> last()',
                    "_measurement")
    assert got == {"cpu": BASE + ["cpu", "host"], "mem": BASE + ["host"]}


def test_annotated_csv_starts_a_block_per_column_set(db):
    text = db.query(RANGE + ' |> filter(fn: (r) => r._measurement == "mem" or r.cpu == "cpu0") |> last()',
                    now=NOW).to_csv()
    headers = [line for line in text.split("\r\n") if line.startswith(",result,table,")]
    assert headers == [",result,table,_start,_stop,_time,_value,_field,_measurement,cpu,host",
                       ",result,table,_start,_stop,_time,_value,_field,_measurement,host"]


def test_series_of_one_measurement_without_a_tag(db):
    got = shapes(db, RANGE + ' |> filter(fn: (r) => r._measurement == "disk")')
    assert sorted(got.values()) == [
        (BASE + ["device", "host"], sorted(["_start", "_stop", "_field", "_measurement", "device", "host"])),
        (BASE + ["host"], sorted(["_start", "_stop", "_field", "_measurement", "host"])),
    ]


def test_aggregates_keep_each_tables_key_columns(db):
    got = labels_by(db, RANGE + ' |> filter(fn: (r) => r._measurement != "disk") |> mean()', "_measurement")
    assert got == {"cpu": ["_start", "_stop", "_field", "_measurement", "cpu", "host", "_value"],
                   "mem": ["_start", "_stop", "_field", "_measurement", "host", "_value"]}


def test_group_merging_tables_with_and_without_a_tag(db):
    # host=h1 merges cpu tables (with cpu) and mem tables (without): the merged table has cpu,
    # null on the mem rows; host=h2 merges only mem tables: no cpu column.
    flux = RANGE + ' |> filter(fn: (r) => r._measurement != "disk") |> group(columns: ["host"])'
    tables = {t.key_values(): t for t in db.query(flux, now=NOW)}
    assert list(tables[("h1",)].labels) == BASE + ["cpu", "host"]
    cpu = tables[("h1",)].index("cpu")
    assert sorted(r[cpu] or "" for r in tables[("h1",)].rows) == ["", "", "cpu0", "cpu0", "cpu1"]
    assert list(tables[("h2",)].labels) == BASE + ["host"]


def test_group_by_measurement_drops_tags_no_merged_table_had(db):
    got = labels_by(db, RANGE + ' |> filter(fn: (r) => r._measurement != "disk") |> group(columns: ["_measurement"])',
                    "_measurement")
    assert got == {"cpu": BASE + ["cpu", "host"], "mem": BASE + ["host"]}


def test_group_by_a_tag_some_tables_lack(db):
    # Tables without the column get a key without it (mem and the disk series without device).
    got = shapes(db, RANGE + ' |> filter(fn: (r) => r._measurement == "disk") |> group(columns: ["device"]) |> count()')
    assert sorted(got.values()) == [(["_value"], []), (["device", "_value"], ["device"])]


def test_setting_a_column_gives_it_to_every_table(db):
    got = labels_by(db, RANGE + ' |> filter(fn: (r) => r._measurement != "disk") |> last() |> set(key: "cpu", value: "x")',
                    "_measurement")
    assert got == {"cpu": BASE + ["host", "cpu"], "mem": BASE + ["host", "cpu"]}
    got = labels_by(db, RANGE + ' |> filter(fn: (r) => r._measurement != "disk") |> last()'
                                ' |> map(fn: (r) => ({r with cpu: "y"}))', "_measurement")
    assert got["mem"] == got["cpu"] and "cpu" in got["mem"]


def test_rename_and_drop_keep_the_tables_own_columns(db):
    got = labels_by(db, RANGE + ' |> filter(fn: (r) => r._measurement != "disk") |> last()'
                                ' |> drop(columns: ["_start", "_stop"]) |> rename(columns: {cpu: "core"})',
                    "_measurement")
    assert got == {"cpu": ["_time", "_value", "_field", "_measurement", "core", "host"],
                   "mem": ["_time", "_value", "_field", "_measurement", "host"]}


def test_keys_lists_only_the_columns_a_table_has(db):
    flux = RANGE + ' |> filter(fn: (r) => r._measurement != "disk") |> keys() |> group(columns: ["_measurement"])'
    got = {}
    for table in db.query(flux, now=NOW):
        m, v = table.index("_measurement"), table.index("_value")
        for row in table.rows:
            got.setdefault(row[m], set()).add(row[v])
    assert got == {"cpu": {"_start", "_stop", "_field", "_measurement", "cpu", "host"},
                   "mem": {"_start", "_stop", "_field", "_measurement", "host"}}


def test_columns_lists_only_the_columns_a_table_has(db):
    flux = (RANGE + ' |> filter(fn: (r) => r._measurement != "disk") |> group(columns: ["_measurement"])'
            ' |> columns() |> keep(columns: ["_measurement", "_value"])')
    got = {}
    for table in db.query(flux, now=NOW):
        got[table.key_values()[0]] = sorted(r[table.index("_value")] for r in table.rows)
    assert got == {"cpu": sorted(BASE + ["cpu", "host"]), "mem": sorted(BASE + ["host"])}


CSV = """#datatype,string,long,dateTime:RFC3339,string,string,double
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_measurement,reg,_value
,,0,2018-05-22T19:53:26Z,swp,us-east,10
,,0,2018-05-22T19:53:36Z,swp,us-east,11

#datatype,string,long,dateTime:RFC3339,string,string,double,string
#group,false,false,false,true,true,false,false
#default,_result,,,,,,
,result,table,_time,_measurement,region,_value,note
,,1,2018-05-22T19:53:26Z,swp,eu,12,a
,,1,2018-05-22T19:53:36Z,swp,eu,13,
"""
CSV_FROM = f'import "csv"\ncsv.from(csv: "{CSV}")'


def test_csv_blocks_keep_their_columns():
    with Database() as db:
        got = shapes(db, CSV_FROM + ' |> range(start: 2018-05-22T00:00:00Z, stop: 2018-05-23T00:00:00Z)'
                                    ' |> filter(fn: (r) => r._value > 0.0)')
    # (Columns come in the stream's order, first appearance over all blocks: `region`
    # after `_value` here, where Flux keeps each block's own order.)
    assert sorted((sorted(labels), key) for labels, key in got.values()) == [
        (sorted(["_start", "_stop", "_time", "_measurement", "region", "_value", "note"]),
         ["_measurement", "_start", "_stop", "region"]),
        (sorted(["_start", "_stop", "_time", "_measurement", "reg", "_value"]), ["_measurement", "_start", "_stop", "reg"]),
    ]


def test_csv_keys_and_group_merging_blocks():
    with Database() as db:
        keys = {row[-1] for t in db.query(CSV_FROM + ' |> keys() |> group()', now=NOW) for row in t.rows}
        assert keys == {"_measurement", "reg", "region"}
        per_table = [sorted(r[t.index("_value")] for r in t.rows)
                     for t in db.query(CSV_FROM + ' |> keys()', now=NOW)]
        assert sorted(per_table) == [["_measurement", "reg"], ["_measurement", "region"]]
        # group() merges both blocks: one table with every column, nulls where a block lacked one.
        (merged,) = list(db.query(CSV_FROM + ' |> group()', now=NOW))
        assert list(merged.labels) == ["_time", "_measurement", "reg", "_value", "region", "note"]


def test_union_of_streams_with_different_columns():
    flux = ('import "array"\n'
            'a = array.from(rows: [{_value: 1, x: "p"}])\n'
            'b = array.from(rows: [{_value: 2, y: "q"}]) |> group(columns: ["y"])\n'
            'union(tables: [a, b])')
    with Database() as db:
        got = shapes(db, flux)
    assert sorted(got.values()) == [(["_value", "x"], []), (["_value", "y"], ["y"])]


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_writers_print_each_tables_own_columns(db, fmt):
    result = db.query(RANGE + ' |> filter(fn: (r) => r._measurement != "disk") |> last() |> group(columns: ["_measurement"])',
                      now=NOW)
    out = io.StringIO()
    result.write(out, fmt)
    if fmt == "json":
        tables = json.loads(out.getvalue())["results"][0]["tables"]
        got = {t["key"]["_measurement"]: [c["label"] for c in t["columns"]] for t in tables}
        assert got == {"cpu": BASE + ["cpu", "host"], "mem": BASE + ["host"]}
    else:
        heads = [line.split() for line in out.getvalue().splitlines() if line.startswith("_start")]
        assert sorted(heads) == sorted([BASE + ["cpu", "host"], BASE + ["host"]])
