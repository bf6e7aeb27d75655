"""Compiled readers of line protocol field values, for `scanner.py`.

Owns the exact conversion of the value grammars of the InfluxDB v2 line protocol reference
(docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/): floats
`-?(digits(.digits*)?|.digits+)([eE][+-]?digits+)?`, `i` and `u` integers with their
ranges, the boolean spellings, and where a quoted string ends. Each reader says when it
cannot decide, so that the caller leaves the line (or the value) to Python.

Floats (at most 19 digits here): exact by Clinger's fast path when the digits fit in 53
bits and the power of ten is within 10^±22 (both operands are exact doubles, and IEEE
division and multiplication round correctly), else by Eisel-Lemire (Lemire, "Number
parsing at a gigabyte per second", 2021, as in Go's strconv: 128-bit products with a table
of powers of ten); the few it cannot decide, subnormals, overflows and longer decimals go to
Python's `float()`. tests/test_line_protocol.py compares them with `float()` bit for bit.
It must not touch DuckDB.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# Type codes of a field in a field-set skeleton (written after the raw key).
T_FLOAT, T_INT, T_UINT, T_BOOL, T_STRING = ord("f"), ord("i"), ord("u"), ord("b"), ord("s")

_POW10 = np.array([10.0**i for i in range(23)])  # exact doubles
# Bytes that end a plain field value ([^ ,]* in the reference, and no control byte here).
VALUE_END = np.zeros(256, np.bool_)
VALUE_END[:33] = True
VALUE_END[44] = True
VALUE_END[127] = True
_IS_DIGIT = np.zeros(256, np.bool_)
_IS_DIGIT[48:58] = True


@njit(cache=True, nogil=True, inline="always")
def is_control(c):
    return c < 32 or c == 127


def _powers_of_ten_128():
    """128-bit mantissas of 10^e, rounded down, top bit set, for e in [-348, 347] (the
    table of the Eisel-Lemire algorithm), as (low, high) uint64 arrays."""
    lows, highs = [], []
    for e in range(_EL_MIN, _EL_MAX + 1):
        if e >= 0:
            v = 10**e
            n = v.bit_length()
            v = v << (128 - n) if n <= 128 else v >> (n - 128)
        else:
            d = 10**-e
            v = (1 << (128 + d.bit_length())) // d
            n = v.bit_length()
            if n > 128:
                v >>= n - 128
        lows.append(v & 0xFFFFFFFFFFFFFFFF)
        highs.append(v >> 64)
    return np.array(lows, np.uint64), np.array(highs, np.uint64)


_EL_MIN, _EL_MAX = -348, 347
_EL_LOW, _EL_HIGH = _powers_of_ten_128()
_M32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, nogil=True, inline="always")
def _mul128(a, b):
    """(high, low) 64-bit halves of the 128-bit product a * b."""
    a_lo, a_hi = a & _M32, a >> np.uint64(32)
    b_lo, b_hi = b & _M32, b >> np.uint64(32)
    p0 = a_lo * b_lo
    p1 = a_lo * b_hi
    p2 = a_hi * b_lo
    p3 = a_hi * b_hi
    mid = (p0 >> np.uint64(32)) + (p1 & _M32) + (p2 & _M32)
    low = (p0 & _M32) | (mid << np.uint64(32))
    high = p3 + (p1 >> np.uint64(32)) + (p2 >> np.uint64(32)) + (mid >> np.uint64(32))
    return high, low


@njit(cache=True, nogil=True)
def _eisel_lemire(man, exp10, negative):
    """The float64 nearest to man * 10^exp10 as its bits, by the Eisel-Lemire algorithm
    (Lemire, "Number parsing at a gigabyte per second", 2021; as in Go's strconv):
    (True, bits), or (False, 0) when it cannot decide the rounding with certainty, for
    subnormals and for overflow (Python's float() then converts). man != 0."""
    if exp10 < _EL_MIN or exp10 > _EL_MAX:
        return False, np.int64(0)
    clz = 0
    m = man
    if m >> np.uint64(32) == np.uint64(0):
        clz += 32
        m <<= np.uint64(32)
    if m >> np.uint64(48) == np.uint64(0):
        clz += 16
        m <<= np.uint64(16)
    if m >> np.uint64(56) == np.uint64(0):
        clz += 8
        m <<= np.uint64(8)
    if m >> np.uint64(60) == np.uint64(0):
        clz += 4
        m <<= np.uint64(4)
    if m >> np.uint64(62) == np.uint64(0):
        clz += 2
        m <<= np.uint64(2)
    if m >> np.uint64(63) == np.uint64(0):
        clz += 1
        m <<= np.uint64(1)
    exp2 = np.uint64(((217706 * exp10) >> 16) + 64 + 1023 - clz)
    i = exp10 - _EL_MIN
    x_hi, x_lo = _mul128(m, _EL_HIGH[i])
    if x_hi & np.uint64(0x1FF) == np.uint64(0x1FF) and x_lo + m < m:
        y_hi, y_lo = _mul128(m, _EL_LOW[i])
        merged_hi = x_hi
        merged_lo = x_lo + y_hi
        if merged_lo < x_lo:
            merged_hi += np.uint64(1)
        if (merged_hi & np.uint64(0x1FF) == np.uint64(0x1FF) and merged_lo + np.uint64(1) == np.uint64(0)
                and y_lo + m < m):
            return False, np.int64(0)
        x_hi, x_lo = merged_hi, merged_lo
    msb = x_hi >> np.uint64(63)
    mantissa = x_hi >> (msb + np.uint64(9))
    exp2 -= np.uint64(1) ^ msb
    if x_lo == np.uint64(0) and x_hi & np.uint64(0x1FF) == np.uint64(0) and mantissa & np.uint64(3) == np.uint64(1):
        return False, np.int64(0)
    mantissa += mantissa & np.uint64(1)
    mantissa >>= np.uint64(1)
    if mantissa >> np.uint64(53) > np.uint64(0):
        mantissa >>= np.uint64(1)
        exp2 += np.uint64(1)
    if exp2 - np.uint64(1) >= np.uint64(0x7FF - 1):
        return False, np.int64(0)
    bits = (exp2 << np.uint64(52)) | (mantissa & np.uint64(0x000FFFFFFFFFFFFF))
    if negative:
        bits |= np.uint64(0x8000000000000000)
    return True, np.int64(bits)


@njit(cache=True, nogil=True, inline="always")
def parse_float(buf, p, n):
    """Line protocol's float grammar from p: -?(digits(.digits*)?|.digits+)([eE][+-]?digits+)?
    Returns (end, status, value, bits): status 0 no float, 1 `value` is exact, 3 `bits`
    are the float's (Eisel-Lemire), 2 left to Python. Clinger's fast path first: exact when
    the digits fit in 53 bits and the power of ten is within 10^±22."""
    r = p
    negative = False
    if r < n and buf[r] == 45:
        negative = True
        r += 1
    # All digits go into mant; more than 19 (leading zeros included) are left to Python.
    mant = np.uint64(0)
    start = r
    while r < n:
        d = np.uint64(buf[r]) - np.uint64(48)
        if d > np.uint64(9):
            break
        mant = mant * np.uint64(10) + d
        r += 1
    digits = r - start
    frac = 0
    if r < n and buf[r] == 46:
        r += 1
        start = r
        while r < n:
            d = np.uint64(buf[r]) - np.uint64(48)
            if d > np.uint64(9):
                break
            mant = mant * np.uint64(10) + d
            r += 1
        frac = r - start
        digits += frac
    if digits == 0:
        return r, 0, 0.0, np.int64(0)
    exp = 0
    if r < n and (buf[r] == 101 or buf[r] == 69):
        r += 1
        exp_negative = False
        if r < n and (buf[r] == 43 or buf[r] == 45):
            exp_negative = buf[r] == 45
            r += 1
        start = r
        while r < n and _IS_DIGIT[buf[r]]:
            if exp < 100000:
                exp = exp * 10 + (buf[r] - 48)
            r += 1
        if r == start:
            return r, 0, 0.0, np.int64(0)
        if exp_negative:
            exp = -exp
    if digits > 19:
        return r, 2, 0.0, np.int64(0)
    e10 = exp - frac
    if mant == np.uint64(0):
        return r, 1, (-0.0 if negative else 0.0), np.int64(0)
    if mant <= np.uint64(9007199254740992) and -22 <= e10 <= 22:
        value = np.float64(mant)
        if e10 < 0:
            value = value / _POW10[-e10]
        else:
            value = value * _POW10[e10]
        return r, 1, (-value if negative else value), np.int64(0)
    ok, bits = _eisel_lemire(mant, e10, negative)
    if ok:
        return r, 3, 0.0, bits
    return r, 2, 0.0, np.int64(0)


@njit(cache=True, nogil=True, inline="always")
def parse_integer(buf, p, n, unsigned):
    """`-?digits` then `i` (or `digits` then `u`) from p: (end after the suffix, ok, value
    as int64 bits). Values out of range (and digits beyond the 20th) are left to the
    reference parser, which words the error."""
    r = p
    negative = False
    if not unsigned and r < n and buf[r] == 45:
        negative = True
        r += 1
    start = r
    mag = np.uint64(0)
    overflow = False
    while r < n:
        d = np.uint64(buf[r]) - np.uint64(48)
        if d > np.uint64(9):
            break
        if r - start >= 19:
            # a 20th digit: only an unsigned value below 2^64 may have it
            if r - start > 19 or mag > (np.uint64(18446744073709551615) - d) // np.uint64(10):
                overflow = True
        mag = mag * np.uint64(10) + d
        r += 1
    if r == start or overflow or r >= n or buf[r] != (117 if unsigned else 105):
        return r, False, np.int64(0)
    r += 1
    if unsigned:
        return r, True, np.int64(mag)  # the bits of the uint64
    if negative:
        if mag > np.uint64(9223372036854775808):
            return r, False, np.int64(0)
        return r, True, -np.int64(mag - np.uint64(1)) - 1
    if mag > np.uint64(9223372036854775807):
        return r, False, np.int64(0)
    return r, True, np.int64(mag)


@njit(cache=True, nogil=True)
def parse_bool(buf, p, n):
    """One of t T true True TRUE f F false False FALSE from p: (end, value); end -1 when not."""
    c = buf[p]
    length = 1
    while p + length < n and not VALUE_END[buf[p + length]]:
        length += 1
        if length > 5:
            return -1, 0
    if length == 1:
        if c == 116 or c == 84:
            return p + 1, 1
        if c == 102 or c == 70:
            return p + 1, 0
        return -1, 0
    if length == 4:
        a, b, d = buf[p + 1], buf[p + 2], buf[p + 3]
        if (c == 116 or c == 84) and a == 114 and b == 117 and d == 101:
            return p + 4, 1
        if c == 84 and a == 82 and b == 85 and d == 69:
            return p + 4, 1
        return -1, 0
    if length == 5:
        a, b, d, e = buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4]
        if (c == 102 or c == 70) and a == 97 and b == 108 and d == 115 and e == 101:
            return p + 5, 0
        if c == 70 and a == 65 and b == 76 and d == 83 and e == 69:
            return p + 5, 0
    return -1, 0


@njit(cache=True, nogil=True)
def string_end(buf, p, n):
    """Position of the closing quote of a string whose opening quote is at p; -1 when
    unterminated or when it holds a control byte (the reference parser judges those)."""
    q = p + 1
    while q < n:
        d = buf[q]
        if d == 34:
            return q
        if d == 92:
            if q + 1 >= n or is_control(buf[q + 1]):
                return -1
            q += 2
            continue
        if is_control(d):
            return -1
        q += 1
    return -1
