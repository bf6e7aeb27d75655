"""Flux's `timezone` package: location records `{zone, offset}` used by `option location`.

https://docs.influxdata.com/flux/v0/stdlib/timezone/ . `timezone.location(name)` names an
IANA zone (checked against the system tz database at compile time), `timezone.fixed(offset)`
is a constant offset from UTC, `timezone.utc` is UTC. Consumers (date.*, windows) read the
record through `location_of()`.
"""
from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..analyze.objects import Record
from ..analyze.operators import describe
from ..values import Duration
from .registry import constant, flux_function

PKG = "timezone"
UTC = Record({"zone": "UTC", "offset": Duration()})


@lru_cache(maxsize=None)
def zone_info(name: str) -> ZoneInfo | None:
    """The tz database entry of `name` (None for UTC, which needs no lookup)."""
    if name in ("UTC", ""):
        return None
    return ZoneInfo(name)


@flux_function(PKG, pipe=None)
def location(ctx, name):
    """timezone.location(name): the location of an IANA time zone, e.g. "America/New_York"."""
    if not isinstance(name, str):
        raise ctx.error("name must be a string", "name")
    try:
        zone_info(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ctx.error(f"unknown time zone {name!r}", "name") from None
    return Record({"zone": name, "offset": Duration()})


@flux_function(PKG, pipe=None)
def fixed(ctx, offset):
    """timezone.fixed(offset): a location at a fixed offset from UTC, e.g. -5h."""
    if not isinstance(offset, Duration):
        raise ctx.error("offset must be a duration", "offset")
    return Record({"zone": "UTC", "offset": offset})  # a calendar offset (-2mo2w) is for windows


constant(PKG, "utc", UTC)
# Flux's universe option `location` defaults to timezone.utc; `option location = ...`
# rebinds it in the program (and `ctx.location` reads the option).
constant("universe", "location", UTC)


def location_of(ctx, value, arg: str = "location") -> tuple[str, int]:
    """(zone name, extra offset in ns) of a location argument, or of `option location`."""
    if value is None:
        value = ctx.location
    if value is None:
        return ("UTC", 0)
    if not isinstance(value, Record) or not isinstance(value.get("zone"), str):
        raise ctx.error(f"location must be a location record {{zone, offset}}, got {describe(value)}", arg)
    offset = value.get("offset", Duration())
    if not isinstance(offset, Duration) or offset.months:
        raise ctx.error("the location's offset must be a fixed duration", arg)
    zone = value.get("zone")
    try:
        zone_info(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ctx.error(f"unknown time zone {zone!r}", arg) from None
    return (zone if zone else "UTC", offset.nanoseconds)
