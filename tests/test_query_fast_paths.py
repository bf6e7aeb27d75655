"""The fast paths of query execution give the same Flux tables as the general ones:
fetching only non-constant columns (runtime/execute.py), pivot read straight from the wide
measurement tables, derivative/difference on a storage scan (one LAG window, no
placeholders for emptied tables when nothing reads them)."""
from __future__ import annotations

import operator

import pytest
from sqlglot import exp

from runtime.database import Database
from runtime.execute import NOT_CONSTANT, constant_value, key_runs
from transpile.lower import sql
from transpile.types import FluxType

NOW = 100 * 10**9


@pytest.fixture(scope="module")
def db():
    lines = []
    for host in ("a", "b", "c"):
        for i in range(6 if host != "c" else 1):
            t = (i + 1) * 10**9
            counter = (i * 7) % 5 if host == "b" else i * 3  # host b's counter restarts
            fields = [f"rx={counter}u", f"load={i / 2}"]
            if i % 3 != 1:
                fields.append(f"idle={100 - i}.5")
            lines.append(f"net,host={host},nic=eth0 {','.join(fields)} {t}")
    lines.append("disk,host=a,path=/ used=3.5 2000000000")
    database = Database()
    database.write("\n".join(lines), bucket="b")
    yield database
    database.close()


def rows(db, source: str):
    return [(t.key_values(), t.labels, t.rows) for t in db.query(source, now=NOW)]


def test_key_runs_find_every_table():
    for keys in ([], [1], [1, 1, 1], [1, 2, 3], [1, 1, 2, 2, 2, 2, 2, 3], [5] * 17 + [6] + [7] * 9):
        found = [(s, e, k) for s, e, k in key_runs([(k,) for k in keys], operator.itemgetter(0))]
        expected, start = [], 0
        for i in range(1, len(keys) + 1):
            if i == len(keys) or keys[i] != keys[start]:
                expected.append((start, i, keys[start]))
                start = i
        assert found == expected


def test_constants_read_from_the_sql_literals():
    assert constant_value(sql.time_literal(1_500_000_001), FluxType.TIME) == 1_500_000_001
    assert constant_value(sql.time_literal(0), FluxType.TIME) == 0
    assert constant_value(exp.Literal.string("cpu"), FluxType.STRING) == "cpu"
    assert constant_value(sql.null(FluxType.FLOAT), FluxType.FLOAT) is None
    assert constant_value(exp.true(), FluxType.BOOL) is True
    assert constant_value(sql.col("host"), FluxType.STRING) is NOT_CONSTANT
    assert constant_value(sql.number(3), FluxType.INT) is NOT_CONSTANT  # fetched: exact type from DuckDB


def test_pivot_of_a_scan_equals_the_grouped_pivot(db):
    pivot = '|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")'
    scan = 'from(bucket: "b") |> range(start: 0) |> filter(fn: (r) => r._measurement == "net" and (r._field == "load" or r._field == "idle"))'
    # A filter on _value stays above the scan, so this pivot groups the series rows.
    grouped = scan + ' |> filter(fn: (r) => r._value > -1.0) ' + pivot
    fast = rows(db, scan + pivot)
    assert fast == rows(db, grouped)
    assert sum(len(r) for _, _, r in fast) == 13
    nulls = [row for _, labels, rs in fast for row in rs if row[labels.index("idle")] is None]
    assert len(nulls) == 4


@pytest.mark.parametrize("fn", ["derivative(unit: 1s, nonNegative: true)", "derivative(unit: 1s)", "difference()",
                                "difference(nonNegative: true)", "elapsed()"])
def test_series_math_on_a_scan_equals_the_general_path(db, fn):
    scan = 'from(bucket: "b") |> range(start: 0) |> filter(fn: (r) => r._measurement == "net" and r._field == "rx")'
    general = scan + " |> filter(fn: (r) => r._value >= 0) |> " + fn
    assert rows(db, scan + " |> " + fn) == rows(db, general)
    # Downstream of the step, host c's table (one row) is empty, and still counted.
    counts = {k[-2]: r[0][-1] for k, _, r in rows(db, scan + " |> " + fn + " |> count()")}
    assert counts == {"a": 5, "b": 5, "c": 0}


def test_a_to_that_is_the_result_returns_its_input_rows(db):
    scan = ('from(bucket: "b") |> range(start: 0) |> filter(fn: (r) => r._measurement == "net" and r._field != "rx")'
            ' |> map(fn: (r) => ({r with _value: r._value * 2.0}))')
    written = db.query(scan + ' |> to(bucket: "copy")', now=NOW)
    expected = db.query(scan, now=NOW)
    assert [(t.key_values(), t.rows) for t in written] == [(t.key_values(), t.rows) for t in expected]
    assert written.rows_written == 22  # load: 6 + 6 + 1 points, idle: 4 + 4 + 1
    copied = db.query('from(bucket: "copy") |> range(start: 0)', now=NOW)
    assert sorted(row for t in copied for row in t.rows) == sorted(row for t in expected for row in t.rows)


def test_the_catalog_lists_columns_by_name_with_their_suffixes():
    from runtime import storage

    database = Database()
    try:
        database.write('Zeta,b=1,A=2,é=3 x=1i,Y=2.5,ä="s",b=1 1\nalpha,z=1 on=true 2\nalpha,a=1 on=false 3', bucket="b")
        database.write("m f=1 1", bucket="other")
        catalog = storage.load_catalog(database.connection, "b")
        assert (catalog.bucket, catalog.schema) == ("b", "b")
        zeta = catalog.measurements["Zeta"]
        assert [(t.key, t.column) for t in zeta.tags] == [("A", "A"), ("b", "b"), ("é", "é")]
        # The field "b" shares its key with a tag: its column gets a suffix.
        assert [(f.key, f.column, f.type.value) for f in zeta.fields] == [
            ("Y", "Y", "float"), ("b", "b_field", "float"), ("x", "x", "int"), ("ä", "ä", "string")]
        assert [t.key for t in catalog.measurements["alpha"].tags] == ["a", "z"]
        assert list(storage.load_catalog(database.connection, "other").measurements) == ["m"]
        assert storage.load_catalog(database.connection, "missing") is None
    finally:
        database.close()


def test_constant_columns_keep_their_values_at_the_edges():
    database = Database()
    try:
        database.write("m,t=x v=1 1", bucket="b")
        source = '''import "array"
array.from(rows: [{_time: 1901-12-13T20:45:52.000000001Z, s: "it's \\"q\\"", b: true, n: 1}])
  |> map(fn: (r) => ({r with early: 1901-12-13T20:45:52.000000001Z, late: 2262-04-11T23:47:16.854775807Z, s2: "a\\nb", f: false}))'''
        (table,) = list(database.query(source, now=NOW))
        row = dict(zip(table.labels, table.rows[0]))
        assert row["early"] == row["_time"] == -(2**31) * 10**9 + 1
        assert row["late"] == 2**63 - 1
        assert row["s2"] == "a\nb" and row["f"] is False and row["s"] == 'it\'s "q"'
    finally:
        database.close()
