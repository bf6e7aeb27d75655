"""The reference parser of InfluxDB line protocol: one line in, one point (or a precise error) out.

Owns the exact syntax and its error messages, following the InfluxDB v2 line protocol
reference (docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/):

    measurement[,tag_key=tag_value...] field_key=field_value[,field_key=field_value...] [timestamp]

- Escapes (a backslash before one of the listed characters; two backslashes are one
  backslash; a backslash before any other character is a literal backslash):
  measurement `\\,` `\\ ` ; tag keys, tag values and field keys `\\,` `\\=` `\\ ` ;
  string field values `\\"` and `\\\\`.
- Field values: float (`1`, `-1.5`, `1e3`, `.5`), integer `1i` (signed 64-bit), unsigned
  `1u` (64-bit), string `"..."`, boolean t T true True TRUE f F false False FALSE.
- Optional timestamp in the write's precision; missing means the write's `now`.
- `#` at the start of a line is a comment; blank lines are skipped; names cannot begin with
  `_`; tag values cannot be empty; a repeated field key keeps its last value.

It is the slow, careful path: the vectorised parser (`vectorized.py`) sends it every line it
does not handle itself and every line it finds wrong, so that messages come from one place.
It must not touch DuckDB.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from transpile.types import FluxType

# Nanoseconds per unit of each --precision.
PRECISION_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
# The timestamp range of the reference (and of DuckDB's TIMESTAMP_NS, whose extremes are
# reserved for infinities).
MIN_TIME_NS = -9_223_372_036_854_775_806
MAX_TIME_NS = 9_223_372_036_854_775_806
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
UINT_MAX = 2**64 - 1

TRUE_SPELLINGS = frozenset({"t", "T", "true", "True", "TRUE"})
FALSE_SPELLINGS = frozenset({"f", "F", "false", "False", "FALSE"})

_CTRL = r"\x00-\x1f\x7f"
# A token is a run of ordinary characters or backslash pairs; which characters end it
# depends on the element.
_MEASUREMENT = re.compile(rf"(?:[^\\ ,{_CTRL}]|\\[^{_CTRL}])+")
_KEY = re.compile(rf"(?:[^\\ ,={_CTRL}]|\\[^{_CTRL}])+")
_STRING_BODY = re.compile(r'(?:[^"\\]|\\.)*', re.S)
_PLAIN_VALUE = re.compile(r"[^ ,]*")
_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)")
_INT = re.compile(r"-?[0-9]+i")
_UINT = re.compile(r"[0-9]+u")
_TIME = re.compile(r"-?[0-9]+")

_UNESCAPE_MEASUREMENT = re.compile(r"\\([\\ ,])")
_UNESCAPE_KEY = re.compile(r"\\([\\ ,=])")
_UNESCAPE_STRING = re.compile(r'\\([\\"])')


class LineError(Exception):
    """A line that is not valid line protocol: where (1-based line and column) and why."""

    def __init__(self, line: int, column: int | None, message: str):
        where = f"line {line}" if column is None else f"line {line}:{column}"
        super().__init__(f"{where}: {message}")
        self.line, self.column, self.message = line, column, message


@dataclass(frozen=True)
class Point:
    """One parsed line: tags sorted by key; fields in line order, a repeated key keeping
    its last value; values are Python values of the field's Flux type."""

    line: int
    measurement: str
    tags: tuple[tuple[str, str], ...]
    fields: tuple[tuple[str, FluxType, object], ...]
    time: int  # nanoseconds since the epoch, UTC


def parse_line(text: str, line: int, precision: str = "ns", now: int = 0) -> Point | None:
    """The point on one line of line protocol (without its newline), or None for a blank
    or comment line. `now` (ns) is the time of points without a timestamp; it is truncated
    to `precision` as InfluxDB does. Raises LineError."""
    return _LineParser(text, line, PRECISION_NS[precision], now).parse()


class _LineParser:
    def __init__(self, text: str, line: int, unit: int, now: int):
        if text.endswith("\r"):
            text = text[:-1]
        self.text, self.line, self.unit, self.now = text, line, unit, now
        self.pos = 0

    def error(self, message: str, pos: int | None = None) -> LineError:
        return LineError(self.line, (self.pos if pos is None else pos) + 1, message)

    def parse(self) -> Point | None:
        text = self.text
        while self.pos < len(text) and text[self.pos] == " ":
            self.pos += 1
        if self.pos == len(text) or text[self.pos] == "#":
            return None
        measurement = self.name(_MEASUREMENT, _UNESCAPE_MEASUREMENT, "measurement")
        tags = self.tag_set()
        if self.pos == len(text):
            raise self.error("missing field set (a point needs at least one field)")
        if text[self.pos] != " ":
            raise self.error(f"invalid character {text[self.pos]!r} after tag set")
        self.skip_spaces()
        if self.pos == len(text):
            raise self.error("missing field set (a point needs at least one field)")
        fields = self.field_set()
        time = self.timestamp()
        return Point(self.line, measurement, tags, fields, time)

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def name(self, pattern: re.Pattern, unescape: re.Pattern, what: str) -> str:
        start = self.pos
        match = pattern.match(self.text, self.pos)
        if match is None:
            if start < len(self.text) and self.text[start] not in " ,=":
                raise self.error(f"invalid character {self.text[start]!r} in {what}")
            raise self.error(f"missing {what}")
        self.pos = match.end()
        value = unescape.sub(r"\1", match.group())
        if value.startswith("_"):
            raise self.error(f"{what} {value!r} cannot begin with '_' (reserved by InfluxDB)", start)
        return value

    def tag_set(self) -> tuple[tuple[str, str], ...]:
        tags: dict[str, str] = {}
        text = self.text
        while self.pos < len(text) and text[self.pos] == ",":
            self.pos += 1
            start = self.pos
            key = self.name(_KEY, _UNESCAPE_KEY, "tag key")
            if self.pos == len(text) or text[self.pos] != "=":
                raise self.error(f"missing '=' after tag key {key!r}")
            self.pos += 1
            match = _KEY.match(text, self.pos)
            if match is None:
                if self.pos < len(text) and text[self.pos] == "=":
                    raise self.error(f"invalid character '=' in value of tag {key!r} (escape it as \\=)")
                if self.pos < len(text) and text[self.pos] not in " ,":
                    raise self.error(f"invalid character {text[self.pos]!r} in value of tag {key!r}")
                raise self.error(f"missing value of tag {key!r} (tag values cannot be empty)")
            self.pos = match.end()
            if self.pos < len(text) and text[self.pos] == "=":
                raise self.error(f"invalid character '=' in value of tag {key!r} (escape it as \\=)")
            if key in tags:
                raise self.error(f"duplicate tag key {key!r}", start)
            tags[key] = _UNESCAPE_KEY.sub(r"\1", match.group())
        return tuple(sorted(tags.items()))

    def field_set(self) -> tuple[tuple[str, FluxType, object], ...]:
        fields: dict[str, tuple[FluxType, object]] = {}
        text = self.text
        while True:
            key = self.name(_KEY, _UNESCAPE_KEY, "field key")
            if self.pos == len(text) or text[self.pos] != "=":
                raise self.error(f"missing '=' after field key {key!r}")
            self.pos += 1
            fields.pop(key, None)  # a repeated key keeps its last value, in its last place
            fields[key] = self.field_value(key)
            if self.pos < len(text) and text[self.pos] == ",":
                self.pos += 1
                continue
            if self.pos < len(text) and text[self.pos] != " ":
                raise self.error(f"invalid character {text[self.pos]!r} after value of field {key!r}")
            return tuple((k, t, v) for k, (t, v) in fields.items())

    def field_value(self, key: str) -> tuple[FluxType, object]:
        text = self.text
        start = self.pos
        if start == len(text) or text[start] in " ,":
            raise self.error(f"missing value of field {key!r}")
        if text[start] == '"':
            body = _STRING_BODY.match(text, start + 1)
            end = body.end()
            if end >= len(text) or text[end] != '"':
                raise self.error(f"unterminated string value of field {key!r}", start)
            self.pos = end + 1
            return FluxType.STRING, _UNESCAPE_STRING.sub(r"\1", body.group())
        raw = _PLAIN_VALUE.match(text, start).group()
        self.pos = start + len(raw)
        if raw in TRUE_SPELLINGS:
            return FluxType.BOOL, True
        if raw in FALSE_SPELLINGS:
            return FluxType.BOOL, False
        if _INT.fullmatch(raw):
            value = int(raw[:-1])
            if not INT_MIN <= value <= INT_MAX:
                raise self.error(f"integer value of field {key!r} out of range: {raw}", start)
            return FluxType.INT, value
        if _UINT.fullmatch(raw):
            value = int(raw[:-1])
            if value > UINT_MAX:
                raise self.error(f"unsigned value of field {key!r} out of range: {raw}", start)
            return FluxType.UINT, value
        if _FLOAT.fullmatch(raw):
            value = float(raw)
            if math.isinf(value):
                raise self.error(f"float value of field {key!r} out of range: {raw}", start)
            return FluxType.FLOAT, value
        raise self.error(f"invalid value of field {key!r}: {raw!r}", start)

    def timestamp(self) -> int:
        text = self.text
        self.skip_spaces()
        if self.pos == len(text):
            return self.now - self.now % self.unit
        start = self.pos
        match = _TIME.match(text, start)
        end = match.end() if match else start
        if match is None or (end < len(text) and text[end] != " "):
            raw = text[start:].split(" ", 1)[0]
            raise self.error(f"invalid timestamp {raw!r}", start)
        self.pos = end
        self.skip_spaces()
        if self.pos != len(text):
            raise self.error(f"unexpected text after timestamp: {text[self.pos:]!r}")
        value = int(match.group()) * self.unit
        if not MIN_TIME_NS <= value <= MAX_TIME_NS:
            raise self.error(f"timestamp out of range: {match.group()}", start)
        return value
