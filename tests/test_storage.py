"""Bucket storage: catalog contents, typed columns, nanosecond round trip, the overwrite
rule, type conflicts, transactions, naming of schemas, tables and columns."""
from __future__ import annotations

import duckdb
import pytest

from runtime.database import Database
from runtime.ingest import WriteError
from transpile.storage_layout import DATABASE_ALIAS, FIELD_SQL_TYPES
from transpile.types import FluxType as T


def rows(db: Database, sql: str, params=None) -> list[tuple]:
    return db.connection.execute(sql, params).fetchall()


def test_catalog_lists_measurements_tags_and_typed_fields():
    with Database() as db:
        db.write(
            'cpu,host=a,cpu=cpu0 usage=1.5,n=3i,u=4u,s="x",ok=t 1\n'
            "mem,host=a free=10i 1\n",
            bucket="telegraf",
        )
        db.write("cpu,host=b,region=eu usage=2,extra=1.5 2\n", bucket="telegraf")
        catalog = db.catalog("telegraf")
        assert set(catalog.measurements) == {"cpu", "mem"}
        cpu = catalog.measurement("cpu")
        assert set(cpu.tag_keys) == {"host", "cpu", "region"}
        assert cpu.field_types == {
            "usage": T.FLOAT, "n": T.INT, "u": T.UINT, "s": T.STRING, "ok": T.BOOL, "extra": T.FLOAT,
        }
        assert db.buckets() == ["telegraf"]
        assert db.catalog("nothing").measurements == {}
        # Each field column has the SQL type of its Flux type.
        types = dict(rows(db, "SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_schema = 'telegraf' AND table_name = 'cpu'"))
        assert types["_time"] == "TIMESTAMP_NS"
        for f in cpu.fields:
            assert types[f.column] == FIELD_SQL_TYPES[f.type]
        for t in cpu.tags:
            assert types[t.column] == "VARCHAR"


def test_values_come_back_with_their_types():
    with Database() as db:
        db.write('m f=1.5,i=-3i,u=18446744073709551615u,s="a\\"b",b=FALSE 5', bucket="b")
        assert rows(db, "SELECT f, i, u, s, b FROM b.m") == [(1.5, -3, 2**64 - 1, 'a"b', False)]


def test_nanosecond_round_trip():
    times = [1, -1, 1_700_000_000_123_456_789, 9_223_372_036_854_775_806, -9_223_372_036_854_775_806]
    with Database() as db:
        db.write("\n".join(f"m f={i} {t}" for i, t in enumerate(times)), bucket="b")
        assert sorted(r[0] for r in rows(db, "SELECT epoch_ns(_time) FROM b.m")) == sorted(times)


def test_precision_scales_timestamps():
    with Database() as db:
        db.write("m f=1 1700000000", bucket="b", precision="s")
        db.write("m g=1 1700000000001", bucket="b", precision="ms")
        assert rows(db, "SELECT epoch_ns(_time) FROM b.m ORDER BY 1") == [
            (1_700_000_000_000_000_000,), (1_700_000_000_001_000_000,)
        ]


def test_missing_timestamp_uses_injected_now():
    with Database() as db:
        db.write("m f=1", bucket="b", now=123_456_789_012)
        db.write("m g=1", bucket="b", now=123_456_789_012, precision="ms")
        assert rows(db, "SELECT epoch_ns(_time), f, g FROM b.m ORDER BY 1") == [
            (123_456_000_000, None, 1.0), (123_456_789_012, 1.0, None)
        ]


def test_overwrite_rule_last_value_wins_across_writes():
    with Database() as db:
        db.write("cpu,host=a usage=1,idle=9 100\ncpu,host=b usage=5 100", bucket="b")
        db.write("cpu,host=a usage=2 100\ncpu,host=a usage=3 200", bucket="b")
        assert rows(db, "SELECT epoch_ns(_time), host, usage, idle FROM b.cpu ORDER BY 1, 2") == [
            (100, "a", 2.0, 9.0), (100, "b", 5.0, None), (200, "a", 3.0, None)
        ]


def test_overwrite_rule_within_one_batch():
    with Database() as db:
        db.write("cpu,host=a usage=1,idle=9 100\ncpu,host=a usage=2 100\ncpu,host=a usage=3 100", bucket="b")
        assert rows(db, "SELECT host, usage, idle FROM b.cpu") == [("a", 3.0, 9.0)]


def test_series_differ_by_tag_set():
    # {host=a} and {host=a, region=eu} are two series: writing one keeps the other.
    with Database() as db:
        db.write("cpu,host=a usage=1 100\ncpu,host=a,region=eu usage=2 100", bucket="b")
        db.write("cpu,host=a usage=3 100", bucket="b")
        assert rows(db, "SELECT host, region, usage FROM b.cpu ORDER BY region NULLS FIRST") == [
            ("a", None, 3.0), ("a", "eu", 2.0)
        ]


def test_rewriting_a_file_never_duplicates():
    data = "\n".join(f"cpu,host=h{i % 3} usage={i} {i // 3}" for i in range(300))
    with Database() as db:
        db.write(data, bucket="b")
        db.write(data, bucket="b")
        assert rows(db, "SELECT count(*) FROM b.cpu") == [(300,)]


def test_type_conflict_with_existing_data_writes_nothing():
    with Database() as db:
        db.write("cpu usage=1 1", bucket="b")
        with pytest.raises(WriteError) as info:
            db.write("cpu other=1 2\ncpu usage=1i 3", bucket="b")
        assert info.value.errors[0].line == 2 and "field type conflict" in str(info.value)
        assert rows(db, "SELECT count(*) FROM b.cpu") == [(1,)]
        assert "other" not in db.catalog("b").measurement("cpu").field_types


def test_type_conflict_within_one_write_first_type_wins():
    with Database() as db:
        with pytest.raises(WriteError) as info:
            db.write('cpu usage=1i 1\ncpu usage=2 2\ncpu usage="x" 3\ncpu usage=3i 4', bucket="b")
        assert [e.line for e in info.value.errors] == [2, 3]
        result = db.write('cpu usage=1i 1\ncpu usage=2 2\ncpu usage=3i 4', bucket="b", skip_bad=True)
        assert [e.line for e in result.skipped] == [2]
        assert rows(db, "SELECT epoch_ns(_time), usage FROM b.cpu ORDER BY 1") == [(1, 1), (4, 3)]


def test_bad_line_writes_nothing_and_skip_bad_writes_the_rest():
    data = "cpu usage=1 1\ncpu usage= 2\ncpu usage=3 3\n"
    with Database() as db:
        db.write("cpu usage=0 0", bucket="b")
        with pytest.raises(WriteError):
            db.write(data, bucket="b")
        assert rows(db, "SELECT count(*) FROM b.cpu") == [(1,)]
        result = db.write(data, bucket="b", skip_bad=True)
        assert (result.points, result.skipped_count) == (2, 1)
        assert result.skipped[0].line == 2
        assert rows(db, "SELECT count(*) FROM b.cpu") == [(3,)]


def test_new_tags_and_fields_appear_at_any_write():
    with Database() as db:
        db.write("m,a=1 f=1 1", bucket="b")
        db.write("m,b=2 g=\"x\" 2", bucket="b")
        assert rows(db, "SELECT a, b, f, g FROM b.m ORDER BY _time") == [("1", None, 1.0, None), (None, "2", None, "x")]


def test_names_that_clash_in_duckdb_get_distinct_columns_and_tables():
    # DuckDB identifiers ignore case; line protocol names do not. A tag and a field may share a key.
    with Database() as db:
        db.write("cpu,host=a,Host=b host=1i,HOST=2i 1\nCPU v=1 1", bucket="b")
        catalog = db.catalog("b")
        cpu = catalog.measurement("cpu")
        columns = [t.column for t in cpu.tags] + [f.column for f in cpu.fields]
        assert len({c.lower() for c in columns}) == 4
        assert catalog.measurement("CPU").table.lower() != cpu.table.lower()
        values = {}
        for f in cpu.fields:
            values[f.key] = rows(db, f'SELECT "{f.column}" FROM b."{cpu.table}"')[0][0]
        assert values == {"host": 1, "HOST": 2}


def test_bucket_named_like_the_file(tmp_path):
    path = tmp_path / "telegraf.duckdb"
    with Database(path) as db:
        db.write("cpu usage=1 1", bucket="telegraf")
        db.write("cpu usage=2 1", bucket="system")  # a DuckDB catalog name
        assert rows(db, "SELECT usage FROM telegraf.cpu") == [(1.0,)]
        assert rows(db, f"SELECT usage FROM \"{db.catalog('system').schema}\".cpu") == [(2.0,)]


def test_file_is_readable_by_plain_duckdb(tmp_path):
    path = tmp_path / "data.duckdb"
    with Database(path) as db:
        db.write("cpu,host=a usage=1.5 1700000000000000001", bucket="telegraf")
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT epoch_ns(_time), host, usage FROM telegraf.cpu").fetchall() == [
            (1700000000000000001, "a", 1.5)
        ]
        assert con.execute(
            "SELECT measurement, field_key, flux_type FROM flux2sql.fields"
        ).fetchall() == [("cpu", "usage", "float")]
    finally:
        con.close()
    with Database(path) as db:  # reopening keeps everything
        assert db.catalog("telegraf").measurement("cpu").field_types == {"usage": T.FLOAT}


def test_data_argument_kinds(tmp_path):
    path = tmp_path / "in.lp"
    path.write_text("m f=1 1\n")
    with Database() as db:
        db.write(path, bucket="b")
        db.write(b"m f=2 2\n", bucket="b")
        db.write("m f=3 3", bucket="b")
        assert rows(db, "SELECT count(*) FROM b.m") == [(3,)]


def test_bad_arguments():
    with Database() as db:
        with pytest.raises(ValueError):
            db.write("m f=1", bucket="b", precision="h")
        with pytest.raises(ValueError):
            db.write("m f=1", bucket="b", format="json")
        with pytest.raises(ValueError):
            db.write("m f=1", bucket="_internal")


def test_connection_uses_the_alias():
    with Database() as db:
        assert rows(db, "SELECT current_database()") == [(DATABASE_ALIAS,)]


CSV = """#group,false,false,true,true,false,false,true,true,true
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339Nano,double,string,string,string
#default,_result,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,host
,,0,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,2024-01-01T00:00:00.000000001Z,1.5,usage,cpu,a
,,0,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,2024-01-01T00:00:10Z,2.5,usage,cpu,a

#group,false,false,true,true,false,false,true,true
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,unsignedLong,string,string
#default,_result,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement
,,1,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,2024-01-01T00:00:00Z,7,n,mem
"""


def test_annotated_csv_ingest():
    with Database() as db:
        result = db.write(CSV, bucket="b", format="csv")
        assert result.points == 3
        assert rows(db, "SELECT epoch_ns(_time), host, usage FROM b.cpu ORDER BY 1") == [
            (1704067200000000001, "a", 1.5), (1704067210000000000, "a", 2.5)
        ]
        catalog = db.catalog("b")
        assert catalog.measurement("mem").field_types == {"n": T.UINT}
        assert catalog.measurement("cpu").tag_keys == ("host",)  # not _start/_stop
        # Same points again: overwritten, not duplicated; a conflicting type is refused.
        db.write(CSV, bucket="b", format="csv")
        assert rows(db, "SELECT count(*) FROM b.cpu") == [(2,)]
        with pytest.raises(WriteError, match="field type conflict"):
            db.write(CSV.replace("unsignedLong", "long"), bucket="b", format="csv")


def test_annotated_csv_errors():
    with Database() as db:
        with pytest.raises(WriteError) as info:
            db.write(CSV.replace(",_measurement\n", ",_m\n"), bucket="b", format="csv")
        assert "no column _measurement" in str(info.value)
        with pytest.raises(WriteError):
            db.write("#datatype,string\n,result\n,,x,y\n\"", bucket="b", format="csv")
        assert db.buckets() == []
