"""Exact RFC3339 text <-> integer nanoseconds since the Unix epoch (UTC).

Owns the one parser and the one formatter of Flux time text used by annotated CSV,
the output writers and time literals. Everything is integer arithmetic: no float, and
no `datetime` for the time of day (it stops at microseconds). `datetime.date` is used
only for the calendar day, which it gets exactly right.

It must not know about tables, CSV or SQL.

Parsing follows Go's `time.Parse(time.RFC3339, ...)`, which is what Flux uses for
`dateTime:RFC3339` and `dateTime:RFC3339Nano` cells: `YYYY-MM-DDTHH:MM:SS`, an
optional fraction of up to 9 digits (Go reads further digits but ignores them), then
`Z` or a `+hh:mm`/`-hh:mm` offset. Formatting follows Go's `time.RFC3339Nano` layout
in UTC, which Flux's CSV encoder writes: trailing zeros of the fraction removed, no
fraction at all for whole seconds, and `Z`.
"""
from __future__ import annotations

import re
from datetime import date

NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)

# Parsed calendar days and formatted dates repeat a lot in time series (every row of a
# day shares them); small dicts make them one lookup. Bounded so a long series of
# distinct days cannot grow them without limit.
_DAYS_CACHE: dict[str, int] = {}
_DATE_TEXT_CACHE: dict[int, str] = {}
_CACHE_LIMIT = 100_000


def parse_rfc3339(text: str) -> int:
    """Nanoseconds since the epoch for an RFC3339 time such as `2020-01-01T00:00:00.5+01:00`.

    The result is exact and not limited to int64. (Go's UnixNano, and so Flux, wraps
    times after 2262 around; Flux's own test vectors, e.g. universe/to_time, are
    compared on the exact value, so no wrapping here.)
    Raises ValueError naming what is wrong.
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"cannot parse {text!r} as an RFC3339 time")
    year_month_day = text[:10]
    days = _DAYS_CACHE.get(year_month_day)
    if days is None:
        days = _days_since_epoch(int(match[1]), int(match[2]), int(match[3]), text)
        if len(_DAYS_CACHE) < _CACHE_LIMIT:
            _DAYS_CACHE[year_month_day] = days
    hour, minute, second = int(match[4]), int(match[5]), int(match[6])
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"cannot parse {text!r} as an RFC3339 time: time of day out of range")
    seconds = days * 86_400 + hour * 3600 + minute * 60 + second
    if match[9] is not None:
        offset_hours, offset_minutes = int(match[10]), int(match[11])
        if offset_hours > 23 or offset_minutes > 59:
            raise ValueError(f"cannot parse {text!r} as an RFC3339 time: offset out of range")
        offset = offset_hours * 3600 + offset_minutes * 60
        # Local time = UTC + offset, so UTC = local - offset.
        seconds += -offset if match[9] == "+" else offset
    fraction = match[7]
    nanos = 0
    if fraction:
        digits = fraction[:9]
        nanos = int(digits) * 10 ** (9 - len(digits))
    return seconds * NS_PER_SECOND + nanos


def _days_since_epoch(year: int, month: int, day: int, text: str) -> int:
    try:
        return date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise ValueError(f"cannot parse {text!r} as an RFC3339 time: no such day") from None


def format_rfc3339(ns: int) -> str:
    """Go's RFC3339Nano in UTC: `2020-01-01T00:00:00Z`, `2020-01-01T00:00:00.1Z`.

    Exact for any time between years 1 and 9999 (the whole int64 range included).
    """
    days, in_day = divmod(ns, NS_PER_DAY)
    date_text = _DATE_TEXT_CACHE.get(days)
    if date_text is None:
        ordinal = days + _EPOCH_ORDINAL
        if not 1 <= ordinal <= date.max.toordinal():
            raise ValueError(f"time {ns}ns is outside the years 1-9999")
        date_text = date.fromordinal(ordinal).isoformat()
        if len(_DATE_TEXT_CACHE) < _CACHE_LIMIT:
            _DATE_TEXT_CACHE[days] = date_text
    seconds, nanos = divmod(in_day, NS_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    if nanos:
        fraction = f"{nanos:09d}".rstrip("0")
        return f"{date_text}T{hour:02d}:{minute:02d}:{second:02d}.{fraction}Z"
    return f"{date_text}T{hour:02d}:{minute:02d}:{second:02d}Z"
