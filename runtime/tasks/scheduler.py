"""The scheduler: finds due runs of every active task and executes them.

Owns the loop (`run_forever`) and the single pass of `--once` (`run_once`), the per-task
concurrency limit, and the handling of stop requests. Its state is derived from the
committed run records at every pass, so a crash loses nothing: a run killed mid-way has
no committed output, its `started` record is turned into `canceled` at the next start,
and that scheduled time is run again.

The clock (`clock`, the scheduler's now) and the idle wait (`sleep`) are injected so the
whole lifecycle can be driven by a fixed or fake clock without sleeping. The database is
opened for a pass and closed again when nothing is running, so other processes
(`flux2sql write`, `query`) can use the file between runs.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import duckdb

from transpile.timefmt import format_rfc3339

from runtime.locking import DatabaseLocked, open_database, same_database_cursor

from . import store
from .catchup import CatchUp, plan_due_runs
from .executor import ScriptExecutor
from .runner import RetryPolicy, RunContext, RunEvent, RunOutcome, RunRequest, StopSignal, execute_run
from .schedule import Schedule, schedule_for
from .store import TaskRecord, transaction

NS_PER_SECOND = 1_000_000_000


@dataclass
class PassSummary:
    """What a scheduler invocation did."""

    outcomes: list[RunOutcome] = field(default_factory=list)
    skipped: int = 0
    interrupted: int = 0

    @property
    def succeeded(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "success")

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "failed")

    @property
    def canceled(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "canceled")


class Scheduler:
    def __init__(
        self,
        path: str,
        *,
        executor: ScriptExecutor,
        clock: Callable[[], int] = time.time_ns,
        wall_clock: Callable[[], int] = time.time_ns,
        sleep: Callable[[float], None] | None = None,
        retry: RetryPolicy = RetryPolicy(),
        backoff_wait: Callable[[float], bool] | None = None,
        workers: int = 4,
        poll_interval: float = 10.0,
        on_event: Callable[[RunEvent], None] = lambda event: None,
        log: Callable[[str], None] = lambda line: None,
        connect: Callable[[str], duckdb.DuckDBPyConnection] | None = None,
    ):
        self.path = path
        self.clock = clock
        self.wall_clock = wall_clock
        self.workers = max(1, workers)
        self.poll_interval = poll_interval
        self.log = log
        self.signal = StopSignal()
        self._sleep = sleep
        self._connect = connect or (lambda p: open_database(p))
        self._wake = threading.Event()
        self._lock = threading.RLock()  # re-entrant: stop() may run in a signal handler
        self.context = RunContext(
            executor=executor, retry=retry, wall_clock=wall_clock, wait=backoff_wait, stop=self.signal,
            on_event=on_event,
        )
        self._con: duckdb.DuckDBPyConnection | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._queues: dict[int, deque[RunRequest]] = {}
        self._running: dict[int, set[int]] = {}  # task id -> scheduled times in flight
        self._queued_run_ids: set[int] = set()  # manual runs taken from the table
        self._in_flight: dict[Future, tuple[RunRequest, duckdb.DuckDBPyConnection]] = {}
        self._schedules: dict[tuple[int, int], Schedule] = {}
        self._summary = PassSummary()
        self._locked_reported = False
        self._unschedulable: set[int] = set()

    # ------------------------------------------------------------ public

    def run_once(self) -> PassSummary:
        """Execute every run due at `clock()` (per the catch-up policies), then return."""
        self._summary = PassSummary()
        now = self.clock()
        con = self._open()
        try:
            self._plan(con, now, session_start=True)
            self._drain()
            self._settle(con, now)
        finally:
            self._close()
        return self._summary

    def run_forever(self) -> PassSummary:
        """Loop until `stop()`: plan, run, wait for the next due time or a finished run."""
        self._summary = PassSummary()
        session_start = True
        try:
            while not self.signal.stopping.is_set():
                now = self.clock()
                try:
                    con = self._open() if self._con is None else self._con
                except DatabaseLocked as locked:
                    if not self._locked_reported:
                        self.log(f"waiting: {locked}")
                        self._locked_reported = True
                    self._idle(min(1.0, self.poll_interval))
                    continue
                self._locked_reported = False
                self._plan(con, now, session_start=session_start)
                session_start = False
                self._dispatch()
                timeout = self._seconds_until_next_due(con, self.clock())
                if not self._in_flight and not self._has_queued():
                    self._settle(con, self.clock())
                    self._close()
                    self._idle(timeout)
                else:
                    self._wake.wait(timeout)
                    self._wake.clear()
                    self._collect()
        finally:
            self._finish_in_flight()
            self._close()
        return self._summary

    def stop(self, abort: bool = False) -> None:
        """Start nothing new; with `abort`, also interrupt running SQL (rolled back, recorded canceled)."""
        self.signal.stop(abort)  # aborting interrupts the runs' SQL until they stop (runner.StopSignal)
        self._wake.set()

    # ------------------------------------------------------------ database

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = self._connect(self.path)
        try:
            store.ensure_schema(con)
            # We hold the file and run nothing yet: any `started` run is a dead process's.
            now = self.wall_clock()
            with transaction(con):
                interrupted = store.cancel_interrupted_runs(con, now, store.INTERRUPTED)
        except BaseException:
            con.close()
            raise
        for run in interrupted:
            self.log(f"run {run.id} (scheduled for {format_rfc3339(run.scheduled_for)}) was interrupted; its output was rolled back")
        self._summary.interrupted += len(interrupted)
        self._con = con
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="flux2sql-run")
        return con

    def _close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._con is not None:
            self._con.close()
            self._con = None

    # ------------------------------------------------------------ planning

    def _schedule(self, task: TaskRecord) -> Schedule:
        key = (task.id, task.updated_at)
        schedule = self._schedules.get(key)
        if schedule is None:
            schedule = self._schedules[key] = schedule_for(task.options, task.timezone)
        return schedule

    def _plan(self, con: duckdb.DuckDBPyConnection, now: int, *, session_start: bool) -> None:
        for task in store.list_tasks(con):
            if not task.active:
                continue
            try:
                self._schedule(task)
            except ValueError as error:  # e.g. a time zone this system no longer knows
                self._report_unschedulable(task, error)
                continue
            self._unschedulable.discard(task.id)  # fixed by an update
            queue = self._queues.setdefault(task.id, deque())
            running = self._running.setdefault(task.id, set())
            queued = {r.scheduled_for for r in queue if r.trigger == "schedule"}
            latest = task.catch_up is CatchUp.LATEST
            resume = store.resumable_times(con, task.id)
            plan = plan_due_runs(
                self._schedule(task),
                now=now,
                offset_ns=task.offset_ns,
                settled_through=task.settled_through,
                done=store.done_times(con, task.id, task.settled_through),
                resume=set(resume),
                running=running,
                # `latest` replaces runs still waiting with the newest one.
                queued=set() if latest else queued,
                policy=task.catch_up,
                max_catch_up=task.max_catch_up,
                session_start=session_start,
            )
            if latest and plan.to_run:
                dropped = [r for r in queue if r.trigger == "schedule" and r.scheduled_for not in plan.to_run]
                for request in dropped:
                    queue.remove(request)
            already = {r.scheduled_for for r in queue if r.trigger == "schedule"}
            for scheduled_for in plan.to_run:
                if scheduled_for in already:
                    continue
                queue.append(RunRequest(task, scheduled_for, "schedule", first_attempt=resume.get(scheduled_for, 1)))
            if plan.skipped_count:
                self._report_skip(con, task, plan)
            if plan.settled_through > task.settled_through:
                with transaction(con):
                    store.set_settled_through(con, task.id, plan.settled_through)
        for run in store.queued_runs_due(con, now):
            if run.id in self._queued_run_ids:
                continue
            task = store.get_task_by_id(con, run.task_id)
            if task is None:
                continue
            self._queued_run_ids.add(run.id)
            self._queues.setdefault(task.id, deque()).append(
                RunRequest(task, run.scheduled_for, run.trigger, run_at=run.run_at, queued_run_id=run.id,
                           requested_at=run.requested_at)
            )
        for queue in self._queues.values():
            ordered = sorted(queue, key=lambda r: (r.effective_run_at, r.scheduled_for))
            queue.clear()
            queue.extend(ordered)

    def _settle(self, con: duckdb.DuckDBPyConnection, now: int) -> None:
        """Move each task's mark past the runs that are now done (no new runs are started)."""
        for task in store.list_tasks(con):
            if not task.active or task.id in self._unschedulable:
                continue
            plan = plan_due_runs(
                self._schedule(task), now=now, offset_ns=task.offset_ns, settled_through=task.settled_through,
                done=store.done_times(con, task.id, task.settled_through),
                running=self._running.get(task.id, set()),
                queued={r.scheduled_for for r in self._queues.get(task.id, ())},
                policy=CatchUp.ALL, max_catch_up=task.max_catch_up,
            )
            if plan.settled_through > task.settled_through:
                with transaction(con):
                    store.set_settled_through(con, task.id, plan.settled_through)

    def _report_unschedulable(self, task: TaskRecord, error: Exception) -> None:
        if task.id not in self._unschedulable:
            self._unschedulable.add(task.id)
            self.log(f"{task.name}: cannot be scheduled, skipped: {error}")

    def _report_skip(self, con: duckdb.DuckDBPyConnection, task: TaskRecord, plan) -> None:
        count = f"{plan.skipped_count}" if plan.skipped_count_exact else f"at least {plan.skipped_count}"
        message = (
            f"Skipped {count} run(s) scheduled from {format_rfc3339(plan.skipped_first)} to "
            f"{format_rfc3339(plan.skipped_last)} (catch-up policy {task.catch_up.value}"
            + (f", at most {task.max_catch_up} runs" if task.catch_up is CatchUp.ALL else "")
            + "); use `flux2sql task backfill` to run them"
        )
        with transaction(con):
            store.add_log(con, task.id, None, self.wall_clock(), message)
        self.log(f"{task.name}: {message}")
        self._summary.skipped += plan.skipped_count

    def _has_queued(self) -> bool:
        return any(self._queues.values())

    def _seconds_until_next_due(self, con: duckdb.DuckDBPyConnection, now: int) -> float:
        """Until the next run falls due (at most the poll interval, to see new or changed tasks)."""
        best = now + int(self.poll_interval * NS_PER_SECOND)
        for task in store.list_tasks(con):
            if task.active and task.id not in self._unschedulable:
                horizon = now - task.offset_ns
                best = min(best, self._schedule(task).next_after(horizon) + task.offset_ns)
        queued_at = store.next_queued_run_at(con)
        if queued_at is not None:
            best = min(best, max(queued_at, now))
        return max(0.0, (best - now) / NS_PER_SECOND)

    # ------------------------------------------------------------ running

    def _dispatch(self) -> None:
        """Start waiting runs, oldest run time first, within each task's concurrency and the worker count."""
        if self.signal.stopping.is_set() or self._pool is None or self._con is None:
            return
        while len(self._in_flight) < self.workers:
            candidates = [
                (queue[0].effective_run_at, queue[0].scheduled_for, task_id)
                for task_id, queue in self._queues.items()
                if queue and len(self._running.get(task_id, ())) < queue[0].task.options.concurrency
            ]
            if not candidates:
                return
            _, _, task_id = min(candidates)
            request = self._queues[task_id].popleft()
            self._running.setdefault(task_id, set()).add(request.scheduled_for)
            cursor = same_database_cursor(self._con)
            future = self._pool.submit(self._execute, cursor, request)
            with self._lock:
                self._in_flight[future] = (request, cursor)
            future.add_done_callback(lambda _: self._wake.set())

    def _execute(self, cursor: duckdb.DuckDBPyConnection, request: RunRequest) -> RunOutcome:
        try:
            return execute_run(cursor, request, self.context)
        finally:
            cursor.close()

    def _collect(self) -> None:
        """Take finished runs out of flight and record their outcomes."""
        with self._lock:
            finished = [f for f in self._in_flight if f.done()]
            items = [(f, self._in_flight.pop(f)) for f in finished]
        for future, (request, _) in items:
            self._running.get(request.task.id, set()).discard(request.scheduled_for)
            if request.queued_run_id is not None:
                self._queued_run_ids.discard(request.queued_run_id)
            error = future.exception()
            if error is not None:
                # The run could not even be recorded (the database failed): stop, loudly.
                self.signal.stop()
                raise error
            self._summary.outcomes.append(future.result())

    def _drain(self) -> None:
        """Run everything queued to completion (used by --once)."""
        self._dispatch()
        while self._in_flight:
            self._wait_for_runs()
            self._collect()
            self._dispatch()

    def _finish_in_flight(self) -> None:
        while self._in_flight:
            self._wait_for_runs()
            self._collect()

    def _wait_for_runs(self) -> None:
        self._wake.wait(0.5)
        self._wake.clear()

    def _idle(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            self.signal.stopping.wait(seconds)
