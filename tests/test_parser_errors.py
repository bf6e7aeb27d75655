"""Syntax errors: one clear line with a position and, for common mistakes, a hint; never a
traceback, whatever the input. Also the `flux2sql parse` command's contract."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runtime.cli.main import app
from transpile.errors import FluxSyntaxError
from transpile.parser import MAX_NESTING, parse

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples"
SEED_TASK = """\
// Task options
option task = {
    name: "cqinterval15m",
    every: 1h,
    offset: 0m,
    concurrency: 1,
    retry: 5
}

// Data source
data = from(bucket: "telegraf/default")
  |> range(start: -task.every)
  |> filter(fn: (r) =>
    r._measurement == "mem" AND
    r.host == "myHost"
  )

data
  // Data transformation
  |> aggregateWindow(
    every: 5m,
    fn: mean
  )
  // Data destination
  |> to(bucket: "telegraf_downsampled")
"""


def error_of(source: str) -> FluxSyntaxError:
    with pytest.raises(FluxSyntaxError) as caught:
        parse(source, "test.flux")
    return caught.value


def test_uppercase_and_in_the_seed_task_points_at_it_and_suggests_and():
    error = error_of(SEED_TASK)
    assert (error.span.line, error.span.column) == (14, 29)
    assert error.message == "expected ',' or ')' to close '(' opened at 13:12, got identifier 'AND'"
    assert "'and'" in error.hint
    assert error.format("seed_task.flux").startswith("seed_task.flux:14:29: expected")


@pytest.mark.skipif(not (EXAMPLES / "seed_task.flux").exists(), reason="shared examples not present")
def test_the_shared_seed_task_files():
    assert error_of((EXAMPLES / "seed_task.flux").read_text()).span.line == 14
    parse((EXAMPLES / "seed_task_fixed.flux").read_text())


@pytest.mark.parametrize(
    "source, position, message, hint",
    [
        ('from(bucket: "x"', (1, 17), "expected ',' or ')' to close '(' opened at 1:5, got end of file", None),
        ("x = ", (1, 4), "expected an expression, got end of file", None),
        ("x = [1, 2", (1, 10), "expected an expression or ']' to close '[' opened at 1:5, got end of file", None),
        ("x = a)", (1, 6), "unexpected ')': no '(' is open", None),
        ("x = {a: 1]", (1, 10), "expected ',' or '}' to close '{' opened at 1:5, got ']'", None),
        ("x = if a then b", (1, 16), "expected 'else', got end of file", None),
        ("option x", (1, 9), "expected '=', got end of file", None),
        ('x = "${a"', (1, 9), "expected '}' to close '${' opened at 1:6, got a string", None),
        ("f(a: 1 b: 2)", (1, 8), "expected ',' or ')' to close '(' opened at 1:2, got identifier 'b'", "','"),
        ("x = {a = 1}", (1, 8), "expected ':', ',' or '}' to close '{' opened at 1:5, got '='", "name: value"),
        ('f(fn: (r) => r.x = "a")', (1, 18), "expected ',' or ')' to close '(' opened at 1:2, got '='", "'=='"),
        ("x = a && b", (1, 7), "unexpected character '&'", "'and'"),
        ("x = a || b", (1, 7), "unexpected character '|'", "'or'"),
        ("x = !a", (1, 5), "unexpected character '!'", "'not'"),
        ("x = 'a'", (1, 5), "unexpected character \"'\"", "double quotes"),
        ("x = 1;", (1, 6), "unexpected character ';'", "no ';'"),
        ("x = (r) -> r", (1, 10), "expected an expression, got '>'", "=>"),
        ("x = a <> b", (1, 8), "expected an expression, got '>'", "'!='"),
        ("x = a |> f", (1, 10), "the right side of '|>' must be a function call", "|> f()"),
        ("x = {a, b: 1}", (1, 6), "cannot mix shorthand and explicit properties in a record", "'a: a'"),
        ('x = "abc', (1, 5), "unterminated string literal", "close the string"),
        (r'x = "a\qb"', (1, 7), "invalid escape sequence '\\\\q' in string literal", "\\\\"),
        ("x = 2020-02-30", (1, 5), "invalid date-time literal 2020-02-30: no such day", None),
        ("x = 99999999999999999999", (1, 5), "invalid integer literal 99999999999999999999: out of range for a 64-bit integer", None),
        ("x = a\x00", (1, 6), "unexpected character U+0000", None),
        ("x = {a == 1}", (1, 8), "expected ':', ',' or '}' to close '{' opened at 1:5, got '=='", "name: value"),
        ("x = a =! b", (1, 7), "unexpected '='", "'!='"),
        ("x = a =< b", (1, 7), "unexpected '='", "'<='"),
        ("x = a => b", (1, 7), "unexpected '=>'", "'>='"),
        ("@ x = 1", (1, 1), "unexpected character '@'", "@name"),
        ("\ufeffx = 1", (1, 1), "unexpected character U+FEFF", "byte order mark"),
        ("x =\u00a01", (1, 4), "unexpected character U+00A0", "plain space"),
        ("x = \u201cabc\u201d", (1, 5), "unexpected character '\u201c'", "plain double quotes"),
        (".a = 1", (1, 1), "expected an expression, got '.'", "label"),
    ],
)
def test_error_messages(source, position, message, hint):
    error = error_of(source)
    assert (error.span.line, error.span.column) == position
    assert error.message == message
    if hint is None:
        assert error.hint is None
    else:
        assert hint in error.hint


def test_uppercase_or_in_a_filter():
    error = error_of('x = a\n  |> filter(fn: (r) => r.x == "a" OR r.y == 1)')
    assert (error.span.line, error.span.column) == (2, 35)
    assert "'or'" in error.hint


@pytest.mark.parametrize(
    "source",
    [
        "(" * 10_000,
        "[" * 10_000 + "]" * 10_000,
        "-" * 10_000 + "1",
        "x = " + " + ".join(["1"] * 5_000),
        "not " * 5_000 + "a",
        "a" + ".b" * 5_000,
        "{a: " * 3_000 + "1" + "}" * 3_000,
    ],
)
def test_deep_nesting_is_an_error_not_a_crash(source):
    error = error_of(source)
    assert "nested too deeply" in error.message or "expected" in error.message


def test_nesting_up_to_the_limit_is_fine():
    parse("x = " + "[" * (MAX_NESTING - 10) + "]" * (MAX_NESTING - 10))
    parse("x = " + "(" * 10_000 + "1" + ")" * 10_000)  # parentheses make no AST node


def test_garbage_never_raises_anything_but_a_syntax_error():
    rng = random.Random(42)
    pieces = list("()[]{},:.=<>-+*/%^|!~\"'$\\@?#&; \n\t\r\x00\x0cabxyz09_Tµ日") + [
        "${", "//", "=>", "<-", "|>", "and", "or", "not", "if", "then", "else", "with", "import",
        "package", "option", "builtin", "testcase", "return", "2020-01-01T00:00:00Z", "1h", '"s"', "/re/",
    ]
    for _ in range(2_000):
        source = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30)))
        try:
            parse(source)
        except FluxSyntaxError as error:
            assert error.message and "\n" not in error.message
    for _ in range(300):
        source = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 50))).decode("latin-1")
        try:
            parse(source)
        except FluxSyntaxError:
            pass


# ---------------------------------------------------------------- the CLI


def run(*args, input=None):
    return CliRunner().invoke(app, ["parse", *args], input=input)


def test_cli_parse_ok_and_json(tmp_path):
    good = tmp_path / "good.flux"
    good.write_text('x = 1\ny = "a"\n')
    result = run(str(good))
    assert result.exit_code == 0, result.output
    result = run("--json", str(good))
    assert result.exit_code == 0
    assert '"type": "File"' in result.stdout and '"VariableAssignment"' in result.stdout


def test_cli_parse_reports_each_failing_file_with_a_caret(tmp_path):
    good = tmp_path / "good.flux"
    good.write_text("x = 1\n")
    bad = tmp_path / "seed_task.flux"
    bad.write_text(SEED_TASK)
    worse = tmp_path / "worse.flux"
    worse.write_bytes(b'x = "caf\xe9"\n')
    result = run(str(good), str(bad), str(worse))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{bad}:14:29: expected ',' or ')'")
    assert "(hint: Flux writes logical AND in lower case: 'and')" in lines[0]
    assert lines[1] == '        r._measurement == "mem" AND'
    assert lines[2] == "    " + " " * 28 + "^"
    assert lines[3] == f"{worse}:1:9: not a UTF-8 text file (byte 0xe9)"


def test_cli_parse_deep_json_does_not_overflow(tmp_path):
    deep = tmp_path / "deep.flux"
    deep.write_text("x = " + "[" * 450 + "]" * 450)  # deeper than the default recursion limit allows
    result = run("--json", str(deep))
    assert result.exit_code == 0
