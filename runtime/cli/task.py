"""`flux2sql task ...`: create, update, list, show, run, runs, logs, backfill, enable, disable, delete.

Thin: parses arguments, calls runtime.tasks, prints. Every command that depends on the
clock takes `--now` (RFC3339) so a whole lifecycle can be driven by a fixed clock.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from contextlib import contextmanager
from typing import Iterator, Optional

import typer

from transpile.errors import FluxError
from transpile.timefmt import format_rfc3339, parse_rfc3339

from .common import check_database_file, fail, read_source, report

task_app = typer.Typer(
    help="Manage and run Flux tasks stored in a DuckDB file (see docs/tasks.md).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DB_OPTION = typer.Option(..., "--db", help="The DuckDB file that holds the data and the tasks.")
NOW_HELP = "The current time (RFC3339) instead of the system clock."
CATCH_UP_HELP = "After downtime: all (default, bounded by --max-catch-up), latest, or skip (InfluxDB's behaviour)."


def register(app: typer.Typer) -> None:
    app.add_typer(task_app, name="task")


# ---------------------------------------------------------------- shared helpers


def parse_time_option(text: Optional[str], option: str) -> Optional[int]:
    """An RFC3339 option value as ns since the epoch, or a one-line error naming the option."""
    if text is None:
        return None
    try:
        return parse_rfc3339(text.strip())
    except ValueError as error:
        fail(f"{option}: {error} (expected RFC3339, e.g. 2024-01-01T00:00:00Z)")


def now_from(text: Optional[str]) -> int:
    value = parse_time_option(text, "--now")
    return value if value is not None else time.time_ns()


@contextmanager
def open_db(path: str, *, write: bool, create: bool = False) -> Iterator:
    """The database, held for the command; one clear line when missing or locked."""
    from runtime.locking import DatabaseLocked, open_database

    if not create and not os.path.exists(path):
        fail(f"{path}: no such database file")
    check_database_file(path)
    try:
        con = open_database(path, read_only=not write)
    except DatabaseLocked as locked:
        fail(str(locked))
    except Exception as error:  # noqa: BLE001 - e.g. not a DuckDB file: one line, no traceback
        fail(f"{path}: cannot open: {str(error).splitlines()[0]}")
    try:
        yield con
    finally:
        con.close()


@contextmanager
def task_errors(filename: Optional[str] = None, source: Optional[str] = None) -> Iterator[None]:
    """Turn the task library's user errors into one line on stderr and exit 1."""
    from runtime.tasks.executor import ExecutorUnavailable
    from runtime.tasks.lifecycle import TaskError
    from runtime.tasks.schedule import CronError

    try:
        yield
    except FluxError as error:
        report(error, filename, source)
        raise typer.Exit(1)
    except (TaskError, CronError, ExecutorUnavailable) as error:
        fail(str(error))


def _catch_up(value: Optional[str]):
    from runtime.tasks.catchup import CatchUp

    if value is None:
        return None
    try:
        return CatchUp(value.lower())
    except ValueError:
        fail(f"--catch-up: {value!r} is not one of all, latest, skip")


def check_seconds(value: float, option: str, *, positive: bool = False) -> float:
    """A finite number of seconds (> 0 with `positive`, else >= 0), or one line and exit."""
    import math

    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        fail(f"{option} must be a {'positive' if positive else 'non-negative'} number of seconds, got {value}")
    return value


def _context(retry_delay: float, max_retry_delay: float, on_event=None):
    from runtime.tasks.executor import default_executor
    from runtime.tasks.runner import RetryPolicy, RunContext

    check_seconds(retry_delay, "--retry-delay")
    check_seconds(max_retry_delay, "--max-retry-delay")

    context = RunContext(executor=default_executor(), retry=RetryPolicy(base_delay=retry_delay, max_delay=max_retry_delay))
    if on_event is not None:
        context.on_event = on_event
    return context


@contextmanager
def stop_on_signals(stop) -> Iterator[None]:
    """SIGINT/SIGTERM: first = stop after the current run; second = abort it (the runner
    interrupts its SQL, rolls it back and records it canceled)."""
    received = []

    def handle(signum, frame):
        received.append(signum)
        abort = len(received) > 1
        stop(abort)
        if abort:
            typer.echo("aborting: the current run is rolled back", err=True)
        else:
            typer.echo("stopping after the current run (send the signal again to abort it)", err=True)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _time(ns: Optional[int]) -> Optional[str]:
    return format_rfc3339(ns) if ns is not None else None


def _first_line(text: Optional[str]) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else ""


def _print_event(event) -> None:
    """One line per run event (also used by the scheduler)."""
    from .runtime_errors import clean_text

    request = event.request
    head = f"{request.task.name}: run {event.run_id} scheduled for {format_rfc3339(request.scheduled_for)}"
    attempts = f"attempt {event.attempt} of {request.max_attempts}"
    if event.kind == "started":
        line = f"{head}: started ({request.trigger}, {attempts})"
    elif event.kind == "succeeded":
        line = f"{head}: success, {event.rows_written} rows written in {event.seconds:.3f} s"
    elif event.kind == "failed":
        line = f"{head}: failed ({attempts}): {clean_text(_first_line(event.error))}"
    elif event.kind == "retrying":
        line = f"{head}: retrying in {event.seconds:g} s ({attempts})"
    else:
        line = f"{head}: {event.kind}: {_first_line(event.error)}"
    typer.echo(line, err=event.kind == "failed")
    sys.stdout.flush()


# ---------------------------------------------------------------- create / update


def _warn_compile_problem(error: Optional[FluxError], filename: str) -> None:
    if error is not None:
        typer.echo(f"warning: {error.format(filename)} (the task is saved; its runs fail until this is fixed)", err=True)


@task_app.command("create")
def create(
    file: str = typer.Argument(..., help="The task's Flux script ('-' for standard input)."),
    db: str = DB_OPTION,
    now: Optional[str] = typer.Option(None, "--now", help=NOW_HELP),
    catch_up: Optional[str] = typer.Option(None, "--catch-up", help=CATCH_UP_HELP),
    max_catch_up: Optional[int] = typer.Option(None, "--max-catch-up", help="Most missed runs to catch up (default 1000)."),
    timezone: Optional[str] = typer.Option(None, "--timezone", help="IANA time zone for a cron schedule (default UTC)."),
    inactive: bool = typer.Option(False, "--inactive", help="Create the task disabled."),
) -> None:
    """Create a task from a Flux script with `option task = {...}`; it first runs at the first scheduled time after --now."""
    from runtime.tasks import lifecycle
    from runtime.tasks.catchup import DEFAULT_MAX_CATCH_UP, CatchUp
    from runtime.tasks.executor import default_executor

    source, name = read_source(file)
    now_ns = now_from(now)
    policy = lifecycle.TaskPolicy(
        catch_up=_catch_up(catch_up) or CatchUp.ALL,
        max_catch_up=max_catch_up if max_catch_up is not None else DEFAULT_MAX_CATCH_UP,
        timezone=timezone,
    )
    with task_errors(name, source):
        options = lifecycle.read_source_options(source, name)
    for warning in options.warnings:
        typer.echo(f"warning: {name}: {warning}", err=True)
    with open_db(db, write=True, create=True) as con, task_errors(name, source):
        lifecycle.open_for_tasks(con, now_ns)
        task = lifecycle.create_task(con, source, name, now=now_ns, policy=policy, active=not inactive)
        _warn_compile_problem(lifecycle.compile_problem(con, default_executor(), task, now_ns), name)
        first = lifecycle.task_schedule(task).next_after(now_ns)
    status = "" if task.active else " (inactive)"
    typer.echo(
        f"created task {task.name}{status}: {task.options.schedule_text}, offset {task.options.offset}; "
        f"first run scheduled for {format_rfc3339(first)}"
    )


@task_app.command("update")
def update(
    file: str = typer.Argument(..., help="The new Flux script ('-' for standard input)."),
    db: str = DB_OPTION,
    name: Optional[str] = typer.Option(None, "--name", help="The task to update (default: the name in the script; give it to rename)."),
    now: Optional[str] = typer.Option(None, "--now", help=NOW_HELP),
    catch_up: Optional[str] = typer.Option(None, "--catch-up", help=CATCH_UP_HELP),
    max_catch_up: Optional[int] = typer.Option(None, "--max-catch-up", help="Most missed runs to catch up."),
    timezone: Optional[str] = typer.Option(None, "--timezone", help="IANA time zone for a cron schedule."),
    utc: bool = typer.Option(False, "--utc", help="Drop the time zone: evaluate the cron schedule in UTC."),
) -> None:
    """Replace a task's script and settings from a file; a new schedule starts after --now."""
    from runtime.tasks import lifecycle
    from runtime.tasks.executor import default_executor

    source, filename = read_source(file)
    now_ns = now_from(now)
    keep = {} if timezone is None and not utc else {"timezone": None if utc else timezone}
    with task_errors(filename, source):
        options = lifecycle.read_source_options(source, filename)
    for warning in options.warnings:
        typer.echo(f"warning: {filename}: {warning}", err=True)
    with open_db(db, write=True) as con, task_errors(filename, source):
        lifecycle.open_for_tasks(con, now_ns)
        task = lifecycle.update_task(con, source, filename, now=now_ns, name=name, catch_up=_catch_up(catch_up),
                                     max_catch_up=max_catch_up, **keep)
        _warn_compile_problem(lifecycle.compile_problem(con, default_executor(), task, now_ns), filename)
        following = lifecycle.task_schedule(task).next_after(max(now_ns, task.settled_through))
    typer.echo(f"updated task {task.name}: {task.options.schedule_text}, offset {task.options.offset}; "
               f"next run scheduled for {format_rfc3339(following)}")


# ---------------------------------------------------------------- listing


def _task_summary(con, task, now_ns: int) -> dict:
    from runtime.tasks import lifecycle, store

    last = store.last_finished_run(con, task.id)
    next_run = lifecycle.task_schedule(task).next_after(max(now_ns - task.offset_ns, task.settled_through)) if task.active else None
    return {
        "name": task.name,
        "status": task.status,
        "every": str(task.options.every) if task.options.every is not None else None,
        "cron": task.options.cron,
        "timezone": task.timezone,
        "offset": str(task.options.offset),
        "concurrency": task.options.concurrency,
        "retry": task.options.retry,
        "catch_up": task.catch_up.value,
        "max_catch_up": task.max_catch_up,
        "created_at": _time(task.created_at),
        "updated_at": _time(task.updated_at),
        "next_scheduled_for": _time(next_run),
        "last_run": None if last is None else {
            "id": last.id, "scheduled_for": _time(last.scheduled_for), "status": last.status, "error": last.error,
        },
    }


def _table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    typer.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for row in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


@task_app.command("list")
def list_tasks(
    db: str = DB_OPTION,
    now: Optional[str] = typer.Option(None, "--now", help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the tasks with their schedule, next run and last run."""
    from runtime.tasks import store

    now_ns = now_from(now)
    with open_db(db, write=False) as con:
        tasks = store.list_tasks(con) if store.has_schema(con) else []
        summaries = [_task_summary(con, task, now_ns) for task in tasks]
    if as_json:
        typer.echo(json.dumps(summaries, indent=2))
        return
    if not summaries:
        typer.echo("no tasks")
        return
    rows = []
    for s in summaries:
        schedule = f"every {s['every']}" if s["every"] else f"cron {s['cron']}" + (f" ({s['timezone']})" if s["timezone"] else "")
        last = s["last_run"]
        rows.append([s["name"], s["status"], schedule, s["offset"], s["next_scheduled_for"] or "-",
                     f"{last['status']} {last['scheduled_for']}" if last else "-"])
    _table(["NAME", "STATUS", "SCHEDULE", "OFFSET", "NEXT RUN", "LAST RUN"], rows)


@task_app.command("show")
def show(
    name: str = typer.Argument(..., help="Task name."),
    db: str = DB_OPTION,
    now: Optional[str] = typer.Option(None, "--now", help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a task: options, policy, next scheduled runs, last run and its source."""
    from runtime.tasks import lifecycle

    now_ns = now_from(now)
    with open_db(db, write=False) as con, task_errors():
        task = lifecycle.require_task(con, name)
        summary = _task_summary(con, task, now_ns)
        upcoming = []
        if task.active:
            for point in lifecycle.task_schedule(task).forward(max(now_ns - task.offset_ns, task.settled_through)):
                upcoming.append(point)
                if len(upcoming) == 5:
                    break
    summary["upcoming"] = [_time(p) for p in upcoming]
    summary["source"] = task.source
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    for key in ("name", "status", "every", "cron", "timezone", "offset", "concurrency", "retry", "catch_up",
                "max_catch_up", "created_at", "updated_at"):
        if summary[key] is not None:
            typer.echo(f"{key + ':':14}{summary[key]}")
    last = summary["last_run"]
    if last:
        typer.echo(f"{'last run:':14}{last['id']} scheduled for {last['scheduled_for']}: {last['status']}"
                   + (f": {_first_line(last['error'])}" if last["error"] else ""))
    if upcoming:
        typer.echo(f"{'next runs:':14}" + ", ".join(summary["upcoming"]))
    typer.echo("source:")
    for line in task.source.rstrip().splitlines():
        typer.echo("    " + line)


@task_app.command("runs")
def runs(
    name: str = typer.Argument(..., help="Task name."),
    db: str = DB_OPTION,
    limit: int = typer.Option(50, "--limit", help="Most runs to show (newest first)."),
    status: Optional[str] = typer.Option(None, "--status", help="Only runs with this status."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (with the full error and SQL)."),
) -> None:
    """The run history of a task, newest first: one line per attempt."""
    from runtime.tasks import lifecycle, store

    if status is not None and status not in store.RUN_STATUSES:
        fail(f"--status: {status!r} is not one of {', '.join(store.RUN_STATUSES)}")
    if limit < 0:
        fail("--limit must be 0 or more")
    with open_db(db, write=False) as con, task_errors():
        task = lifecycle.require_task(con, name)
        records = store.list_runs(con, task.id, limit=limit, status=status)
    if as_json:
        typer.echo(json.dumps([_run_json(r) for r in records], indent=2))
        return
    if not records:
        typer.echo("no runs")
        return
    rows = []
    for r in records:
        seconds = f"{(r.finished_at - r.started_at) / 1e9:.3f}s" if r.finished_at and r.started_at else "-"
        rows.append([str(r.id), _time(r.scheduled_for), r.trigger, str(r.attempt), r.status,
                     "-" if r.rows_written is None else str(r.rows_written), seconds, _first_line(r.error)])
    _table(["ID", "SCHEDULED FOR", "TRIGGER", "ATTEMPT", "STATUS", "ROWS", "TIME", "ERROR"], rows)


def _run_json(r) -> dict:
    return {
        "id": r.id, "trigger": r.trigger, "backfill_id": r.backfill_id, "scheduled_for": _time(r.scheduled_for),
        "run_at": _time(r.run_at), "requested_at": _time(r.requested_at), "started_at": _time(r.started_at),
        "finished_at": _time(r.finished_at), "status": r.status, "attempt": r.attempt, "will_retry": r.will_retry,
        "error": r.error, "rows_written": r.rows_written, "sql": r.sql,
    }


@task_app.command("logs")
def logs(
    name: str = typer.Argument(..., help="Task name."),
    run: Optional[int] = typer.Argument(None, help="A run id (default: all the task's log lines)."),
    db: str = DB_OPTION,
    sql: bool = typer.Option(False, "--sql", help="With RUN: also print the SQL the run executed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Log lines of a task or of one run (with the real error text)."""
    from runtime.tasks import lifecycle, store

    with open_db(db, write=False) as con, task_errors():
        task = lifecycle.require_task(con, name)
        record = None
        if run is not None:
            record = store.get_run(con, run)
            if record is None or record.task_id != task.id:
                fail(f"task {task.name!r} has no run {run}")
        lines = store.list_logs(con, task.id, run)
    if as_json:
        typer.echo(json.dumps([{"run_id": l.run_id, "time": _time(l.time), "message": l.message} for l in lines], indent=2))
        return
    for line in lines:
        where = f"run {line.run_id}" if line.run_id is not None else "task"
        typer.echo(f"{_time(line.time)}  {where}  {line.message}")
    if sql and record is not None:
        typer.echo(record.sql if record.sql else "-- no SQL: the script did not compile")


# ---------------------------------------------------------------- running


@task_app.command("run")
def run(
    name: str = typer.Argument(..., help="Task name."),
    db: str = DB_OPTION,
    at: Optional[str] = typer.Option(None, "--at", help="The scheduled time to run (now() in the script); default: the latest due one."),
    retry_run: Optional[int] = typer.Option(None, "--retry", help="Run again the run with this id, at its scheduled time."),
    now: Optional[str] = typer.Option(None, "--now", help=NOW_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the SQL of the run with its times resolved; run nothing."),
    retry_delay: float = typer.Option(1.0, "--retry-delay", help="Seconds before the first retry (doubles each time)."),
    max_retry_delay: float = typer.Option(60.0, "--max-retry-delay", help="Longest wait between retries, in seconds."),
) -> None:
    """Run a task now, as of a scheduled time (a time whose run lies in the future is queued for the scheduler)."""
    from runtime.tasks import lifecycle, store
    from runtime.tasks.executor import default_executor

    now_ns = now_from(now)
    at_ns = parse_time_option(at, "--at")
    if dry_run:
        with open_db(db, write=False) as con, task_errors():
            task = lifecycle.require_task(con, name)
            if retry_run is not None:
                record = store.get_run(con, retry_run)
                if record is None or record.task_id != task.id:
                    fail(f"task {task.name!r} has no run {retry_run}")
                at_ns = record.scheduled_for
            scheduled_for = at_ns if at_ns is not None else lifecycle.default_run_time(task, now_ns)
            with task_errors(f"task {task.name}", task.source):
                text = lifecycle.dry_run(task, default_executor(), scheduled_for, con)
        typer.echo(text, nl=False)
        return
    context = _context(retry_delay, max_retry_delay, on_event=_print_event)
    with open_db(db, write=True) as con, task_errors(), stop_on_signals(lambda abort: context.stop.stop(abort)):
        lifecycle.open_for_tasks(con, now_ns)
        if at_ns is not None:
            _note_off_grid(lifecycle.require_task(con, name), at_ns)
        result = lifecycle.run_task(con, name, now=now_ns, context=context, at=at_ns, retry_of=retry_run)
    if result.outcome is None:
        typer.echo(f"queued run {result.queued_run_id} scheduled for {format_rfc3339(result.scheduled_for)}; "
                   f"the scheduler will run it at {format_rfc3339(result.run_at)}")
        return
    if result.outcome.status == "canceled":
        typer.echo("interrupted: the run in progress was rolled back", err=True)
        raise typer.Exit(130)
    if result.outcome.status != "success":
        raise typer.Exit(1)


def _note_off_grid(task, at_ns: int) -> None:
    """InfluxDB runs any time it is given; say so when it is not one of the task's times."""
    from runtime.tasks.lifecycle import task_schedule

    schedule = task_schedule(task)
    before = schedule.latest_at_or_before(at_ns)
    if before != at_ns:
        typer.echo(
            f"note: {format_rfc3339(at_ns)} is not a scheduled time of {task.name} (nearest: "
            f"{format_rfc3339(before)} and {format_rfc3339(schedule.next_after(at_ns))}); its window is not aligned",
            err=True,
        )


@task_app.command("backfill")
def backfill(
    name: str = typer.Argument(..., help="Task name."),
    db: str = DB_OPTION,
    start: str = typer.Option(..., "--start", help="Runs scheduled after this time (RFC3339, exclusive)..."),
    stop: str = typer.Option(..., "--stop", help="...up to this time (inclusive): the data of [start, stop) for a range(start: -task.every) task."),
    now: Optional[str] = typer.Option(None, "--now", help=NOW_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the scheduled times; run nothing."),
    restart: bool = typer.Option(False, "--restart", help="Start over instead of resuming an unfinished backfill of the same range."),
    retry_delay: float = typer.Option(1.0, "--retry-delay", help="Seconds before the first retry (doubles each time)."),
    max_retry_delay: float = typer.Option(60.0, "--max-retry-delay", help="Longest wait between retries, in seconds."),
) -> None:
    """Run every scheduled time of a task in a past range, in order; run it again to resume."""
    from runtime.tasks import lifecycle
    from runtime.tasks.backfill import backfill_points, run_backfill

    now_ns = now_from(now)
    start_ns = parse_time_option(start, "--start")
    stop_ns = parse_time_option(stop, "--stop")
    if dry_run:
        with open_db(db, write=False) as con, task_errors():
            task = lifecycle.require_task(con, name)
            points = backfill_points(task, start_ns, stop_ns, now_ns)
        typer.echo(f"{len(points)} run(s) of {task.name}:")
        for point in points:
            typer.echo(f"  {format_rfc3339(point)}")
        return
    # Only failures and retries are printed: the progress bar shows the rest.
    context = _context(retry_delay, max_retry_delay,
                       on_event=lambda event: _print_event(event) if event.kind in ("failed", "retrying") else None)
    with open_db(db, write=True) as con, task_errors(), stop_on_signals(lambda abort: context.stop.stop(abort)):
        lifecycle.open_for_tasks(con, now_ns)
        task = lifecycle.require_task(con, name)
        points = backfill_points(task, start_ns, stop_ns, now_ns)
        with _progress(len(points), task.name) as advance:
            result = run_backfill(con, task, start_ns, stop_ns, now=now_ns, context=context, restart=restart,
                                  progress=advance)
    done = result.already_done + sum(1 for o in result.outcomes if o.status == "success")
    resumed = f" (resumed: {result.already_done} already done)" if result.resumed else ""
    typer.echo(f"backfill {result.backfill_id} of {task.name}: {done} of {result.total} run(s) done{resumed}")
    if result.status != "done":
        last = result.outcomes[-1] if result.outcomes else None
        reason = f": {_first_line(last.error)}" if last is not None and last.error else ""
        scheduled = f" at {format_rfc3339(last.request.scheduled_for)}" if last is not None else ""
        fail(f"backfill {result.status}{scheduled}{reason}; run the same command again to resume")


@contextmanager
def _progress(total: int, label: str):
    """A progress bar on stderr when it is a terminal; a callback (done, total, outcome) either way."""
    if not sys.stderr.isatty():
        yield lambda done, total_, outcome: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(f"backfill {label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=False) as progress:
        bar = progress.add_task("backfill", total=total)
        yield lambda done, total_, outcome: progress.update(bar, completed=done)


# ---------------------------------------------------------------- status


@task_app.command("enable")
def enable(
    name: str = typer.Argument(..., help="Task name."),
    db: str = DB_OPTION,
    now: Optional[str] = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """Activate a task: it runs from the first scheduled time after --now (the paused period is not run; see backfill)."""
    from runtime.tasks import lifecycle

    now_ns = now_from(now)
    with open_db(db, write=True) as con, task_errors():
        lifecycle.open_for_tasks(con, now_ns)
        task = lifecycle.enable_task(con, name, now_ns)
        first = lifecycle.task_schedule(task).next_after(task.settled_through)
    typer.echo(f"enabled task {task.name}; next run scheduled for {format_rfc3339(first)}")


@task_app.command("disable")
def disable(
    name: str = typer.Argument(..., help="Task name."),
    db: str = DB_OPTION,
    now: Optional[str] = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """Deactivate a task: the scheduler stops running it."""
    from runtime.tasks import lifecycle

    now_ns = now_from(now)
    with open_db(db, write=True) as con, task_errors():
        lifecycle.open_for_tasks(con, now_ns)
        task = lifecycle.disable_task(con, name, now_ns)
    typer.echo(f"disabled task {task.name}")


@task_app.command("delete")
def delete(
    name: str = typer.Argument(..., help="Task name."),
    db: str = DB_OPTION,
) -> None:
    """Delete a task with its run history and logs (the data it wrote stays)."""
    from runtime.tasks import lifecycle

    with open_db(db, write=True) as con, task_errors():
        task = lifecycle.delete_task(con, name)
    typer.echo(f"deleted task {task.name}")
