"""Decoding of Flux literal tokens into values: integers, floats, strings, regexes,
durations and date-times.

Owns the rules of the SPEC's "Lexical elements" that go beyond recognising a token
(https://docs.influxdata.com/flux/v0/spec/lexical-elements/), checked as libflux does:
integers are int64 without leading zeros, `\\x..` bytes in strings must form UTF-8,
date-times name real calendar days. Each function takes the token text exactly as the
scanner matched it and raises `LiteralError` with a one-line reason when the value is
invalid. Pure functions: no parsing of anything larger than one token, no AST.
"""
from __future__ import annotations

import re

from .timefmt import parse_rfc3339
from .values import MONTHS_PER_UNIT, NS_PER_UNIT, Duration

INT64_MAX = (1 << 63) - 1


class LiteralError(ValueError):
    """A token that has the shape of a literal but no valid value."""


def decode_integer(text: str) -> int:
    """`42` -> 42. Flux integer literals are int64 and cannot start with 0 (except `0`)."""
    if len(text) > 1 and text[0] == "0":
        raise LiteralError(f"invalid integer literal {text}: a nonzero integer cannot start with 0")
    value = int(text)
    if value > INT64_MAX:
        raise LiteralError(f"invalid integer literal {text}: out of range for a 64-bit integer")
    return value


def decode_float(text: str) -> float:
    """`1.5`, `1.`, `.5` -> float (`072.40` is allowed, as in the SPEC's examples)."""
    return float(text)


# `\n \r \t \\ \"`, `\${` (a literal `${`) and `\xHH` bytes (SPEC: String literals).
_STRING_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|(.)|\Z)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "$": "$"}


def decode_string_text(raw: str) -> str:
    """The value of the text between the quotes of a string literal (or of one text part
    of an interpolated string): escapes resolved, `\\x..` bytes decoded as UTF-8."""
    if "\\" not in raw:
        return raw
    if "\\x" not in raw:
        return _STRING_ESCAPE.sub(_simple_escape, raw)
    # Byte escapes may spell one UTF-8 character over several `\x..`: work in bytes.
    out = bytearray()
    pos = 0
    for match in _STRING_ESCAPE.finditer(raw):
        out += raw[pos:match.start()].encode("utf-8")
        if match.group(1) is not None:
            out.append(int(match.group(1), 16))
        else:
            out += _simple_escape(match).encode("utf-8")
        pos = match.end()
    out += raw[pos:].encode("utf-8")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LiteralError(f"invalid string literal: \\x escapes do not form UTF-8 ({exc.reason})") from None


def _simple_escape(match: re.Match) -> str:
    char = match.group(2)
    if char is None or char not in _SIMPLE_ESCAPES:
        shown = "\\" + (char or "")
        raise LiteralError(f"invalid escape sequence {shown!r} in string literal")
    return _SIMPLE_ESCAPES[char]


def decode_string_literal(token: str) -> str:
    """`"a\\tb"` (with its quotes) -> the string value."""
    return decode_string_text(token[1:-1])


def decode_regex(token: str) -> str:
    """`/a\\/b/` -> `a/b`: only `\\/` is a regex-literal escape (SPEC: Regular expression
    literals); every other backslash sequence belongs to the RE2 pattern and is kept."""
    return token[1:-1].replace("\\/", "/")


_DURATION_PART = re.compile(r"([0-9]+)(mo|ms|us|µs|ns|y|w|d|h|m|s)")


def decode_duration(text: str) -> tuple[list[tuple[int, str]], Duration]:
    """`1h30m` -> ([(1, "h"), (30, "m")], Duration). `µs` is spelled `us` in the parts.

    As in libflux, each magnitude must fit in int64 and parts are summed in the order
    written (the SPEC's "larger units first, no repeats" is not enforced by libflux).
    """
    parts: list[tuple[int, str]] = []
    for match in _DURATION_PART.finditer(text):
        magnitude = int(match.group(1))
        if magnitude > INT64_MAX:
            raise LiteralError(f"invalid duration literal {text}: magnitude {match.group(1)} is out of range")
        unit = "us" if match.group(2) == "µs" else match.group(2)
        parts.append((magnitude, unit))
    months = sum(n * MONTHS_PER_UNIT[u] for n, u in parts if u in MONTHS_PER_UNIT)
    nanos = sum(n * NS_PER_UNIT[u] for n, u in parts if u in NS_PER_UNIT)
    return parts, Duration(months, nanos)


def decode_datetime(text: str) -> int:
    """An RFC3339 date-time or a date (midnight UTC) -> nanoseconds since the Unix epoch.

    Exact integer arithmetic (transpile.timefmt); the fraction keeps up to 9 digits.
    A date-time must carry `Z` or an offset (SPEC: Date and time literals).
    """
    if "T" not in text:
        return _parse_rfc3339(text, text + "T00:00:00Z")
    if not (text.endswith("Z") or text[-6] in "+-"):
        raise LiteralError(f"invalid date-time literal {text}: missing time offset (add Z or +hh:mm)")
    if text[19:20] == "." and not text[20:21].isdigit():
        raise LiteralError(f"invalid date-time literal {text}: a '.' must be followed by digits")
    return _parse_rfc3339(text, text)


def _parse_rfc3339(literal: str, rfc3339: str) -> int:
    try:
        return parse_rfc3339(rfc3339)
    except ValueError as exc:
        message = str(exc)
        reason = message.rpartition(": ")[2] if message.endswith(("range", "day")) else "not a valid time"
        raise LiteralError(f"invalid date-time literal {literal}: {reason}") from None
