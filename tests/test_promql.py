"""internal/promql: argument errors with positions, and the range-vector functions and
histogram_quantile checked against a small Python model of Prometheus' definitions
(https://prometheus.io/docs/prometheus/latest/querying/functions/) on seeded random
series with nulls, NaN, counter resets and repeated times. The golden files in
golden/promql/ pin the conformance vectors."""
from __future__ import annotations

import math
import random
import re
from itertools import pairwise

import pytest

import transpile
from flux_run import execute
from transpile.errors import FluxError

NOW = "2030-01-01T00:00:00Z"
START_S, STOP_S = 1_600_000_000, 1_600_000_300  # range(): 300 s
SECOND = 1_000_000_000


def run(flux: str) -> dict:
    """{result name: {tag: _value}} of a script whose tables are keyed by a `tag` column."""
    result = execute(flux, NOW)
    out: dict = {}
    for name, tables in result.results:
        values = out.setdefault(name, {})
        for table in tables:
            labels = [c.label for c in table.columns]
            for row in table.rows:
                record = dict(zip(labels, row))
                assert record["tag"] not in values, f"{name}: two rows for {record['tag']}"
                values[record["tag"]] = record["_value"]
    return out


def error_of(flux: str) -> str:
    with pytest.raises(FluxError) as info:
        transpile.compile(flux, now=NOW)
    return info.value.format()


# ------------------------------------------------------------------ argument errors

FLOATS = 'import "internal/promql"\nimport "array"\narray.from(rows: [{_time: 2020-01-01T00:00:00Z, _value: 1.0, le: "1"}])\n    |> '
INTS = 'import "internal/promql"\nimport "array"\narray.from(rows: [{_time: 2020-01-01T00:00:00Z, _value: 1}])\n    |> '


@pytest.mark.parametrize(
    "prefix, call, message",
    [
        (INTS, "promql.changes()", "_value must be of type float, got int"),
        (FLOATS, "promql.extrapolatedRate(isRate: true)", "the input has no _start column"),
        (FLOATS, "range(start: 2019-01-01T00:00:00Z) |> promql.extrapolatedRate(isCounter: 1)", "isCounter must be a bool"),
        (FLOATS, "promql.instantRate(isRate: \"yes\")", "isRate must be a bool"),
        (FLOATS, "promql.linearRegression(predict: true)", "the input has no _stop column"),
        (FLOATS, "promql.linearRegression(fromNow: 1)", "fromNow must be a float"),
        (FLOATS, "promql.quantile(q: 1)", "q must be a float"),
        (FLOATS, "promql.promHistogramQuantile(quantile: 1)", "quantile must be a float"),
        (FLOATS, 'promql.promHistogramQuantile(upperBoundColumn: "nope")', "the input has no column 'nope'"),
        (FLOATS, 'group(columns: ["le"]) |> promql.promHistogramQuantile()', "must not be part of the group key"),
        (FLOATS, 'promql.labelReplace(source: "_value", destination: "d", regex: ".*", replacement: "")', "column '_value' must be of type string"),
        (FLOATS, 'promql.labelReplace(source: "le", destination: "d", regex: ".*")', "missing required argument 'replacement'"),
        (FLOATS, 'promql.labelReplace(source: "le", destination: "d", regex: "(", replacement: "")', "4:60: internal/promql.labelReplace: invalid regular expression '('"),
    ],
)
def test_argument_errors_are_one_line_with_a_position(prefix, call, message):
    first = error_of(prefix + call).splitlines()[0]
    assert re.match(r"4:\d+: ", first), first
    assert message in first, first


# ------------------------------------------------------------------ a model of PromQL


def changes(samples):
    return float(sum(1 for (_, a), (_, b) in pairwise(samples) if b != a and not (math.isnan(a) and math.isnan(b))))


def resets(samples):
    return float(sum(1 for (_, a), (_, b) in pairwise(samples) if b < a))


def extrapolated_rate(samples, is_counter, is_rate):
    if len(samples) < 2:
        return None
    (t0, v0), (tn, vn) = samples[0], samples[-1]
    result = vn - v0
    if is_counter:
        last = 0.0
        for _, v in samples:
            if v < last:
                result += last
            last = v
    to_start = (t0 - START_S * SECOND) / SECOND
    to_end = (STOP_S * SECOND - tn) / SECOND
    sampled = (tn - t0) / SECOND
    average = sampled / (len(samples) - 1)
    if is_counter and result > 0 and v0 >= 0:
        to_zero = sampled * (v0 / result)
        if to_zero < to_start:
            to_start = to_zero
    threshold = average * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average / 2
    interval += to_end if to_end < threshold else average / 2
    result = result * _div(interval, sampled)
    return _div(result, float(STOP_S - START_S)) if is_rate else result


def instant_rate(samples, is_rate):
    if len(samples) < 2:
        return None
    (tp, vp), (tl, vl) = samples[-2], samples[-1]
    result = vl if is_rate and vl < vp else vl - vp
    if tl == tp:
        return None
    return result / ((tl - tp) / SECOND) if is_rate else result


def linear_regression(samples, predict, from_now):
    if len(samples) < 2:
        return None
    origin = STOP_S * SECOND if predict else samples[0][0]
    n = sum_x = sum_y = sum_xy = sum_x2 = 0.0
    for t, v in samples:
        x = (t - origin) / SECOND
        n += 1.0
        sum_y += v
        sum_x += x
        sum_xy += x * v
        sum_x2 += x * x
    cov = sum_xy - sum_x * sum_y / n
    var = sum_x2 - sum_x * sum_x / n
    slope = _div(cov, var)
    return slope * from_now + (sum_y / n - slope * sum_x / n) if predict else slope


def bucket_quantile(q, buckets):
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    merged: dict = {}
    for bound, count in buckets:
        merged[bound] = merged.get(bound, 0.0) + count
    ordered = sorted(merged.items())
    if not ordered or ordered[-1][0] != math.inf:
        return math.nan
    top, counts = 0.0, []
    for i, (_, c) in enumerate(ordered):
        top = c if i == 0 or c > top else top
        counts.append(top)
    if len(ordered) < 2:
        return math.nan
    rank = q * counts[-1]
    b = next((i for i in range(len(ordered) - 1) if counts[i] >= rank), len(ordered) - 1)
    if b == len(ordered) - 1:
        return ordered[-2][0]
    if b == 0 and ordered[0][0] <= 0:
        return ordered[0][0]
    start, end, count = 0.0, ordered[b][0], counts[b]
    if b > 0:
        start = ordered[b - 1][0]
        count -= counts[b - 1]
        rank -= counts[b - 1]
    return start + (end - start) * (rank / count)


def _div(a, b):
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1, b)
    return a / b


# ------------------------------------------------------------------ random series


def random_series(rng: random.Random, n_series: int = 40):
    """{tag: [(time ns, value or None)]}: counters with resets, repeated values and
    times, nulls, the odd NaN; some series too short for a rate."""
    series = {}
    for s in range(n_series):
        length = rng.choice([0, 1, 2, 3, 5, 8, 12, 12, 12])
        t = START_S * SECOND + rng.randint(0, 600) * SECOND // 10
        v = rng.choice([-3.0, 0.0, 5.0, 100.0])
        rows = []
        for _ in range(length):
            roll = rng.random()
            if roll < 0.1:
                rows.append((t, None))
            elif roll < 0.15:
                rows.append((t, math.nan))
            else:
                v = 0.0 if roll < 0.25 else v + rng.choice([0.0, 0.0, 1.5, 3.0, 250.0])
                rows.append((t, v))
            t += rng.choice([0, 7, 10, 10, 13, rng.randint(1, 300) / 10]) * SECOND
        series[f"s{s}"] = [(min(int(t_), (STOP_S - 1) * SECOND), v_) for t_, v_ in rows]
    return series


def csv_of(series: dict) -> str:
    lines = ["#datatype,string,long,dateTime:RFC3339,double,string", "#group,false,false,false,false,true",
             "#default,_result,,,,", ",result,table,_time,_value,tag"]
    from transpile.timefmt import format_rfc3339

    for i, (tag, rows) in enumerate(series.items()):
        for t, v in rows:
            cell = "" if v is None else ("NaN" if math.isnan(v) else repr(v))
            lines.append(f",,{i},{format_rfc3339(t)},{cell},{tag}")
    return "\n".join(lines)


CALLS = {
    "changes": ("promql.changes()", changes),
    "resets": ("promql.resets()", resets),
    "rate": ("promql.extrapolatedRate(isCounter: true, isRate: true)", lambda s: extrapolated_rate(s, True, True)),
    "increase": ("promql.extrapolatedRate(isCounter: true)", lambda s: extrapolated_rate(s, True, False)),
    "delta": ("promql.extrapolatedRate()", lambda s: extrapolated_rate(s, False, False)),
    "gauge_rate": ("promql.extrapolatedRate(isRate: true)", lambda s: extrapolated_rate(s, False, True)),
    "irate": ("promql.instantRate(isRate: true)", lambda s: instant_rate(s, True)),
    "idelta": ("promql.instantRate()", lambda s: instant_rate(s, False)),
    "deriv": ("promql.linearRegression()", lambda s: linear_regression(s, False, 0.0)),
    "predict": ("promql.linearRegression(predict: true, fromNow: 120.0)", lambda s: linear_regression(s, True, 120.0)),
}


def same(got, want) -> bool:
    if got is None or want is None:
        return got is want
    if math.isnan(want):
        return math.isnan(got)
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("seed", [1, 2])
def test_range_vector_functions_follow_prometheus(seed):
    series = random_series(random.Random(seed))
    script = [
        'import "csv"', 'import "internal/promql"',
        f'data = csv.from(csv: "{csv_of(series)}")',
        f"    |> range(start: {START_S}, stop: {STOP_S})",
    ]
    script += [f'data |> {call} |> yield(name: "{name}")' for name, (call, _) in CALLS.items()]
    got = run("\n".join(script))
    for name, (_, model) in CALLS.items():
        for tag, rows in series.items():
            samples = [(t, v) for t, v in rows if v is not None]
            # A series without rows is no table; changes and resets count 0 in a table of nulls.
            want = model(samples) if rows and (samples or name in ("changes", "resets")) else None
            have = got.get(name, {}).get(tag)
            assert same(have, want), f"{name} of {tag} {rows}: got {have}, want {want}"


def test_histogram_quantile_follows_prometheus():
    rng = random.Random(7)
    bounds = ["0.05", "0.1", "0.5", "1", "2.5", "+Inf", "-1", "0"]
    histograms = {
        "only_inf": [("+Inf", 3.0)],
        "no_inf": [("1", 1.0), ("2", 2.0)],
        "first_negative": [("-1", 5.0), ("1", 6.0), ("+Inf", 6.0)],
        "merged": [("0.5", 2.0), ("0.5", 1.0), ("1", 2.0), ("+Inf", 10.0)],
        "negative_counts": [("1", -4.0), ("+Inf", -4.0)],  # no bucket reaches the rank
    }
    for h in range(30):
        chosen = rng.sample(bounds, rng.randint(1, 6)) + ([rng.choice(bounds)] if rng.random() < 0.3 else [])
        histograms[f"h{h}"] = [(b, float(rng.randint(0, 20))) for b in chosen]
    rows = ", ".join(f'{{tag: "{h}", le: "{b}", _value: {c!r}}}' for h, buckets in histograms.items() for b, c in buckets)
    script = ['import "array"', 'import "internal/promql"', f"data = array.from(rows: [{rows}]) |> group(columns: [\"tag\"])"]
    quantiles = {"q0": 0.0, "q25": 0.25, "q50": 0.5, "q90": 0.9, "q1": 1.0, "neg": -0.5, "big": 2.0}
    script += [f'data |> promql.promHistogramQuantile(quantile: {q!r}) |> yield(name: "{name}")' for name, q in quantiles.items()]
    got = run("\n".join(script))
    for name, q in quantiles.items():
        for h, buckets in histograms.items():
            want = bucket_quantile(q, [(float(b), c) for b, c in buckets])
            have = got[name][h]
            assert same(have, want), f"{name} of {h} {buckets}: got {have}, want {want}"
