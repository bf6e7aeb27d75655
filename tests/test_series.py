"""Time-series math functions (derivative, difference, moving averages, ...): argument
errors with positions, and semantics the golden files do not pin down (nanosecond
exactness, long recurrences, empty tables downstream)."""
from __future__ import annotations

import pytest

import transpile
from flux_run import execute
from transpile.errors import FluxError

NOW = "2030-01-01T00:00:00Z"


def run(flux: str) -> list:
    """The result tables of a script: [(key values, rows as dicts)] in output order."""
    result = execute(flux, NOW)
    out = []
    for table in result:
        labels = [c.label for c in table.columns]
        out.append((table.key_values(), [dict(zip(labels, row)) for row in table.rows]))
    return out


def error_of(flux: str) -> str:
    with pytest.raises(FluxError) as info:
        transpile.compile(flux, now=NOW)
    return info.value.format()


def rows_of(values: list, step_ns: int = 1_000_000_000, start: str = "2021-01-01T00:00:00Z") -> str:
    """An array.from() of `_time`/`_value` rows, `step_ns` apart."""
    rows = ", ".join(
        f"{{_time: time(v: uint(v: {start}) + uint(v: {i * step_ns})), _value: {v!r}}}" for i, v in enumerate(values)
    )
    return f'import "array"\ndata = array.from(rows: [{rows}])\n'


@pytest.mark.parametrize(
    "call, message",
    [
        ("derivative(unit: 1mo)", "unit must be a fixed duration"),
        ("derivative(unit: 0s)", "unit must be a positive duration"),
        ("movingAverage(n: 0)", "n must be greater than 0"),
        ('exponentialMovingAverage(n: "3")', "n must be an int"),
        ('fill(value: "x")', "does not match column type"),
        ("fill()", "exactly one of value or usePrevious"),
        ('difference(columns: ["_time"])', "does not support time columns"),
        ("hourSelection(start: 25, stop: 3)", "start must be an hour from 0 to 23"),
        ('integral(interpolate: "cubic")', 'interpolate must be "" or "linear"'),
        ('timeWeightedAvg(unit: 1s)', "needs the _start and _stop columns"),
        ("holtWinters(n: 3, interval: 1m)", "Nelder-Mead"),
        ('derivative(timeColumn: "_stop")', "no column '_stop' exists"),
        ('elapsed(timeColumn: "_value")', "not time"),
        ('kaufmansAMA(n: 2, column: "nope")', "cannot find the nope column"),
    ],
)
def test_argument_errors_are_one_line_with_a_position(call: str, message: str) -> None:
    text = error_of(rows_of([1.0, 2.0]) + f"data\n    |> {call}\n")
    assert message in text
    assert "\n" not in text.strip()
    line, column, _ = text.split(":", 2)
    assert line == "4" and int(column) >= 8  # the call, or the offending argument in it


def test_derivative_is_exact_to_the_nanosecond() -> None:
    # Two points 3ns apart; per-nanosecond rate must be exactly 1/3 of the step.
    [(_, rows)] = run(rows_of([0.0, 1.0], step_ns=3) + "data |> derivative(unit: 1ns)")
    assert rows[0]["_value"] == pytest.approx(1 / 3, abs=1e-12)


def test_elapsed_counts_nanoseconds_exactly() -> None:
    [(_, rows)] = run(rows_of([1, 2, 3], step_ns=1_000_000_007) + "data |> elapsed(unit: 1ns)")
    assert [r["elapsed"] for r in rows] == [1_000_000_007, 1_000_000_007]


def test_exponential_moving_average_follows_the_recurrence_on_long_tables() -> None:
    values = [float((i * 37) % 101) for i in range(400)]
    [(_, rows)] = run(rows_of(values) + "data |> exponentialMovingAverage(n: 5)")
    k = 2 / 6
    ema = sum(values[:5]) / 5
    expected = [ema]
    for x in values[5:]:
        ema = x * k + ema * (1 - k)
        expected.append(ema)
    assert [r["_value"] for r in rows] == pytest.approx(expected, abs=1e-9)


def test_empty_tables_left_by_difference_still_count_zero() -> None:
    tables = run(rows_of([5]) + 'data |> difference() |> count(column: "_time")')
    assert [rows for _, rows in tables] == [[{"_time": 0}]]


def test_interpolate_linear_inserts_rows_on_the_epoch_grid() -> None:
    flux = 'import "interpolate"\n' + rows_of([0.0, 3.0], step_ns=3 * 60_000_000_000, start="2021-01-01T00:00:30Z")
    flux += "data |> interpolate.linear(every: 1m)"
    [(_, rows)] = run(flux)
    minutes = [(r["_time"] - rows[0]["_time"]) / 60e9 for r in rows]
    assert minutes == [0, 0.5, 1.5, 2.5, 3]
    assert [r["_value"] for r in rows] == pytest.approx([0.0, 0.5, 1.5, 2.5, 3.0])


def test_uint_difference_is_int_and_negative_steps_survive() -> None:
    flux = 'import "array"\ndata = array.from(rows: [{_time: 2021-01-01T00:00:00Z, _value: uint(v: 5)}, ' \
           '{_time: 2021-01-01T00:00:01Z, _value: uint(v: 2)}])\ndata |> difference()'
    [(_, rows)] = run(flux)
    assert rows[0]["_value"] == -3
