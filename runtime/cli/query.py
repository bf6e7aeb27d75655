"""`flux2sql transpile` and `flux2sql query`: show the SQL of a Flux script, or run it."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from .common import fail, read_source, report

FORMATS = ("csv", "table", "json")


def register(app: typer.Typer) -> None:
    app.command("transpile")(transpile_cmd)
    app.command("query")(query_cmd)


def _now(now: Optional[str]) -> int:
    import time

    from transpile.timefmt import parse_rfc3339

    if now is None:
        return time.time_ns()
    try:
        return parse_rfc3339(now)
    except ValueError as exc:
        fail(f"--now: {exc}")


def _compile(source: str, name: str, now: int, catalog=None):
    import transpile
    from transpile.errors import FluxError

    try:
        return transpile.compile(source, now=now, filename=name, catalog=catalog)
    except FluxError as error:
        report(error, name, source)
        raise typer.Exit(1)
    except RecursionError:
        fail(f"{name}: the script nests too deeply to compile")


def transpile_cmd(
    file: str = typer.Argument(..., help="Flux script ('-' for standard input)."),
    db: Optional[str] = typer.Option(None, "--db", help="DuckDB file whose catalog tightens the SQL."),
    now: Optional[str] = typer.Option(None, "--now", help="RFC3339 time for now() (default: the clock)."),
) -> None:
    """Print the DuckDB SQL of a Flux script: one statement per result."""
    source, name = read_source(file)
    compiled = _compile(source, name, _now(now))
    typer.echo(compiled.sql(), nl=False)


def query_cmd(
    file: str = typer.Argument(..., help="Flux script ('-' for standard input)."),
    db: Optional[str] = typer.Option(None, "--db", help="DuckDB file (default: an in-memory database)."),
    now: Optional[str] = typer.Option(None, "--now", help="RFC3339 time for now() (default: the clock)."),
    format: str = typer.Option("csv", "--format", "-f", help="Output: csv (Flux annotated CSV), table or json."),
) -> None:
    """Run a Flux script and print its results."""
    if format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    source, name = read_source(file)
    import duckdb

    from runtime.execute import run_compiled

    compiled = _compile(source, name, _now(now))
    con = duckdb.connect(db or ":memory:")
    try:
        result = run_compiled(con, compiled)
    except duckdb.Error as exc:
        fail(f"{name}: the generated SQL failed: {str(exc).splitlines()[0]}")
    finally:
        con.close()
    result.write(sys.stdout, format)
