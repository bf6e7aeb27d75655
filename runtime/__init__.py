"""flux2sql's runtime: DuckDB files, ingest, execution, output, tasks and the CLI.

`runtime.Database` is the entry point (imported lazily, so that the CLI starts fast).
"""
from __future__ import annotations


def __getattr__(name: str):
    if name == "Database":
        from .database import Database

        return Database
    raise AttributeError(f"module 'runtime' has no attribute {name!r}")
