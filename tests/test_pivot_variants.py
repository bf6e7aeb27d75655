"""pivot() over a stream whose tables disagree on `_value`'s type (analyze/variants.py).

A source with mixed column types is normally compiled once per type group; pivot must
see all groups at once, because it puts fields of different types in one row.
"""
from __future__ import annotations

import pytest

import transpile
from flux_run import execute
from transpile.errors import FluxError

NOW = "2030-01-01T00:00:00Z"

MIXED = '''import "csv"
data = csv.from(csv: "
#datatype,string,long,dateTime:RFC3339,string,string,double
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_field,tid,_value
,,0,2024-01-01T00:00:00Z,lat,t1,40.5
,,0,2024-01-01T00:00:10Z,lat,t1,40.6

#datatype,string,long,dateTime:RFC3339,string,string,long
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_field,tid,_value
,,1,2024-01-01T00:00:00Z,n,t1,7
,,1,2024-01-01T00:00:10Z,n,t1,8

#datatype,string,long,dateTime:RFC3339,string,string,string
#group,false,false,false,true,true,false
#default,_result,,,,,
,result,table,_time,_field,tid,_value
,,2,2024-01-01T00:00:10Z,note,t1,late
")
'''


def results(flux: str) -> dict:
    """{result name: [[row dict, ...] per table]}"""
    result = execute(flux, NOW)
    return {name: [[dict(zip(t.labels, r)) for r in t.rows] for t in tables] for name, tables in result.results}


def test_pivot_joins_fields_of_every_type_into_one_row():
    (table,) = results(MIXED + 'data |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")')["_result"]
    assert [(r["lat"], r["n"], r["note"]) for r in table] == [(40.5, 7, None), (40.6, 8, "late")]


def test_steps_after_the_pivot_see_every_column_with_its_type():
    flux = MIXED + ('data |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n'
                    '  |> map(fn: (r) => ({r with x: r.lat * float(v: r.n)}))')
    (table,) = results(flux)["_result"]
    assert [r["x"] for r in table] == pytest.approx([283.5, 324.8])


def test_without_a_pivot_each_type_group_is_compiled_apart():
    tables = results(MIXED + 'data |> filter(fn: (r) => r.tid == "t1")')["_result"]
    assert sorted(type(t[0]["_value"]).__name__ for t in tables) == ["float", "int", "str"]


def test_a_field_of_two_types_cannot_become_one_column():
    flux = MIXED.replace(",,1,2024-01-01T00:00:00Z,n,", ",,1,2024-01-01T00:00:00Z,lat,").replace(
        ",,1,2024-01-01T00:00:10Z,n,", ",,1,2024-01-01T00:00:10Z,lat,")
    with pytest.raises(FluxError) as err:
        transpile.compile(flux + 'data |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")', now=NOW)
    assert err.value.format() == "23:34: pivot: column 'lat' would hold values of two types"


def test_variants_become_one_stream_once_their_columns_agree():
    # After float() every variant has a float _value: group() |> sum() then sees all rows.
    flux = MIXED + ('data |> filter(fn: (r) => r._field != "note")\n'
                    '  |> map(fn: (r) => ({r with _value: float(v: r._value)}))\n'
                    '  |> group() |> sum()')
    (table,) = results(flux)["_result"]
    assert [r["_value"] for r in table] == pytest.approx([40.5 + 40.6 + 7 + 8])


def test_keys_of_tables_of_every_type_in_one_stream():
    flux = MIXED + 'data |> keys() |> group() |> distinct() |> sort()'
    (table,) = results(flux)["_result"]
    assert [r["_value"] for r in table] == ["_field", "tid"]
