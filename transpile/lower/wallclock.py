"""Wall-clock times of a time zone as SQL, the way Flux's windows read them.

Windows in a `location` are counted on the local wall clock (a day lasts from local
midnight to local midnight), so their bounds are wall-clock readings that must become
instants again. Where the clock jumps, a reading may name no instant (a DST gap, or the
day Pacific/Apia skipped) or two (the hour repeated when DST ends). Flux's windows take
the earliest instant whose reading is not before the wanted one: a reading in a gap
becomes the instant of the jump, a repeated reading its first occurrence (conformance
universe/australia_east_offset, universe/american_samoa_day_skip). DuckDB's timezone()
resolves both by the zone's standard offset instead, so the jumps near the query's time
range are looked up in the tz database at compile time and handled explicitly.

It must not know about plan nodes.
"""
from __future__ import annotations

from datetime import datetime, timezone as _tz
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlglot import exp

from . import sql

NS_PER_S = 1_000_000_000
DAY_S = 86_400


def to_local(t: exp.Expression, zone: str) -> exp.Expression:
    """The wall clock of instant `t` in `zone` (a TIMESTAMP, microseconds)."""
    return sql.func("timezone", exp.Literal.string(zone), exp.Cast(this=t, to=exp.DataType.build("TIMESTAMPTZ")))


def from_local(local: exp.Expression, zone: str, span: tuple[int, int] | None) -> exp.Expression:
    """The instant (TIMESTAMP_NS) of wall-clock reading `local` in `zone`: the earliest
    instant whose reading is not before it. `span` (ns) bounds the instants that matter;
    without it, readings at jumps fall back to DuckDB's resolution."""
    resolved = _instant(sql.func("timezone", exp.Literal.string(zone), local))
    jumps = transitions(zone, span[0] // NS_PER_S - 2 * DAY_S, span[1] // NS_PER_S + 2 * DAY_S) if span else ()
    if not jumps:
        return resolved
    ifs = []
    for at, before, after in jumps:
        # The readings that do not name exactly one instant: [at + min, at + max) on the wall.
        low, high = at + min(before, after), at + max(before, after)
        inside = exp.And(this=exp.GTE(this=local.copy(), expression=_wall(low)),
                         expression=exp.LT(this=local.copy(), expression=_wall(high)))
        if after > before:  # a gap: the jump itself
            value = sql.func("make_timestamp_ns", sql.number(at * NS_PER_S))
        else:  # a repeat: its first occurrence, at the offset before the jump
            value = sql.func("make_timestamp_ns", exp.Sub(this=sql.func("epoch_ns", local.copy()),
                                                          expression=sql.number(before * NS_PER_S)))
        ifs.append(exp.If(this=inside, true=value))
    return exp.Case(ifs=ifs, default=resolved)


def _instant(tstz: exp.Expression) -> exp.Expression:
    """TIMESTAMPTZ -> TIMESTAMP_NS through epoch_ns, independent of the session time zone."""
    return sql.func("make_timestamp_ns", sql.func("epoch_ns", tstz))


def _wall(seconds: int) -> exp.Expression:
    """A wall-clock reading (TIMESTAMP) given as seconds since 1970-01-01 00:00."""
    text = datetime.fromtimestamp(seconds, tz=_tz.utc).strftime("%Y-%m-%d %H:%M:%S")
    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("TIMESTAMP"))


@lru_cache(maxsize=256)
def transitions(zone: str, lo: int, hi: int) -> tuple[tuple[int, int, int], ...]:
    """The jumps of `zone`'s UTC offset between instants `lo` and `hi` (seconds):
    (instant of the jump, offset before, offset after), offsets in seconds. Offsets are
    sampled daily and each change is narrowed to its second."""
    if zone in ("UTC", "") or hi <= lo:
        return ()
    info = ZoneInfo(zone)
    if hi <= lo:
        return ()
    out = []
    t, offset = lo, _offset(info, lo)
    while t < hi:
        nxt = min(t + DAY_S, hi)
        after = _offset(info, nxt)
        if after != offset:
            a, b = t, nxt  # offset(a) == offset, offset(b) == after
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(info, mid) == offset:
                    a = mid
                else:
                    b = mid
            out.append((b, offset, after))
        t, offset = nxt, after
    return tuple(out)


def _offset(info, seconds: int) -> int:
    return int(datetime.fromtimestamp(seconds, tz=_tz.utc).astimezone(info).utcoffset().total_seconds())
