"""Helpers shared by the commands: reading sources, reporting errors, exiting."""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from transpile.errors import FluxError


def read_source(path: str) -> tuple[str, str]:
    """(text, display name) of a script given as a path or `-` for standard input."""
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(path).read_text(encoding="utf-8"), path
    except UnicodeDecodeError:
        fail(f"{path}: not a UTF-8 text file")
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")


def fail(message: str, code: int = 1) -> "typer.Exit":
    """Print one line to stderr and exit with `code`."""
    typer.echo(f"error: {message}" if not message.startswith("error") else message, err=True)
    raise typer.Exit(code)


def report(error: FluxError, filename: str | None, source: str | None = None) -> None:
    """Print a Flux error as `FILE:LINE:COL: message`, then the source line with a caret."""
    typer.echo(error.format(filename), err=True)
    if source is not None and error.span is not None:
        lines = source.splitlines()
        if 0 < error.span.line <= len(lines):
            line = lines[error.span.line - 1]
            typer.echo("    " + line.expandtabs(1), err=True)
            typer.echo("    " + " " * (error.span.column - 1) + "^", err=True)
