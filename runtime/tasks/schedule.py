"""The grid of scheduled times of a task: `every` and `cron`, in nanoseconds UTC.

Owns the times at which a task's runs are scheduled, matching InfluxDB 2:
- `every` (fixed length) sits on multiples of `every` counted from Go's zero time
  0001-01-01T00:00:00Z (`scheduler.go` NewSchedule uses `time.Truncate`), so `1h` fires
  on the hour, `1d` at 00:00 UTC, and `1w` on Mondays (0001-01-01 was a Monday).
- `every` with months or years (`1mo`) runs on calendar months counted from the Unix
  epoch (`1mo` = the 1st of each month at 00:00 UTC). InfluxDB truncates its anchor by an
  approximate length instead, which depends on the creation time; flux2sql keeps a
  fixed grid so that backfills and catch-up agree with the schedule.
- `cron` follows influxdata/cron: 5 fields (seconds = 0), 6 fields with SECONDS FIRST,
  7 fields adding a year (1970-2099); names, ranges, steps; day of month AND day of week
  must both match when both are restricted (cron.go prepDays); the macros `@yearly`,
  `@annually`, `@monthly`, `@weekly` (Sunday), `@daily`, `@midnight`, `@hourly`,
  `@every_minute`, `@every_second` and `@every <duration>` (which InfluxDB aligns like
  `every`). Evaluation is done by croniter in UTC, or in an optional IANA time zone.

A schedule knows nothing about runs, offsets or databases.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Iterator, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from croniter.croniter import CroniterError

from transpile.values import Duration

from .options import TaskOptions, parse_duration_text, validate_every

NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND
GO_ZERO_TIME_NS = -62_135_596_800 * NS_PER_SECOND  # 0001-01-01T00:00:00Z
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_ONE_MICROSECOND = _dt.timedelta(microseconds=1)


class CronError(ValueError):
    """A cron expression that InfluxDB's cron syntax does not accept."""


class Schedule(Protocol):
    """An infinite increasing sequence of scheduled times (ns since the epoch, UTC)."""

    description: str

    def next_after(self, t: int) -> int:
        """The first scheduled time strictly after `t`."""

    def latest_at_or_before(self, t: int) -> int:
        """The last scheduled time at or before `t`."""

    def forward(self, after: int) -> Iterator[int]:
        """Scheduled times strictly after `after`, oldest first."""

    def backward(self, through: int) -> Iterator[int]:
        """Scheduled times at or before `through`, newest first."""


# ---------------------------------------------------------------- every


@dataclass(frozen=True)
class FixedEverySchedule:
    """`every: <fixed duration>`: multiples of `every_ns` since Go's zero time."""

    every_ns: int
    description: str

    def latest_at_or_before(self, t: int) -> int:
        return GO_ZERO_TIME_NS + (t - GO_ZERO_TIME_NS) // self.every_ns * self.every_ns

    def next_after(self, t: int) -> int:
        return self.latest_at_or_before(t) + self.every_ns

    def forward(self, after: int) -> Iterator[int]:
        point = self.next_after(after)
        while True:
            yield point
            point += self.every_ns

    def backward(self, through: int) -> Iterator[int]:
        point = self.latest_at_or_before(through)
        while True:
            yield point
            point -= self.every_ns

    def count_between(self, after: int, through: int) -> int:
        """How many scheduled times lie in (after, through]."""
        if through <= after:
            return 0
        return (self.latest_at_or_before(through) - self.latest_at_or_before(after)) // self.every_ns


@dataclass(frozen=True)
class CalendarEverySchedule:
    """`every` with months (`1mo`, `1y`, `1mo2d`): point k = epoch + k*months + k*nanoseconds."""

    months: int
    nanoseconds: int
    description: str

    def point(self, k: int) -> int:
        year, month0 = divmod(k * self.months, 12)
        day = _dt.date(1970 + year, month0 + 1, 1)
        return (day - _dt.date(1970, 1, 1)).days * NS_PER_DAY + k * self.nanoseconds

    def _index_at_or_before(self, t: int) -> int:
        average = self.months * 2_629_746 * NS_PER_SECOND + self.nanoseconds  # 30.436875 days a month
        k = t // average
        while self.point(k) > t:
            k -= 1
        while self.point(k + 1) <= t:
            k += 1
        return k

    def latest_at_or_before(self, t: int) -> int:
        return self.point(self._index_at_or_before(t))

    def next_after(self, t: int) -> int:
        return self.point(self._index_at_or_before(t) + 1)

    def forward(self, after: int) -> Iterator[int]:
        k = self._index_at_or_before(after) + 1
        while True:
            yield self.point(k)
            k += 1

    def backward(self, through: int) -> Iterator[int]:
        k = self._index_at_or_before(through)
        while True:
            yield self.point(k)
            k -= 1


def every_schedule(every: Duration) -> FixedEverySchedule | CalendarEverySchedule:
    """The grid of `every` (already validated: at least 1 s, whole seconds)."""
    if every.months == 0:
        return FixedEverySchedule(every.nanoseconds, f"every {every}")
    return CalendarEverySchedule(every.months, every.nanoseconds, f"every {every}")


# ---------------------------------------------------------------- cron

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
    "@every_minute": "* * * * *",
    "@every_second": "* * * * * *",
}
_NAMES = {
    "month": {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"},
    "dow": {"sun", "mon", "tue", "wed", "thu", "fri", "sat"},
}
# Field layouts by count (influxdata/cron parse.rl): the 6- and 7-field forms start with seconds.
_LAYOUTS = {
    5: ("minute", "hour", "dom", "month", "dow"),
    6: ("second", "minute", "hour", "dom", "month", "dow"),
    7: ("second", "minute", "hour", "dom", "month", "dow", "year"),
}
# A 7-field expression may name any year in 1970-2099: let croniter search that far.
_MAX_YEARS = 130
_ATOM = re.compile(r"\*|\d+|[A-Za-z]+")


@dataclass(frozen=True)
class CronSpec:
    """A cron expression checked against InfluxDB's syntax, in croniter's terms."""

    text: str  # as written in the task
    expression: str  # what croniter evaluates
    seconds_first: bool
    hour_field: str
    every: Duration | None = None  # set for `@every <duration>`


def parse_cron(text: str) -> CronSpec:
    """Check a cron expression with InfluxDB's rules; raise CronError saying what is wrong."""
    stripped = text.strip()
    if not stripped:
        raise CronError("empty cron expression")
    lowered = stripped.lower()
    if lowered.startswith("@every") and stripped[len("@every"):][:1].isspace():
        rest = stripped[len("@every"):]
        try:
            every = parse_duration_text(rest.strip())
        except ValueError as error:
            raise CronError(str(error)) from None
        problem = validate_every(every)
        if problem:
            raise CronError(f"@every: {problem.replace('every option', 'the duration')}")
        return CronSpec(stripped, "", False, "*", every=every)
    if stripped.startswith("@"):
        if lowered not in _MACROS:
            raise CronError(f"unknown macro {stripped!r} (known: {', '.join(sorted(_MACROS))}, @every <duration>)")
        stripped = _MACROS[lowered]
    fields = stripped.split()
    layout = _LAYOUTS.get(len(fields))
    if layout is None:
        raise CronError(
            f"{len(fields)} fields; expected 5 (minute hour day month weekday), 6 (seconds first) or 7 (plus year)"
        )
    for name, value in zip(layout, fields):
        _check_field(name, value)
    seconds_first = len(fields) >= 6
    expression = " ".join(fields)
    try:
        probe = croniter(expression, _EPOCH, day_or=False, second_at_beginning=seconds_first,
                         max_years_between_matches=_MAX_YEARS)
        probe.get_next(_dt.datetime)
    except CroniterError as error:
        raise CronError(_croniter_message(error)) from None
    hour_field = fields[layout.index("hour")]
    return CronSpec(text.strip(), expression, seconds_first, hour_field)


def _check_field(name: str, value: str) -> None:
    """Only what influxdata/cron accepts: numbers, `*`, names, `,` `-` `/` (no L, W, #, ?, H)."""
    for item in value.split(","):
        base, _, step = item.partition("/")
        if step and not step.isdigit():
            raise CronError(f"{name} field {value!r}: step {step!r} is not a number")
        for atom in base.split("-"):
            if not _ATOM.fullmatch(atom):
                raise CronError(f"{name} field {value!r}: {atom!r} is not supported (InfluxDB's cron has no L, W, #, ? or H)")
            if atom.isalpha() and atom.lower() not in _NAMES.get(name, ()):
                if atom.upper() in ("L", "W", "LW", "H"):
                    raise CronError(f"{name} field {value!r}: {atom!r} is not supported (InfluxDB's cron has no L, W, #, ? or H)")
                raise CronError(f"{name} field {value!r}: unknown name {atom!r}")
            if name == "year" and atom.isdigit() and not 1970 <= int(atom) <= 2099:
                raise CronError("only years on interval [1970, 2099] are supported")


def _croniter_message(error: Exception) -> str:
    text = str(error)
    if "failed to find" in text:
        return "the expression never matches a date"
    if "out of range" in text:
        return "a value is out of range (second and minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-7)"
    return text


class CronSchedule:
    """Cron times in UTC or in a time zone, through croniter.

    In a time zone, a local time that does not exist (spring forward) runs at the first
    instant after the gap; in the repeated hour (fall back) an expression with a fixed
    hour runs once, the first time, while an expression with `*` as hour keeps running
    every real hour.
    """

    def __init__(self, spec: CronSpec, timezone: str | None = None):
        self.spec = spec
        self.zone = _zone(timezone)
        self.timezone = timezone
        where = f" in {timezone}" if timezone else ""
        self.description = f'cron "{spec.text}"{where}'
        self._dedupe_fold = timezone is not None and spec.hour_field not in ("*", "*/1")

    def _iterator(self, start_ns: int) -> croniter:
        start = (_EPOCH + _dt.timedelta(microseconds=start_ns // 1000)).astimezone(self.zone)
        return croniter(self.spec.expression, start, day_or=False, second_at_beginning=self.spec.seconds_first,
                        max_years_between_matches=_MAX_YEARS)

    def _repeated(self, instant: _dt.datetime) -> bool:
        """True for the second occurrence of a local time in a fall-back hour."""
        if not self._dedupe_fold:
            return False
        local = instant.astimezone(self.zone)
        return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()

    def forward(self, after: int) -> Iterator[int]:
        # Matches are whole seconds: starting from the second that contains `after`, croniter's
        # strictly-later matches are exactly the matches strictly after `after`.
        iterator = self._iterator(after - after % NS_PER_SECOND)
        while True:
            instant = iterator.get_next(_dt.datetime)
            if not self._repeated(instant):
                yield _to_ns(instant)

    def backward(self, through: int) -> Iterator[int]:
        iterator = self._iterator(through - through % NS_PER_SECOND + NS_PER_SECOND)
        while True:
            instant = iterator.get_prev(_dt.datetime)
            if not self._repeated(instant):
                yield _to_ns(instant)

    def next_after(self, t: int) -> int:
        return next(self.forward(t))

    def latest_at_or_before(self, t: int) -> int:
        return next(self.backward(t))


def _to_ns(instant: _dt.datetime) -> int:
    return (instant - _EPOCH) // _ONE_MICROSECOND * 1000


def _zone(timezone: str | None) -> _dt.tzinfo:
    if timezone is None:
        return _dt.timezone.utc
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(f"unknown time zone {timezone!r} (use an IANA name such as Europe/Paris)") from None


def check_timezone(timezone: str) -> None:
    """Raise CronError when `timezone` is not an IANA time zone name."""
    _zone(timezone)


# ---------------------------------------------------------------- for a task


def schedule_for(options: TaskOptions, timezone: str | None = None) -> Schedule:
    """The grid of a task. `timezone` applies to cron expressions only."""
    if options.every is not None:
        if timezone is not None:
            raise CronError("a time zone applies to cron schedules only; this task uses every")
        return every_schedule(options.every)
    spec = parse_cron(options.cron or "")
    if spec.every is not None:
        # EffectiveCron of an every task is "@every <every>": both go through the same path.
        if timezone is not None:
            raise CronError("a time zone does not apply to @every")
        return every_schedule(spec.every)
    return CronSchedule(spec, timezone)


def points_between(schedule: Schedule, after: int, through: int) -> Iterator[int]:
    """Scheduled times in (after, through], oldest first."""
    for point in schedule.forward(after):
        if point > through:
            return
        yield point
