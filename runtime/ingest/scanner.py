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

Values are read by `values.py`, distinct byte strings interned by `intern.py`. Also here:
the other compiled helpers of ingest (`gather_slots`, `has_repeated_keys`,
`times_rise_per_series`), and `scan_chunk`, which sizes the output arrays and runs `scan`.

This module must not touch DuckDB or decide types of a bucket.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .intern import LINE_MARGIN, grown, intern, lookup, new_table
from .values import (
    T_BOOL, T_FLOAT, T_INT, T_STRING, T_UINT, is_control, parse_bool, parse_float, parse_integer,
    string_end, VALUE_END,
)

SKIP, FAST, CAREFUL = 0, 1, 2
SKELETON_MAX = 8192  # a longer field set is left to the reference parser

_MAX_TIME = 9_223_372_036_854_775_806  # MAX_TIME_NS of the reference parser


# Byte classes for names: ordinary, backslash, space or comma, '=', control.
_ORDINARY, _BACKSLASH, _SEPARATOR, _EQUALS, _CONTROL = 0, 1, 2, 3, 4
_CLASS = np.zeros(256, np.uint8)
_CLASS[:32] = _CONTROL
_CLASS[127] = _CONTROL
_CLASS[92] = _BACKSLASH
_CLASS[32] = _SEPARATOR
_CLASS[44] = _SEPARATOR
_CLASS[61] = _EQUALS


@njit(cache=True, nogil=True, inline="always")
def _name_end(buf, p, n, stop_at_equals):
    """End of a name (measurement, tag key or value, field key) starting at p: a run of
    ordinary bytes and escape pairs; -1 on a byte that only the reference parser may judge."""
    while p < n:
        k = _CLASS[buf[p]]
        if k == _ORDINARY:
            p += 1
        elif k == _BACKSLASH:  # a pair with any non-control byte
            if p + 1 >= n or is_control(buf[p + 1]):
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
            q, status, value, bits = parse_float(buf, p, n)
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
            q, ok, value = parse_integer(buf, p, n, code == T_UINT)
            if not ok or not _ends_value(buf, q, n):
                return -1, 0, 0
            vals[at] = value
        elif code == T_BOOL:
            q, value = parse_bool(buf, p, n)
            if q < 0:
                return -1, 0, 0
            vals[at] = value
        else:
            if buf[p] != 34:
                return -1, 0, 0
            q = string_end(buf, p, n)
            if q < 0 or not _ends_value(buf, q + 1, n):
                return -1, 0, 0
            ident = intern(t_slots, t_hashes, t_offsets, t_pool, t_state, buf, p + 1, q)
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
            q = string_end(buf, p, n)
            if q < 0:
                return -1, 0, 0, 0
            ident = intern(t_slots, t_hashes, t_offsets, t_pool, t_state, buf, p + 1, q)
            if ident < 0:
                return -1, 0, 0, 0
            vals[at] = ident
            skel[sk] = T_STRING
            p = q + 1
        else:
            q = p
            while q < n and not VALUE_END[buf[q]]:
                q += 1
            if q == p:
                return -1, 0, 0, 0
            last = buf[q - 1]
            if c == 116 or c == 84 or c == 102 or c == 70:  # t T f F
                end, value = parse_bool(buf, p, n)
                if end != q:
                    return -1, 0, 0, 0
                vals[at] = value
                skel[sk] = T_BOOL
            elif last == 105 or last == 117:  # i u
                end, ok, value = parse_integer(buf, p, n, last == 117)
                if not ok or end != q:
                    return -1, 0, 0, 0
                vals[at] = value
                skel[sk] = T_INT if last == 105 else T_UINT
            else:
                end, status, value, bits = parse_float(buf, p, n)
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
        if (s_state[0] + LINE_MARGIN) * 2 > s_slots.size:
            s_slots = grown(s_slots, s_hashes, s_state)
        if (f_state[0] + LINE_MARGIN) * 2 > f_slots.size:
            f_slots = grown(f_slots, f_hashes, f_state)
        if (t_state[0] + LINE_MARGIN) * 2 > t_slots.size:
            t_slots = grown(t_slots, t_hashes, t_state)
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
                    if q + 1 >= n or is_control(buf[q + 1]):
                        q = n
                        break
                    q += 2
                    continue
                if is_control(d):
                    q = n
                    break
                q += 1
            if q >= n:
                break
            sid = lookup(s_slots, s_hashes, s_offsets, s_pool, s_state, buf, line_start, q)
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
                sid = intern(s_slots, s_hashes, s_offsets, s_pool, s_state, buf, line_start, p)
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
                fid = intern(f_slots, f_hashes, f_offsets, f_pool, f_state, skel, 0, sk)
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
