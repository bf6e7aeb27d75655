"""The examples of the Flux stdlib reference pages, run end to end: each test runs a page's
script (on `sampledata`, or the page's input written inline) and asserts the exact rows of
the page's output tables. Pages: https://docs.influxdata.com/flux/v0/stdlib/universe/<name>/
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from flux_run import execute

NOW = "2021-01-02T00:00:00Z"

RANGED = 'import "sampledata"\ndata = sampledata.{kind}() |> range(start: sampledata.start, stop: sampledata.stop)\n'


def rfc3339(ns: int) -> str:
    return datetime.fromtimestamp(ns // 10**9, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tables(flux: str, *columns: str) -> list[list[tuple]]:
    """The result's tables in order of their first rows' columns, each as rows of `columns`
    (times as RFC3339 strings)."""
    out = []
    for table in execute(flux, NOW):
        index = [table.index(c) for c in columns]
        times = {i for i, c in zip(index, columns) if table.columns[i].type.value == "time"}
        out.append([tuple(rfc3339(r[i]) if i in times and r[i] is not None else r[i] for i in index) for r in table.rows])
    return sorted(out, key=lambda rows: [tuple("" if v is None else str(v) for v in row) for row in rows])


def by_tag(flux: str, *columns: str) -> dict:
    """{tag: [rows of `columns`]} for a result with one table per `tag`."""
    out = {}
    for table in execute(flux, NOW):
        assert "tag" in table.key
        rows = tables_rows(table, columns)
        tag = table.rows[0][table.index("tag")]
        assert tag not in out
        out[tag] = rows
    return out


def tables_rows(table, columns) -> list[tuple]:
    index = [table.index(c) for c in columns]
    times = {i for i in index if table.columns[i].type.value == "time"}
    return [tuple(rfc3339(r[i]) if i in times and r[i] is not None else r[i] for i in index) for r in table.rows]


def t(seconds: int) -> str:
    return f"2021-01-01T00:{seconds // 60:02d}:{seconds % 60:02d}Z"


# ------------------------------------------------------------------ sampledata


def test_sampledata_with_nulls():
    """Input tables of the fill() page (sampledata.int(includeNull: true))."""
    got = by_tag('import "sampledata"\nsampledata.int(includeNull: true)', "_time", "_value")
    assert got == {
        "t1": [(t(0), -2), (t(10), None), (t(20), 7), (t(30), None), (t(40), None), (t(50), 4)],
        "t2": [(t(0), None), (t(10), 4), (t(20), -3), (t(30), 19), (t(40), None), (t(50), 1)],
    }


def test_sampledata_uint():
    """https://docs.influxdata.com/flux/v0/stdlib/sampledata/uint/"""
    got = by_tag('import "sampledata"\nsampledata.uint()', "_value")
    assert [v for (v,) in got["t1"]] == [18446744073709551614, 10, 7, 17, 15, 4]
    assert [v for (v,) in got["t2"]] == [19, 4, 18446744073709551613, 19, 13, 1]


# ------------------------------------------------------------------ window(period:)


def test_window_every_20s_period_40s():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/window/ : "Window every 20 seconds covering 40 second periods"."""
    flux = RANGED.format(kind="int") + "data |> window(every: 20s, period: 40s)"
    got = tables(flux, "_start", "_stop", "_time", "_value", "tag")
    want = {
        "t1": {(0, 20): [(0, -2), (10, 10)], (0, 40): [(0, -2), (10, 10), (20, 7), (30, 17)],
               (20, 60): [(20, 7), (30, 17), (40, 15), (50, 4)], (40, 60): [(40, 15), (50, 4)]},
        "t2": {(0, 20): [(0, 19), (10, 4)], (0, 40): [(0, 19), (10, 4), (20, -3), (30, 19)],
               (20, 60): [(20, -3), (30, 19), (40, 13), (50, 1)], (40, 60): [(40, 13), (50, 1)]},
    }
    expected = [[(t(a), t(b), t(s), v, tag) for s, v in rows] for tag, windows in want.items() for (a, b), rows in windows.items()]
    assert got == sorted(expected, key=lambda rows: [tuple(str(v) for v in row) for row in rows])


def test_window_period_shorter_than_every_leaves_rows_out():
    """A row in no window is in no table ("zero or more output tables", https://docs.influxdata.com/flux/v0/stdlib/universe/window/)."""
    flux = RANGED.format(kind="int") + 'data |> filter(fn: (r) => r.tag == "t1") |> window(every: 20s, period: 5s)'
    got = tables(flux, "_start", "_stop", "_time", "_value")
    assert got == [[(t(0), t(5), t(0), -2)], [(t(20), t(25), t(20), 7)], [(t(40), t(45), t(40), 15)]]


def test_aggregate_window_with_period():
    """aggregateWindow(period:) is window(every, period) |> fn |> _stop as _time, rows in window order."""
    flux = RANGED.format(kind="int") + "data |> aggregateWindow(every: 20s, period: 40s, fn: mean)"
    got = by_tag(flux, "_time", "_value")
    assert got == {"t1": [(t(20), 4.0), (t(40), 8.0), (t(60), 10.75), (t(60), 9.5)],
                   "t2": [(t(20), 11.5), (t(40), 9.75), (t(60), 7.5), (t(60), 7.0)]}


def test_aggregate_window_with_period_creates_empty_windows():
    """createEmpty (aggregateWindow's default): an empty window gives a row, count 0."""
    flux = RANGED.format(kind="int") + """data
        |> filter(fn: (r) => r.tag == "t1" and (r._time < 2021-01-01T00:00:10Z or r._time > 2021-01-01T00:00:40Z))
        |> aggregateWindow(every: 10s, period: 20s, fn: count)"""
    got = by_tag(flux, "_time", "_value")
    assert got == {"t1": [(t(10), 1), (t(20), 1), (t(30), 0), (t(40), 0), (t(50), 0), (t(60), 1), (t(60), 1)]}


def test_window_period_with_calendar_units_is_refused():
    from flux_run import one_line_error

    text = one_line_error('import "sampledata"\nsampledata.int() |> window(every: 1mo, period: 2mo)')
    assert "fixed durations" in text


# ------------------------------------------------------------------ pages that already matched (regressions)


def test_fill_use_previous():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/fill/ : "Fill null values with the previous non-null value"."""
    got = by_tag('import "sampledata"\nsampledata.int(includeNull: true) |> fill(usePrevious: true)', "_value")
    assert got == {"t1": [(-2,), (-2,), (7,), (7,), (7,), (4,)], "t2": [(None,), (4,), (-3,), (19,), (19,), (1,)]}


def test_aggregate_window_week_offset_empty_last_window():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/aggregatewindow/ : "Downsample by calendar week starting on Monday"."""
    values = [("01", 2.0), ("03", 2.2), ("06", 4.1), ("09", 3.8), ("11", 1.7), ("12", 2.1), ("15", 3.8), ("16", 4.2),
              ("20", 5.0), ("24", 5.8), ("28", 3.9)]
    rows = ", ".join(f'{{_time: 2022-01-{d}T00:00:00Z, tag: "t1", _value: {v}}}' for d, v in values)
    flux = f"""import "array"
array.from(rows: [{rows}]) |> group(columns: ["tag"])
    |> range(start: 2022-01-01T00:00:00Z, stop: 2022-01-31T23:59:59Z)
    |> aggregateWindow(every: 1w, offset: -3d, fn: mean)"""
    got = by_tag(flux, "_time", "_value")["t1"]
    assert [time for time, _ in got] == ["2022-01-03T00:00:00Z", "2022-01-10T00:00:00Z", "2022-01-17T00:00:00Z",
                                         "2022-01-24T00:00:00Z", "2022-01-31T00:00:00Z", "2022-01-31T23:59:59Z"]
    assert [v for _, v in got] == pytest.approx([2.0, 3.3666666666666667, 2.95, 5.0, 4.85, None])


def test_integral_linear_interpolation():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/integral/ : linear interpolation extends to _start/_stop."""
    flux = RANGED.format(kind="int").replace("int()", "int(includeNull: true)") + 'data |> integral(unit: 10s, interpolate: "linear")'
    assert by_tag(flux, "_value") == {"t1": [(25.0,)], "t2": [(32.5,)]}


def test_derivative_non_negative_gives_nulls():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/derivative/ : a negative rate is null with nonNegative: true."""
    got = by_tag('import "sampledata"\nsampledata.int() |> derivative(nonNegative: true)', "_value")
    assert got == {"t1": [(1.2,), (None,), (1.0,), (None,), (None,)], "t2": [(None,), (None,), (2.2,), (None,), (None,)]}


def test_difference_with_nulls():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/difference/ : "... with null values"."""
    got = by_tag('import "sampledata"\nsampledata.int(includeNull: true) |> difference()', "_value")
    assert got == {"t1": [(None,), (9,), (None,), (None,), (-3,)], "t2": [(None,), (-7,), (22,), (None,), (-18,)]}


def test_moving_average_with_nulls():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/movingaverage/ : "... with null values"."""
    got = by_tag('import "sampledata"\nsampledata.int(includeNull: true) |> movingAverage(n: 3)', "_value")
    assert got == {"t1": [(2.5,), (7.0,), (7.0,), (4.0,)], "t2": [(0.5,), (pytest.approx(6.666666666666667),), (8.0,), (10.0,)]}


def test_exponential_moving_average_with_nulls():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/exponentialmovingaverage/ : "... with null values"."""
    got = by_tag('import "sampledata"\nsampledata.int(includeNull: true) |> exponentialMovingAverage(n: 3)', "_value")
    assert got == {"t1": [(2.5,), (2.5,), (2.5,), (3.25,)], "t2": [(0.5,), (9.75,), (9.75,), (5.375,)]}


def test_increase_starts_at_zero():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/increase/"""
    got = by_tag('import "sampledata"\nsampledata.int() |> increase()', "_value")
    assert got == {"t1": [(0,), (12,), (19,), (29,), (44,), (48,)], "t2": [(0,), (4,), (4,), (26,), (39,), (40,)]}


def test_histogram_linear_bins():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/histogram/ : "... with dynamically generated bins"."""
    got = by_tag('import "sampledata"\nsampledata.float() |> histogram(bins: linearBins(start: 0.0, width: 4.0, count: 3))', "le", "_value")
    inf = float("inf")
    assert got == {"t1": [(0.0, 1.0), (4.0, 1.0), (8.0, 3.0), (inf, 6.0)], "t2": [(0.0, 1.0), (4.0, 2.0), (8.0, 3.0), (inf, 6.0)]}


def test_distinct_with_nulls():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/distinct/ : null is its own distinct value."""
    got = by_tag('import "sampledata"\nsampledata.int(includeNull: true) |> distinct()', "_value")
    assert got == {"t1": [(-2,), (None,), (7,), (4,)], "t2": [(None,), (4,), (-3,), (19,), (1,)]}


def test_highest_average():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/highestaverage/ : one ungrouped row."""
    got = tables('import "sampledata"\nsampledata.int() |> highestAverage(n: 1, groupColumns: ["tag"])', "tag", "_value")
    assert got == [[("t2", pytest.approx(8.833333333333334))]]


def test_mode_of_values_all_different_is_null():
    """https://docs.influxdata.com/flux/v0/stdlib/universe/mode/: t1's six values are all
    different (no mode: null), t2's 19 occurs twice."""
    got = by_tag('import "sampledata"\nsampledata.int() |> mode()', "_value")
    assert got == {"t1": [(None,)], "t2": [(19,)]}
