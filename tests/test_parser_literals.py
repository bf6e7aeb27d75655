"""Decoding of Flux literals by the parser: durations, date-times, strings, regexes, numbers."""
from __future__ import annotations

import pytest

from transpile import ast
from transpile.errors import FluxSyntaxError
from transpile.parser import parse
from transpile.values import Duration

NS = 1_000_000_000


def value(expression: str):
    """The AST of `x = <expression>`'s right side."""
    statement = parse(f"x = {expression}").body[0]
    assert isinstance(statement, ast.VariableAssignment)
    return statement.init


def rejects(expression: str) -> str:
    with pytest.raises(FluxSyntaxError) as caught:
        parse(f"x = {expression}")
    return caught.value.message


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    "text, parts, months, nanoseconds",
    [
        ("1h30m", [(1, "h"), (30, "m")], 0, 5400 * NS),
        ("1mo2w", [(1, "mo"), (2, "w")], 1, 14 * 86400 * NS),
        ("2y", [(2, "y")], 24, 0),
        ("1d", [(1, "d")], 0, 86400 * NS),
        ("5s", [(5, "s")], 0, 5 * NS),
        ("7ms", [(7, "ms")], 0, 7_000_000),
        ("7us", [(7, "us")], 0, 7_000),
        ("7µs", [(7, "us")], 0, 7_000),
        ("9ns", [(9, "ns")], 0, 9),
        ("0m", [(0, "m")], 0, 0),
        ("1y2mo3w4d5h6m7s8ms9us10ns", [(1, "y"), (2, "mo"), (3, "w"), (4, "d"), (5, "h"), (6, "m"), (7, "s"),
                                       (8, "ms"), (9, "us"), (10, "ns")],
         14, ((3 * 7 + 4) * 86400 + 5 * 3600 + 6 * 60 + 7) * NS + 8_000_000 + 9_000 + 10),
    ],
)
def test_duration_literals(text, parts, months, nanoseconds):
    node = value(text)
    assert isinstance(node, ast.DurationLiteral)
    assert [(p.magnitude, p.unit) for p in node.values] == parts
    assert node.duration == Duration(months, nanoseconds)


def test_negative_duration_is_unary_minus():
    node = value("-5m")
    assert isinstance(node, ast.UnaryExpression) and node.operator == "-"
    assert node.argument.duration == Duration(0, 300 * NS)


def test_duration_magnitude_out_of_range():
    assert "out of range" in rejects("99999999999999999999h")


def test_duration_is_one_token_then_an_identifier():
    # `5min`: the longest duration is `5m`, then the identifier `in` (libflux scans the same).
    file = parse("x = 5min")
    assert isinstance(file.body[0].init, ast.DurationLiteral)
    assert file.body[1].expression == ast.Identifier("in")


# ---------------------------------------------------------------- date-times


@pytest.mark.parametrize(
    "text, nanoseconds",
    [
        ("2020-01-01", 1_577_836_800 * NS),
        ("2020-01-01T00:00:00Z", 1_577_836_800 * NS),
        ("2020-01-01T00:00:00.123456789+07:00", (1_577_836_800 - 7 * 3600) * NS + 123_456_789),
        ("2020-01-01T00:00:00.5-01:30", (1_577_836_800 + 5400) * NS + 500_000_000),
        ("1970-01-01T00:00:00.000000001Z", 1),
        ("1969-12-31T23:59:59.999999999Z", -1),
        ("2262-04-11T23:47:16.854775807Z", 9_223_372_036_854_775_807),
        ("2020-01-01T00:00:00.1234567891Z", 1_577_836_800 * NS + 123_456_789),  # beyond ns: cut
        ("2020-02-29", 1_582_934_400 * NS),
    ],
)
def test_datetime_literals_are_exact_nanoseconds(text, nanoseconds):
    node = value(text)
    assert isinstance(node, ast.DateTimeLiteral)
    assert node.value == nanoseconds and node.text == text


@pytest.mark.parametrize(
    "text, reason",
    [
        ("2021-02-29", "no such day"),
        ("2020-13-01", "no such day"),
        ("2020-01-01T00:00:00", "missing time offset"),
        ("2020-01-01T24:00:00Z", "out of range"),
        ("2020-01-01T00:00:00+24:00", "out of range"),
        ("2020-01-01T00:00:00.Z", "must be followed by digits"),
    ],
)
def test_invalid_datetime_literals(text, reason):
    assert reason in rejects(text)


# ---------------------------------------------------------------- strings


@pytest.mark.parametrize(
    "source, text",
    [
        (r'"abc"', "abc"),
        (r'"a\nb\tc\rd"', "a\nb\tc\rd"),
        (r'"q\"q"', 'q"q'),
        (r'"back\\slash"', "back\\slash"),
        (r'"\${not interpolated}"', "${not interpolated}"),
        (r'"\x41\x42"', "AB"),
        (r'"\xe6\x97\xa5\xe6\x9c\xac"', "日本"),
        ('"日本語"', "日本語"),
        ('"a$"', "a$"),
        ('"$$"', "$$"),
        ('"$${x}"', "$${x}"),  # `$$` is two dollars: no interpolation (libflux's scanner)
        ('"two\nlines"', "two\nlines"),
    ],
)
def test_string_literals(source, text):
    node = value(source)
    assert isinstance(node, ast.StringLiteral)
    assert node.value == text


@pytest.mark.parametrize("source", [r'"\d"', r'"\$"', r'"\x4"', r'"\x"'])
def test_invalid_string_escapes(source):
    assert "escape" in rejects(source)


def test_byte_escapes_must_form_utf8():
    assert "UTF-8" in rejects(r'"\xff"')


def test_unterminated_string():
    assert "unterminated string" in rejects('"abc')


def test_interpolation():
    node = value('"a ${b + 1} c"')
    assert isinstance(node, ast.StringExpression)
    first, middle, last = node.parts
    assert first == ast.TextPart("a ") and last == ast.TextPart(" c")
    assert isinstance(middle, ast.InterpolatedPart)
    assert middle.expression == ast.BinaryExpression("+", ast.Identifier("b"), ast.IntegerLiteral(1))


def test_interpolation_nests_strings_and_records():
    node = value('"x${"y${z}"}${ {a: "}"}.a }\\n"')
    assert isinstance(node, ast.StringExpression)
    inner = node.parts[1].expression
    assert isinstance(inner, ast.StringExpression)
    assert inner.parts == (ast.TextPart("y"), ast.InterpolatedPart(ast.Identifier("z")))
    record_member = node.parts[2].expression
    assert isinstance(record_member, ast.MemberExpression)
    assert record_member.object.properties[0].value == ast.StringLiteral("}")
    assert node.parts[3] == ast.TextPart("\n")


def test_empty_interpolation_is_an_error():
    assert "expected an expression" in rejects('"${}"')


# ---------------------------------------------------------------- regexes


def test_regex_literal_unescapes_slash_only():
    node = value(r"/http:\/\/host\d+/")
    assert isinstance(node, ast.RegexpLiteral)
    assert node.value == r"http://host\d+"


def test_slash_is_division_after_an_operand_and_a_regex_before_one():
    node = value("a / b / c")
    assert isinstance(node, ast.BinaryExpression) and node.operator == "/"
    assert isinstance(node.left, ast.BinaryExpression)
    match = value('r.host =~ /^web-[0-9]+$/ and r.x !~ /a\\/b/')
    assert match.left.right == ast.RegexpLiteral("^web-[0-9]+$")
    assert match.right.operator == "!~" and match.right.right == ast.RegexpLiteral("a/b")


def test_statement_may_start_with_a_regex():
    file = parse("/ab+c/")
    assert file.body[0].expression == ast.RegexpLiteral("ab+c")


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("text, number", [("0", 0), ("42", 42), ("9223372036854775807", 2**63 - 1)])
def test_integer_literals(text, number):
    assert value(text) == ast.IntegerLiteral(number)


def test_integer_out_of_int64():
    assert "out of range" in rejects("9223372036854775808")


def test_integer_leading_zero():
    assert "cannot start with 0" in rejects("007")


@pytest.mark.parametrize("text, number", [("1.5", 1.5), ("1.", 1.0), (".5", 0.5), ("072.40", 72.4), ("0.0", 0.0)])
def test_float_literals(text, number):
    node = value(text)
    assert isinstance(node, ast.FloatLiteral) and node.value == number


def test_labels():
    assert value(".foo") == ast.LabelLiteral("foo")
    assert value('."a b"') == ast.LabelLiteral("a b")


def test_pipe_literal_and_booleans():
    function = value("(tables=<-, x=true) => tables")
    assert isinstance(function.params[0].value, ast.PipeLiteral)
    assert function.params[1].value == ast.Identifier("true")  # true/false are identifiers
