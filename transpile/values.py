"""Flux scalar values that have no direct Python equivalent: durations and times.

Owns exact nanosecond arithmetic on Flux times and durations. Pure Python, no SQL.
"""
from __future__ import annotations

from dataclasses import dataclass

NS_PER_UNIT = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
    "d": 86400 * 1_000_000_000,
    "w": 7 * 86400 * 1_000_000_000,
}
MONTHS_PER_UNIT = {"mo": 1, "y": 12}


@dataclass(frozen=True, order=True)
class Duration:
    """A Flux duration: a number of calendar months plus a number of nanoseconds.

    Flux keeps the two apart (`1mo` is not a fixed length); both carry the sign.
    """

    months: int = 0
    nanoseconds: int = 0

    @classmethod
    def from_units(cls, parts: list[tuple[int, str]], negative: bool = False) -> "Duration":
        months = sum(n * MONTHS_PER_UNIT[u] for n, u in parts if u in MONTHS_PER_UNIT)
        nanos = sum(n * NS_PER_UNIT[u] for n, u in parts if u in NS_PER_UNIT)
        sign = -1 if negative else 1
        return cls(sign * months, sign * nanos)

    def __neg__(self) -> "Duration":
        return Duration(-self.months, -self.nanoseconds)

    def __add__(self, other: "Duration") -> "Duration":
        return Duration(self.months + other.months, self.nanoseconds + other.nanoseconds)

    def __sub__(self, other: "Duration") -> "Duration":
        return self + (-other)

    def scale(self, factor: int) -> "Duration":
        return Duration(self.months * factor, self.nanoseconds * factor)

    @property
    def is_fixed(self) -> bool:
        """True when the duration has no calendar part (its length is known)."""
        return self.months == 0

    @property
    def is_zero(self) -> bool:
        return self.months == 0 and self.nanoseconds == 0

    @property
    def is_negative(self) -> bool:
        return self.months < 0 or self.nanoseconds < 0

    def __str__(self) -> str:
        """Flux's own spelling: `1h30m`, `-5m`, `1mo2w`, `0s`."""
        if self.is_zero:
            return "0s"
        sign = "-" if self.is_negative else ""
        out = []
        months = abs(self.months)
        if months >= 12:
            out.append(f"{months // 12}y")
            months %= 12
        if months:
            out.append(f"{months}mo")
        ns = abs(self.nanoseconds)
        for unit in ("w", "d", "h", "m", "s", "ms", "us", "ns"):
            size = NS_PER_UNIT[unit]
            if ns >= size:
                out.append(f"{ns // size}{unit}")
                ns %= size
        return sign + "".join(out)


@dataclass(frozen=True)
class Time:
    """A Flux time: nanoseconds since the Unix epoch, UTC."""

    nanoseconds: int


@dataclass(frozen=True)
class UInt:
    """A Flux unsigned integer (Python ints stand for Flux's signed `int`)."""

    value: int


@dataclass(frozen=True)
class Regex:
    """A Flux regular expression (RE2 syntax, which DuckDB also uses)."""

    pattern: str


# `inf`: the infinite duration, used as `window(every: inf)`.
INF = Duration(0, (1 << 63) - 1)
