"""Joins whose input tables have different columns or group-key columns (issue #6).

Flux joins table by table: join() renames a column only where both tables of a pair have it
and keys the output by the union of the pair's keys; join.tables and experimental.join only
pair tables with the same group key. golden/join/ holds the full examples (rows checked
against the conformance vectors named there); these tests pin the pieces.
"""
from __future__ import annotations

import pytest

import transpile
from flux_run import execute
from transpile.analyze.evaluate import Evaluator
from transpile.errors import FluxError
from transpile.plan.table_shapes import restrict, table_shapes

NOW = "2030-01-01T00:00:00Z"

# Two tables: one keyed by `key`, one without that column.
MIXED = '''csv.from(csv: "
#datatype,string,long,dateTime:RFC3339,double,string
#group,false,false,false,false,true
#default,_result,,,,
,result,table,_time,_value,key
,,0,2021-01-01T00:00:00Z,1.0,foo

#datatype,string,long,dateTime:RFC3339,double
#group,false,false,false,false
#default,_result,,,
,result,table,_time,_value
,,1,2021-01-01T00:00:00Z,1.5
")'''


def tables_of(flux: str) -> list[tuple[tuple, list[dict]]]:
    """[(sorted group key labels, rows as dicts)] of every output table."""
    result = execute(flux, NOW)
    return sorted(((tuple(sorted(t.key)), [dict(zip(t.labels, row)) for row in t.rows]) for t in result),
                  key=lambda kv: (kv[0], str(kv[1])))


def error_of(flux: str) -> str:
    with pytest.raises(FluxError) as info:
        transpile.compile(flux, now=NOW)
    message = info.value.format()
    assert "Traceback" not in message
    return message.split("\n")[0]


def stream(flux: str):
    """The plan node of the script's only result."""
    program = Evaluator(now=0).run(transpile.parse('import "csv"\n' + flux))
    (result,) = program.results
    return result.node


def test_table_shapes_tell_tables_apart_by_their_key_columns():
    node = stream(MIXED)
    shapes = table_shapes(node, by_all_columns=True)
    assert [(s.columns, s.key) for s in shapes] == [(("_time", "_value", "key"), ("key",)), (("_time", "_value"), ())]
    assert all(s.predicate is not None for s in shapes)
    restricted = restrict(node, shapes[1], "part")
    assert restricted.schema.labels == ("_time", "_value") and restricted.schema.key == ()


def test_tables_with_the_same_columns_are_one_shape():
    node = stream('csv.from(csv: "#datatype,string,long,string,double\\n#group,false,false,true,false\\n'
                  '#default,_result,,,\\n,result,table,host,_value\\n,,0,a,1.0\\n,,1,b,2.0\\n")')
    (shape,) = table_shapes(node, by_all_columns=True)
    assert shape.predicate is None and restrict(node, shape, "part") is node


def test_classic_join_renames_and_keys_per_table_pair():
    # https://docs.influxdata.com/flux/v0/stdlib/universe/join/ ; conformance
    # universe/missing_column_on_left_stream: `key` is in both tables of the first pair only.
    right = MIXED.split("\n\n")[0] + '\n")'
    got = tables_of(f'import "csv"\na = {MIXED}\nb = {right}\njoin(tables: {{a, b}}, on: ["_time"])')
    assert got == [
        (("key",), [{"_time": 1609459200000000000, "_value_a": 1.5, "_value_b": 1.0, "key": "foo"}]),
        (("key_a", "key_b"), [{"_time": 1609459200000000000, "_value_a": 1.0, "key_a": "foo",
                               "_value_b": 1.0, "key_b": "foo"}]),
    ]


def test_classic_join_tables_come_in_group_key_order():
    # conformance universe/join_panic: group() after join() appends tables in key order.
    flux = ('import "array"\n'
            'a = array.from(rows: [{k: "2", t: 1, v: 1}, {k: "1", t: 1, v: 2}]) |> group(columns: ["k"])\n'
            'join(tables: {a: a, b: a}, on: ["t"]) |> group()')
    ((_, rows),) = tables_of(flux)
    assert [(r["k_a"], r["k_b"]) for r in rows] == [("1", "1"), ("1", "2"), ("2", "1"), ("2", "2")]


def test_full_join_keeps_tables_with_other_key_columns_alone():
    # https://docs.influxdata.com/flux/v0/stdlib/join/full/ ; conformance join/exclusive_group_keys2
    flux = ('import "array"\nimport "join"\n'
            'left = array.from(rows: [{_time: 2024-01-01T00:00:00Z, k: 1, g: "x", v: 1}]) |> group(columns: ["k", "g"])\n'
            'right = array.from(rows: [{_time: 2024-01-01T00:00:00Z, k: 2, w: 2}]) |> group(columns: ["k"])\n'
            'join.full(left: left, right: right, on: (l, r) => l._time == r._time,'
            ' as: (l, r) => ({k: r.k, g: l.g, v: l.v, w: r.w}))')
    assert tables_of(flux) == [
        (("g", "k"), [{"k": 1, "g": "x", "v": 1, "w": None}]),
        (("k",), [{"k": 2, "g": None, "v": None, "w": 2}]),
    ]


def test_experimental_join_pairs_tables_with_the_same_key_columns():
    # https://docs.influxdata.com/flux/v0/stdlib/experimental/join/ ; conformance experimental/join:
    # the left table keyed by t1 has no partner; the output key is the left table's.
    left = '''csv.from(csv: "
#datatype,string,long,dateTime:RFC3339,string,double
#group,false,false,false,true,false
#default,_result,,,,
,result,table,_time,t0,va
,,0,2021-01-01T00:00:00Z,g,1.0

#datatype,string,long,dateTime:RFC3339,string,double
#group,false,false,false,true,false
#default,_result,,,,
,result,table,_time,t1,va
,,1,2021-01-01T00:00:00Z,g,2.0
")'''
    right = left.split("\n\n")[0].replace(",va", ",vb") + '\n")'
    flux = (f'import "csv"\nimport "experimental"\na = {left}\nb = {right}\n'
            'experimental.join(left: a, right: b, fn: (left, right) => ({left with vb: right.vb}))')
    assert tables_of(flux) == [(("t0",), [{"_time": 1609459200000000000, "t0": "g", "va": 1.0, "vb": 1.0}])]


def test_a_split_join_over_an_input_split_by_type_is_refused_with_a_position():
    mixed_types = MIXED.replace("double\n#group,false,false,false,false\n", "long\n#group,false,false,false,false\n")
    mixed_types = mixed_types.replace(",,1,2021-01-01T00:00:00Z,1.5", ",,1,2021-01-01T00:00:00Z,2")
    flux = f'import "csv"\na = {MIXED}\nb = {mixed_types}\njoin(tables: {{a, b}}, on: ["_time"])'
    message = error_of(flux)
    assert "compiled once per column type" in message and message.startswith(f"{flux.count(chr(10)) + 1}:1:")


def test_join_arguments_are_checked_with_positions():
    flux = f'import "csv"\na = {MIXED}\njoin(tables: {{a: a, b: a}}, on: ["_time"], method: "left")'
    message = error_of(flux)
    assert "method" in message and message.startswith(f"{flux.count(chr(10)) + 1}:")
    assert "exactly two streams" in error_of(f'import "csv"\na = {MIXED}\njoin(tables: {{a: a}})')
