"""Running a Flux script for tests: compiled, then executed on a fresh in-memory DuckDB."""
from __future__ import annotations

import duckdb
import pytest

import transpile
from runtime.execute import run_compiled
from transpile.errors import FluxError


def execute(flux: str, now: str):
    """The script's result (`.results`: [(result name, tables)]; iterating gives every table)."""
    compiled = transpile.compile(flux, now=now)
    con = duckdb.connect()
    try:
        return run_compiled(con, compiled)
    finally:
        con.close()


def one_line_error(source: str) -> str:
    """The compile error of `source` (as file q.flux), checked to be one line with a position."""
    with pytest.raises(FluxError) as info:
        transpile.compile(source, now=0, filename="q.flux")
    text = info.value.format("q.flux")
    assert "\n" not in text
    assert text.startswith("q.flux:") and text.split(":")[1].isdigit()
    return text
