"""Running a Flux script for tests: compiled, then executed on a fresh in-memory DuckDB."""
from __future__ import annotations

import duckdb

import transpile
from runtime.execute import run_compiled


def execute(flux: str, now: str):
    """The script's result (`.results`: [(result name, tables)]; iterating gives every table)."""
    compiled = transpile.compile(flux, now=now)
    con = duckdb.connect()
    try:
        return run_compiled(con, compiled)
    finally:
        con.close()
