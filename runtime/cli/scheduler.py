"""`flux2sql scheduler --db F [--once] [--now T]`: run the due runs of every active task.

Thin: builds a runtime.tasks.scheduler.Scheduler, wires signals and prints one line per
run event. In the foreground it runs until SIGINT/SIGTERM (the first lets the current
runs finish, a second aborts and rolls them back); `--once` runs everything due at
`--now` and exits.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Optional

import typer

from transpile.timefmt import format_rfc3339

from .common import check_database_file, fail
from .task import _print_event, check_seconds, now_from, stop_on_signals


def register(app: typer.Typer) -> None:
    app.command("scheduler")(scheduler)


def scheduler(
    db: str = typer.Option(..., "--db", help="The DuckDB file that holds the data and the tasks."),
    once: bool = typer.Option(False, "--once", help="Run everything due at --now, then exit (for tests and cron)."),
    now: Optional[str] = typer.Option(None, "--now", help="The current time (RFC3339); without --once the clock starts there and runs on."),
    workers: int = typer.Option(4, "--workers", help="Most runs executing at the same time (each task also obeys its concurrency)."),
    retry_delay: float = typer.Option(1.0, "--retry-delay", help="Seconds before the first retry of a failed run (doubles each time)."),
    max_retry_delay: float = typer.Option(60.0, "--max-retry-delay", help="Longest wait between retries, in seconds."),
    poll: float = typer.Option(10.0, "--poll", help="Seconds between looks for new or changed tasks while idle."),
) -> None:
    """Run the tasks of a database on their schedules (foreground; stop with Ctrl-C)."""
    from runtime.locking import DatabaseLocked
    from runtime.tasks.executor import default_executor
    from runtime.tasks.runner import RetryPolicy
    from runtime.tasks.scheduler import Scheduler

    if not os.path.exists(db):
        fail(f"{db}: no such database file")
    check_database_file(db)
    if workers < 1:
        fail("--workers must be at least 1")
    check_seconds(retry_delay, "--retry-delay")
    check_seconds(max_retry_delay, "--max-retry-delay")
    check_seconds(poll, "--poll", positive=True)
    start = now_from(now)
    if once:
        clock = lambda: start  # noqa: E731 - a fixed clock
    else:
        origin = time.monotonic_ns()
        clock = (lambda: start + time.monotonic_ns() - origin) if now is not None else time.time_ns
    output = threading.Lock()

    def log(line: str) -> None:
        with output:
            typer.echo(line)

    def on_event(event) -> None:
        with output:
            _print_event(event)

    runner = Scheduler(
        db,
        executor=default_executor(),
        clock=clock,
        retry=RetryPolicy(base_delay=retry_delay, max_delay=max_retry_delay),
        workers=workers,
        poll_interval=poll,
        on_event=on_event,
        log=log,
    )
    import duckdb

    with stop_on_signals(runner.stop):
        try:
            if once:
                summary = runner.run_once()
            else:
                log(f"scheduler started on {db} at {format_rfc3339(clock())}")
                summary = runner.run_forever()
        except DatabaseLocked as locked:
            fail(str(locked))
        except duckdb.Error as error:
            # The database itself failed (disk full, I/O error): runs were rolled back.
            fail(f"{db}: database error, scheduler stopped: {str(error).splitlines()[0]}")
    if once and not summary.outcomes:
        log(f"nothing due at {format_rfc3339(start)}")
    else:
        log(
            f"{len(summary.outcomes)} run(s): {summary.succeeded} succeeded, {summary.failed} failed"
            + (f", {summary.canceled} canceled" if summary.canceled else "")
            + (f"; {summary.skipped} skipped by catch-up policies" if summary.skipped else "")
        )
