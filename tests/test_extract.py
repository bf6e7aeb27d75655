"""Values extracted from streams (tableFind, getColumn, getRecord, findColumn, findRecord) and
diffs of streams (experimental.diff, testing.diff), issue #6.

golden/extract/ and golden/diff/ hold the documented examples; these tests pin the edges:
Flux's runtime errors raised by the query (with the call's position), empty results of
findRecord/findColumn, correlated lookups where the outer and inner rows share column
names, and one-line compile errors for what cannot be translated.
"""
from __future__ import annotations

import duckdb
import pytest

import transpile
from flux_run import execute
from runtime.execute import run_compiled
from transpile.errors import FluxError

NOW = "2030-01-01T00:00:00Z"

DATA = '''import "array"
import "experimental"
import "testing"
data = array.from(rows: [
    {_time: 2021-01-01T00:00:00Z, tag: "t1", _value: 3},
    {_time: 2021-01-01T00:00:10Z, tag: "t1", _value: 1},
    {_time: 2021-01-01T00:00:20Z, tag: "t1", _value: 2},
    {_time: 2021-01-01T00:00:00Z, tag: "t2", _value: 7},
]) |> group(columns: ["tag"])
'''


def rows(flux: str) -> list[dict]:
    """Every output row as a dict, tables in output order."""
    result = execute(flux, NOW)
    return [dict(zip(t.labels, r)) for _, tables in result.results for t in tables for r in t.rows]


def runtime_error(flux: str) -> str:
    compiled = transpile.compile(flux, now=NOW)
    con = duckdb.connect()
    try:
        with pytest.raises(duckdb.Error) as err:
            run_compiled(con, compiled)
    finally:
        con.close()
    return str(err.value).splitlines()[0]


def compile_error(flux: str) -> str:
    with pytest.raises(FluxError) as err:
        transpile.compile(flux, now=NOW)
    return err.value.format()


# ---------------------------------------------------------------- runtime errors


def test_table_find_without_a_match_fails_the_query_at_its_position():
    flux = DATA + 'r = data |> tableFind(fn: (key) => key.tag == "t9") |> getRecord(idx: 0)\n' \
                  'data |> map(fn: (r2) => ({r2 with v: r._value}))\n'
    assert "10:13: tableFind: no table found" in runtime_error(flux)


def test_get_record_out_of_bounds_fails_the_query():
    flux = DATA + 'r = data |> tableFind(fn: (key) => key.tag == "t2") |> getRecord(idx: 1)\n' \
                  'data |> map(fn: (x) => ({x with v: r._value}))\n'
    assert "10:56: getRecord: index 1 out of bounds" in runtime_error(flux)


def test_get_column_after_table_find_without_match_fails_the_query():
    flux = DATA + 'c = data |> tableFind(fn: (key) => key.tag == "t9") |> getColumn(column: "_value")\n' \
                  'data |> filter(fn: (r) => r._value == c[0])\n'
    assert "tableFind: no table found" in runtime_error(flux)


# ---------------------------------------------------------------- empty results


def test_find_record_without_table_or_row_is_an_empty_record():
    flux = DATA + '''
none = data |> findRecord(fn: (key) => key.tag == "t9", idx: 0)
past = data |> findRecord(fn: (key) => key.tag == "t2", idx: 5)
data |> filter(fn: (r) => r.tag == "t2") |> map(fn: (r) => ({tag: r.tag, a: none._value, b: past._time}))
'''
    assert rows(flux) == [{"tag": "t2", "a": None, "b": None}]


def test_find_column_of_an_empty_table_is_an_empty_array():
    flux = DATA + '''
empty = data |> filter(fn: (r) => r._value > 100, onEmpty: "keep")
n = length(arr: empty |> findColumn(fn: (key) => key.tag == "t1", column: "_value"))
data |> filter(fn: (r) => r.tag == "t2") |> map(fn: (r) => ({tag: r.tag, n: n}))
'''
    assert rows(flux) == [{"tag": "t2", "n": 0}]


def test_get_column_keeps_row_order_and_first_matching_table():
    flux = DATA + '''
c = data |> findColumn(fn: (key) => true, column: "_value")
data |> filter(fn: (r) => r.tag == "t2") |> map(fn: (r) => ({tag: r.tag, a: c[0], b: c[1], c: c[2], n: length(arr: c)}))
'''
    assert rows(flux) == [{"tag": "t2", "a": 3, "b": 1, "c": 2, "n": 3}]


# ---------------------------------------------------------------- correlated lookups


def test_lookup_per_row_with_the_same_column_names_inside_and_outside():
    # For each row: how many rows of its own table hold a larger _value (inner and outer rows
    # both have _value and tag; only the outer ones are read from the outer row).
    flux = DATA + '''
data
    |> map(fn: (r) => ({r with above: length(arr: data
        |> filter(fn: (x) => x._value > r._value)
        |> findColumn(fn: (key) => key.tag == r.tag, column: "_value"))}))
'''
    got = [(r["tag"], r["_value"], r["above"]) for r in rows(flux)]
    assert got == [("t1", 3, 0), ("t1", 1, 2), ("t1", 2, 1), ("t2", 7, 0)]


def test_record_index_from_the_outer_row():
    flux = DATA + '''
data
    |> filter(fn: (r) => r.tag == "t1")
    |> map(fn: (r) => ({_value: r._value, at: (data |> findRecord(fn: (key) => key.tag == "t1", idx: r._value - 1))._value}))
'''
    assert [(r["_value"], r["at"]) for r in rows(flux)] == [(3, 2), (1, 3), (2, 1)]


# ---------------------------------------------------------------- compile-time errors


def test_negative_index_is_a_compile_error_with_position():
    flux = DATA + 'r = data |> tableFind(fn: (key) => true) |> getRecord(idx: -1)\ndata\n'
    assert compile_error(flux) == "10:55: getRecord: index -1 out of bounds"


def test_missing_column_is_a_compile_error_with_position():
    flux = DATA + 'c = data |> tableFind(fn: (key) => true) |> getColumn(column: "nope")\ndata\n'
    assert compile_error(flux).startswith("10:55: getColumn: column 'nope' is not in the table")


def test_bounds_from_a_record_are_not_known_at_compile_time():
    flux = DATA + 'r = data |> findRecord(fn: (key) => true, idx: 0)\ndata |> range(start: r._time)\n'
    assert compile_error(flux).startswith("11:15: range: start must be a time or a duration")


def test_streams_chosen_per_row_need_one_group_key():
    flux = DATA + '''
data |> map(fn: (r) => {
    s = if r._value > 2 then data else data |> group()
    return {r with v: (s |> findRecord(fn: (key) => true, idx: 0))._value}
})
'''
    assert "different group keys" in compile_error(flux)


def test_key_predicate_must_return_a_bool():
    flux = DATA + 'r = data |> findRecord(fn: (key) => "yes", idx: 0)\ndata\n'
    assert compile_error(flux).startswith("10:24: findRecord: fn must return a bool")


# ---------------------------------------------------------------- diffs


def test_equal_streams_have_no_diff():
    assert rows(DATA + 'experimental.diff(want: data, got: data |> map(fn: (r) => r))\n') == []


def test_diff_of_duplicated_rows_counts_copies():
    flux = '''import "array"
import "experimental"
want = array.from(rows: [{a: 1}, {a: 1}, {a: 2}])
got = array.from(rows: [{a: 1}, {a: 2}, {a: 2}])
experimental.diff(want: want, got: got)
'''
    assert rows(flux) == [{"a": 1, "_diff": "-"}, {"a": 2, "_diff": "+"}]


def test_diff_of_streams_with_different_keys_is_a_clear_error():
    flux = DATA + 'experimental.diff(want: data, got: data |> group())\n'
    assert "grouped by different columns" in compile_error(flux)


def test_testing_diff_verbose_is_unsupported():
    flux = DATA + 'testing.diff(want: data, got: data, verbose: true)\n'
    assert compile_error(flux).startswith("10:37: testing.diff: verbose")


def test_contains_tests_membership_in_an_extracted_column():
    flux = DATA + ('big = data |> filter(fn: (r) => r._value > 2) |> group() |> findColumn(fn: (key) => true, column: "_value")\n'
                   'data |> filter(fn: (r) => contains(value: r._value, set: big))')
    assert sorted(r["_value"] for r in rows(flux)) == [3, 7]


def test_an_extracted_value_where_a_constant_is_needed_says_why():
    flux = DATA + ('rec = data |> findRecord(fn: (key) => key.tag == "t1", idx: 0)\n'
                   'data |> range(start: rec._time)')
    assert compile_error(flux) == "11:15: range: start must be a time or a duration, got value only known when the query runs"
