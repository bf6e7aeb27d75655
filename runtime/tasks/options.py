"""Reading and validating `option task = {...}` from a parsed Flux file.

Owns the task options (name, every, cron, offset, concurrency, retry) and InfluxDB 2's
rules for them. Like InfluxDB (`task/options/options.go`, `FromScriptAST`), the options are
read from the AST without evaluating anything, so every value must be a literal:
`every: 1h`, not `every: duration(v: "1h")` and not a variable.

It must not touch a database or know about schedules beyond checking that a cron
expression parses (that check lives in `schedule.parse_cron`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from transpile import ast
from transpile.errors import FluxSemanticError, Span
from transpile.values import Duration

NS_PER_SECOND = 1_000_000_000
MAX_CONCURRENCY = 100  # options.go maxConcurrency
MAX_RETRY = 10  # options.go maxRetry
OPTION_NAMES = ("name", "every", "cron", "offset", "concurrency", "retry")


class TaskOptionsError(FluxSemanticError):
    """The script's task options are missing or invalid; `span` points at the culprit."""


@dataclass(frozen=True)
class TaskOptions:
    """The validated task options. Exactly one of `every` and `cron` is set."""

    name: str
    every: Duration | None = None
    cron: str | None = None
    offset: Duration = Duration()
    concurrency: int = 1  # options.go: default 1
    retry: int = 1  # options.go: default 1
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def schedule_text(self) -> str:
        """`every 1h` or `cron "0 * * * *"`, for messages and listings."""
        return f"every {self.every}" if self.every is not None else f'cron "{self.cron}"'


# ---------------------------------------------------------------- durations as text

_DURATION_PART = re.compile(r"(\d+)(mo|ms|us|µs|ns|y|w|d|h|m|s)")


def parse_duration_text(text: str) -> Duration:
    """A Flux duration written as text (`1h30m`, `-5m`, `1mo`), e.g. after `@every`.

    Raises ValueError when the text is not a duration.
    """
    body = text.strip()
    negative = body.startswith("-")
    if negative:
        body = body[1:]
    parts: list[tuple[int, str]] = []
    position = 0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        if match is None:
            raise ValueError(f"{text!r} is not a duration (expected e.g. 1h30m)")
        parts.append((int(match[1]), match[2]))
        position = match.end()
    if not parts:
        raise ValueError(f"{text!r} is not a duration (expected e.g. 1h30m)")
    return Duration.from_units(parts, negative=negative)


def fixed_nanoseconds(duration: Duration) -> int | None:
    """The length in nanoseconds, or None when the duration has months (not a fixed length)."""
    return duration.nanoseconds if duration.months == 0 else None


def validate_every(every: Duration) -> str | None:
    """InfluxDB's rule for `every`: at least 1 s and a whole number of seconds."""
    if every.months < 0 or every.nanoseconds < 0 or (every.months == 0 and every.nanoseconds < NS_PER_SECOND):
        return "every option must be at least 1 second"
    if every.nanoseconds % NS_PER_SECOND:
        return "every option must be expressible as whole seconds"
    return None


def validate_offset(offset: Duration) -> str | None:
    """Whole seconds (InfluxDB); a calendar unit (mo, y) is not a fixed delay."""
    if offset.months:
        return "offset option must be a fixed length (units up to w); mo and y are not"
    if offset.nanoseconds % NS_PER_SECOND:
        return "offset option must be expressible as whole seconds"
    return None


# ---------------------------------------------------------------- reading the AST


def read_task_options(file: ast.File) -> TaskOptions:
    """The validated `option task` of a parsed Flux file.

    Raises TaskOptionsError with the position of the first problem; when several
    values are invalid, the message lists all of them as InfluxDB does
    (`invalid options: name required, ...`).
    """
    statements = [
        statement
        for statement in file.body
        if isinstance(statement, ast.OptionStatement)
        and isinstance(statement.assignment, ast.VariableAssignment)
        and statement.assignment.id.name == "task"
    ]
    if not statements:
        raise TaskOptionsError("no task options defined (add `option task = {name: ..., every: ...}`)")
    if len(statements) > 1:
        raise TaskOptionsError("multiple task options defined", statements[1].span)
    assignment = statements[0].assignment
    record = assignment.init
    if not isinstance(record, ast.ObjectExpression) or record.with_ is not None:
        raise TaskOptionsError(
            "task options must be a record literal such as {name: \"t\", every: 1h}",
            record.span or assignment.span,
        )
    return _OptionReader(record, statements[0].span).read()


class _OptionReader:
    """Collects the properties of the `option task` record, then validates them."""

    def __init__(self, record: ast.ObjectExpression, statement_span: Span | None):
        self.record = record
        self.statement_span = statement_span
        self.values: dict[str, ast.Expression] = {}
        self.spans: dict[str, Span | None] = {}
        self.warnings: list[str] = []

    def read(self) -> TaskOptions:
        for prop in self.record.properties:
            key = prop.key.name if isinstance(prop.key, ast.Identifier) else prop.key.value
            value = prop.value if prop.value is not None else prop.key
            if key in self.values:
                raise TaskOptionsError(f"task option {key!r} is given twice", prop.span)
            self.values[key] = value
            self.spans[key] = value.span or prop.span
            if key not in OPTION_NAMES:
                # InfluxDB's AST reader ignores unknown keys; a typo would go unnoticed.
                self.warnings.append(
                    f"unknown task option {key!r} ignored (valid options are {', '.join(OPTION_NAMES)})"
                )
        name = self._literal("name", _string_literal, "a string literal")
        every = self._literal("every", _duration_literal, "a duration literal such as 1h")
        cron = self._literal("cron", _string_literal, "a string literal")
        offset = self._literal("offset", _signed_duration_literal, "a duration literal such as 5m or -5m")
        concurrency = self._literal("concurrency", _integer_literal, "an integer literal")
        retry = self._literal("retry", _integer_literal, "an integer literal")
        if "every" in self.values and "cron" in self.values:
            raise TaskOptionsError("cannot use both cron and every in task options", self.spans["cron"])
        if "every" not in self.values and "cron" not in self.values:
            raise TaskOptionsError("missing required option: cron or every", self.statement_span)
        problems: list[tuple[str, Span | None]] = []
        if "name" not in self.values or name == "":
            problems.append(("name required", self.spans.get("name", self.statement_span)))
        if every is not None and (message := validate_every(every)):
            problems.append((message, self.spans["every"]))
        if cron is not None:
            from .schedule import CronError, parse_cron

            try:
                parse_cron(cron)
            except CronError as error:
                problems.append((f"cron invalid: {error}", self.spans["cron"]))
        if offset is not None and (message := validate_offset(offset)):
            problems.append((message, self.spans["offset"]))
        if concurrency is not None and concurrency < 1:
            problems.append(("concurrency must be at least 1", self.spans["concurrency"]))
        elif concurrency is not None and concurrency > MAX_CONCURRENCY:
            problems.append((f"concurrency exceeded max of {MAX_CONCURRENCY}", self.spans["concurrency"]))
        if retry is not None and retry < 1:
            problems.append(("retry must be at least 1", self.spans["retry"]))
        elif retry is not None and retry > MAX_RETRY:
            problems.append((f"retry exceeded max of {MAX_RETRY}", self.spans["retry"]))
        if problems:
            message = "invalid options: " + ", ".join(text for text, _ in problems)
            raise TaskOptionsError(message, problems[0][1])
        return TaskOptions(
            name=name,
            every=every,
            cron=cron.strip() if cron is not None else None,
            offset=offset if offset is not None else Duration(),
            concurrency=concurrency if concurrency is not None else 1,
            retry=retry if retry is not None else 1,
            warnings=tuple(self.warnings),
        )

    def _literal(self, key: str, decode, expected: str):
        """The decoded literal of option `key`, None when absent; an error when not a literal."""
        if key not in self.values:
            return None
        value = decode(self.values[key])
        if value is None:
            # options.go errParseTaskOptionField: values are read from the AST, not evaluated.
            raise TaskOptionsError(
                f"failed to parse field '{key}' in task options: expected {expected}"
                " (task options are read without evaluating the script)",
                self.spans[key],
            )
        return value


def _string_literal(node: ast.Expression) -> str | None:
    if isinstance(node, ast.StringLiteral):
        return node.value
    if isinstance(node, ast.StringExpression) and all(isinstance(p, ast.TextPart) for p in node.parts):
        return "".join(p.value for p in node.parts)
    return None


def _duration_literal(node: ast.Expression) -> Duration | None:
    return node.duration if isinstance(node, ast.DurationLiteral) else None


def _signed_duration_literal(node: ast.Expression) -> Duration | None:
    # options.go extractOffsetOption accepts `-5m` (a UnaryExpression) as well.
    if isinstance(node, ast.UnaryExpression) and node.operator in ("-", "+"):
        inner = _duration_literal(node.argument)
        if inner is None:
            return None
        return -inner if node.operator == "-" else inner
    return _duration_literal(node)


def _integer_literal(node: ast.Expression) -> int | None:
    if isinstance(node, ast.IntegerLiteral):
        return node.value
    # `-1` parses as a unary minus on a literal: still a literal, so it gets the range message.
    if isinstance(node, ast.UnaryExpression) and node.operator == "-" and isinstance(node.argument, ast.IntegerLiteral):
        return -node.argument.value
    return None


__all__ = [
    "MAX_CONCURRENCY",
    "MAX_RETRY",
    "TaskOptions",
    "TaskOptionsError",
    "fixed_nanoseconds",
    "parse_duration_text",
    "read_task_options",
    "validate_every",
    "validate_offset",
]
