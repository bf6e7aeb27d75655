"""Managing tasks: create, update, enable, disable, delete, run by hand, dry-run.

Owns the rules that tie a task's source to its stored record: the options come from the
source's `option task` (read from the AST), the first scheduled run is the first grid
point after the creation time, a schedule change restarts the grid from the update time,
re-enabling a task restarts it from then (as InfluxDB does). Every function takes `now`
explicitly so a whole lifecycle can be driven by a fixed clock.
It must not parse command lines or print.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from transpile.timefmt import format_rfc3339

from . import store
from .catchup import DEFAULT_MAX_CATCH_UP, CatchUp
from .executor import ScriptExecutor
from .options import TaskOptions, read_task_options
from .runner import RunContext, RunOutcome, RunRequest, execute_run
from .schedule import CronError, Schedule, check_timezone, schedule_for
from .store import TaskRecord, transaction
from transpile.errors import FluxError

_KEEP = object()  # "leave this setting as it is"


class TaskError(Exception):
    """A task command that cannot be done; `str()` is one line for the user."""


@dataclass(frozen=True)
class TaskPolicy:
    """flux2sql's scheduling settings that are not part of `option task`."""

    catch_up: CatchUp = CatchUp.ALL
    max_catch_up: int = DEFAULT_MAX_CATCH_UP
    timezone: str | None = None


def open_for_tasks(con: duckdb.DuckDBPyConnection, now: int) -> list[store.RunRecord]:
    """Prepare a connection that holds the file for writing: schema, then interrupted runs.

    Any run still `started` belongs to a process that died (we hold the file, and nothing
    runs yet), so it is marked canceled; the scheduler will run its scheduled time again.
    """
    store.ensure_schema(con)
    with transaction(con):
        return store.cancel_interrupted_runs(con, now, store.INTERRUPTED)


def read_source_options(source: str, filename: str) -> TaskOptions:
    """Parse a task script and read its `option task`; raise FluxError (with position)."""
    from transpile.parser import parse

    return read_task_options(parse(source, filename))


def task_schedule(task: TaskRecord) -> Schedule:
    return schedule_for(task.options, task.timezone)


def _check_policy(options: TaskOptions, policy: TaskPolicy) -> None:
    if policy.max_catch_up < 1:
        raise TaskError("--max-catch-up must be at least 1")
    if policy.timezone is not None:
        try:
            check_timezone(policy.timezone)
            schedule_for(options, policy.timezone)
        except CronError as error:
            raise TaskError(str(error)) from None


def compile_problem(con, executor: ScriptExecutor, task: TaskRecord, now: int) -> FluxError | None:
    """Compile the task for its next run on this database; the error, if any.

    Not a reason to refuse the task: like InfluxDB, a task may read a bucket that does not
    exist yet (its data often arrives after the task is set up), and its runs fail until
    then. Syntax and option errors are refused earlier, when the source is read.
    """
    try:
        executor.sql(task.source, task_schedule(task).next_after(now), con)
    except FluxError as error:
        return error
    return None


def create_task(
    con: duckdb.DuckDBPyConnection,
    source: str,
    filename: str,
    *,
    now: int,
    policy: TaskPolicy = TaskPolicy(),
    active: bool = True,
) -> TaskRecord:
    """Store a new task. Raises FluxError for a script that does not parse or whose options
    are invalid, TaskError for the rest (see `compile_problem` for the script itself)."""
    options = read_source_options(source, filename)
    _check_policy(options, policy)
    if store.get_task(con, options.name) is not None:
        raise TaskError(f"a task named {options.name!r} already exists (use `flux2sql task update`)")
    with transaction(con):
        task = store.insert_task(
            con, source=source, options=options, timezone=policy.timezone, catch_up=policy.catch_up,
            max_catch_up=policy.max_catch_up, status="active" if active else "inactive", now=now,
        )
        store.add_log(con, task.id, None, now, f"Created ({options.schedule_text}, offset {options.offset})")
    return task


def update_task(
    con: duckdb.DuckDBPyConnection,
    source: str,
    filename: str,
    *,
    now: int,
    name: str | None = None,
    catch_up: CatchUp | None = None,
    max_catch_up: int | None = None,
    timezone: object = _KEEP,
) -> TaskRecord:
    """Replace a task's script (and settings). `name` selects the task to rename; by default
    the name in the script. A schedule change restarts the grid from `now`."""
    options = read_source_options(source, filename)
    target = name or options.name
    task = require_task(con, target)
    if options.name != task.name and store.get_task(con, options.name) is not None:
        raise TaskError(f"cannot rename {task.name!r} to {options.name!r}: that task exists")
    policy = TaskPolicy(
        catch_up=catch_up if catch_up is not None else task.catch_up,
        max_catch_up=max_catch_up if max_catch_up is not None else task.max_catch_up,
        timezone=task.timezone if timezone is _KEEP else timezone,  # type: ignore[arg-type]
    )
    if options.cron is None and timezone is _KEEP:
        policy = TaskPolicy(policy.catch_up, policy.max_catch_up, None)
    _check_policy(options, policy)
    old = task.options
    schedule_changed = (old.every, old.cron, task.timezone) != (options.every, options.cron, policy.timezone)
    settled = max(task.settled_through, now) if schedule_changed else task.settled_through
    with transaction(con):
        store.replace_task_definition(
            con, task.id, source=source, options=options, timezone=policy.timezone, catch_up=policy.catch_up,
            max_catch_up=policy.max_catch_up, now=now, settled_through=settled,
        )
        note = f"Updated ({options.schedule_text}, offset {options.offset})"
        if schedule_changed:
            note += f"; the new schedule starts after {format_rfc3339(now)}"
        store.add_log(con, task.id, None, now, note)
    updated = store.get_task_by_id(con, task.id)
    assert updated is not None
    return updated


def require_task(con: duckdb.DuckDBPyConnection, name: str) -> TaskRecord:
    task = store.get_task(con, name) if store.has_schema(con) else None
    if task is None:
        known = [t.name for t in store.list_tasks(con)] if store.has_schema(con) else []
        hint = f" (tasks: {', '.join(known)})" if known else " (this database has no tasks)"
        raise TaskError(f"no task named {name!r}{hint}")
    return task


def enable_task(con: duckdb.DuckDBPyConnection, name: str, now: int) -> TaskRecord:
    """Activate a task. Like InfluxDB, the paused period is not run: the schedule restarts after `now`
    (use backfill for the gap)."""
    task = require_task(con, name)
    if task.active:
        return task
    with transaction(con):
        store.set_status(con, task.id, "active", now, settled_through=max(task.settled_through, now))
        store.add_log(con, task.id, None, now, "Enabled")
    return require_task(con, name)


def disable_task(con: duckdb.DuckDBPyConnection, name: str, now: int) -> TaskRecord:
    task = require_task(con, name)
    if not task.active:
        return task
    with transaction(con):
        store.set_status(con, task.id, "inactive", now)
        store.add_log(con, task.id, None, now, "Disabled")
    return require_task(con, name)


def delete_task(con: duckdb.DuckDBPyConnection, name: str) -> TaskRecord:
    """Delete a task with its runs, logs and backfills (its output data stays)."""
    task = require_task(con, name)
    with transaction(con):
        store.delete_task(con, task.id)
    return task


# ---------------------------------------------------------------- manual runs


def default_run_time(task: TaskRecord, now: int) -> int:
    """The most recent scheduled time whose run is due at `now` (an aligned window, unlike
    InfluxDB's "run now", which uses the click time)."""
    return task_schedule(task).latest_at_or_before(now - task.offset_ns)


@dataclass(frozen=True)
class ManualRunResult:
    outcome: RunOutcome | None  # None when the run was queued for later
    queued_run_id: int | None = None
    scheduled_for: int = 0
    run_at: int = 0


def run_task(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    now: int,
    context: RunContext,
    at: int | None = None,
    retry_of: int | None = None,
) -> ManualRunResult:
    """Run a task by hand with now() = `at` (default: its latest due scheduled time).

    `retry_of` re-runs a past run at its scheduled time. A time whose run (with offset)
    lies in the future is queued (status scheduled) for the scheduler, as InfluxDB does.
    """
    task = require_task(con, name)
    trigger, note = "manual", None
    if retry_of is not None:
        run = store.get_run(con, retry_of)
        if run is None or run.task_id != task.id:
            raise TaskError(f"task {task.name!r} has no run {retry_of}")
        if at is not None and at != run.scheduled_for:
            raise TaskError("--retry keeps the run's scheduled time; do not give --at as well")
        at, trigger, note = run.scheduled_for, "retry", f"Retry of run {run.id}"
    scheduled_for = at if at is not None else default_run_time(task, now)
    if scheduled_for + task.offset_ns > now:
        run_at = scheduled_for + task.offset_ns
        with transaction(con):
            run_id = store.insert_run(
                con, task=task, trigger=trigger, scheduled_for=scheduled_for, run_at=run_at,
                status="scheduled", attempt=1, requested_at=now,
            )
            store.add_log(con, task.id, run_id, now, f"Queued for {format_rfc3339(run_at)}")
        return ManualRunResult(None, run_id, scheduled_for, run_at)
    request = RunRequest(task, scheduled_for, trigger, run_at=now, requested_at=now, note=note)
    outcome = execute_run(con, request, context)
    return ManualRunResult(outcome, None, scheduled_for, now)


def dry_run(task: TaskRecord, executor: ScriptExecutor, scheduled_for: int, con=None) -> str:
    """The SQL of the run at `scheduled_for`, under a comment giving its times."""
    offset = task.options.offset
    header = [
        f"-- task {task.name}: {task.options.schedule_text}, offset {offset}",
        f"-- scheduled for {format_rfc3339(scheduled_for)} = now() in the script;"
        f" runs at {format_rfc3339(scheduled_for + task.offset_ns)}",
    ]
    every = task.options.every
    if every is not None and every.months == 0:
        header.append(
            f"-- range(start: -task.every) covers [{format_rfc3339(scheduled_for - every.nanoseconds)},"
            f" {format_rfc3339(scheduled_for)})"
        )
    return "\n".join(header) + "\n" + executor.sql(task.source, scheduled_for, con).rstrip() + "\n"


__all__ = [
    "ManualRunResult",
    "TaskError",
    "TaskPolicy",
    "compile_problem",
    "create_task",
    "default_run_time",
    "delete_task",
    "disable_task",
    "dry_run",
    "enable_task",
    "open_for_tasks",
    "read_source_options",
    "require_task",
    "run_task",
    "task_schedule",
    "update_task",
]
