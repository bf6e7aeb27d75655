"""Flux's `date` package: calendar parts, truncation and calendar arithmetic in a location.

https://docs.influxdata.com/flux/v0/stdlib/date/ . Every function takes `t` as a time, a
duration (relative to `now()`) or an int (ns since the epoch) and a `location` (default:
`option location`, else UTC). The work happens on the *local* clock: the UTC instant plus
the zone's offset at that instant (Go's `t.In(loc)`); truncation and month arithmetic
produce a local clock time that is mapped back to UTC with the zone's offset there.

Constants fold in Python (zoneinfo, integer ns arithmetic); row values lower to SQL with
DuckDB's ICU `timezone()` on a microsecond local clock and calendar functions on it, the
sub-microsecond rest carried apart in integer ns so results stay nanosecond-exact.
A local reading maps back to UTC as Go's time.Date does (not as ICU does) at DST changes.
"""
from __future__ import annotations

from datetime import date as _date
from datetime import datetime
from datetime import timezone as _tz

from sqlglot import exp

from ..analyze.objects import RowValue
from ..analyze.time import add_months
from ..lower import sql
from ..scalar import Call
from ..types import FluxType
from ..values import Duration, Time
from .registry import constant, flux_function
from .scalar_support import register_sql, row_call, template
from .timezone import location_of, zone_info

PKG = "date"
NS_PER_S = 10**9
NS_PER_DAY = 86_400 * NS_PER_S
_EPOCH_ORDINAL = _date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1)
INT, TIME = FluxType.INT, FluxType.TIME


# ---------------------------------------------------------------- local clock in Python


def utc_offset_ns(t_ns: int, zone: str) -> int:
    info = zone_info(zone)
    if info is None:
        return 0
    instant = datetime.fromtimestamp(t_ns // NS_PER_S, tz=_tz.utc)
    return int(instant.astimezone(info).utcoffset().total_seconds()) * NS_PER_S


def to_local(t_ns: int, loc: tuple[str, int]) -> int:
    zone, extra = loc
    return t_ns + utc_offset_ns(t_ns, zone) + extra


def from_local(local_ns: int, loc: tuple[str, int]) -> int:
    """The UTC instant whose local clock reads `local_ns`, chosen as Go's time.Date does:
    take the offset in effect at the instant the local reading names in UTC, and if the
    result falls outside that offset's period, the offset at the result instead (an
    ambiguous reading gets the earlier offset; one in a DST gap moves forward)."""
    zone, extra = loc
    local_ns -= extra
    if zone_info(zone) is None:
        return local_ns
    guess = utc_offset_ns(local_ns, zone)
    return local_ns - utc_offset_ns(local_ns - guess, zone)


def _day(local_ns: int) -> _date:
    return _date.fromordinal(_EPOCH_ORDINAL + local_ns // NS_PER_DAY)


PART_FOLDS = {
    "second": lambda n: n // NS_PER_S % 60,
    "minute": lambda n: n // (60 * NS_PER_S) % 60,
    "hour": lambda n: n // (3600 * NS_PER_S) % 24,
    "weekDay": lambda n: _day(n).isoweekday() % 7,
    "monthDay": lambda n: _day(n).day,
    "yearDay": lambda n: _day(n).timetuple().tm_yday,
    "month": lambda n: _day(n).month,
    "year": lambda n: _day(n).year,
    "week": lambda n: _day(n).isocalendar()[1],
    "quarter": lambda n: (_day(n).month - 1) // 3 + 1,
    "millisecond": lambda n: n % NS_PER_S // 1_000_000,
    "microsecond": lambda n: n % NS_PER_S // 1_000,
    "nanosecond": lambda n: n % NS_PER_S,
}


def truncate_local(local_ns: int, unit: Duration) -> int:
    if unit.months:
        d = _day(local_ns)
        index = (d.year - 1970) * 12 + d.month - 1
        index -= index % unit.months
        first = _date(1970 + index // 12, index % 12 + 1, 1)
        return (first.toordinal() - _EPOCH_ORDINAL) * NS_PER_DAY
    return local_ns - local_ns % unit.nanoseconds


def add_in_location(t_ns: int, d: Duration, loc) -> int:
    if d.months:
        t_ns = from_local(add_months(to_local(t_ns, loc), d.months), loc)
    return t_ns + d.nanoseconds


# ---------------------------------------------------------------- local clock in SQL
#
# Row values: `t` becomes integer microseconds since the epoch, floored (DuckDB's epoch_us
# of a TIMESTAMP_NS floors; its part functions and casts ROUND a TIMESTAMP_NS to
# microseconds, so they are never applied to one), the local clock is a microsecond
# TIMESTAMP from ICU's timezone(), and the sub-microsecond rest is carried separately in
# integer ns. Zone offsets are whole seconds, so they never touch that rest.


def _const(e: exp.Expression):
    """The Python value of a literal argument built by `sql.literal`."""
    if isinstance(e, exp.Cast):
        return _const(e.this)
    if isinstance(e, exp.Neg):
        return -_const(e.this)
    if isinstance(e, exp.Paren):
        return _const(e.this)
    return e.this if e.is_string else int(e.this)


def _num(n: int) -> exp.Expression:
    return sql.literal(n, INT)


def _pmod(x: exp.Expression, n: exp.Expression) -> exp.Expression:
    return template("((x % n) + n) % n", x=exp.Paren(this=x), n=n)


def _t_ns_sql(e: exp.Expression, t_type, now_ns: int) -> exp.Expression:
    """Integer ns since the epoch of a time, a duration from now, or an int."""
    if t_type == FluxType.TIME:
        return sql.func("epoch_ns", e)
    if t_type == FluxType.DURATION:
        return exp.Add(this=_num(now_ns), expression=exp.Paren(this=e))
    return e


def _t_us_sql(e: exp.Expression, t_type, now_ns: int) -> exp.Expression:
    """Microseconds since the epoch, floored."""
    if t_type == FluxType.TIME:
        return sql.func("epoch_us", e)
    return sql.func("epoch_us", sql.func("make_timestamp_ns", _t_ns_sql(e, t_type, now_ns)))


def _local_clock(us: exp.Expression, zone: str, extra_ns: int) -> exp.Expression:
    """The local clock (a microsecond TIMESTAMP) of the instant `us`."""
    if extra_ns:
        us = exp.Add(this=us, expression=_num(extra_ns // 1000))
    ts = sql.func("make_timestamp", us)
    if zone_info(zone) is not None:
        ts = sql.func("timezone", exp.Literal.string(zone), sql.func("timezone", exp.Literal.string("UTC"), ts))
    return ts


def _utc_us(local_clock: exp.Expression, zone: str, extra_ns: int) -> exp.Expression:
    """Microseconds since the epoch of the instant whose local clock is `local_clock`.

    Go's rule (see `from_local`), not ICU's: `lu` is the reading as if it were UTC, `u` the
    first guess; the answer uses the offset in effect at `u`."""
    us = sql.func("epoch_us", local_clock)
    if zone_info(zone) is not None:
        us = template(
            "list_transform([x], lu -> list_transform([2 * lu - epoch_us(timezone(z, timezone('UTC', make_timestamp(lu))))],"
            " u -> lu + u - epoch_us(timezone(z, timezone('UTC', make_timestamp(u)))))[1])[1]",
            x=us,
            z=exp.Literal.string(zone),
        )
    return exp.Sub(this=us, expression=_num(extra_ns // 1000)) if extra_ns else us


def _row_parts(args, types):
    """(t as µs, t as ns, zone, extra ns) of a row call `(t, zone, extra, now, ...)`."""
    zone, extra, now = _const(args[1]), _const(args[2]), _const(args[3])
    return _t_us_sql(args[0], types[0], now), _t_ns_sql(args[0], types[0], now), zone, extra


_PART_SQL = {
    "second": "second",
    "minute": "minute",
    "hour": "hour",
    "weekDay": "dayofweek",
    "monthDay": "day",
    "yearDay": "dayofyear",
    "month": "month",
    "year": "year",
    "week": "week",
    "quarter": "quarter",
}
_SUBSECOND = {"millisecond": 1_000_000, "microsecond": 1_000, "nanosecond": 1}


def _part_sql(name: str):
    def build(args, types):
        us, ns, zone, extra = _row_parts(args, types)
        if name in _SUBSECOND:
            if extra % NS_PER_S:
                ns = exp.Add(this=ns, expression=_num(extra))
            sub = _pmod(ns, _num(NS_PER_S))
            return exp.IntDiv(this=exp.Paren(this=sub), expression=_num(_SUBSECOND[name]))
        return sql.cast(sql.func(_PART_SQL[name], _local_clock(us, zone, extra)), INT)

    return build


def _truncate_sql(args, types):
    # args: t, zone, extra, now, unit months, unit ns
    us, ns, zone, extra = _row_parts(args, types)
    months, nanos = _const(args[4]), _const(args[5])
    if months:
        local = _local_clock(us, zone, extra)
        if months in (1, 12):
            first = sql.func("date_trunc", exp.Literal.string("month" if months == 1 else "year"), local)
        else:  # n-month units are aligned to January 1970
            index = template("(year(ts) - 1970) * 12 + month(ts) - 1", ts=local)
            start = template("i - (((i % n) + n) % n)", i=exp.Paren(this=index), n=_num(months))
            first = template(
                "make_timestamp(1970 + (s - (((s % 12) + 12) % 12)) // 12, ((s % 12) + 12) % 12 + 1, 1, 0, 0, 0)",
                s=exp.Paren(this=start),
            )
        out_us = _utc_us(first, zone, extra)
    elif nanos % 1000 == 0:
        local_us = sql.func("epoch_us", _local_clock(us, zone, extra))
        truncated = exp.Sub(this=local_us, expression=exp.Paren(this=_pmod(local_us, _num(nanos // 1000))))
        out_us = _utc_us(sql.func("make_timestamp", truncated), zone, extra)
    else:  # below a microsecond: whole-second zone offsets do not matter
        shifted = exp.Add(this=ns, expression=_num(extra)) if extra else ns
        return sql.func("make_timestamp_ns", exp.Sub(this=ns, expression=exp.Paren(this=_pmod(shifted, _num(nanos)))))
    return sql.func("make_timestamp_ns", exp.Mul(this=exp.Paren(this=out_us), expression=exp.Literal.number(1000)))


def _add_sql(args, types):
    # args: t, zone, extra, now, months, ns (constants) or t, zone, extra, now, d (row duration ns)
    us, ns, zone, extra = _row_parts(args, types)
    if len(args) == 5:
        return sql.func("make_timestamp_ns", exp.Add(this=ns, expression=exp.Paren(this=args[4])))
    months, nanos = _const(args[4]), _const(args[5])
    if months:
        shifted = exp.Add(this=_local_clock(us, zone, extra), expression=sql.func("to_months", _num(months)))
        rest = _pmod(ns, _num(1000))  # the sub-microsecond part rides along
        ns = template("u * 1000 + r", u=exp.Paren(this=_utc_us(shifted, zone, extra)), r=exp.Paren(this=rest))
    if nanos:
        ns = exp.Add(this=ns, expression=_num(nanos))
    return sql.func("make_timestamp_ns", ns)


for _name in PART_FOLDS:
    register_sql(f"date.{_name}", _part_sql(_name), INT)
register_sql("date.truncate", _truncate_sql, TIME)
register_sql("date.add", _add_sql, TIME)


# ---------------------------------------------------------------- Flux functions


def _time_ns(ctx, t, arg: str = "t") -> int:
    if isinstance(t, Time):
        return t.nanoseconds
    if isinstance(t, Duration):
        return add_in_location(ctx.now, t, ("UTC", 0))
    if isinstance(t, int) and not isinstance(t, bool):
        return t
    raise ctx.error("t must be a time, a duration or an int", arg)


def _row_args(ctx, t, loc, *more):
    """Arguments of a row call: t, then the location and now as constants."""
    now = ctx.now if isinstance(t, RowValue) and t.scalar.type == FluxType.DURATION else 0
    return (t, loc[0], loc[1], now, *more)


def _part_function(name: str):
    fold = PART_FOLDS[name]

    def part(ctx, t, location=None):
        loc = location_of(ctx, location)
        if isinstance(t, RowValue):
            return row_call(f"date.{name}", _row_args(ctx, t, loc), INT, ctx.span)
        if t is None:
            return None
        return fold(to_local(_time_ns(ctx, t), loc))

    part.__name__ = name
    part.__doc__ = f"date.{name}(t, location): the {name} of t on the local clock of location."
    return part


for _name in PART_FOLDS:
    flux_function(PKG, name=_name, pipe=None)(_part_function(_name))


@flux_function(PKG, pipe=None)
def time(ctx, t, location=None):
    """date.time(t): t as a time (a duration is relative to now())."""
    if isinstance(t, RowValue):
        if t.scalar.type == FluxType.TIME:
            return t
        return row_call("date.add", _row_args(ctx, t, ("UTC", 0), 0, 0), TIME, ctx.span)
    return None if t is None else Time(_time_ns(ctx, t))


@flux_function(PKG, pipe=None)
def truncate(ctx, t, unit, location=None):
    """date.truncate(t, unit, location): t rounded down to a whole unit of the local clock."""
    if not isinstance(unit, Duration) or unit.is_negative or unit.is_zero or (unit.months and unit.nanoseconds):
        raise ctx.error("unit must be a positive duration such as 1s, 1h, 1d, 1w, 1mo or 1y", "unit")
    loc = location_of(ctx, location)
    if isinstance(t, RowValue):
        return row_call("date.truncate", _row_args(ctx, t, loc, unit.months, unit.nanoseconds), TIME, ctx.span)
    if t is None:
        return None
    return Time(from_local(truncate_local(to_local(_time_ns(ctx, t), loc), unit), loc))


def _add(ctx, d, t, location, sign: int, arg: str):
    loc = location_of(ctx, location)
    if isinstance(d, RowValue):  # a duration column: fixed nanoseconds
        if d.scalar.type != FluxType.DURATION:
            raise ctx.error("d must be a duration", "d")
        step = d if sign > 0 else RowValue(Call("neg", (d.scalar,), FluxType.DURATION))
        target = t if isinstance(t, RowValue) else Time(_time_ns(ctx, t, arg))
        return row_call("date.add", _row_args(ctx, target, loc, step), TIME, ctx.span)
    if not isinstance(d, Duration):
        raise ctx.error("d must be a duration", "d")
    d = d if sign > 0 else -d
    if isinstance(t, RowValue):
        return row_call("date.add", _row_args(ctx, t, loc, d.months, d.nanoseconds), TIME, ctx.span)
    if t is None:
        return None
    return Time(add_in_location(_time_ns(ctx, t, arg), d, loc))


@flux_function(PKG, pipe=None)
def add(ctx, d, to, location=None):
    """date.add(d, to, location): to + d, months counted on the local calendar."""
    return _add(ctx, d, to, location, 1, "to")


@flux_function(PKG, pipe=None)
def sub(ctx, d, from_, location=None):
    """date.sub(d, from, location): from - d, months counted on the local calendar."""
    return _add(ctx, d, from_, location, -1, "from")


@flux_function(PKG, pipe=None)
def scale(ctx, d, n):
    """date.scale(d, n): the duration d multiplied by n."""
    if not isinstance(d, Duration) or isinstance(n, bool) or not isinstance(n, int):
        raise ctx.unsupported("d must be a constant duration and n a constant int")
    return d.scale(n)


for _i, _day_name in enumerate(("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")):
    constant(PKG, _day_name, _i)
for _i, _month_name in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
    start=1,
):
    constant(PKG, _month_name, _i)


@flux_function("universe", pipe=None)
def today(ctx):
    """today(): now() truncated to the day in option location.
    https://docs.influxdata.com/flux/v0/stdlib/universe/today/"""
    return truncate(ctx, Time(ctx.now), Duration(0, 86_400 * 10**9))
