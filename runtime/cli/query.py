"""`flux2sql transpile` and `flux2sql query`: show the SQL of a Flux script, or run it."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from .common import check_database_file, fail, read_source, report

FORMATS = ("csv", "table", "json")

# Flux's own message for a script without a result (an empty script, only assignments).
NO_RESULTS = (
    "this Flux script returns no streaming data; add a yield() or end a statement "
    "with a stream instead of assigning it"
)


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
        compiled = transpile.compile(source, now=now, filename=name, catalog=catalog)
        if not compiled.results:
            raise FluxError(NO_RESULTS)
        return compiled
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
    catalog = None
    if db is not None:
        from runtime.execute import ConnectionCatalog

        con = _open(db)
        catalog = ConnectionCatalog(con)
    try:
        compiled = _compile(source, name, _now(now), catalog)
    finally:
        if catalog is not None:
            con.close()
    typer.echo(compiled.sql(), nl=False)


def query_cmd(
    file: str = typer.Argument(..., help="Flux script ('-' for standard input)."),
    db: Optional[str] = typer.Option(None, "--db", help="DuckDB file (default: an in-memory database)."),
    now: Optional[str] = typer.Option(None, "--now", help="RFC3339 time for now() (default: the clock)."),
    format: str = typer.Option("csv", "--format", "-f", help="Output: csv (Flux annotated CSV), table or json."),
) -> None:
    """Run a Flux script and print its results (to() writes commit with the query)."""
    if format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    source, name = read_source(file)
    now_ns = _now(now)
    import duckdb

    from runtime.execute import run_query
    from transpile.errors import FluxError

    from .runtime_errors import runtime_error

    con = _open(db)
    try:
        result = run_query(con, source, now_ns, name)
    except FluxError as error:
        report(error, name, source)
        raise typer.Exit(1)
    except duckdb.Error as exc:
        report(runtime_error(exc, source, name), name, source)
        raise typer.Exit(1)
    except RecursionError:
        fail(f"{name}: the script nests too deeply to compile")
    finally:
        con.close()
    if not result.results:
        report(FluxError(NO_RESULTS), name)
        raise typer.Exit(1)
    result.write(sys.stdout, format)


def _open(db: Optional[str]):
    """A connection to the database file (or memory), with one clear line if it is locked."""
    from runtime import storage
    from runtime.locking import lock_error_message

    check_database_file(db)
    try:
        return storage.open_connection(db)
    except Exception as exc:  # duckdb raises several kinds for a busy or bad file
        message = lock_error_message(db or ":memory:", exc) or f"cannot open {db}: {str(exc).splitlines()[0]}"
        fail(message)
