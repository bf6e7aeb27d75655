"""Windowed aggregates and selectors (transpile/lower/aggregates.py) on a storage scan,
checked against windows computed here in Python: rows grouped by their epoch-aligned window
start, bounds cut at the range, empty windows as null rows (count 0), selectors of the
window's value alone inside aggregateWindow and of whole rows in window() |> max().
https://docs.influxdata.com/flux/v0/stdlib/universe/aggregatewindow/
"""
from __future__ import annotations

import pytest

from runtime.database import Database

S = 10**9
START, STOP, EVERY = 2 * S, 35 * S, 5 * S
RANGE = 'range(start: 1970-01-01T00:00:02Z, stop: 1970-01-01T00:00:35Z)'


def series() -> dict[tuple[str, str], list[tuple[int, object]]]:
    """(host, field) -> [(time, value)]: host b has no points from 10 s to 21 s (empty
    windows), host a no n from 25 s to 30 s (a window where one field of the row has a
    value and the other not), values repeat (ties for min and max), x is a float field
    and n an integer one."""
    out = {}
    for host, skip in (("a", ()), ("b", range(10, 22))):
        for field, kind in (("x", float), ("n", int)):
            points = []
            for t in range(1, 40, 3):
                if t in skip or (host, field) == ("a", "n") and 25 <= t < 31:
                    continue
                value = (t * 7 + (3 if host == "b" else 0)) % 5
                points.append((t * S, kind(value) if kind is int else value / 2))
            out[(host, field)] = points
    return out


@pytest.fixture(scope="module")
def db():
    lines = []
    for (host, field), points in series().items():
        for t, v in points:
            text = f"{v}i" if isinstance(v, int) else repr(v)
            lines.append(f"m,host={host} {field}={text} {t}")
    # Rows holding only a field that is not read.
    lines += ["m,host=c other=1 3000000000", "m,host=a other=2 2000000000"]
    database = Database()
    database.write("\n".join(lines), bucket="b")
    yield database
    database.close()


def windows():
    start = START // EVERY * EVERY
    while start < STOP:
        yield max(start, START), min(start + EVERY, STOP)
        start += EVERY


AGGREGATES = {
    "mean": lambda vs: sum(v for _, v in vs) / len(vs) if vs else None,
    "count": lambda vs: len(vs),
    "sum": lambda vs: sum(v for _, v in vs) if vs else None,
    "max": lambda vs: max(v for _, v in vs) if vs else None,
    "min": lambda vs: min(v for _, v in vs) if vs else None,
    "first": lambda vs: vs[0][1] if vs else None,
    "last": lambda vs: vs[-1][1] if vs else None,
}


def got(db, source: str, columns: tuple[str, ...]) -> dict:
    out = {}
    for table in db.query(source, now=100 * S):
        key = (table.rows[0][table.index("host")], table.rows[0][table.index("_field")])
        assert key not in out
        out[key] = [tuple(row[table.index(c)] for c in columns) for row in table.rows]
    return out


@pytest.mark.parametrize("fn", sorted(AGGREGATES))
@pytest.mark.parametrize("create_empty", [True, False])
def test_aggregate_window_equals_windows_computed_by_hand(db, fn, create_empty):
    source = (f'from(bucket: "b") |> {RANGE} |> filter(fn: (r) => r._measurement == "m" and (r._field == "x" or r._field == "n"))'
              f' |> aggregateWindow(every: 5s, fn: {fn}, createEmpty: {str(create_empty).lower()})')
    expected = {}
    for key, points in series().items():
        rows = []
        for start, stop in windows():
            inside = [(t, v) for t, v in points if start <= t < stop]
            if inside or create_empty:
                value = AGGREGATES[fn](inside)
                rows.append((START, STOP, stop, float(value) if fn == "mean" and value is not None else value))
        expected[key] = rows
    assert got(db, source, ("_start", "_stop", "_time", "_value")) == expected


@pytest.mark.parametrize("fn", ["max", "min", "first", "last"])
def test_window_selectors_keep_the_selected_row(db, fn):
    """window() |> max(): the whole selected row (its own time; the first of tied values)."""
    source = f'from(bucket: "b") |> {RANGE} |> filter(fn: (r) => r._measurement == "m" and (r._field == "x" or r._field == "n")) |> window(every: 5s) |> {fn}()'
    expected = {}
    for key, points in series().items():
        for start, stop in windows():
            inside = [(t, v) for t, v in points if start <= t < stop]
            if not inside:
                continue
            if fn in ("max", "min"):
                best = (max if fn == "max" else min)(v for _, v in inside)
                row = next(p for p in inside if p[1] == best)
            else:
                row = inside[0] if fn == "first" else inside[-1]
            expected.setdefault(key, []).append(((start, stop), row))
    found = {}
    for table in db.query(source, now=100 * S):
        for row in table.rows:
            cell = lambda c: row[table.index(c)]  # noqa: E731
            found.setdefault((cell("host"), cell("_field")), []).append(
                ((cell("_start"), cell("_stop")), (cell("_time"), cell("_value"))))
    assert {k: sorted(v) for k, v in found.items()} == expected


def test_windows_of_several_series_merged_by_group(db):
    """group() before aggregateWindow: the windows of the merged table, count of both fields."""
    source = (f'from(bucket: "b") |> {RANGE} |> filter(fn: (r) => r._measurement == "m" and r._field == "n")'
              ' |> group() |> aggregateWindow(every: 5s, fn: count)')
    tables = list(db.query(source, now=100 * S))
    assert len(tables) == 1
    counts = [(row[tables[0].index("_time")], row[tables[0].index("_value")]) for row in tables[0].rows]
    points = [t for (_, field), ps in series().items() if field == "n" for t, _ in ps]
    assert counts == [(stop, sum(start <= t < stop for t in points)) for start, stop in windows()]


@pytest.mark.parametrize("tail", ["", " |> aggregateWindow(every: 5s, fn: mean)", " |> mean() |> group() |> top(n: 3)"])
def test_a_tag_fixed_by_the_filter_reads_as_a_constant(db, tail):
    """`r.host == "b"` makes host a constant of the scan (lower/storage.py pinned_tags);
    an `or` of two values does not: both give the same tables."""
    scan = f'from(bucket: "b") |> {RANGE} |> filter(fn: (r) => r._measurement == "m" and '
    pinned = db.query(scan + 'r.host == "b")' + tail, now=100 * S)
    general = db.query(scan + '(r.host == "b" or r.host == "zz"))' + tail, now=100 * S)
    as_rows = lambda result: [(t.key_values(), t.labels, t.rows) for t in result]  # noqa: E731
    assert as_rows(pinned) == as_rows(general)
    assert sum(len(t.rows) for t in pinned) > 0


def test_a_condition_on_the_field_name_is_not_applied_to_the_wide_rows(db):
    """`r._field != "other"` stays a condition per field: the aggregate of the fields and
    the pivot read the same values as with the fields named one by one."""
    scan = f'from(bucket: "b") |> {RANGE} |> filter(fn: (r) => r._measurement == "m" and '
    excluded, named = scan + 'r._field != "other")', scan + '(r._field == "x" or r._field == "n"))'
    as_rows = lambda result: sorted((t.key_values(), t.labels, t.rows) for t in result)  # noqa: E731
    mean = " |> aggregateWindow(every: 5s, fn: mean)"
    assert as_rows(db.query(excluded + mean, now=100 * S)) == as_rows(db.query(named + mean, now=100 * S))
    pivot = ' |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")'
    values = lambda result: sorted((t.key_values(), [(r[t.index("_time")], r[t.index("x")], r[t.index("n")])  # noqa: E731
                                                      for r in t.rows]) for t in result)
    assert values(db.query(excluded + pivot, now=100 * S)) == values(db.query(named + pivot, now=100 * S))


def test_fields_of_two_measurements_with_other_tags(tmp_path):
    """One GROUP BY per measurement table (their tag columns differ), the field rows of
    both in one stream: each table's windows as if its series were read alone."""
    lines, expected = [], {}
    for measurement, tag, fields in (("m", "host=a", ("x", "y")), ("q", "region=eu", ("x", "z"))):
        for i, field in enumerate(fields):
            points = [(t * S, float(t * (i + 2) % 7)) for t in range(1, 30, 4)]
            lines += [f"{measurement},{tag} {field}={v} {t}" for t, v in points]
            windows_ = {}
            for t, v in points:
                if START <= t < STOP:
                    windows_.setdefault(min((t // EVERY + 1) * EVERY, STOP), []).append(v)
            expected[(measurement, field)] = sorted((stop, sum(vs) / len(vs)) for stop, vs in windows_.items())
    with Database(tmp_path / "two.duckdb") as database:
        database.write("\n".join(lines), bucket="b")
        source = (f'from(bucket: "b") |> {RANGE} |> filter(fn: (r) => r._measurement == "m" or r._measurement == "q")'
                  ' |> aggregateWindow(every: 5s, fn: mean, createEmpty: false)')
        found = {}
        for table in database.query(source, now=100 * S):
            row = table.rows[0]
            key = (row[table.index("_measurement")], row[table.index("_field")])
            found[key] = sorted((r[table.index("_time")], r[table.index("_value")]) for r in table.rows)
            # Each table has the tags of its own series only (Flux has no null tag columns).
            tags = {c: row[table.index(c)] for c in ("host", "region") if c in table.labels}
            assert tags == ({"host": "a"} if key[0] == "m" else {"region": "eu"})
    assert found == expected
