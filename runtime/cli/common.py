"""Helpers shared by the commands: reading sources, reporting errors, exiting."""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from transpile.errors import FluxError, Span


def read_source(path: str) -> tuple[str, str]:
    """(text, display name) of a script given as a path or `-` for standard input."""
    try:
        return load_source(path)
    except FluxError as error:  # FILE[:LINE:COL]: message, as for any error in the script
        report(error, "<stdin>" if path == "-" else path)
        raise typer.Exit(1)


def load_source(path: str) -> tuple[str, str]:
    """Like read_source, but raise FluxError (with the position of the first byte that is
    not UTF-8, when that is the problem) instead of exiting."""
    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:  # a text stream standing in for stdin (tests)
                return sys.stdin.read(), name
            data = stream.read()
        else:
            data = Path(path).read_bytes()
    except OSError as exc:
        raise FluxError(exc.strerror or str(exc)) from None
    try:
        return data.decode("utf-8"), name
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        span = Span(line, column, line, column + 1)
        raise FluxError(f"not a UTF-8 text file (byte 0x{data[exc.start]:02x})", span) from None


# A DuckDB database file starts with an 8-byte checksum, then these magic bytes.
DUCKDB_MAGIC = b"DUCK"


def check_database_file(path: str | None) -> None:
    """Exit with one line when `path` exists but is not a DuckDB database file. DuckDB would
    attach an existing CSV, JSON or Parquet file as an empty in-memory database, so a write
    would report success and keep nothing. A missing file is fine: it is created."""
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        fail(f"{path}: cannot open database: it is a directory")
    try:
        with open(target, "rb") as stream:
            header = stream.read(12)
    except FileNotFoundError:
        return
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")
    if header[8:12] != DUCKDB_MAGIC:
        fail(f"{path}: cannot open database: not a DuckDB database file" + (" (it is empty)" if not header else ""))


def fail(message: str, code: int = 1) -> "typer.Exit":
    """Print one line to stderr and exit with `code`."""
    typer.echo(f"error: {message}" if not message.startswith("error") else message, err=True)
    raise typer.Exit(code)


def report(error: FluxError, filename: str | None, source: str | None = None) -> None:
    """Print a Flux error as `FILE:LINE:COL: message`, then the source line with a caret."""
    typer.echo(error.format(filename), err=True)
    if source is not None and error.span is not None:
        # Flux counts lines at "\n" only (str.splitlines would also split at \f, \v, ...).
        lines = source.split("\n")
        if 0 < error.span.line <= len(lines):
            line = lines[error.span.line - 1].rstrip("\r")
            # One column per character, so the caret lines up: tabs and control characters
            # become one space each.
            shown = "".join(c if c.isprintable() else " " for c in line)
            typer.echo("    " + shown, err=True)
            typer.echo("    " + " " * (error.span.column - 1) + "^", err=True)
