"""Reading write input in chunks that end at a line boundary, so that memory stays flat
whatever the size of the input. Owns nothing else."""
from __future__ import annotations

import io
import os
from typing import BinaryIO, Iterator

CHUNK_BYTES = 32 << 20


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
    may be a memoryview: the partial line at the end of a read is not copied but read
    again (seek back) when the stream allows it."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError):
        seekable = False
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
        rest = len(data) - cut - 1
        if not rest:
            yield data
        elif seekable:
            stream.seek(-rest, io.SEEK_CUR)
            yield memoryview(data)[: cut + 1]
        else:
            pending = data[cut + 1:]
            yield memoryview(data)[: cut + 1]
