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


def read_chunks(stream: BinaryIO, chunk_bytes: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(number of the chunk's first line, chunk) pairs; each chunk holds whole lines and
    ends with a newline, except perhaps the last."""
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    line = 1
    pending = b""
    while True:
        data = stream.read(chunk_bytes)
        if not data:
            if pending:
                yield line, pending
            return
        pending += data
        cut = pending.rfind(b"\n")
        if cut < 0:
            continue  # a line longer than a chunk: read on
        chunk, pending = pending[: cut + 1], pending[cut + 1 :]
        yield line, chunk
        line += chunk.count(b"\n")
