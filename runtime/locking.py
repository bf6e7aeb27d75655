"""Opening a DuckDB file that another process may hold, with one clear line when it does.

DuckDB lets one process at a time open a file for writing, and while it does no other
process can open it at all (not even read-only). The scheduler holds its file while runs
execute; `flux2sql query`, `write` and the task commands that meet the lock must say so
in one line instead of printing DuckDB's IO error. This module owns that message and the
optional waiting; it runs no SQL.
"""
from __future__ import annotations

import os
import re
import time
from typing import Callable

import duckdb

_LOCK_PATTERN = re.compile(r"Could not set lock on file \"(?P<path>[^\"]*)\"(?:.*?\(PID (?P<pid>\d+)\))?", re.S)


class DatabaseLocked(Exception):
    """The file is held by another process. `str()` is the one-line message for users."""

    def __init__(self, message: str, pid: int | None = None):
        super().__init__(message)
        self.pid = pid


def lock_error_message(path: str, error: BaseException) -> str | None:
    """The one-line explanation when `error` is DuckDB's lock conflict on `path`, else None."""
    if not isinstance(error, duckdb.Error):
        return None
    match = _LOCK_PATTERN.search(str(error))
    if match is None:
        return None
    pid = int(match["pid"]) if match["pid"] else None
    holder = f"process {pid}" if pid is not None else "another process"
    command = _command_line(pid) if pid is not None else None
    if command:
        holder += f" ({command})"
    return (
        f"{path} is in use by {holder}: DuckDB allows one writing process per file and no reader "
        "meanwhile; retry when it is done (a scheduler holds the file only while runs execute)"
    )


def open_database(
    path: str,
    *,
    read_only: bool = False,
    wait_seconds: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> duckdb.DuckDBPyConnection:
    """A connection to the file at `path`, raising DatabaseLocked (one clear line) if another
    process holds it. For writing, the file is created if missing and gets storage's catalog.

    With `wait_seconds`, keeps trying for that long before giving up.
    """
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            return _connect(path, read_only)
        except duckdb.Error as error:
            message = lock_error_message(path, error)
            if message is None:
                raise
            if time.monotonic() >= deadline:
                match = _LOCK_PATTERN.search(str(error))
                pid = int(match["pid"]) if match and match["pid"] else None
                raise DatabaseLocked(message, pid) from None
            sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 1.0)


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    """The file attached the way runtime.storage attaches it (as `flux2sql_db`, made the
    default), so compiled SQL runs alike on every connection; read-only needs no catalog."""
    if not read_only:
        from runtime.storage import open_connection

        return open_connection(path)
    from transpile.storage_layout import DATABASE_ALIAS

    con = duckdb.connect(":memory:")
    try:
        literal = "'" + path.replace("'", "''") + "'"  # ATTACH takes no parameters
        alias = '"' + DATABASE_ALIAS.replace('"', '""') + '"'
        con.execute(f"ATTACH {literal} AS {alias} (READ_ONLY)")
        con.execute(f"USE {alias}")
    except BaseException:
        con.close()
        raise
    return con


def same_database_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new connection (own transactions) to the same database, in the same default
    catalog and schema: `con.cursor()` alone starts in DuckDB's in-memory catalog."""
    catalog, schema = con.execute("SELECT current_database(), current_schema()").fetchone()
    cursor = con.cursor()
    quoted = ".".join('"' + name.replace('"', '""') + '"' for name in (catalog, schema))
    cursor.execute(f"USE {quoted}")
    return cursor


def _command_line(pid: int) -> str | None:
    """`flux2sql scheduler --db x.duckdb` for a pid, when the system tells (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            parts = [p.decode(errors="replace") for p in handle.read().split(b"\0") if p]
    except OSError:
        return None
    if not parts:
        return None
    # `python /path/bin/flux2sql scheduler ...` -> `flux2sql scheduler ...`
    for index, part in enumerate(parts):
        if os.path.basename(part) == "flux2sql":
            parts = ["flux2sql", *parts[index + 1:]]
            break
    else:
        parts[0] = os.path.basename(parts[0])
    text = " ".join(" ".join(parts).split())  # one line, even for `python -c "..."`
    return text if len(text) <= 120 else text[:117] + "..."
