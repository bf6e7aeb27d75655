"""pearsonr() to the last digit of the Flux docs' example (DuckDB's corr() rounds it
differently): https://docs.influxdata.com/flux/v0/stdlib/universe/pearsonr/"""
from __future__ import annotations

from flux_run import execute

STREAMS = '''import "array"
x = array.from(rows: [{_time: 2021-01-01T00:00:00Z, _value: 0.0}, {_time: 2021-01-01T00:00:12Z, _value: 1.0},
    {_time: 2021-01-01T00:00:24Z, _value: 4.0}, {_time: 2021-01-01T00:00:36Z, _value: 9.0},
    {_time: 2021-01-01T00:00:48Z, _value: 16.0}])
y = array.from(rows: [{_time: 2021-01-01T00:00:00Z, _value: 0.0}, {_time: 2021-01-01T00:00:12Z, _value: 0.0},
    {_time: 2021-01-01T00:00:24Z, _value: 4.0}, {_time: 2021-01-01T00:00:36Z, _value: 13.0},
    {_time: 2021-01-01T00:00:48Z, _value: 32.0}])
'''


def value(flux: str) -> float:
    (table,) = list(execute(flux, "2024-01-01T00:00:00Z"))
    (row,) = table.rows
    return row[table.index("_value")]


def test_pearsonr_matches_the_docs_to_the_last_digit():
    assert value(STREAMS + 'pearsonr(x: x, y: y, on: ["_time"])') == 0.9856626734271221


def test_cov_with_pearsonr_is_the_same_and_without_is_the_sample_covariance():
    assert value(STREAMS + 'cov(x: x, y: y, on: ["_time"], pearsonr: true)') == 0.9856626734271221
    assert value(STREAMS + 'cov(x: x, y: y, on: ["_time"])') == 87.75
