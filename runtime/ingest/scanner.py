"""The compiled byte scanner of line protocol: the fast path of ingest.

Owns one pass over a chunk of bytes (whole lines) that, for every line of the common
form, finds its series key (measurement and tags, raw), its field set (keys and value
types, raw) and its timestamp, and converts its field values, all without Python per line.
It is compiled at first use by numba (cached on disk next to this file when writable).

It accepts a strict subset of line protocol and sends every other line to the reference
parser (`line_protocol.py`), which is the authority on syntax and on error messages:
- accepted: `measurement[,tag=value...] field=value[,field=value...][ timestamp]`, one space
  between the parts, escape pairs anywhere, quoted strings with escapes, floats, `i`/`u`
  integers, all boolean spellings, an optional timestamp;
- sent on (`CAREFUL`): leading or repeated spaces, control characters (also a trailing
  carriage return), non-ASCII bytes unless the caller checked the chunk is valid UTF-8,
  empty names or values, an unescaped `=` in a tag value, integers out of range (or of
  more than 20 digits), timestamps out of range, anything else the grammar rejects.
Checks that depend only on names (a name beginning with `_`, a repeated tag or field key)
are made once per distinct series key and field set by `columnar.py`, through the
reference parser. Distinct series keys, field sets and string values are interned per
chunk (hash plus an exact byte comparison), so Python only sees the distinct ones.

Floats (at most 19 digits here): exact by Clinger's fast path when the digits fit in 53
bits and the power of ten is within 10^±22 (both operands are exact doubles, and IEEE
division and multiplication round correctly), else by Eisel-Lemire (128-bit products with
a table of powers of ten); the few it cannot decide, subnormals, overflows and longer
decimals are listed in `slow` for Python's `float()` (correctly rounded).

Also here: the other compiled helpers of ingest (`gather_slots`, `has_repeated_keys`,
`times_rise_per_series`), and `scan_chunk`, which sizes the output arrays and runs `scan`.

This module must not touch DuckDB or decide types of a bucket.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

SKIP, FAST, CAREFUL = 0, 1, 2
# Type codes of a field in a field-set skeleton (written after the raw key).
T_FLOAT, T_INT, T_UINT, T_BOOL, T_STRING = ord("f"), ord("i"), ord("u"), ord("b"), ord("s")
SKELETON_MAX = 8192  # a longer field set is left to the reference parser

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MAX_TIME = 9_223_372_036_854_775_806  # MAX_TIME_NS of the reference parser
_POW10 = np.array([10.0**i for i in range(23)])  # exact doubles


@njit(cache=True, nogil=True, inline="always")
def _ctrl(c):
    return c < 32 or c == 127


@njit(cache=True, nogil=True, inline="always")
def _hash(src, start, end):
    # Eight bytes per multiply: a serial byte-at-a-time hash costs more than the scan.
    h = _FNV_OFFSET ^ np.uint64(end - start)
    i = start
    while i + 8 <= end:
        w = (np.uint64(src[i]) | (np.uint64(src[i + 1]) << np.uint64(8))
             | (np.uint64(src[i + 2]) << np.uint64(16)) | (np.uint64(src[i + 3]) << np.uint64(24))
             | (np.uint64(src[i + 4]) << np.uint64(32)) | (np.uint64(src[i + 5]) << np.uint64(40))
             | (np.uint64(src[i + 6]) << np.uint64(48)) | (np.uint64(src[i + 7]) << np.uint64(56)))
        h = (h ^ w) * _FNV_PRIME
        h ^= h >> np.uint64(29)
        i += 8
    while i < end:
        h = (h ^ np.uint64(src[i])) * _FNV_PRIME
        i += 1
    h ^= h >> np.uint64(32)
    return h


def new_table(capacity_ids: int, pool_bytes: int):
    """(slots, hashes, offsets, pool, state): an open-addressing table of byte strings.
    state[0] = number of ids, state[1] = bytes used in the pool. `slots` (id + 1, 0 when
    free) starts small and is regrown by `scan` (`_grown`); the other arrays have room for
    the worst case but are mapped lazily."""
    offsets = np.empty(capacity_ids + 2, np.int64)  # empty, not zeros: a memset would touch it all
    offsets[0] = 0
    return (
        np.zeros(_FIRST_SLOTS, np.int32),
        np.empty(capacity_ids + 1, np.uint64),
        offsets,
        np.empty(max(pool_bytes, 1), np.uint8),
        np.zeros(2, np.int64),
    )


_FIRST_SLOTS = 4096
_LINE_MARGIN = 64  # new ids a line may add before `scan` regrows (else the line goes careful)


@njit(cache=True, nogil=True)
def _grown(slots, hashes, state):
    """`slots`, four times larger when fewer than half would stay free after a line."""
    count = state[0]
    if (count + _LINE_MARGIN) * 2 <= slots.size:
        return slots
    size = slots.size * 4
    while (count + _LINE_MARGIN) * 2 > size:
        size *= 4
    new = np.zeros(size, np.int32)
    mask = size - 1
    for ident in range(count):
        i = np.int64(hashes[ident] & np.uint64(mask))
        while new[i] != 0:
            i = (i + 1) & mask
        new[i] = ident + 1
    return new


@njit(cache=True, nogil=True, inline="always")
def _probe(slots, hashes, offsets, pool, src, start, end, h):
    """(id of src[start:end] or -1, the slot where the probe stopped)."""
    mask = slots.size - 1
    i = np.int64(h & np.uint64(mask))
    length = end - start
    while True:
        ident = slots[i] - 1
        if ident < 0:
            return -1, i
        if hashes[ident] == h:
            o = offsets[ident]
            if offsets[ident + 1] - o == length:
                same = True
                for k in range(length):
                    if pool[o + k] != src[start + k]:
                        same = False
                        break
                if same:
                    return ident, i
        i = (i + 1) & mask


@njit(cache=True, nogil=True)
def _lookup(slots, hashes, offsets, pool, state, src, start, end):
    """The id of src[start:end], or -1 when it is not in the table."""
    return _probe(slots, hashes, offsets, pool, src, start, end, _hash(src, start, end))[0]


@njit(cache=True, nogil=True)
def _intern(slots, hashes, offsets, pool, state, src, start, end):
    """The id of src[start:end], added when new; -1 when the table is full."""
    h = _hash(src, start, end)
    ident, i = _probe(slots, hashes, offsets, pool, src, start, end, h)
    if ident >= 0:
        return ident
    length = end - start
    count = state[0]
    used = state[1]
    if count >= hashes.size or used + length > pool.size or (count + 1) * 4 > slots.size * 3:
        return -1
    for k in range(length):
        pool[used + k] = src[start + k]
    hashes[count] = h
    offsets[count + 1] = used + length
    slots[i] = count + 1
    state[0] = count + 1
    state[1] = used + length
    return count


# Byte classes for names: ordinary, backslash, space or comma, '=', control.
_ORDINARY, _BACKSLASH, _SEPARATOR, _EQUALS, _CONTROL = 0, 1, 2, 3, 4
_CLASS = np.zeros(256, np.uint8)
_CLASS[:32] = _CONTROL
_CLASS[127] = _CONTROL
_CLASS[92] = _BACKSLASH
_CLASS[32] = _SEPARATOR
_CLASS[44] = _SEPARATOR
_CLASS[61] = _EQUALS
# Bytes that end a plain field value ([^ ,]* in the reference, and no control byte here).
_VALUE_END = np.zeros(256, np.bool_)
_VALUE_END[:33] = True
_VALUE_END[44] = True
_VALUE_END[127] = True
_IS_DIGIT = np.zeros(256, np.bool_)
_IS_DIGIT[48:58] = True


@njit(cache=True, nogil=True, inline="always")
def _name_end(buf, p, n, stop_at_equals):
    """End of a name (measurement, tag key or value, field key) starting at p: a run of
    ordinary bytes and escape pairs; -1 on a byte that only the reference parser may judge."""
    while p < n:
        k = _CLASS[buf[p]]
        if k == _ORDINARY:
            p += 1
        elif k == _BACKSLASH:  # a pair with any non-control byte
            if p + 1 >= n or _ctrl(buf[p + 1]):
                return -1
            p += 2
        elif k == _EQUALS and not stop_at_equals:
            p += 1
        else:
            return p  # the caller checks what follows
    return p


@njit(cache=True, nogil=True, inline="always")
def _ends_value(buf, q, n):
    """Whether a field value may end at q (the reference reads [^ ,]* and checks after)."""
    return q >= n or buf[q] == 44 or buf[q] == 32 or buf[q] == 10


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
def _parse_float(buf, p, n):
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
def _parse_integer(buf, p, n, unsigned):
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
def _parse_bool(buf, p, n):
    """One of t T true True TRUE f F false False FALSE from p: (end, value); end -1 when not."""
    c = buf[p]
    length = 1
    while p + length < n and not _VALUE_END[buf[p + length]]:
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
def _string_end(buf, p, n):
    """Position of the closing quote of a string whose opening quote is at p; -1 when
    unterminated or when it holds a control byte (the reference parser judges those)."""
    q = p + 1
    while q < n:
        d = buf[q]
        if d == 34:
            return q
        if d == 92:
            if q + 1 >= n or _ctrl(buf[q + 1]):
                return -1
            q += 2
            continue
        if _ctrl(d):
            return -1
        q += 1
    return -1


@njit(cache=True, nogil=True, inline="always")
def _expected_fields(buf, p, n, pool, e0, e1, vals, fvals, slot, slow, n_slow, li, string_tab):
    """Read a field set from p against the field set pool[e0:e1] (keys compared byte by
    byte, values parsed by their expected type). Returns (end, slots used, slow floats
    added), end -1 when the line differs in any way (the general path then reads it)."""
    t_slots, t_hashes, t_offsets, t_pool, t_state = string_tab
    e = e0
    used = 0
    added = 0
    while e < e1:
        # the key: pool bytes up to the type code that precedes the 0 separator
        while pool[e + 1] != 0:
            if p >= n or buf[p] != pool[e]:
                return -1, 0, 0
            p += 1
            e += 1
        if p >= n or buf[p] != 61:
            return -1, 0, 0
        p += 1
        if p >= n:
            return -1, 0, 0
        code = pool[e]
        e += 2
        at = slot + used
        if code == T_FLOAT:
            q, status, value, bits = _parse_float(buf, p, n)
            if status == 0 or not _ends_value(buf, q, n):
                return -1, 0, 0
            if status == 1:
                fvals[at] = value
            elif status == 3:
                vals[at] = bits
            else:
                if n_slow + added >= slow.shape[0]:
                    return -1, 0, 0
                k = n_slow + added
                slow[k, 0] = at
                slow[k, 1] = p
                slow[k, 2] = q
                slow[k, 3] = li
                vals[at] = 0
                added += 1
        elif code == T_INT or code == T_UINT:
            q, ok, value = _parse_integer(buf, p, n, code == T_UINT)
            if not ok or not _ends_value(buf, q, n):
                return -1, 0, 0
            vals[at] = value
        elif code == T_BOOL:
            q, value = _parse_bool(buf, p, n)
            if q < 0:
                return -1, 0, 0
            vals[at] = value
        else:
            if buf[p] != 34:
                return -1, 0, 0
            q = _string_end(buf, p, n)
            if q < 0 or not _ends_value(buf, q + 1, n):
                return -1, 0, 0
            ident = _intern(t_slots, t_hashes, t_offsets, t_pool, t_state, buf, p + 1, q)
            if ident < 0:
                return -1, 0, 0
            vals[at] = ident
            q += 1
        used += 1
        p = q
        if e < e1:
            if p >= n or buf[p] != 44:
                return -1, 0, 0
            p += 1
    if p < n and buf[p] == 44:
        return -1, 0, 0  # more fields than expected
    return p, used, added


@njit(cache=True, nogil=True)
def _general_fields(buf, p, n, skel, vals, fvals, slot, slow, n_slow, li, string_tab):
    """Read a field set from p, writing its skeleton (raw key, type code, 0 per field).
    Returns (end, skeleton length, slots used, slow floats added); end -1 when the line is
    for the reference parser."""
    t_slots, t_hashes, t_offsets, t_pool, t_state = string_tab
    sk = 0
    used = 0
    added = 0
    while True:
        k = _name_end(buf, p, n, True)
        if k <= p or k >= n or buf[k] != 61:
            return -1, 0, 0, 0
        if sk + (k - p) + 2 > skel.size:
            return -1, 0, 0, 0
        for q in range(p, k):
            skel[sk] = buf[q]
            sk += 1
        p = k + 1
        if p >= n:
            return -1, 0, 0, 0
        at = slot + used
        c = buf[p]
        if c == 34:  # a quoted string
            q = _string_end(buf, p, n)
            if q < 0:
                return -1, 0, 0, 0
            ident = _intern(t_slots, t_hashes, t_offsets, t_pool, t_state, buf, p + 1, q)
            if ident < 0:
                return -1, 0, 0, 0
            vals[at] = ident
            skel[sk] = T_STRING
            p = q + 1
        else:
            q = p
            while q < n and not _VALUE_END[buf[q]]:
                q += 1
            if q == p:
                return -1, 0, 0, 0
            last = buf[q - 1]
            if c == 116 or c == 84 or c == 102 or c == 70:  # t T f F
                end, value = _parse_bool(buf, p, n)
                if end != q:
                    return -1, 0, 0, 0
                vals[at] = value
                skel[sk] = T_BOOL
            elif last == 105 or last == 117:  # i u
                end, ok, value = _parse_integer(buf, p, n, last == 117)
                if not ok or end != q:
                    return -1, 0, 0, 0
                vals[at] = value
                skel[sk] = T_INT if last == 105 else T_UINT
            else:
                end, status, value, bits = _parse_float(buf, p, n)
                if status == 0 or end != q:
                    return -1, 0, 0, 0
                if status == 1:
                    fvals[at] = value
                elif status == 3:
                    vals[at] = bits
                else:
                    if n_slow + added >= slow.shape[0]:
                        return -1, 0, 0, 0
                    j = n_slow + added
                    slow[j, 0] = at
                    slow[j, 1] = p
                    slow[j, 2] = q
                    slow[j, 3] = li
                    vals[at] = 0
                    added += 1
                skel[sk] = T_FLOAT
            p = q
        sk += 1
        skel[sk] = 0  # separator (no control byte is in a key)
        sk += 1
        used += 1
        if p < n and buf[p] == 44:
            p += 1
            continue
        return p, sk, used, added


@njit(cache=True, nogil=True)
def scan(buf, check_ascii, unit, now, kinds, starts, series, fieldsets, times, vstart, vals, fvals,
         series_tab, fieldset_tab, string_tab, slow):
    """Scan `buf` (whole lines). Per line i: kinds[i] (SKIP, FAST, CAREFUL), starts[i] (its
    first byte); for FAST lines series[i] and fieldsets[i] (ids in the tables), times[i]
    (ns), vstart[i] (first value slot). vals[slot] holds the value: int64, uint64 bits, 0/1
    or a string id; `fvals` is the same buffer seen as float64, for floats. `check_ascii`:
    send lines with non-ASCII bytes on (when the chunk is not valid UTF-8). `slow`
    receives (slot, start, end, line) of floats for Python to convert.
    Returns (number of lines, number of slow floats)."""
    n = buf.size
    s_slots, s_hashes, s_offsets, s_pool, s_state = series_tab
    f_slots, f_hashes, f_offsets, f_pool, f_state = fieldset_tab
    skel = np.empty(SKELETON_MAX, np.uint8)
    series_fs = np.zeros(s_hashes.size, np.int32)  # field set id + 1 of each series' last line
    max_mag = np.uint64(_MAX_TIME // unit)
    pos = 0
    li = 0
    slot = 0
    n_slow = 0
    t_slots, t_hashes, t_offsets, t_pool, t_state = string_tab
    while pos < n:
        if (s_state[0] + _LINE_MARGIN) * 2 > s_slots.size:
            s_slots = _grown(s_slots, s_hashes, s_state)
        if (f_state[0] + _LINE_MARGIN) * 2 > f_slots.size:
            f_slots = _grown(f_slots, f_hashes, f_state)
        if (t_state[0] + _LINE_MARGIN) * 2 > t_slots.size:
            t_slots = _grown(t_slots, t_hashes, t_state)
            string_tab = (t_slots, t_hashes, t_offsets, t_pool, t_state)
        line_start = pos
        kind = CAREFUL
        p = pos
        while True:  # one pass; `break` leaves with kind CAREFUL unless set
            c = buf[p]
            if c == 10 or c == 35:  # blank line, '#' comment
                kind = SKIP
                break
            # -- measurement and tags: the series key, up to the first unescaped space.
            # A series key seen before in this chunk is known to be valid: only a new
            # one is read element by element.
            q = p
            while q < n:
                d = buf[q]
                if d == 32:
                    break
                if d == 92:
                    if q + 1 >= n or _ctrl(buf[q + 1]):
                        q = n
                        break
                    q += 2
                    continue
                if _ctrl(d):
                    q = n
                    break
                q += 1
            if q >= n:
                break
            sid = _lookup(s_slots, s_hashes, s_offsets, s_pool, s_state, buf, line_start, q)
            if sid < 0:
                e = _name_end(buf, p, n, False)
                if e <= p or buf[p] == 44 or buf[p] == 32:
                    break
                p = e
                ok = True
                while p < n and buf[p] == 44:
                    k = _name_end(buf, p + 1, n, True)
                    if k <= p + 1 or k >= n or buf[k] != 61:
                        ok = False
                        break
                    v = _name_end(buf, k + 1, n, True)
                    if v <= k + 1:
                        ok = False
                        break
                    p = v
                if not ok or p != q:
                    break
                sid = _intern(s_slots, s_hashes, s_offsets, s_pool, s_state, buf, line_start, p)
                if sid < 0:
                    break
            p = q + 1
            # -- field set: first as this series' previous line had it (nearly always)
            fid = series_fs[sid] - 1
            end = -1
            if fid >= 0:
                end, used, added = _expected_fields(
                    buf, p, n, f_pool, f_offsets[fid], f_offsets[fid + 1], vals, fvals, slot,
                    slow, n_slow, li, string_tab)
            if end < 0:
                end, sk, used, added = _general_fields(
                    buf, p, n, skel, vals, fvals, slot, slow, n_slow, li, string_tab)
                if end < 0:
                    break
                fid = _intern(f_slots, f_hashes, f_offsets, f_pool, f_state, skel, 0, sk)
                if fid < 0:
                    break
            p = end
            # -- timestamp
            if p < n and buf[p] == 32:
                r = p + 1
                negative = False
                if r < n and buf[r] == 45:
                    negative = True
                    r += 1
                mag = np.uint64(0)
                start_digits = r
                while r < n:
                    d = np.uint64(buf[r]) - np.uint64(48)
                    if d > np.uint64(9):
                        break
                    mag = mag * np.uint64(10) + d
                    r += 1
                if r == start_digits or r - start_digits > 19 or mag > max_mag:
                    break
                if r < n and buf[r] != 10 and not (buf[r] == 13 and (r + 1 == n or buf[r + 1] == 10)):
                    break
                t = np.int64(mag) * unit
                times[li] = -t if negative else t
                p = r
            elif p >= n or buf[p] == 10 or (buf[p] == 13 and (p + 1 == n or buf[p + 1] == 10)):
                times[li] = now
            else:
                break
            if p < n and buf[p] == 13:
                p += 1  # a Windows line end (the reference parser drops the carriage return)
            if check_ascii:
                ascii = True
                for q in range(line_start, p):
                    if buf[q] >= 128:
                        ascii = False
                if not ascii:
                    break
            series_fs[sid] = fid + 1
            series[li] = sid
            fieldsets[li] = fid
            vstart[li] = slot
            slot += used
            n_slow += added
            kind = FAST
            pos = p
            break
        if kind != FAST:
            p = pos
            while p < n and buf[p] != 10:
                p += 1
            pos = p
        kinds[li] = kind
        starts[li] = line_start
        li += 1
        pos += 1  # the newline
    return li, n_slow


@njit(cache=True, nogil=True)
def _count_separators(buf):
    """(newlines, '=' bytes, non-ASCII bytes): exact sizes for the output arrays (fresh
    pages cost), and whether UTF-8 must be checked."""
    newlines = 0
    equals = 0
    high = 0
    for i in range(buf.size):
        c = buf[i]
        newlines += c == 10
        equals += c == 61
        high += c >= 128
    return newlines, equals, high


@dataclass
class ScanResult:
    """What `scan` found in a chunk; ids index the `*_raw` lists."""

    lines: int
    kinds: np.ndarray       # int8 per line
    starts: np.ndarray      # int64 per line: offset of its first byte
    series: np.ndarray      # int32 per line
    fieldsets: np.ndarray   # int32 per line
    times: np.ndarray       # int64 per line, ns
    vstart: np.ndarray      # int64 per line: its first value slot
    vals: np.ndarray        # int64 per slot (floats: the same bytes as float64)
    slow: np.ndarray        # (slot, start, end, line) of floats left to Python
    series_raw: list[bytes]
    fieldsets_raw: list[bytes]
    strings_raw: list[bytes]
    # (first line, first string id) of each piece: string ids are per piece
    string_bases: list[tuple[int, int]]


def _table_entries(table) -> list[bytes]:
    _, _, offsets, pool, state = table
    count = int(state[0])
    data = pool[: int(state[1])].tobytes()
    ends = offsets[: count + 1].tolist()
    return [data[ends[i]: ends[i + 1]] for i in range(count)]


def _pieces(buf: np.ndarray, count: int) -> list[tuple[int, int]]:
    """Byte ranges of up to `count` pieces of whole lines."""
    bounds = [0]
    size = buf.size
    for i in range(1, count):
        at = size * i // count
        found = np.flatnonzero(buf[at: at + (1 << 20)] == 10)
        if not len(found):
            break
        cut = at + int(found[0]) + 1
        if cut <= bounds[-1] or cut >= size:
            break
        bounds.append(cut)
    bounds.append(size)
    return list(zip(bounds, bounds[1:]))


class Workspace:
    """Output arrays kept from one chunk to the next (fresh pages cost a fault each). A
    ScanResult lives until the next `scan_chunk` with the same workspace."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, size: int, dtype) -> np.ndarray:
        found = self._arrays.get(name)
        if found is None or len(found) < size:
            found = self._arrays[name] = np.empty(size + size // 8, dtype)
        return found[:size]


def scan_chunk(data, unit: int, now: int, pool=None, pieces: int = 1, workspace: Workspace | None = None) -> ScanResult:
    """Scan `data` (bytes-like, whole lines) in `pieces` pieces run on `pool` (an
    executor; the scanner releases the GIL), writing into shared output arrays (those of
    `workspace` when given)."""
    buf = np.frombuffer(data, np.uint8)
    ranges = _pieces(buf, pieces if pool is not None else 1)
    run = (lambda f, *args: [f(*a) for a in zip(*args)]) if pool is None or len(ranges) == 1 else \
        (lambda f, *args: list(pool.map(f, *args)))
    counts = run(_count_separators, [buf[a:b] for a, b in ranges])
    line_bounds = [0]
    slot_bounds = [0]
    check_ascii = []
    for (a, b), (_, _, high) in zip(ranges, counts):
        valid = True
        if high:
            try:
                str(memoryview(buf[a:b]), "utf-8")
            except UnicodeDecodeError:
                valid = False  # lines with non-ASCII bytes go to the reference parser
        check_ascii.append(not valid)
    for i, (newlines, equals, _) in enumerate(counts):
        # Pieces but the last end with a newline; the last may have a final line without.
        line_bounds.append(line_bounds[-1] + newlines + (1 if i == len(counts) - 1 else 0))
        slot_bounds.append(slot_bounds[-1] + equals + 1)  # every field has one '='
    total_lines = line_bounds[-1]
    space = workspace if workspace is not None else Workspace()
    kinds = space.array("kinds", total_lines, np.int8)
    starts = space.array("starts", total_lines, np.int64)
    series = space.array("series", total_lines, np.int32)
    fieldsets = space.array("fieldsets", total_lines, np.int32)
    times = space.array("times", total_lines, np.int64)
    vstart = space.array("vstart", total_lines, np.int64)
    vals = space.array("vals", slot_bounds[-1], np.int64)
    fvals = vals.view(np.float64)

    def piece(i: int):
        (a, b), la, sa = ranges[i], line_bounds[i], slot_bounds[i]
        lb, sb = line_bounds[i + 1], slot_bounds[i + 1]
        slow = np.empty((sb - sa, 4), np.int64)
        tables = (new_table(lb - la, b - a), new_table(lb - la, b - a), new_table(sb - sa, b - a))
        n, n_slow = scan(buf[a:b], check_ascii[i], unit, now, kinds[la:lb], starts[la:lb], series[la:lb],
                         fieldsets[la:lb], times[la:lb], vstart[la:lb], vals[sa:sb], fvals[sa:sb],
                         *tables, slow)
        return n, slow[:n_slow], tables

    results = run(piece, range(len(ranges)))
    slows = []
    series_raw, fieldsets_raw, strings_raw, string_bases = [], [], [], []
    line = 0
    for i, (n, slow, (series_tab, fieldset_tab, string_tab)) in enumerate(results):
        la = line_bounds[i]
        (a, _), sa = ranges[i], slot_bounds[i]
        if i:
            # Shift the piece's offsets, slots and ids into the chunk's numbering.
            starts[la: la + n] += a
            vstart[la: la + n] += sa
            series[la: la + n] += len(series_raw)
            fieldsets[la: la + n] += len(fieldsets_raw)
        slow[:, 0] += sa
        slow[:, 1:3] += a
        slow[:, 3] += line
        slows.append(slow)
        string_bases.append((line, len(strings_raw)))
        series_raw += _table_entries(series_tab)
        fieldsets_raw += _table_entries(fieldset_tab)
        strings_raw += _table_entries(string_tab)
        line += n
    end = line
    return ScanResult(
        end, kinds[:end], starts[:end], series[:end], fieldsets[:end], times[:end], vstart[:end],
        vals, np.concatenate(slows) if len(slows) > 1 else slows[0], series_raw, fieldsets_raw,
        strings_raw, string_bases,
    )


@njit(cache=True, nogil=True)
def has_repeated_keys(series, times):
    """Whether two rows share (series, time): a hash set, linear time."""
    n = series.size
    size = 1
    while size < 2 * n + 2:
        size *= 2
    mask = size - 1
    used = np.zeros(size, np.bool_)
    key_series = np.empty(size, np.int64)
    key_times = np.empty(size, np.int64)
    for r in range(n):
        s = np.int64(series[r])
        t = times[r]
        h = (np.uint64(t) * np.uint64(0x9E3779B97F4A7C15)) ^ (np.uint64(s) * np.uint64(0xC2B2AE3D27D4EB4F))
        h ^= h >> np.uint64(31)
        i = np.int64(h & np.uint64(mask))
        while used[i]:
            if key_series[i] == s and key_times[i] == t:
                return True
            i = (i + 1) & mask
        used[i] = True
        key_series[i] = s
        key_times[i] = t
    return False


@njit(cache=True, nogil=True)
def gather_slots(vals, vstart, rows, width):
    """out[j, r] = vals[vstart[rows[r]] + j]: the value columns of a group of lines that
    share a field set, each row of `out` one contiguous column."""
    out = np.empty((width, rows.size), np.int64)
    for r in range(rows.size):
        base = vstart[rows[r]]
        for j in range(width):
            out[j, r] = vals[base + j]
    return out


@njit(cache=True, nogil=True)
def times_rise_per_series(series, times):
    """Whether each series' times strictly increase in row order (then no (series, time)
    repeats). Series ids are small dense numbers."""
    if series.size == 0:
        return True
    top = series.max() + 1
    seen = np.zeros(top, np.bool_)
    last = np.empty(top, np.int64)
    for r in range(series.size):
        s = series[r]
        if seen[s] and times[r] <= last[s]:
            return False
        seen[s] = True
        last[s] = times[r]
    return True
