"""Aggregates and selectors: count() of null values, table order after windowed
aggregates, and quantile()'s t-digest estimate checked against a model of the digest
written from its documented behaviour (transpile/lower/tdigest.py)."""
from __future__ import annotations

import math
import random

import duckdb
import pytest

import transpile
from flux_run import execute
from transpile.errors import FluxError
from transpile.lower import tdigest

NOW = "2030-01-01T00:00:00Z"


def run(flux: str) -> list:
    """[(key values, rows as dicts)] of the script's result tables, in output order."""
    result = execute(flux, NOW)
    return [(t.key_values(), [dict(zip([c.label for c in t.columns], row)) for row in t.rows]) for t in result]


def error_of(flux: str) -> str:
    with pytest.raises(FluxError) as info:
        transpile.compile(flux, now=NOW)
    return info.value.format()


# ---------------------------------------------------------------- count and selectors

THREE_TABLES = """
import "array"
import "internal/debug"
data = array.from(rows: [
    {_time: 2024-01-01T00:00:00Z, _value: 1.0, t: "a"},
    {_time: 2024-01-01T00:00:10Z, _value: 2.0, t: "a"},
    {_time: 2024-01-01T00:00:00Z, _value: 1.0, t: "b"},
    {_time: 2024-01-01T00:00:10Z, _value: 2.0, t: "b"},
    {_time: 2024-01-01T00:00:00Z, _value: 1.0, t: "c"},
    {_time: 2024-01-01T00:00:10Z, _value: 2.0, t: "c"},
])
    |> group(columns: ["t"])
    |> range(start: 2024-01-01T00:00:00Z, stop: 2024-01-01T00:00:30Z)
    |> aggregateWindow(every: 10s, fn: sum, timeSrc: "_start")
"""


def test_count_counts_rows_with_null_values():
    # The empty 20s-30s window of each table gives a row with a null sum; count() counts it.
    tables = run(THREE_TABLES + 'data |> count()')
    assert [rows[0]["_value"] for _, rows in tables] == [3, 3, 3]


def test_count_of_an_empty_window_is_zero():
    flux = THREE_TABLES.replace("fn: sum", "fn: count")
    tables = run(flux + "data")
    assert [[r["_value"] for r in rows] for _, rows in tables] == [[1, 1, 0]] * 3


def test_max_tie_after_windowed_aggregate_and_group_picks_first_table():
    # After group() the merged table holds table a's rows, then b's, then c's (Flux keeps
    # input tables whole and in order); max() of equal values returns the first row.
    flux = THREE_TABLES + 'data |> group() |> aggregateWindow(every: 10s, fn: max, timeSrc: "_start")'
    (_, rows), = run(flux)
    assert [(r["t"], r["_value"]) for r in rows] == [("a", 1.0), ("a", 2.0), (None, None)]


def test_group_after_windowed_aggregate_keeps_table_order():
    (_, rows), = run(THREE_TABLES + "data |> group()")
    assert [r["t"] for r in rows] == ["a"] * 3 + ["b"] * 3 + ["c"] * 3


# ---------------------------------------------------------------- t-digest model


def model_quantile(values: list, q: float, compression: float) -> float | None:
    """The merging t-digest's estimate: values added with weight 1 in order, merged when
    the buffer exceeds 8 * ceil(c), estimate interpolated between centroid means."""
    c = compression

    def scale_q(k):
        return (math.sin(min(k, c) * math.pi / c - math.pi / 2) + 1) / 2

    def scale_k(x):
        return c * (math.asin(2 * x - 1) + math.pi / 2) / math.pi

    centroids: list = []  # [mean, weight]
    buffer: list = []
    total, lo, hi = 0.0, math.inf, -math.inf

    def merge():
        nonlocal centroids, buffer, total, lo, hi
        if not buffer:
            return
        merged = sorted(buffer + centroids, key=lambda m: m[0])
        total += len(buffer)
        out = [list(merged[0])]
        so_far = merged[0][1]
        limit = total * scale_q(1.0)
        for mean, weight in merged[1:]:
            if so_far + weight <= limit:
                so_far += weight
                last = out[-1]
                last[1] += weight
                last[0] += weight * (mean - last[0]) / last[1]
            else:
                limit = total * scale_q(scale_k(so_far / total) + 1)
                so_far += weight
                out.append([mean, weight])
        centroids, buffer = out, []
        lo, hi = min(lo, centroids[0][0]), max(hi, centroids[-1][0])

    for v in values:
        buffer.append([v, 1.0])
        if len(buffer) > 8 * math.ceil(c):
            merge()
    merge()
    if not centroids:
        return None
    if len(centroids) == 1:
        return centroids[0][0]
    middles, before = [], 0.0
    for mean, weight in centroids:
        middles.append(before + weight / 2)
        before += weight
    middles.append(before)
    index = q * total

    def between(x1, w1, x2, w2):
        a, b = min(x1, x2), max(x1, x2)
        return max(a, min((x1 * w1 + x2 * w2) / (w1 + w2), b))

    if index <= centroids[0][1] / 2:
        return lo + 2 * index / centroids[0][1] * (centroids[0][0] - lo)
    lower = next(i for i, m in enumerate(middles) if m >= index)
    if lower < len(centroids):
        return between(centroids[lower - 1][0], middles[lower] - index, centroids[lower][0], index - middles[lower - 1])
    w1 = index - total - centroids[-1][1] / 2
    return between(centroids[-1][0], w1, hi, centroids[-1][1] / 2 - w1)


def sql_quantiles(con, tables: list, q: float, compression: float) -> list:
    """The estimate of each list of values (one query for all of them)."""
    expr = tdigest.tdigest_quantile(tdigest.sql.col("v"), q, compression).sql(dialect="duckdb")
    rows = con.execute(f"SELECT i, {expr} FROM (SELECT UNNEST(range(len(?))) AS i, UNNEST(CAST(? AS DOUBLE[][])) AS v) ORDER BY i",
                       [tables, tables]).fetchall()
    return [value for _, value in rows]


def sql_quantile(con, values: list, q: float, compression: float):
    return sql_quantiles(con, [values], q, compression)[0]


def test_tdigest_matches_the_model():
    rng = random.Random(7)
    con = duckdb.connect()
    for c in (1.0, 2.5, 10.0, 1000.0):
        for q in (0.0, 0.1, 0.5, 0.75, 0.99, 1.0):
            tables = [[round(rng.gauss(0, 50), 2) if rng.random() < 0.8 else rng.randint(0, 3) for _ in range(n)]
                      for n in (0, 1, 2, 3, 7, 40, 300)]
            got = sql_quantiles(con, tables, q, c)
            want = [model_quantile(values, q, c) for values in tables]
            assert got == want, (q, c)


def test_tdigest_vectors():
    con = duckdb.connect()
    values = [6.05, 9.41, 6.65, 4.37, 4.25, 6.87, 0.66, 1.57, 0.97, 3.01,
              7.85, 3.52, 4.21, 8.96, 4.24, 3.43, 1.11, 0.48, 6.35, 5.23]
    assert sql_quantile(con, values, 0.75, 1000.0) == pytest.approx(6.5)  # universe/quantile_without_group
    assert sql_quantile(con, [55.0, 15, 25, 5, 105, 45], 0.5, 1.0) == 41.666666666666664  # universe/median_compression


def test_singleton_limit_is_below_the_first_merge():
    """Up to singleton_limit(c) values no two values share a centroid (the fast path)."""
    for c in (1.0, 1.5, 2.0, 5.0, 33.3, 100.0, 1000.0):
        limit = tdigest.singleton_limit(c)
        first = next(n for n in range(2, 5000) if _first_merge_happens(n, c))
        assert limit < first, (c, limit, first)


def _first_merge_happens(n: int, c: float) -> bool:
    def scale_q(k):
        return (math.sin(min(k, c) * math.pi / c - math.pi / 2) + 1) / 2

    for s in range(n - 1):
        k = c * (math.asin(2 * (s / n) - 1) + math.pi / 2) / math.pi if s else 0.0
        if s + 2 <= n * scale_q(k + 1):
            return True
    return False


def test_quantile_of_a_table_with_nulls_and_of_an_empty_window():
    flux = """
import "array"
import "internal/debug"
array.from(rows: [
    {_time: 2024-01-01T00:00:00Z, _value: 1.0},
    {_time: 2024-01-01T00:00:01Z, _value: debug.null(type: "float")},
    {_time: 2024-01-01T00:00:02Z, _value: 3.0},
    {_time: 2024-01-01T00:00:03Z, _value: 5.0},
])
    |> range(start: 2024-01-01T00:00:00Z, stop: 2024-01-01T00:00:20Z)
    |> aggregateWindow(every: 10s, fn: median)
"""
    (_, rows), = run(flux)
    assert [r["_value"] for r in rows] == [3.0, None]


def test_quantile_of_integers_is_a_float():
    flux = 'import "array"\narray.from(rows: [{_value: 1}, {_value: 2}, {_value: 4}]) |> quantile(q: 0.5)'
    (_, rows), = run(flux)
    assert rows[0]["_value"] == 2.0 and isinstance(rows[0]["_value"], float)


def test_bad_compression_is_one_line_with_position():
    message = error_of('import "array"\narray.from(rows: [{_value: 1.0}]) |> median(compression: "high")')
    assert message.count("\n") == 0 and message.startswith("2:") and "compression" in message


# ---------------------------------------------------------------- windows on a local wall clock


def test_zone_transitions_are_found_to_the_second():
    from transpile.lower.wallclock import transitions

    sydney_2017 = transitions("Australia/Sydney", 1483228800, 1514764800)
    assert sydney_2017 == ((1491062400, 39600, 36000), (1506787200, 36000, 39600))
    assert transitions("UTC", 0, 10**9) == ()


def test_daily_windows_follow_local_days_across_dst():
    # Hourly points over 2021-03-13..15 in New York: the 14th (spring forward) has 23 hours.
    rows = ", ".join(f"{{_time: time(v: {1615611600 + 3600 * i} * 1000000000), _value: 1.0}}" for i in range(71))
    flux = f"""
import "array"
import "timezone"
array.from(rows: [{rows}])
    |> range(start: 2021-03-13T05:00:00Z, stop: 2021-03-16T04:00:00Z)
    |> aggregateWindow(every: 1d, fn: count, location: timezone.location(name: "America/New_York"), timeSrc: "_start")
"""
    (_, got), = run(flux)
    assert [r["_value"] for r in got] == [24, 23, 24]


def test_monthly_windows_with_an_offset_below_a_month():
    flux = """
import "array"
import "timezone"
array.from(rows: [{_time: 2020-05-10T00:00:00Z, _value: 1.0}])
    |> range(start: 2020-01-01T00:00:00Z, stop: 2021-01-01T00:00:00Z)
    |> window(every: 1mo, offset: 1d)
    |> yield(name: "day_offset")
array.from(rows: [{_time: 2017-03-12T01:45:00Z, _value: 1.0}])
    |> range(start: 2016-01-01T00:00:00Z, stop: 2019-01-01T00:00:00Z)
    |> window(every: 1y, location: timezone.fixed(offset: -2mo2w))
    |> yield(name: "calendar_location")
"""
    day, calendar = run(flux)
    assert day[0][:2] == (1588377600000000000, 1591056000000000000)  # 2020-05-02 .. 2020-06-02
    assert calendar[0][:2] == (1458000000000000000, 1489536000000000000)  # 2016-03-15 .. 2017-03-15


def test_filter_drops_a_table_that_range_left_empty_even_when_its_key_passes():
    # filter(onEmpty: "drop") drops empty tables; here the predicate only reads the key.
    flux = ('import "array"\n'
            'array.from(rows: [{_time: 2024-01-01T00:00:00Z, _value: 1.0, t: "a"},'
            ' {_time: 2024-01-02T00:00:00Z, _value: 2.0, t: "b"}])\n'
            '  |> group(columns: ["t"])\n'
            '  |> range(start: 2024-01-01T00:00:00Z, stop: 2024-01-01T12:00:00Z)\n'
            '  |> filter(fn: (r) => r.t != "c")\n'
            '  |> count()')
    assert [(key[-1], [r["_value"] for r in rows]) for key, rows in run(flux)] == [("a", [1])]
