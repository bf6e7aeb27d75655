"""Interning of byte strings inside compiled code, for `scanner.py`.

Owns an open-addressing hash table of byte strings (a hash of eight bytes per step, then an
exact byte comparison: ids never depend on luck) whose arrays live in a tuple, so that
numba code can pass it around. Ids are dense from 0 in order of first appearance.
It must not touch DuckDB.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


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
    free) starts small and is regrown by `scan` (`grown`); the other arrays have room for
    the worst case but are mapped lazily."""
    offsets = np.empty(capacity_ids + 2, np.int64)  # empty, not zeros: a memset would touch it all
    offsets[0] = 0
    return (
        np.zeros(FIRST_SLOTS, np.int32),
        np.empty(capacity_ids + 1, np.uint64),
        offsets,
        np.empty(max(pool_bytes, 1), np.uint8),
        np.zeros(2, np.int64),
    )


FIRST_SLOTS = 4096
LINE_MARGIN = 64  # new ids a line may add before `scan` regrows (else the line goes careful)


@njit(cache=True, nogil=True)
def grown(slots, hashes, state):
    """`slots`, four times larger when fewer than half would stay free after a line."""
    count = state[0]
    if (count + LINE_MARGIN) * 2 <= slots.size:
        return slots
    size = slots.size * 4
    while (count + LINE_MARGIN) * 2 > size:
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
def lookup(slots, hashes, offsets, pool, state, src, start, end):
    """The id of src[start:end], or -1 when it is not in the table."""
    return _probe(slots, hashes, offsets, pool, src, start, end, _hash(src, start, end))[0]


@njit(cache=True, nogil=True)
def intern(slots, hashes, offsets, pool, state, src, start, end):
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
