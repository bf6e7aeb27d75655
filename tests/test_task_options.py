"""`option task` read from the AST with InfluxDB's validation rules."""
from __future__ import annotations

from pathlib import Path

import pytest

from runtime.tasks.options import TaskOptions, TaskOptionsError, parse_duration_text, read_task_options
from transpile import ast
from transpile.parser import parse
from transpile.values import Duration

SEED = Path("/work/shared/examples/seed_task_fixed.flux")
H = 3600 * 10**9
M = 60 * 10**9


def options(source: str) -> TaskOptions:
    return read_task_options(parse(source, "t.flux"))


def error(source: str) -> str:
    with pytest.raises(TaskOptionsError) as info:
        options(source)
    return info.value.format("t.flux")


@pytest.mark.skipif(not SEED.exists(), reason="shared seed task not present")
def test_seed_task():
    opts = read_task_options(parse(SEED.read_text(), str(SEED)))
    assert opts == TaskOptions(name="cqinterval15m", every=Duration(0, H), offset=Duration(), concurrency=1, retry=5)


def test_defaults_and_negative_offset():
    opts = options('option task = {name: "t", every: 1h30m, offset: -5m}')
    assert opts.every == Duration(0, 90 * M)
    assert opts.offset == Duration(0, -5 * M)
    assert (opts.concurrency, opts.retry, opts.cron) == (1, 1, None)


def test_cron_and_macros():
    assert options('option task = {name: "t", cron: "0 * * * *"}').cron == "0 * * * *"
    assert options('option task = {name: "t", cron: "@every 1h"}').cron == "@every 1h"
    assert options('option task = {name: "t", cron: "5 */10 * * * MON-FRI 2030"}').cron


def test_hand_built_ast():
    record = ast.ObjectExpression((
        ast.Property(ast.Identifier("name"), ast.StringLiteral("built")),
        ast.Property(ast.Identifier("every"), ast.DurationLiteral((ast.DurationPart(1, "d"),), Duration(0, 24 * H))),
        ast.Property(ast.Identifier("retry"), ast.IntegerLiteral(3)),
    ))
    file = ast.File("f.flux", None, (), (ast.OptionStatement(ast.VariableAssignment(ast.Identifier("task"), record)),))
    assert read_task_options(file) == TaskOptions(name="built", every=Duration(0, 24 * H), retry=3)


@pytest.mark.parametrize(
    "source, message",
    [
        ('option task = {name: "a", every: 1h, cron: "* * * * *"}', "t.flux:1:44: cannot use both cron and every in task options"),
        ('option task = {name: "a"}', "t.flux:1:1: missing required option: cron or every"),
        ("x = 1", "t.flux: no task options defined"),
        ('option task = {name: "a", every: 1h}\noption task = {name: "b", every: 1h}', "t.flux:2:1: multiple task options defined"),
        ('option task = {name: "a", every: duration(v: "1h")}', "t.flux:1:34: failed to parse field 'every' in task options"),
        ('n = "a"\noption task = {name: n, every: 1h}', "t.flux:2:22: failed to parse field 'name'"),
        ('option task = {name: "a", every: 500ms}', "every option must be at least 1 second"),
        ('option task = {name: "a", every: 1500ms}', "every option must be expressible as whole seconds"),
        ('option task = {name: "a", every: 1h, offset: 1500ms}', "offset option must be expressible as whole seconds"),
        ('option task = {name: "a", every: 1h, offset: 1mo}', "offset option must be a fixed length"),
        ('option task = {name: "a", every: 1h, concurrency: 101}', "concurrency exceeded max of 100"),
        ('option task = {name: "a", every: 1h, concurrency: 0}', "concurrency must be at least 1"),
        ('option task = {name: "a", every: 1h, retry: 11}', "retry exceeded max of 10"),
        ('option task = {name: "a", every: 1h, retry: -1}', "retry must be at least 1"),
        ('option task = {name: "a", cron: "0 0 L * *"}', "cron invalid"),
        ('option task = {name: "a", cron: "* * * *"}', "cron invalid: 4 fields"),
        ('option task = {name: "a", cron: "@every 500ms"}', "cron invalid"),
    ],
)
def test_invalid_options(source, message):
    assert message in error(source)


def test_problems_are_combined_like_influxdb():
    text = error('option task = {name: "", every: 500ms, concurrency: 0, retry: 11}')
    assert text == (
        "t.flux:1:22: invalid options: name required, every option must be at least 1 second, "
        "concurrency must be at least 1, retry exceeded max of 10"
    )


def test_unknown_option_is_a_warning_not_an_error():
    opts = options('option task = {name: "a", every: 1h, evrey: 2h}')
    assert opts.every == Duration(0, H)
    assert "unknown task option 'evrey'" in opts.warnings[0]


def test_duration_text():
    assert parse_duration_text("1h30m") == Duration(0, 90 * M)
    assert parse_duration_text("-5m") == Duration(0, -5 * M)
    assert parse_duration_text("1y2mo3d") == Duration(14, 3 * 24 * H)
    assert parse_duration_text(str(Duration(0, 7 * 24 * H + 1))) == Duration(0, 7 * 24 * H + 1)
    with pytest.raises(ValueError):
        parse_duration_text("1 hour")
