"""Backfill: run every scheduled time of a task over a past range, in order, resumably.

Owns `task backfill NAME --start T --stop T`. The runs are the grid points g with
start < g <= stop, i.e. the runs the scheduler would have made between those times, so
a `range(start: -task.every)` task rewrites exactly the data of [start, stop). Each run
is a normal run (trigger `backfill`, its own transaction, retries with backoff) with
now() = g. The backfill has a record; running the same command again after an
interruption or a failure resumes it, skipping the times it already ran successfully.
InfluxDB has no range backfill (influxdb#10752, closed as wontfix).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import duckdb

from transpile.timefmt import format_rfc3339

from . import store
from .lifecycle import TaskError, task_schedule
from .runner import RunContext, RunOutcome, RunRequest, execute_run
from .schedule import points_between
from .store import TaskRecord, transaction

MAX_BACKFILL_RUNS = 1_000_000


@dataclass
class BackfillResult:
    backfill_id: int
    total: int  # grid points in the range
    already_done: int  # skipped because an earlier attempt of this backfill ran them
    outcomes: list[RunOutcome] = field(default_factory=list)
    status: str = "done"  # done | failed | canceled
    resumed: bool = False


def backfill_points(task: TaskRecord, start: int, stop: int, now: int) -> list[int]:
    """The scheduled times of the backfill, oldest first; refuses a range reaching the future."""
    if stop <= start:
        raise TaskError("--stop must be after --start")
    if stop + task.offset_ns > now:
        raise TaskError(
            f"--stop {format_rfc3339(stop)} is not in the past (now is {format_rfc3339(now)}"
            + (f", offset {task.options.offset}" if task.offset_ns else "")
            + "); backfill runs past scheduled times only"
        )
    points = []
    for point in points_between(task_schedule(task), start, stop):
        points.append(point)
        if len(points) > MAX_BACKFILL_RUNS:
            raise TaskError(f"the range holds more than {MAX_BACKFILL_RUNS} runs; split it")
    return points


def run_backfill(
    con: duckdb.DuckDBPyConnection,
    task: TaskRecord,
    start: int,
    stop: int,
    *,
    now: int,
    context: RunContext,
    restart: bool = False,
    progress: Callable[[int, int, RunOutcome | None], None] = lambda done, total, outcome: None,
) -> BackfillResult:
    """Run the backfill; stops at the first run that fails after its retries (run it again to resume)."""
    points = backfill_points(task, start, stop, now)
    existing = None if restart else store.open_backfill(con, task.id, start, stop)
    with transaction(con):
        if existing is not None:
            record = existing
            store.set_backfill_status(con, record.id, "running", None)
        else:
            record = store.insert_backfill(con, task.id, start, stop, now)
        store.add_log(
            con, task.id, None, now,
            f"{'Resumed' if existing else 'Started'} backfill {record.id}: {len(points)} run(s) scheduled in "
            f"({format_rfc3339(start)}, {format_rfc3339(stop)}]",
        )
    done = store.backfill_succeeded_times(con, record.id) if existing is not None else set()
    remaining = [p for p in points if p not in done]
    result = BackfillResult(record.id, len(points), len(points) - len(remaining), resumed=existing is not None)
    progress(result.already_done, result.total, None)
    completed = result.already_done
    for point in remaining:
        if context.stop.stopping.is_set():
            result.status = "canceled"
            break
        request = RunRequest(task, point, "backfill", run_at=now, requested_at=now, backfill_id=record.id)
        outcome = execute_run(con, request, context)
        result.outcomes.append(outcome)
        completed += outcome.status == "success"
        progress(completed, result.total, outcome)
        if outcome.status != "success":
            result.status = "canceled" if outcome.status == "canceled" or outcome.retry_pending else "failed"
            break
    finished = context.wall_clock()
    with transaction(con):
        store.set_backfill_status(con, record.id, result.status, finished if result.status == "done" else None)
        store.add_log(con, task.id, None, finished, f"Backfill {record.id} {result.status}: {completed} of {result.total} run(s) done")
    return result
