"""Reshaping and selection functions (pivot, joins, reduce, histograms, ...): results run on
DuckDB, and one-line errors with positions for what cannot be compiled.

The rows checked here follow the Flux stdlib docs named in each test; golden/reshape/
holds more cases.
"""
from __future__ import annotations

import pytest

import transpile
from flux_run import execute
from transpile.errors import FluxError

NOW = "2030-01-01T00:00:00Z"

DATA = """import "array"
import "influxdata/influxdb/schema"
data = array.from(rows: [
    {_time: 2024-01-01T00:00:00Z, _field: "a", _value: 1.0, host: "h1"},
    {_time: 2024-01-01T00:00:00Z, _field: "b", _value: 2.0, host: "h1"},
    {_time: 2024-01-01T00:00:10Z, _field: "a", _value: 3.0, host: "h1"},
    {_time: 2024-01-01T00:00:10Z, _field: "c", _value: 4.0, host: "h2"},
]) |> group(columns: ["host"])
"""
LINE = DATA.count("\n") + 1  # the first line after DATA
WITH_JOIN = 'import "join"\n' + DATA  # the join package hides universe join()


def run(flux: str) -> dict:
    """{result name: [(key values, rows as dicts)]} of a script."""
    result = execute(flux, NOW)
    out = {}
    for name, tables in result.results:
        out[name] = [[dict(zip(t.labels, row)) for row in t.rows] for t in tables]
    return out


def error_of(flux: str) -> str:
    with pytest.raises(FluxError) as info:
        transpile.compile(flux, now=NOW)
    message = info.value.format()
    assert "\n" not in message.split("\n")[0] and "Traceback" not in message
    return message.split("\n")[0]


def test_pivot_columns_come_from_the_values_a_filter_allows():
    # https://docs.influxdata.com/flux/v0/stdlib/universe/pivot/ : one column per value
    got = run(DATA + 'data |> filter(fn: (r) => r._field == "a" or r._field == "b")'
                     ' |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")')
    (tables,) = got.values()
    assert [list(rows[0]) for rows in tables] == [["_time", "host", "a", "b"]]
    assert [(r["a"], r["b"]) for r in tables[0]] == [(1.0, 2.0), (3.0, None)]


def test_fields_as_cols_is_pivot_on_field():
    # A table gets a column for each field of its own rows only (pivot's doc): h2 has c.
    got = run(DATA + 'data |> schema.fieldsAsCols()')
    (tables,) = got.values()
    rows = {r["host"]: r for rows in tables for r in rows}
    assert rows["h2"] == {"_time": 1704067210000000000, "host": "h2", "c": 4.0}
    assert sorted(rows["h1"]) == ["_time", "a", "b", "host"]


def test_pivot_of_computed_column_key_folds_the_expression():
    got = run(DATA + 'data |> map(fn: (r) => ({r with k: r._field + "x"}))\n'
                     '  |> pivot(rowKey: ["_time"], columnKey: ["k"], valueColumn: "_value")')
    (tables,) = got.values()
    assert {label for rows in tables for r in rows for label in r} >= {"ax", "bx", "cx"}


def test_pivot_on_two_columns_names_only_combinations_that_occur():
    got = run(DATA + 'data |> group() |> pivot(rowKey: ["_time"], columnKey: ["_field", "host"], valueColumn: "_value")')
    (tables,) = got.values()
    assert list(tables[0][0]) == ["_time", "a_h1", "b_h1", "c_h2"]
    assert [(r["a_h1"], r["b_h1"], r["c_h2"]) for r in tables[0]] == [(1.0, 2.0, None), (3.0, None, 4.0)]


def test_pivot_of_an_unknowable_column_key_is_refused_with_position():
    message = error_of(DATA + 'data |> count() |> map(fn: (r) => ({r with k: string(v: r._value)}))\n'
                              '  |> pivot(rowKey: ["host"], columnKey: ["k"], valueColumn: "_value")')
    assert "pivot" in message and "not known at compile time" in message
    assert message.startswith(f"{LINE + 1}:")  # the line of the pivot call


def test_classic_join_renames_shared_columns():
    # https://docs.influxdata.com/flux/v0/stdlib/universe/join/
    got = run(DATA + 'a = data |> filter(fn: (r) => r._field == "a")\n'
                     'b = data |> filter(fn: (r) => r._field == "b")\n'
                     'join(tables: {x: a, y: b}, on: ["_time", "host"])')
    (tables,) = got.values()
    assert tables == [[{"_time": tables[0][0]["_time"], "_field_x": "a", "_value_x": 1.0, "host": "h1",
                        "_field_y": "b", "_value_y": 2.0}]]


def test_join_full_keeps_unmatched_rows_of_both_sides():
    got = run(WITH_JOIN + 'a = data |> filter(fn: (r) => r._field == "a") |> drop(columns: ["_field"])\n'
                     'b = data |> filter(fn: (r) => r._field != "a") |> drop(columns: ["_field"])\n'
                     'join.full(left: a, right: b, on: (l, r) => l._time == r._time,\n'
                     '  as: (l, r) => ({host: l.host, t: if exists l._time then l._time else r._time, va: l._value, vb: r._value}))')
    (tables,) = got.values()
    pairs = sorted((r["host"], r["va"], r["vb"]) for rows in tables for r in rows)
    assert pairs == [("h1", 1.0, 2.0), ("h1", 3.0, None), ("h2", None, 4.0)]


def test_join_method_is_checked():
    assert "method" in error_of(DATA + 'join(tables: {a: data, b: data}, on: ["_time"], method: "left")')
    assert "method must be one of" in error_of(
        WITH_JOIN + 'join.tables(left: data, right: data, on: (l, r) => l._time == r._time,'
               ' as: (l, r) => l, method: "outer")')


def test_reduce_shapes_and_refusal():
    got = run(DATA + 'data |> reduce(identity: {n: 0, s: 0.0, mx: -1.0},'
                     ' fn: (r, accumulator) => ({n: accumulator.n + 1, s: accumulator.s + r._value,'
                     ' mx: if r._value > accumulator.mx then r._value else accumulator.mx}))')
    (tables,) = got.values()
    rows = {r["host"]: (r["n"], r["s"], r["mx"]) for rows in tables for r in rows}
    assert rows == {"h1": (3, 6.0, 3.0), "h2": (1, 4.0, 4.0)}
    message = error_of(DATA + 'data |> reduce(identity: {s: 0.0}, fn: (r, accumulator) => ({s: accumulator.s * 2.0 + r._value}))')
    assert "field 's'" in message and message.startswith(f"{LINE}:")


def test_histogram_quantile_interpolates_like_flux():
    # https://docs.influxdata.com/flux/v0/stdlib/universe/histogramquantile/
    got = run('import "array"\narray.from(rows: [{le: 1.0, _value: 2.0}, {le: 2.0, _value: 6.0},'
              ' {le: float(v: "+Inf"), _value: 10.0}]) |> histogramQuantile(quantile: 0.25)')
    assert got["_result"] == [[{"_value": 1.125}]]


def test_selectors_and_keys():
    got = run(DATA + 'data |> keys() |> yield(name: "k")\n'
                     'data |> sample(n: 2, pos: 0) |> yield(name: "s")\n'
                     'data |> highestMax(n: 1) |> yield(name: "h")\n'
                     'data |> columns() |> yield(name: "c")')
    assert [[r["_value"] for r in rows] for rows in got["k"]] == [["host"], ["host"]]
    assert [[r["_value"] for r in rows] for rows in got["s"]] == [[1.0, 3.0], [4.0]]
    assert [[r["_value"] for r in rows] for rows in got["h"]] == [[4.0]]
    assert [r["_value"] for r in got["c"][0]] == ["_time", "_field", "_value", "host"]


def test_argument_errors_have_positions():
    assert error_of(DATA + 'data |> sample(n: 0)').startswith(f"{LINE}:")
    assert "columns must name exactly two" in error_of(DATA + 'data |> covariance(columns: ["_value"])')
    assert "onNonmonotonic" in error_of(DATA + 'data |> histogramQuantile(quantile: 0.5, onNonmonotonic: "x")')


def test_key_values_and_unpivot():
    # https://docs.influxdata.com/flux/v0/stdlib/universe/keyvalues/ and experimental/unpivot/
    got = run(DATA + 'data |> keyValues(keyColumns: ["host", "_field"]) |> yield(name: "kv")')
    assert [[(r["_key"], r["_value"]) for r in rows] for rows in got["kv"]] == [
        [("host", "h1"), ("_field", "a"), ("_field", "b")], [("host", "h2"), ("_field", "c")]]
    got = run('import "array"\nimport "experimental"\n'
              'array.from(rows: [{_time: 2024-01-01T00:00:00Z, f0: 1.0, f1: 2.0}, {_time: 2024-01-01T00:00:10Z, f0: 3.0}])'
              ' |> experimental.unpivot()')
    rows = {r["_field"]: [x["_value"] for x in t] for t in got["_result"] for r in t}
    assert rows == {"f0": [1.0, 3.0], "f1": [2.0]}


def test_pivot_after_unpivot_knows_the_field_names():
    got = run('import "array"\nimport "experimental"\n'
              'array.from(rows: [{_time: 2024-01-01T00:00:00Z, f0: 1.0, f1: 2.0}, {_time: 2024-01-01T00:00:10Z, f0: 3.0}])'
              ' |> experimental.unpivot() |> group()'
              ' |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")')
    assert [(r["f0"], r["f1"]) for r in got["_result"][0]] == [(1.0, 2.0), (3.0, None)]


def test_classic_join_keeps_the_name_of_a_column_only_one_stream_has():
    # join(): only columns that exist in both streams get the _<name> suffix. The source's
    # second table holds `flag`; after the filter no table of `a` has it.
    got = run('import "array"\n'
              'src = union(tables: [array.from(rows: [{_time: 2024-01-01T00:00:00Z, v: 1.0}]),'
              ' array.from(rows: [{_time: 2024-01-01T00:00:00Z, flag: true}])])\n'
              'a = src |> filter(fn: (r) => exists r.v)\n'
              'b = src |> filter(fn: (r) => exists r.flag)\n'
              'join(tables: {a: a, b: b}, on: ["_time"])')
    assert [sorted(r) for r in got["_result"][0]] == [["_time", "flag", "v"]]
    assert [(r["v"], r["flag"]) for r in got["_result"][0]] == [(1.0, True)]


def test_join_tables_of_streams_with_different_key_columns_never_match():
    # join.tables "only compares records with the same group key"
    body = ('import "array"\nimport "join"\n'
            'left = array.from(rows: [{_time: 2024-01-01T00:00:00Z, k: 1, g: "x", v: 1}]) |> group(columns: ["k", "g"])\n'
            'right = array.from(rows: [{_time: 2024-01-01T00:00:00Z, k: 1, w: 2}]) |> group(columns: ["k"])\n'
            'join.{m}(left: left, right: right, on: (l, r) => l._time == r._time,'
            ' as: (l, r) => ({_time: l._time, k: l.k, g: l.g, v: l.v, w: r.w}))')
    assert [[(r["v"], r["w"]) for r in t] for t in run(body.replace("{m}", "left"))["_result"]] == [[(1, None)]]
    assert run(body.replace("{m}", "inner")).get("_result", []) == []
    # a full join keeps each unmatched table alone, under its own key
    full = run(body.replace("{m}", "full"))["_result"]
    assert [[(r["g"], r["v"], r["w"]) for r in t] for t in full] == [[("x", 1, None)], [(None, None, 2)]]
