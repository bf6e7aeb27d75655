"""`runtime.Database`: a bucket store in one DuckDB file (or in memory).

Owns the connection's lifetime and the small public API around it. The work lives in
`runtime.storage` (layout, catalog) and `runtime.ingest` (writes); keep this class thin so
that `query` can join it without growing it.
"""
from __future__ import annotations

import os
from typing import BinaryIO

from transpile.storage_layout import BucketCatalog

from . import ingest, storage


class Database:
    """Buckets of time series in a DuckDB file; `path=None` is a new in-memory database."""

    def __init__(self, path: "str | os.PathLike | None" = None):
        self.path = None if path is None else os.fspath(path)
        self.connection = storage.open_connection(self.path)

    def write(
        self,
        data: "str | bytes | os.PathLike | BinaryIO",
        bucket: str,
        precision: str = "ns",
        format: str = "lp",
        *,
        now: int | None = None,
        skip_bad: bool = False,
    ) -> ingest.WriteResult:
        """Write line protocol (`format="lp"`) or annotated CSV (`"csv"`) into `bucket`.
        `data` is the text (str/bytes), a path-like object naming a file, or a binary stream.
        `now` (ns since the epoch) stamps points without a timestamp. All or nothing unless
        `skip_bad`; raises ingest.WriteError listing the bad lines."""
        return ingest.write(
            self.connection, bucket, data, precision=precision, format=format,
            now=now, skip_bad=skip_bad,
        )

    def query(self, source: str, now: "int | str | None" = None, filename: str = "<stdin>"):
        """Run a Flux script (`now`: ns since the epoch or RFC3339; default the clock).
        Returns a runtime.execute.QueryResult; its to() writes are committed."""
        import time

        from transpile.timefmt import parse_rfc3339

        from .execute import run_query

        now_ns = time.time_ns() if now is None else parse_rfc3339(now) if isinstance(now, str) else now
        return run_query(self.connection, source, now_ns, filename)

    def buckets(self) -> list[str]:
        """The names of the buckets, sorted."""
        return storage.list_buckets(self.connection)

    def catalog(self, bucket: str) -> BucketCatalog:
        """Measurements of `bucket` with their tag keys and typed fields (empty if none)."""
        found = storage.load_catalog(self.connection, bucket)
        return found if found is not None else BucketCatalog(bucket, "", {})

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
