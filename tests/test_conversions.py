"""Type conversions found wrong while checking golden/conversions against the Flux docs:
bool() accepts only "true"/"false" and 0/1, time() of a string keeps its UTC offset and
accepts a date alone. https://docs.influxdata.com/flux/v0/data-types/basic/bool/ and /time/"""
from __future__ import annotations

import pytest

from transpile.errors import FluxError

from flux_run import execute

NOW = "2024-01-01T00:00:00Z"


def column(flux: str, label: str) -> list:
    (table,) = list(execute(flux, NOW))
    return [row[table.index(label)] for row in table.rows]


def test_time_of_a_string_with_an_offset_per_row_is_utc():
    flux = '''import "array"
array.from(rows: [{s: "2021-01-01T01:00:00+01:00"}, {s: "2021-01-01T01:00:00.123456789-02:30"}, {s: "2021-01-01"}])
    |> map(fn: (r) => ({t: time(v: r.s), ns: int(v: time(v: r.s))}))'''
    assert column(flux, "ns") == [1609459200000000000, 1609471800123456789, 1609459200000000000]


def test_time_of_a_date_string_folds_to_midnight_utc():
    flux = 'import "array"\narray.from(rows: [{ns: int(v: time(v: "2021-01-01"))}])'
    assert column(flux, "ns") == [1609459200000000000]


def test_bool_per_row_of_strings_and_numbers():
    flux = '''import "array"
array.from(rows: [{s: "true", f: 1.0, i: 0}, {s: "false", f: 0.0, i: 1}])
    |> map(fn: (r) => ({s: bool(v: r.s), f: bool(v: r.f), i: bool(v: r.i)}))'''
    assert column(flux, "s") == [True, False]
    assert column(flux, "f") == [True, False]
    assert column(flux, "i") == [False, True]


def test_bool_of_a_number_other_than_0_or_1_is_an_error():
    with pytest.raises(FluxError, match=r"bool\(\): cannot convert 2\.5 to bool") as info:
        execute('import "array"\narray.from(rows: [{b: bool(v: 2.5)}])', NOW)
    assert "2:23" in info.value.format()
    with pytest.raises(Exception, match="cannot convert a value other than 0 or 1"):
        execute('import "array"\narray.from(rows: [{n: 2}]) |> map(fn: (r) => ({b: bool(v: r.n)}))', NOW)


def test_bool_of_a_string_other_than_true_or_false_is_an_error():
    with pytest.raises(Exception, match='other than "true" or "false"'):
        execute('import "array"\narray.from(rows: [{s: "TRUE"}]) |> map(fn: (r) => ({b: bool(v: r.s)}))', NOW)


def test_int_of_a_string_takes_digits_only_folded_and_per_row():
    # Go's strconv.ParseInt: "3.7" is an error (DuckDB's cast alone would round it to 4).
    assert column('import "array"\narray.from(rows: [{i: int(v: "-54"), u: uint(v: "+7")}])', "i") == [-54]
    flux = 'import "array"\narray.from(rows: [{s: "12"}, {s: "-3"}]) |> map(fn: (r) => ({i: int(v: r.s)}))'
    assert column(flux, "i") == [12, -3]
    with pytest.raises(FluxError, match=r"cannot convert string '3.7' to int"):
        execute('import "array"\narray.from(rows: [{i: int(v: "3.7")}])', NOW)
    with pytest.raises(FluxError, match=r"cannot convert string '-54' to uint"):
        execute('import "array"\narray.from(rows: [{i: uint(v: "-54")}])', NOW)
    with pytest.raises(Exception, match="cannot convert a string that is not an integer"):
        execute('import "array"\narray.from(rows: [{s: "3.7"}]) |> map(fn: (r) => ({i: int(v: r.s)}))', NOW)
