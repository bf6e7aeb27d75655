"""`flux2sql write --db PATH --bucket NAME [--precision ns|us|ms|s] [--format lp|csv] FILE|-`:
write line protocol or annotated CSV into a bucket.

Thin: it opens the input and the database, calls `runtime.ingest.write`, shows a progress bar
on stderr (when stderr is a terminal, or with --progress) and reports bad lines one per line
as `FILE:LINE[:COL]: message`. Nothing is written when a line is bad unless --skip-bad.
"""
from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Optional

import typer

from .common import check_database_file, fail

MAX_PRINTED_ERRORS = 20


def register(app: typer.Typer) -> None:
    app.command("write")(write)


def write(
    source: str = typer.Argument(..., help="Line protocol or annotated CSV file ('-' for standard input)."),
    db: str = typer.Option(..., "--db", help="DuckDB file holding the buckets (created if missing)."),
    bucket: str = typer.Option(..., "--bucket", help="Bucket to write into (created if missing)."),
    precision: str = typer.Option("ns", "--precision", help="Unit of the timestamps: ns, us, ms or s."),
    fmt: str = typer.Option("lp", "--format", help="Input format: lp (line protocol) or csv (annotated CSV)."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Write the good lines and report the bad ones."),
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress", help="Show a progress bar on stderr (default: when it is a terminal)."
    ),
) -> None:
    """Write line protocol or annotated CSV into a bucket, all or nothing."""
    from runtime import ingest
    from runtime.database import Database

    if precision not in ingest.PRECISION_NS:
        fail(f"unknown precision {precision!r} (use ns, us, ms or s)")
    if fmt not in ingest.FORMATS:
        fail(f"unknown format {fmt!r} (use lp or csv)")
    name = "<stdin>" if source == "-" else source
    if source == "-":
        stream, size = sys.stdin.buffer, None
    else:
        try:
            stream = open(source, "rb")
            size = os.fstat(stream.fileno()).st_size if Path(source).is_file() else None
        except OSError as exc:
            fail(f"{source}: {exc.strerror or exc}")
    check_database_file(db)
    try:
        database = Database(db)
    except Exception as exc:  # duckdb.IOException and friends: one line, no traceback
        from runtime.locking import lock_error_message

        fail(lock_error_message(db, exc) or f"{db}: cannot open database: {_first_line(exc)}")
    show = progress if progress is not None else sys.stderr.isatty()
    try:
        with database, _progress_bar(show, size) as advance:
            result = ingest.write(
                database.connection, bucket, stream, precision=precision, format=fmt,
                skip_bad=skip_bad, on_progress=advance,
            )
    except ingest.WriteError as exc:
        _print_errors(name, exc.errors, exc.count)
        fail(f"{exc.count} bad line{'s' if exc.count != 1 else ''}; nothing was written")
    except ValueError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"write failed: {_first_line(exc)}")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if result.skipped_count:
        _print_errors(name, result.skipped, result.skipped_count)
        typer.echo(f"skipped {result.skipped_count} bad line{'s' if result.skipped_count != 1 else ''}", err=True)
    typer.echo(
        f"wrote {result.points} point{'s' if result.points != 1 else ''} "
        f"({result.values} field value{'s' if result.values != 1 else ''}) to bucket {bucket!r}",
        err=True,
    )


def _print_errors(name: str, errors, count: int) -> None:
    for error in errors[:MAX_PRINTED_ERRORS]:
        where = f"{name}:{error.line}" + (f":{error.column}" if error.column else "")
        typer.echo(f"{where}: {error.message}", err=True)
    if count > MAX_PRINTED_ERRORS:
        typer.echo(f"... and {count - MAX_PRINTED_ERRORS} more bad lines", err=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _progress_bar(show: bool, total: int | None):
    """A context giving `advance(nbytes)`; a rich progress bar on stderr when `show`."""
    if not show:
        return nullcontext(None)
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    @contextmanager
    def bar():
        with Progress(
            "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        ) as progress:
            task = progress.add_task("writing", total=total)
            yield lambda n: progress.advance(task, n)

    return bar()
