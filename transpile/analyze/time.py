"""Calendar arithmetic on Flux times (int ns since the epoch, UTC) at compile time.

Adding months follows Flux's `date.add`: the day of month is clamped to the month's
length; fixed durations add exactly. Time zones (`location`) matter only for months.
"""
from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone

from ..values import Duration

NS_PER_DAY = 86_400 * 10**9


def add_duration(t: int, d: Duration, location=None) -> int:
    if d.months:
        t = add_months(t, d.months)
    return t + d.nanoseconds


def add_months(t: int, months: int) -> int:
    days, rem = divmod(t, NS_PER_DAY)
    date = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(days=days)
    index = date.year * 12 + (date.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    new = datetime(year, month, day, tzinfo=timezone.utc)
    new_days = (new - datetime(1970, 1, 1, tzinfo=timezone.utc)).days
    return new_days * NS_PER_DAY + rem
