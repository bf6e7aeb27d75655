"""Reading write input in chunks that end at a line boundary, so that memory stays flat
whatever the size of the input. Owns nothing else."""
from __future__ import annotations

import io
import mmap
import os
import stat
from typing import BinaryIO, Iterator

CHUNK_BYTES = 32 << 20
# A memory-mapped file's pages are released this many chunks behind the one being read
# (chunks are scanned ahead of the one being written, so well beyond those).
RELEASE_LAG_CHUNKS = 6


def open_input(data: "str | bytes | os.PathLike | BinaryIO") -> tuple[BinaryIO, int | None]:
    """A binary stream over `data` and its size when known. `str` and `bytes` are the
    input itself; a path-like object names a file; anything else is a binary stream."""
    if isinstance(data, str):
        raw = data.encode("utf-8")
        return io.BytesIO(raw), len(raw)
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        return io.BytesIO(raw), len(raw)
    if isinstance(data, os.PathLike):
        stream = open(data, "rb")
        return stream, os.fstat(stream.fileno()).st_size
    return data, None


def read_chunks(stream: BinaryIO, chunk_bytes: int | None = None) -> Iterator["bytes | memoryview"]:
    """Chunks of whole lines: each ends with a newline, except perhaps the last. A chunk
    may be a memoryview. A regular file is memory-mapped and an in-memory stream read in
    place, so that no chunk is copied; other streams are read."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    whole = _in_place(stream)
    if whole is not None:
        buffer, start = whole
        yield from _buffer_chunks(buffer, start, chunk_bytes)
        stream.seek(0, io.SEEK_END)  # as if read
        return
    pending = b""
    while True:
        data = stream.read(chunk_bytes)
        if not data:
            if pending:
                yield pending
            return
        if pending:
            data, pending = pending + data, b""
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data  # a line longer than a chunk: read on
            continue
        if cut + 1 == len(data):
            yield data
        else:
            pending = data[cut + 1:]
            yield memoryview(data)[: cut + 1]


def _in_place(stream: BinaryIO):
    """(buffer with rfind/find and slicing, start offset) for a regular file or a BytesIO;
    None for other streams."""
    if isinstance(stream, io.BytesIO):
        return stream.getvalue(), stream.tell()  # no copy in CPython
    try:
        fileno = stream.fileno()
        if not stat.S_ISREG(os.fstat(fileno).st_mode):
            return None
        start = stream.tell()
        size = os.fstat(fileno).st_size
        if size <= start:
            return None
        return mmap.mmap(fileno, 0, access=mmap.ACCESS_READ), start
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _buffer_chunks(buffer, start: int, chunk_bytes: int) -> Iterator[memoryview]:
    view = memoryview(buffer)
    size = len(buffer)
    pos = start
    released = 0
    while pos < size:
        if isinstance(buffer, mmap.mmap) and pos - released > RELEASE_LAG_CHUNKS * chunk_bytes:
            # Pages read long ago leave this process (they stay in the page cache, and
            # come back if read again): memory stays flat however large the file.
            upto = (pos - RELEASE_LAG_CHUNKS * chunk_bytes) // mmap.PAGESIZE * mmap.PAGESIZE
            if upto > released:
                buffer.madvise(mmap.MADV_DONTNEED, released, upto - released)
                released = upto
        end = pos + chunk_bytes
        if end >= size:
            end = size
        else:
            cut = buffer.rfind(b"\n", pos, end)
            if cut < 0:  # a line longer than a chunk
                cut = buffer.find(b"\n", end)
                if cut < 0:
                    cut = size - 1
            end = cut + 1
        yield view[pos:end]
        pos = end
