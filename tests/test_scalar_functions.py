"""Scalar function packages (strings, regexp, math, date, timezone, types, dict, contains):
the compile-time fold and the SQL computed per row must give the same value, and both
must give Go's (Flux's) documented result.

Each check calls the function twice through the evaluator: once with constants (the
fold) and once with the same values as columns of a one-row table (the SQL, run on
DuckDB), then compares both with the expected value.
"""
from __future__ import annotations

import math

import duckdb
import pytest
from sqlglot import exp

import transpile.functions  # noqa: F401  (registers every package)
from transpile.analyze.evaluate import Evaluator
from transpile.analyze.objects import Located, Record, RowValue
from transpile.analyze.operators import type_of_constant
from transpile.errors import FluxError
from transpile.functions.registry import PACKAGES
from transpile.functions.scalar_support import go_format_float, go_format_float_sql
from transpile.lower import sql
from transpile.lower.scalars import lower_scalar
from transpile.scalar import Col
from transpile.timefmt import parse_rfc3339
from transpile.types import FluxType
from transpile.values import Duration, Regex, Time, UInt

NOW = parse_rfc3339("2030-01-01T00:00:00Z")
DB = duckdb.connect()


def T(text: str) -> Time:
    return Time(parse_rfc3339(text))


def evaluator(location=None) -> Evaluator:
    ev = Evaluator(now=NOW)
    if location is not None:
        ev.options["location"] = location
    return ev


def call(qualified: str, args: dict, location=None):
    pkg, _, name = qualified.rpartition(".")
    fn = PACKAGES[pkg or "universe"][name]
    located = {k: Located(v, None) for k, v in args.items()}
    return evaluator(location).call_value(fn, located, None)


def run_sql(value: RowValue, args: dict):
    """Execute the row expression over a one-row table holding `args` as columns."""
    columns = {}
    for name, v in args.items():
        if isinstance(v, Regex):
            continue
        columns[name] = sql.alias(sql.literal(v, type_of_constant(v)), name)
    expr = lower_scalar(value.scalar, lambda label: sql.col(label))
    if value.scalar.type == FluxType.TIME and not isinstance(value.scalar, Col):
        expr = sql.func("epoch_ns", expr)
    inner = exp.select(*columns.values()) if columns else exp.select(exp.Literal.number(1))
    query = exp.select(expr).from_(inner.subquery("t"))
    out = DB.execute(query.sql(dialect="duckdb")).fetchone()[0]
    return Time(out) if value.scalar.type == FluxType.TIME and out is not None else out


def as_row(args: dict, row_args: tuple[str, ...]) -> dict:
    out = {}
    for k, v in args.items():
        if k in row_args:
            out[k] = RowValue(Col(k, type_of_constant(v)))
        else:
            out[k] = v
    return out


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return True
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, UInt) and isinstance(b, int):
        return a.value == b
    return a == b and type(a) is type(b) or (isinstance(a, list) and list(a) == list(b))


def check(qualified: str, args: dict, want, row_args=None, location=None, index=None):
    """fold(args) == want and SQL(args as columns) == want."""
    folded = call(qualified, args, location)
    if index is not None:
        folded = folded[index]
    assert same(folded, want), f"fold {qualified}{args}: {folded!r} != {want!r}"
    row_args = tuple(k for k, v in args.items() if not isinstance(v, (Regex, list, Duration, Record))) if row_args is None else row_args
    rowed = call(qualified, as_row(args, row_args), location)
    if index is not None:
        from transpile.functions.scalar_support import index_row_value

        rowed = index_row_value(rowed, index, None)
    assert isinstance(rowed, RowValue), f"{qualified} did not become a row expression"
    got = run_sql(rowed, args)
    assert same(got, want), f"SQL {qualified}{args}: {got!r} != {want!r}"


# ---------------------------------------------------------------- strings

STRING_CASES = [
    ("strings.title", {"v": "hello wOrld_x-y 9a"}, "Hello WOrld_x-Y 9a"),
    ("strings.title", {"v": "été à l'ouest"}, "Été À L'Ouest"),
    ("strings.toUpper", {"v": "héllo"}, "HÉLLO"),
    ("strings.toLower", {"v": "HÉLLO"}, "héllo"),
    ("strings.toTitle", {"v": "loud"}, "LOUD"),
    ("strings.trim", {"v": "..hi..", "cutset": "."}, "hi"),
    ("strings.trimLeft", {"v": "..hi..", "cutset": "."}, "hi.."),
    ("strings.trimRight", {"v": "..hi..", "cutset": "."}, "..hi"),
    ("strings.trimSpace", {"v": " \t hi there\n\u00a0"}, "hi there"),
    ("strings.trimPrefix", {"v": "prefix_x", "prefix": "prefix_"}, "x"),
    ("strings.trimPrefix", {"v": "x", "prefix": "prefix_"}, "x"),
    ("strings.trimSuffix", {"v": "x_suffix", "suffix": "_suffix"}, "x"),
    ("strings.containsStr", {"v": "seafood", "substr": "foo"}, True),
    ("strings.containsAny", {"v": "failure", "chars": "ui"}, True),
    ("strings.containsAny", {"v": "foo", "chars": ""}, False),
    ("strings.hasPrefix", {"v": "go gopher", "prefix": "go"}, True),
    ("strings.hasSuffix", {"v": "go gopher", "suffix": "her"}, True),
    ("strings.equalFold", {"v": "Go", "t": "GO"}, True),
    ("strings.compare", {"v": "a", "t": "b"}, -1),
    ("strings.compare", {"v": "b", "t": "a"}, 1),
    ("strings.compare", {"v": "B", "t": "a"}, -1),
    ("strings.compare", {"v": "x", "t": "x"}, 0),
    ("strings.countStr", {"v": "cheese", "substr": "e"}, 3),
    ("strings.countStr", {"v": "aaaa", "substr": "aa"}, 2),
    ("strings.countStr", {"v": "five", "substr": ""}, 5),
    ("strings.index", {"v": "chicken", "substr": "ken"}, 4),
    ("strings.index", {"v": "héllo", "substr": "l"}, 3),  # Go: byte offset
    ("strings.index", {"v": "chicken", "substr": "dmr"}, -1),
    ("strings.lastIndex", {"v": "go gopher", "substr": "go"}, 3),
    ("strings.lastIndex", {"v": "héllo", "substr": ""}, 6),
    ("strings.lastIndex", {"v": "héllo", "substr": "z"}, -1),
    ("strings.indexAny", {"v": "chicken", "chars": "kmr"}, 4),
    ("strings.indexAny", {"v": "ébc", "chars": "cb"}, 2),
    ("strings.indexAny", {"v": "abc", "chars": "xyz"}, -1),
    ("strings.lastIndexAny", {"v": "go gopher", "chars": "ordent"}, 8),
    ("strings.lastIndexAny", {"v": "go gopher", "chars": ""}, -1),
    ("strings.isDigit", {"v": "7"}, True),
    ("strings.isDigit", {"v": "x"}, False),
    ("strings.isLetter", {"v": "Q"}, True),
    ("strings.isLower", {"v": "a"}, True),
    ("strings.isUpper", {"v": "a"}, False),
    ("strings.repeat", {"v": "na", "i": 3}, "nanana"),
    ("strings.replace", {"v": "oink oink oink", "t": "k", "u": "ky", "i": 2}, "oinky oinky oink"),
    ("strings.replace", {"v": "oink oink oink", "t": "oink", "u": "moo", "i": -1}, "moo moo moo"),
    ("strings.replace", {"v": "aaa", "t": "a", "u": "b", "i": 5}, "bbb"),
    ("strings.replaceAll", {"v": "oink oink", "t": "oink", "u": "moo"}, "moo moo"),
    ("strings.strlen", {"v": "héllo"}, 5),
    ("strings.substring", {"v": "héllo wörld", "start": 1, "end": 5}, "éllo"),
    ("strings.substring", {"v": "héllo", "start": -3, "end": 100}, "héllo"),
    ("strings.substring", {"v": "héllo", "start": 3, "end": 2}, ""),
]


@pytest.mark.parametrize("qualified,args,want", STRING_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STRING_CASES)])
def test_strings(qualified, args, want):
    check(qualified, args, want)


SPLIT_CASES = [
    ("strings.split", {"v": "a,b,c", "t": ","}, ["a", "b", "c"]),
    ("strings.split", {"v": "abc", "t": ""}, ["a", "b", "c"]),
    ("strings.splitN", {"v": "a,b,c,d", "t": ",", "i": 2}, ["a", "b,c,d"]),
    ("strings.splitN", {"v": "a,b", "t": ",", "i": 5}, ["a", "b"]),
    ("strings.splitAfter", {"v": "a,b,c", "t": ","}, ["a,", "b,", "c"]),
    ("strings.splitAfterN", {"v": "a,b,c", "t": ",", "i": 2}, ["a,", "b,c"]),
]


@pytest.mark.parametrize("qualified,args,want", SPLIT_CASES, ids=[c[0] for c in SPLIT_CASES])
def test_split_indexed_per_row(qualified, args, want):
    for i, part in enumerate(want):
        check(qualified, args, part, index=i)


def test_is_digit_needs_one_byte():
    # Flux's isDigit family tests exactly one byte: "é" (two bytes) or "12" is an error.
    with pytest.raises(FluxError, match="not equal to 1"):
        call("strings.isLetter", {"v": "é"})
    row = call("strings.isDigit", {"v": RowValue(Col("v", FluxType.STRING))})
    with pytest.raises(duckdb.Error, match="not equal to 1"):
        run_sql(row, {"v": "12"})


def test_join_str_with_row_elements():
    folded = call("strings.joinStr", {"arr": ["a", "b", "c"], "v": ", "})
    assert folded == "a, b, c"
    row = call("strings.joinStr", {"arr": [RowValue(Col("x", FluxType.STRING)), "PLUS"], "v": "-"})
    assert run_sql(row, {"x": "a"}) == "a-PLUS"


# ---------------------------------------------------------------- regexp

REGEXP_CASES = [
    ("regexp.findString", {"r": Regex("w.r"), "v": "héllo wörld wxr"}, "wör"),
    ("regexp.findString", {"r": Regex("z+"), "v": "abc"}, ""),
    ("regexp.matchRegexpString", {"r": Regex(r"^\d+$"), "v": "12345"}, True),
    ("regexp.matchRegexpString", {"r": Regex(r"^\d+$"), "v": "12a45"}, False),
    ("regexp.replaceAllString", {"r": Regex(r"a(x*)b"), "v": "-ab-axxb-", "t": "${1}W"}, "-W-xxW-"),
    ("regexp.replaceAllString", {"r": Regex(r"a(x*)b"), "v": "-ab-axxb-", "t": "$1"}, "--xx-"),
    ("regexp.replaceAllString", {"r": Regex(r"a(x*)b"), "v": "-ab-axxb-", "t": "$1W"}, "---"),  # Go: group "1W"
    ("regexp.replaceAllString", {"r": Regex(r"o"), "v": "foo", "t": "\\0"}, "f\\0\\0"),
    ("regexp.quoteMeta", {"v": "Escaping $5.00 [x]?"}, "Escaping \\$5\\.00 \\[x\\]\\?"),
]


@pytest.mark.parametrize("qualified,args,want", REGEXP_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(REGEXP_CASES)])
def test_regexp(qualified, args, want):
    check(qualified, args, want)


def test_find_string_index_is_byte_offsets():
    args = {"r": Regex("w.r"), "v": "héllo wörld"}
    check("regexp.findStringIndex", args, 7, index=0)
    check("regexp.findStringIndex", args, 11, index=1)


def test_split_regexp():
    args = {"r": Regex(" +"), "v": "a  b c   d", "i": 3}
    for i, part in enumerate(["a", "b", "c   d"]):
        check("regexp.splitRegexp", args, part, index=i)


def test_posix_class_in_pattern():
    check("regexp.findString", {"r": Regex("[[:alpha:]]+"), "v": "12ab3"}, "ab")


# ---------------------------------------------------------------- math

NAN, INF = float("nan"), float("inf")
MATH_CASES = [
    ("math.round", {"x": 2.5}, 3.0),
    ("math.round", {"x": -2.5}, -3.0),
    ("math.round", {"x": 0.49999999999999994}, 0.0),
    ("math.roundtoeven", {"x": 2.5}, 2.0),
    ("math.abs", {"x": -1.5}, 1.5),
    ("math.ceil", {"x": 1.2}, 2.0),
    ("math.floor", {"x": -1.2}, -2.0),
    ("math.trunc", {"x": -1.7}, -1.0),
    ("math.sqrt", {"x": -1.0}, NAN),
    ("math.sqrt", {"x": 16.0}, 4.0),
    ("math.log", {"x": 0.0}, -INF),
    ("math.log", {"x": -1.0}, NAN),
    ("math.log", {"x": math.e}, 1.0),
    ("math.log10", {"x": 1000.0}, 3.0),
    ("math.log2", {"x": 8.0}, 3.0),
    ("math.exp", {"x": 1000.0}, INF),
    ("math.pow", {"x": 10.0, "y": 2.0}, 100.0),
    ("math.pow", {"x": 0.0, "y": -1.0}, INF),
    ("math.pow", {"x": 10.0, "y": 400.0}, INF),
    ("math.pow", {"x": -8.0, "y": 0.5}, NAN),
    ("math.mod", {"x": -7.0, "y": 3.0}, -1.0),
    ("math.mod", {"x": 1.0, "y": 0.0}, NAN),
    ("math.remainder", {"x": 7.0, "y": 4.0}, -1.0),
    ("math.mMax", {"x": 1.0, "y": NAN}, NAN),
    ("math.mMax", {"x": INF, "y": NAN}, INF),
    ("math.mMax", {"x": -0.0, "y": 0.0}, 0.0),
    ("math.mMin", {"x": 1.0, "y": NAN}, NAN),
    ("math.mMin", {"x": 2.0, "y": 1.0}, 1.0),
    ("math.isInf", {"f": -INF, "sign": -1}, True),
    ("math.isInf", {"f": -INF, "sign": 1}, False),
    ("math.isNaN", {"f": NAN}, True),
    ("math.signbit", {"x": -1.0}, True),
    ("math.copysign", {"x": 3.0, "y": -1.0}, -3.0),
    ("math.dim", {"x": 4.0, "y": -2.0}, 6.0),
    ("math.dim", {"x": -4.0, "y": 2.0}, 0.0),
    ("math.hypot", {"p": 3.0, "q": 4.0}, 5.0),
    ("math.atan2", {"y": 1.0, "x": 0.0}, math.pi / 2),
    ("math.acos", {"x": 2.0}, NAN),
    ("math.gamma", {"x": 5.0}, 24.0),
    ("math.gamma", {"x": 0.0}, INF),
    ("math.ldexp", {"frac": 0.5, "exp": 3}, 4.0),
    ("math.pow10", {"n": 3}, 1000.0),
    ("math.cbrt", {"x": -8.0}, -2.0),
    ("math.mInf", {"sign": -1}, -INF),
]


@pytest.mark.parametrize("qualified,args,want", MATH_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(MATH_CASES)])
def test_math(qualified, args, want):
    check(qualified, args, want)


def test_math_negative_zero_folds():
    # sql.literal(-0.0) loses the sign in DuckDB, so negative zero is checked on folds only.
    assert math.copysign(1, call("math.mMin", {"x": -0.0, "y": 0.0})) < 0
    assert call("math.signbit", {"x": -0.0}) is True


def test_math_constants_and_records():
    assert PACKAGES["math"]["pi"] == math.pi
    assert PACKAGES["math"]["maxint"] == (1 << 63) - 1
    assert PACKAGES["math"]["maxuint"] == UInt((1 << 64) - 1)
    assert call("math.modf", {"f": 3.25}).fields == {"int": 3.0, "frac": 0.25}
    assert call("math.frexp", {"f": 8.0}).fields == {"frac": 0.5, "exp": 4}
    assert call("math.float64bits", {"f": 1.0}) == UInt(0x3FF0000000000000)
    row = call("math.modf", {"f": RowValue(Col("f", FluxType.FLOAT))})
    assert run_sql(row.fields["frac"], {"f": -3.25}) == -0.25


# ---------------------------------------------------------------- string(v:) of floats


@pytest.mark.parametrize(
    "v,want",
    [(1.0, "1"), (0.1, "0.1"), (1e21, "1000000000000000000000"), (1e-7, "0.0000001"), (-2.5e-5, "-0.000025"),
     (123456789012345678.0, "123456789012345680"), (NAN, "NaN"), (INF, "+Inf"), (-INF, "-Inf"), (100.0, "100")],
)
def test_string_of_float_matches_go(v, want):
    assert go_format_float(v) == want
    check("string", {"v": v}, want)
    got = DB.execute(exp.select(go_format_float_sql(sql.literal(v, FluxType.FLOAT))).sql(dialect="duckdb")).fetchone()[0]
    assert got == want


# ---------------------------------------------------------------- date and timezone

MADRID = Record({"zone": "Europe/Madrid", "offset": Duration()})
SYDNEY = Record({"zone": "Australia/Sydney", "offset": Duration()})
FIXED_M5 = Record({"zone": "UTC", "offset": Duration(0, -5 * 3600 * 10**9)})
T0 = "2019-06-03T13:59:01.123456789Z"

DATE_CASES = [
    ("date.second", {"t": T(T0)}, None, 1),
    ("date.minute", {"t": T(T0)}, None, 59),
    ("date.hour", {"t": T(T0)}, None, 13),
    ("date.hour", {"t": T(T0)}, MADRID, 15),
    ("date.hour", {"t": T(T0)}, FIXED_M5, 8),
    ("date.weekDay", {"t": T(T0)}, None, 1),
    ("date.weekDay", {"t": T("2019-06-01T23:30:00Z")}, SYDNEY, 0),
    ("date.monthDay", {"t": T(T0)}, None, 3),
    ("date.yearDay", {"t": T(T0)}, None, 154),
    ("date.month", {"t": T(T0)}, None, 6),
    ("date.year", {"t": T("2029-12-31T23:59:59.999999997Z")}, None, 2029),
    ("date.year", {"t": T("2029-12-31T23:59:59.999999997Z")}, SYDNEY, 2030),
    ("date.week", {"t": T("2018-04-22T19:53:30Z")}, SYDNEY, 17),
    ("date.week", {"t": T("2021-01-01T00:00:00Z")}, None, 53),
    ("date.quarter", {"t": T(T0)}, None, 2),
    ("date.millisecond", {"t": T(T0)}, None, 123),
    ("date.microsecond", {"t": T(T0)}, None, 123456),
    ("date.nanosecond", {"t": T(T0)}, None, 123456789),
    ("date.nanosecond", {"t": T("1969-12-31T23:59:59.5Z")}, None, 500000000),
    ("date.year", {"t": Duration(0, -3)}, None, 2029),
    ("date.nanosecond", {"t": Duration(0, -3)}, None, 999999997),
]


@pytest.mark.parametrize("qualified,args,location,want", DATE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(DATE_CASES)])
def test_date_parts(qualified, args, location, want):
    if isinstance(args["t"], Duration):  # a duration column: relative to now()
        folded = call(qualified, args, location)
        assert folded == want
        row = call(qualified, {"t": RowValue(Col("t", FluxType.DURATION))}, location)
        assert run_sql(row, {"t": args["t"]}) == want
        return
    check(qualified, args, want, location=location)


TRUNCATE_CASES = [
    (T0, Duration(0, 10**9), MADRID, "2019-06-03T13:59:01Z"),
    (T0, Duration(0, 3600 * 10**9), MADRID, "2019-06-03T13:00:00Z"),
    (T0, Duration(0, 86400 * 10**9), MADRID, "2019-06-02T22:00:00Z"),
    (T0, Duration(1, 0), MADRID, "2019-05-31T22:00:00Z"),
    (T0, Duration(12, 0), MADRID, "2018-12-31T23:00:00Z"),
    (T0, Duration(1, 0), None, "2019-06-01T00:00:00Z"),
    (T0, Duration(0, 7 * 86400 * 10**9), None, "2019-05-30T00:00:00Z"),  # weeks start on Thursday
    ("1969-03-05T10:00:00Z", Duration(3, 0), None, "1969-01-01T00:00:00Z"),
    (T0, Duration(0, 86400 * 10**9), FIXED_M5, "2019-06-03T05:00:00Z"),
]


@pytest.mark.parametrize("t,unit,location,want", TRUNCATE_CASES)
def test_date_truncate(t, unit, location, want):
    check("date.truncate", {"t": T(t), "unit": unit}, T(want), location=location)


ADD_CASES = [
    ("date.add", {"d": Duration(1, 0), "to": T("2019-01-31T12:00:00.000000001Z")}, None, "2019-02-28T12:00:00.000000001Z"),
    ("date.add", {"d": Duration(0, -60 * 10**9), "to": T("2019-01-31T12:00:00Z")}, None, "2019-01-31T11:59:00Z"),
    # 2019-03-30 23:30 UTC is 00:30 on the 31st in Madrid (+01:00); a month later, 00:30 on
    # April 30th is +02:00: 22:30 UTC.
    ("date.add", {"d": Duration(1, 0), "to": T("2019-03-30T23:30:00Z")}, MADRID, "2019-04-29T22:30:00Z"),
    ("date.sub", {"d": Duration(1, 0), "from": T("2019-03-31T12:00:00Z")}, None, "2019-02-28T12:00:00Z"),
]


@pytest.mark.parametrize("qualified,args,location,want", ADD_CASES)
def test_date_add_sub(qualified, args, location, want):
    check(qualified, args, T(want), location=location)


def test_date_relative_duration_uses_now():
    assert call("date.truncate", {"t": Duration(0, -30 * 10**9), "unit": Duration(0, 10**9)}) == Time(NOW - 30 * 10**9)
    assert call("date.time", {"t": Duration(0, -1)}) == Time(NOW - 1)
    assert PACKAGES["date"]["Sunday"] == 0 and PACKAGES["date"]["December"] == 12


def test_timezone_location_records():
    assert call("timezone.location", {"name": "America/New_York"}).fields == {"zone": "America/New_York", "offset": Duration()}
    assert call("timezone.fixed", {"offset": Duration(0, -5)}).fields["offset"] == Duration(0, -5)
    with pytest.raises(FluxError, match="unknown time zone"):
        call("timezone.location", {"name": "Mars/Olympus"})


# ---------------------------------------------------------------- types, dict, contains


def test_types_is_type_from_static_column_types():
    assert call("types.isType", {"v": 1, "type": "int"}) is True
    assert call("types.isType", {"v": RowValue(Col("x", FluxType.UINT)), "type": "uint"}) is True
    assert call("types.isType", {"v": RowValue(Col("x", FluxType.UINT)), "type": "int"}) is False
    assert call("types.isNumeric", {"v": RowValue(Col("x", FluxType.FLOAT))}) is True
    assert call("types.isNumeric", {"v": "s"}) is False
    with pytest.raises(FluxError, match="type must be one of"):
        call("types.isType", {"v": 1, "type": "integer"})


def test_dict_functions():
    d = call("dict.fromList", {"pairs": [Record({"key": "a", "value": 1}), Record({"key": "b", "value": 2})]})
    d2 = call("dict.insert", {"dict": call("dict.remove", {"dict": d, "key": "a"}), "key": "c", "value": 3})
    assert d2.items == {"b": 2, "c": 3}
    assert call("dict.get", {"dict": d, "key": "b", "default": -1}) == 2
    row = call("dict.get", {"dict": d, "key": RowValue(Col("k", FluxType.STRING)), "default": -1})
    assert [run_sql(row, {"k": k}) for k in ("a", "b", "zz")] == [1, 2, -1]


def test_contains_constant_and_per_row():
    assert call("contains", {"value": 2, "set": [1, 2]}) is True
    assert call("contains", {"value": "x", "set": []}) is False
    row = call("contains", {"value": RowValue(Col("v", FluxType.INT)), "set": [1, 2, None]})
    assert [run_sql(row, {"v": v}) for v in (2, 5)] == [True, False]
    assert call("length", {"arr": [1, 2, 3]}) == 3


def test_bad_arguments_are_one_line_errors():
    import transpile

    with pytest.raises(FluxError) as err:
        transpile.compile('import "date"\nx = date.truncate(t: now(), unit: -1h)\n', now="2030-01-01T00:00:00Z")
    assert "\n" not in err.value.format() and err.value.format().startswith("2:29:")
    with pytest.raises(FluxError) as err:
        transpile.compile('import "regexp"\nx = regexp.findString(r: "a", v: "b")\n', now="2030-01-01T00:00:00Z")
    assert "regular expression" in err.value.format() and err.value.format().startswith("2:")


# Local readings that are ambiguous or skipped at a DST change resolve as Go's time.Date
# does (America/New_York: 2019-11-03 01:00-02:00 happens twice, 2019-03-10 02:00-03:00 never).
NEW_YORK = Record({"zone": "America/New_York", "offset": Duration()})
DST_CASES = [
    # 06:30Z is 01:30 EST (second pass); its hour starts at the first 01:00, EDT: 05:00Z.
    ("2019-11-03T06:30:00Z", Duration(0, 3600 * 10**9), "2019-11-03T05:00:00Z"),
    # a month after 2019-02-10 02:30 EST reads 2019-03-10 02:30, in the gap: Go's time.Date
    # takes the EST guess (07:30Z), finds it past the change and uses EDT: 06:30Z.
    ("2019-02-10T07:30:00Z", None, "2019-03-10T06:30:00Z"),
]


@pytest.mark.parametrize("t,unit,want", DST_CASES)
def test_dst_edges_follow_go(t, unit, want):
    if unit is not None:
        check("date.truncate", {"t": T(t), "unit": unit}, T(want), location=NEW_YORK)
    else:
        check("date.add", {"d": Duration(1, 0), "to": T(t)}, T(want), location=NEW_YORK)


@pytest.mark.parametrize("qualified,args,want", STRING_CASES + MATH_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STRING_CASES + MATH_CASES)])
def test_null_argument_gives_null(qualified, args, want):
    first = next(iter(args))
    assert call(qualified, dict(args, **{first: None})) is None
    row_args = {k: RowValue(Col(k, type_of_constant(v))) for k, v in args.items()}
    values = dict(args)
    rowed = call(qualified, row_args)
    values[first] = None
    query_args = {k: v for k, v in values.items() if k != first}
    null_col = {first: sql.null(type_of_constant(args[first]))}
    columns = [sql.alias(sql.literal(v, type_of_constant(v)), k) for k, v in query_args.items()]
    columns += [sql.alias(e, k) for k, e in null_col.items()]
    expr = lower_scalar(rowed.scalar, lambda label: sql.col(label))
    query = exp.select(expr).from_(exp.select(*columns).subquery("t"))
    assert DB.execute(query.sql(dialect="duckdb")).fetchone()[0] is None


# ---------------------------------------------------------------- math: Go's values (fold and SQL agree)
# Documented examples of https://docs.influxdata.com/flux/v0/stdlib/math/ that the textbook
# formulas missed, and Go's special cases; each is checked on the fold and on the SQL.

MATH_GO_CASES = [
    ("math.expm1", {"x": 0.022}, 0.022243784470438233),  # exp(x) - 1 gave ...177
    ("math.expm1", {"x": 1e-10}, 1.00000000005e-10),
    ("math.log1p", {"x": 1e-15}, 9.999999999999995e-16),  # ln(1 + x) gave 1.110223024625156e-15
    ("math.log1p", {"x": -1.0}, -INF),
    ("math.sinh", {"x": 1e-10}, 1e-10),
    ("math.tanh", {"x": -1e-10}, -1e-10),
    ("math.sinh", {"x": 1.23}, 1.564468479304407),
    ("math.tanh", {"x": 1.23}, 0.8425793256589296),
    ("math.cosh", {"x": 25.0}, 36002449668.69294),
    ("math.hypot", {"p": 2.0, "q": 5.0}, 5.385164807134505),  # sqrt(29) is ...504
    ("math.hypot", {"p": 1e200, "q": 1e200}, 1.414213562373095e200),  # p*p overflowed
    ("math.hypot", {"p": 3e-200, "q": 4e-200}, 5e-200),  # p*p underflowed
    ("math.cbrt", {"x": 1728.0}, 12.0),  # the C library gives 12.000000000000002
    ("math.log10", {"x": 3.14}, 0.4969296480732149),
    ("math.log2", {"x": 3.14}, 1.6507645591169022),
    ("math.log2", {"x": 0.5}, -1.0),
    ("math.remainder", {"x": 3.9, "y": 1.2}, 0.30000000000000004),  # x - y*n gave ...27
    ("math.remainder", {"x": 1e17, "y": 3.0}, 1.0),
    ("math.remainder", {"x": 5.0, "y": INF}, 5.0),
    ("math.remainder", {"x": 5.0, "y": 0.0}, NAN),
    ("math.ldexp", {"frac": 1024.0, "exp": -1080}, 2.0 ** -1070),
    ("math.ldexp", {"frac": -1.0, "exp": 2000}, -INF),
    ("math.float64bits", {"f": 1234.56}, 4653144467747100426),
    ("math.float64bits", {"f": 5e-324}, 1),
    ("math.float64bits", {"f": -INF}, 0xFFF0000000000000),
    ("math.float64frombits", {"b": UInt(4)}, 2e-323),
    ("math.float64frombits", {"b": UInt(13835463379248627057)}, -2.18),
    ("math.float64frombits", {"b": UInt(0x7FF0000000000001)}, NAN),
    ("math.ilogb", {"x": 123.45}, 6),
    ("math.ilogb", {"x": 5e-324}, -1074),
    ("math.ilogb", {"x": 0.0}, -(1 << 31)),
    ("math.logb", {"x": 123.45}, 6.0),
    ("math.logb", {"x": INF}, INF),
    ("math.ceil", {"x": -0.5}, -0.0),
    ("math.gamma", {"x": 2.12}, 1.0568210078875722),
]


@pytest.mark.parametrize("qualified,args,want", MATH_GO_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(MATH_GO_CASES)])
def test_math_matches_go(qualified, args, want):
    check(qualified, args, want)


@pytest.mark.parametrize("qualified,args,field,want", [
    ("math.frexp", {"f": 22.0}, "frac", 0.6875),
    ("math.frexp", {"f": 22.0}, "exp", 5),
    ("math.frexp", {"f": 1.7976931348623157e308}, "exp", 1024),
    ("math.frexp", {"f": 1.7976931348623157e308}, "frac", 0.9999999999999999),
    ("math.lgamma", {"x": 3.14}, "lgamma", 0.8261387047770286),  # CPython's lgamma gives ...029
    ("math.lgamma", {"x": -INF}, "lgamma", -INF),
    ("math.lgamma", {"x": -2.5}, "sign", -1),
    ("math.modf", {"f": -3.0}, "frac", -0.0),
])
def test_math_records_per_row(qualified, args, field, want):
    assert same(call(qualified, args).fields[field], want)
    row = call(qualified, {k: RowValue(Col(k, type_of_constant(v))) for k, v in args.items()})
    assert same(run_sql(row.fields[field], args), want)


def test_math_erf_family_is_constant_only():
    from transpile.coverage import coverage
    from pathlib import Path

    assert call("math.erfcinv", {"x": 0.42345}) == 0.5660037715858239
    assert call("math.erfinv", {"x": 1e-20}) == pytest.approx(8.86226925452758e-21, rel=1e-15)  # (x+1)/2 lost x
    rows = {c.name: c.status for c in coverage(Path(__file__).resolve().parent.parent / "golden")}
    assert rows["math.erf"] == "partial" and rows["math.float64bits"] == "supported"
    with pytest.raises(FluxError):
        run_sql(call("math.erf", {"x": RowValue(Col("x", FluxType.FLOAT))}), {"x": 0.5})


@pytest.mark.parametrize("qualified,args", [
    ("math.float64bits", {"f": 1.0}), ("math.ilogb", {"x": 1.0}), ("math.logb", {"x": 1.0}),
    ("math.float64frombits", {"b": UInt(4)}), ("math.remainder", {"x": 1.0, "y": 2.0}),
])
def test_math_bit_functions_null_per_row(qualified, args):
    first = next(iter(args))
    rowed = call(qualified, {k: RowValue(Col(k, type_of_constant(v))) for k, v in args.items()})
    columns = [sql.alias(sql.null(type_of_constant(v)) if k == first else sql.literal(v, type_of_constant(v)), k) for k, v in args.items()]
    query = exp.select(lower_scalar(rowed.scalar, lambda label: sql.col(label))).from_(exp.select(*columns).subquery("t"))
    assert DB.execute(query.sql(dialect="duckdb")).fetchone()[0] is None


# ---------------------------------------------------------------- strings/regexp: Go semantics (golden/strings, golden/regexp)

GO_STRING_CASES = [
    # unicode.ToUpper is the simple mapping: ß has none, ᾳ maps to ᾼ (DuckDB's upper gives ẞ for ß)
    ("strings.toUpper", {"v": "straße ᾳ"}, "STRAßE ᾼ"),
    # ToTitle differs from ToUpper for digraphs (docs: ǳ -> ǲ) and Georgian (title case is the letter)
    ("strings.toTitle", {"v": "ǳ ǆ straße"}, "ǲ ǅ STRAßE"),
    ("strings.toTitle", {"v": "ბათუმი ı"}, "ბათუმი I"),
    ("strings.title", {"v": "ǆemal ბათუმი"}, "ǅemal ბათუმი"),
    ("strings.toLower", {"v": "İı"}, "iı"),
    # EqualFold: simple folding orbits (ſ~s~S, ß~ẞ, Kelvin K~k); İ and ı fold only to themselves
    ("strings.equalFold", {"v": "ſtraße", "t": "STRAẞE"}, True),
    ("strings.equalFold", {"v": "\u212a", "t": "k"}, True),
    ("strings.equalFold", {"v": "İ", "t": "i"}, False),
    ("strings.equalFold", {"v": "ıx", "t": "IX"}, False),
    ("strings.equalFold", {"v": "ıx", "t": "ıX"}, True),
    # Replace with an empty t inserts u before each rune (and at the end), at most i times
    ("strings.replace", {"v": "héllo", "t": "", "u": "-", "i": 2}, "-h-éllo"),
    ("strings.replace", {"v": "ab", "t": "", "u": "-", "i": 5}, "-a-b-"),
    ("strings.replace", {"v": "", "t": "", "u": "x", "i": -1}, "x"),
    ("strings.replaceAll", {"v": "abc", "t": "", "u": "-"}, "-a-b-c-"),
]


@pytest.mark.parametrize("qualified,args,want", GO_STRING_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(GO_STRING_CASES)])
def test_strings_follow_go(qualified, args, want):
    check(qualified, args, want)


def test_case_mappings_fold_and_sql_agree_on_every_cased_rune():
    # The folds implement Go's simple case mappings; the SQL must give the same on every rune
    # Python knows a case mapping for (and on pairs for equalFold).
    cased = [chr(i) for i in range(0x30000) if not 0xD800 <= i < 0xE000 and (chr(i).upper() != chr(i) or chr(i).lower() != chr(i) or chr(i).title() != chr(i))]
    for name in ("strings.toUpper", "strings.toLower", "strings.toTitle", "strings.title"):
        row = call(name, {"v": RowValue(Col("v", FluxType.STRING))})
        expr = lower_scalar(row.scalar, lambda label: sql.col(label)).sql(dialect="duckdb")
        got = [r[0] for r in DB.execute(f"SELECT {expr} FROM unnest(?) AS t(v)", [cased]).fetchall()]
        want = [call(name, {"v": c}) for c in cased]
        assert [(c, g) for c, g, w in zip(cased, got, want) if g != w] == [], name
    pairs = [(c, call("strings.toUpper", {"v": c})) for c in cased] + [(c, call("strings.toLower", {"v": c})) for c in cased]
    row = call("strings.equalFold", {"v": RowValue(Col("v", FluxType.STRING)), "t": RowValue(Col("t", FluxType.STRING))})
    expr = lower_scalar(row.scalar, lambda label: sql.col(label)).sql(dialect="duckdb")
    got = [r[0] for r in DB.execute(f"SELECT {expr} FROM (SELECT unnest(?) AS v, unnest(?) AS t)", [[a for a, _ in pairs], [b for _, b in pairs]]).fetchall()]
    want = [call("strings.equalFold", {"v": a, "t": b}) for a, b in pairs]
    assert [p for p, g, w in zip(pairs, got, want) if g != w] == []


def test_repeat_negative_count_is_an_error():
    with pytest.raises(FluxError, match="negative repeat count"):
        call("strings.repeat", {"v": "x", "i": -1})
    row = call("strings.repeat", {"v": RowValue(Col("v", FluxType.STRING)), "i": RowValue(Col("i", FluxType.INT))})
    with pytest.raises(duckdb.Error, match="negative repeat count"):
        run_sql(row, {"v": "x", "i": -1})


GO_REGEXP_CASES = [
    # RE2: \d is ASCII-only and $ (without m) is the end of the text
    ("regexp.matchRegexpString", {"r": Regex(r"\d"), "v": "x٣"}, False),
    ("regexp.matchRegexpString", {"r": Regex(r"a$"), "v": "a\n"}, False),
    ("regexp.matchRegexpString", {"r": Regex(r"(?m)a$"), "v": "a\n"}, True),
    ("regexp.findString", {"r": Regex(r"[\w.]+"), "v": "é.x_1"}, ".x_1"),
    # Go's ReplaceAll skips an empty match right after a match (Python's re.sub does not)
    ("regexp.replaceAllString", {"r": Regex("x*"), "v": "abxd", "t": "-"}, "-a-b-d-"),
    ("regexp.replaceAllString", {"r": Regex("a*"), "v": "baaa", "t": "-"}, "-b-"),
]


@pytest.mark.parametrize("qualified,args,want", GO_REGEXP_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(GO_REGEXP_CASES)])
def test_regexp_follows_go(qualified, args, want):
    check(qualified, args, want)


SPLIT_REGEXP_CASES = [
    # the docs' example, and Go's own with i = 5
    ("a*", "abaabaccadaaae", -1, ["", "b", "b", "c", "c", "d", "e"]),
    ("a*", "abaabaccadaaae", 5, ["", "b", "b", "c", "cadaaae"]),
    ("x*", "axb", -1, ["a", "b"]),
    ("", "abc", 2, ["a", "bc"]),
    ("b*", "éé", -1, ["é", "é"]),
    (",", "a,b,", -1, ["a", "b", ""]),
    ("x*", "axb", 1, ["axb"]),
    ("a*", "", -1, [""]),
    ("a", "aaa", 0, []),
]


@pytest.mark.parametrize("pattern,v,i,want", SPLIT_REGEXP_CASES)
def test_split_regexp_follows_go(pattern, v, i, want):
    args = {"r": Regex(pattern), "v": v, "i": i}
    assert call("regexp.splitRegexp", args) == want
    row = call("regexp.splitRegexp", as_row(args, ("v", "i")))
    assert run_sql(row, args) == want


def test_split_regexp_reserved_markers_are_an_error():
    row = call("regexp.splitRegexp", {"r": Regex(","), "v": RowValue(Col("v", FluxType.STRING)), "i": -1})
    with pytest.raises(duckdb.Error, match="U\\+FDD0"):
        run_sql(row, {"v": "a\ufdd0b"})


def test_regexp_folds_only_patterns_python_reads_as_re2():
    from transpile.functions.regexp import fold_pattern

    assert fold_pattern(r"\d+\s\w") is not None and fold_pattern(r"\d+\s\w").fullmatch("12 x")
    assert fold_pattern(r"\d").match("٣") is None
    # no exact Python equivalent: left to DuckDB's RE2
    for pattern in (r"(?U)a+", r"a{,2}", r"[\D]", r"(?i)\bx", r"\pL", r"\Qa.b\E", r"[[:^alpha:]]"):
        assert fold_pattern(pattern) is None, pattern
