"""Executing one run of a task: one transaction per attempt, retries with backoff.

Owns the life of a run record. Each attempt:
1. commits a short record `started` (so a crash leaves a trace that the next start
   turns into `canceled` and redoes);
2. in ONE transaction executes the script with now() = the scheduled time and marks
   the record `success` with the rows written and the exact SQL: the output and the
   record commit together or not at all;
3. on error, rolls that transaction back (no partial output) and records `failed` with
   the real error text; if attempts remain (`retry` = number of retries, as in
   "retried `retry` times"), it waits `RetryPolicy.delay(attempt)` and retries with the
   same scheduled time.

It never decides *which* runs to execute (scheduler, backfill, CLI do) and never sleeps
except through the injected `wait`.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import duckdb

from transpile.errors import FluxError
from transpile.timefmt import format_rfc3339

from . import store
from .executor import ScriptExecutor
from .store import TaskRecord, transaction

NS_PER_SECOND = 1_000_000_000
CONFLICT_RETRIES = 10


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: base, base*factor, base*factor^2 ... capped at max_delay (seconds)."""

    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 60.0

    def delay(self, failed_attempt: int) -> float:
        """Seconds to wait after attempt number `failed_attempt` (1-based) failed."""
        return min(self.max_delay, self.base_delay * self.factor ** (failed_attempt - 1))


@dataclass(frozen=True)
class RunRequest:
    """One run to execute: a task at a scheduled time (now() inside the script)."""

    task: TaskRecord
    scheduled_for: int
    trigger: str = "schedule"
    run_at: int | None = None  # defaults to scheduled_for + offset
    first_attempt: int = 1
    backfill_id: int | None = None
    queued_run_id: int | None = None  # a manual run queued earlier (status scheduled)
    requested_at: int | None = None
    note: str | None = None  # logged when the run starts, e.g. "retry of run 12"

    @property
    def effective_run_at(self) -> int:
        return self.run_at if self.run_at is not None else self.scheduled_for + self.task.offset_ns

    @property
    def max_attempts(self) -> int:
        return self.task.options.retry + 1


@dataclass(frozen=True)
class RunEvent:
    """Something that happened to a run, for the command line's log."""

    kind: str  # started | succeeded | failed | retrying | canceled
    request: RunRequest
    run_id: int
    attempt: int
    error: str | None = None
    rows_written: int | None = None
    seconds: float | None = None  # duration of the attempt, or the backoff delay for `retrying`


@dataclass
class RunOutcome:
    request: RunRequest
    status: str  # success | failed | canceled
    run_ids: list[int] = field(default_factory=list)
    error: str | None = None
    rows_written: int | None = None
    retry_pending: bool = False  # failed, attempts remain, but the process is stopping


class StopSignal:
    """Shared by the runs of one process: `stopping` = start nothing new; `aborting` = interrupt.

    Aborting interrupts the connections that are executing a script, again and again until
    they stop: DuckDB ignores an interrupt that comes before a statement starts, and a
    signal raised as KeyboardInterrupt while a statement is being prepared can be lost.
    """

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.aborting = threading.Event()
        self._executing: set = set()
        self._lock = threading.Lock()

    def stop(self, abort: bool = False) -> None:
        self.stopping.set()
        if abort and not self.aborting.is_set():
            self.aborting.set()
            threading.Thread(target=self._keep_interrupting, name="flux2sql-abort", daemon=True).start()

    @contextmanager
    def executing(self, con: duckdb.DuckDBPyConnection):
        """Mark `con` as executing a script (the part an abort interrupts)."""
        with self._lock:
            self._executing.add(con)
        try:
            if self.aborting.is_set():
                raise duckdb.InterruptException("INTERRUPT Error: the run was aborted before it started")
            yield
        finally:
            # Taking the lock waits for an interrupt sweep in progress: none reaches `con` after this.
            with self._lock:
                self._executing.discard(con)

    def _keep_interrupting(self) -> None:
        while True:
            with self._lock:
                for con in self._executing:
                    try:
                        con.interrupt()
                    except duckdb.Error:
                        pass
            time.sleep(0.05)


@dataclass
class RunContext:
    executor: ScriptExecutor
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    wall_clock: Callable[[], int] = time.time_ns
    # wait(seconds) -> True when interrupted by a stop: backoff must not outlive the process.
    wait: Callable[[float], bool] | None = None
    stop: StopSignal = field(default_factory=StopSignal)
    on_event: Callable[[RunEvent], None] = lambda event: None

    def backoff(self, seconds: float) -> bool:
        if self.wait is not None:
            return self.wait(seconds)
        return self.stop.stopping.wait(seconds)


def describe_error(error: BaseException) -> str:
    """The real error text, on one line where the error has one."""
    if isinstance(error, FluxError):
        return error.format()
    if isinstance(error, duckdb.Error):
        return str(error).strip()
    return f"internal error: {type(error).__name__}: {error}"


def execute_run(con: duckdb.DuckDBPyConnection, request: RunRequest, context: RunContext) -> RunOutcome:
    """Run `request` on `con` (a connection used by this thread only), retrying on failure."""
    task = request.task
    outcome = RunOutcome(request, "failed")
    attempt = request.first_attempt
    while True:
        run_id = _record_start(con, request, attempt, context)
        outcome.run_ids.append(run_id)
        started = context.wall_clock()
        context.on_event(RunEvent("started", request, run_id, attempt))
        try:
            result = _execute_resolving_conflicts(con, request, run_id, started, context)
        except (KeyboardInterrupt, SystemExit):
            _record_end(con, task, run_id, "canceled", context, "the process was interrupted; the run's output was rolled back")
            raise
        except Exception as error:  # noqa: BLE001 - every failure of a script is recorded, none escapes
            text = describe_error(error)
            seconds = (context.wall_clock() - started) / NS_PER_SECOND
            if context.stop.aborting.is_set():
                # The stop interrupted the statement (InterruptException from interrupt(), or
                # "Query interrupted" when a signal reached DuckDB): not the script's fault.
                reason = "the scheduler was stopped; the run's output was rolled back"
                _record_end(con, task, run_id, "canceled", context, reason)
                context.on_event(RunEvent("canceled", request, run_id, attempt, error=reason))
                outcome.status, outcome.error = "canceled", reason
                return outcome
            will_retry = attempt < request.max_attempts
            sql = None if isinstance(error, FluxError) else _sql_or_none(context.executor, task.source, request.scheduled_for, con)
            delay = context.retry.delay(attempt)
            with transaction(con):
                now = context.wall_clock()
                store.finish_run(con, run_id, status="failed", finished_at=now, error=text, will_retry=will_retry, sql=sql)
                store.add_log(con, task.id, run_id, now, f"Completed(failed): {text}")
                if will_retry:
                    store.add_log(
                        con, task.id, run_id, now,
                        f"Retrying in {_seconds_text(delay)} (attempt {attempt + 1} of {request.max_attempts})",
                    )
                else:
                    store.add_log(con, task.id, run_id, now, f"Giving up after {attempt} attempt(s)")
            context.on_event(RunEvent("failed", request, run_id, attempt, error=text, seconds=seconds))
            outcome.error = text
            if not will_retry:
                return outcome
            if context.stop.stopping.is_set():
                outcome.retry_pending = True
                return outcome
            context.on_event(RunEvent("retrying", request, run_id, attempt + 1, seconds=delay))
            if context.backoff(delay):
                outcome.retry_pending = True
                return outcome
            attempt += 1
            continue
        seconds = (context.wall_clock() - started) / NS_PER_SECOND
        context.on_event(RunEvent("succeeded", request, run_id, attempt, rows_written=result.rows_written, seconds=seconds))
        outcome.status, outcome.error, outcome.rows_written = "success", None, result.rows_written
        return outcome


def _execute_once(con, request: RunRequest, run_id: int, started: int, context: RunContext):
    """The run's one transaction: the script's output and the success record, together."""
    task = request.task
    with transaction(con):
        with context.stop.executing(con):
            result = context.executor.run(con, task.source, request.scheduled_for)
        finished = context.wall_clock()
        store.finish_run(con, run_id, status="success", finished_at=finished, rows_written=result.rows_written, sql=result.sql)
        store.add_log(
            con, task.id, run_id, finished,
            f"Completed(success): {result.rows_written} rows written in {_seconds(finished - started)}",
        )
    return result


def _is_conflict(error: Exception) -> bool:
    return isinstance(error, duckdb.TransactionException) and "conflict" in str(error).lower()


def _execute_resolving_conflicts(con, request: RunRequest, run_id: int, started: int, context: RunContext):
    """Execute the run; when DuckDB reports a write-write conflict with a concurrent run (e.g.
    both creating the same output table), wait a moment and execute again.

    A conflict says nothing about the script, so it is not a failed attempt; after
    CONFLICT_RETRIES conflicts in a row it is reported like any other error.
    """
    for conflicts in range(CONFLICT_RETRIES + 1):
        try:
            return _execute_once(con, request, run_id, started, context)
        except duckdb.Error as error:
            if not _is_conflict(error) or conflicts == CONFLICT_RETRIES or context.stop.stopping.is_set():
                raise
            with transaction(con):
                store.add_log(con, request.task.id, run_id, context.wall_clock(),
                              f"Write conflict with a concurrent run, executing again: {describe_error(error)}")
            # A real pause, not the injected backoff: the other transaction must get to commit.
            context.stop.aborting.wait(min(1.0, 0.05 * 2 ** conflicts))
    raise AssertionError("unreachable")


def _record_start(con: duckdb.DuckDBPyConnection, request: RunRequest, attempt: int, context: RunContext) -> int:
    task = request.task
    now = context.wall_clock()
    with transaction(con):
        if request.queued_run_id is not None and attempt == request.first_attempt:
            run_id = request.queued_run_id
            store.mark_started(con, run_id, now, task.source)
        else:
            run_id = store.insert_run(
                con,
                task=task,
                trigger=request.trigger,
                scheduled_for=request.scheduled_for,
                run_at=request.effective_run_at,
                status="started",
                attempt=attempt,
                started_at=now,
                requested_at=request.requested_at,
                backfill_id=request.backfill_id,
            )
        if request.note and attempt == request.first_attempt:
            store.add_log(con, task.id, run_id, now, request.note)
        store.add_log(
            con, task.id, run_id, now,
            f"Started attempt {attempt} of {request.max_attempts} ({request.trigger}): "
            f"now() = {format_rfc3339(request.scheduled_for)}",
        )
    return run_id


def _record_end(con, task: TaskRecord, run_id: int, status: str, context: RunContext, reason: str) -> None:
    now = context.wall_clock()
    with transaction(con):
        store.finish_run(con, run_id, status=status, finished_at=now, error=reason)
        store.add_log(con, task.id, run_id, now, f"Canceled: {reason}")


def _sql_or_none(executor: ScriptExecutor, source: str, now_ns: int, con) -> str | None:
    """The SQL of a failed execution, for the record (best effort: it may fail to compile)."""
    try:
        return executor.sql(source, now_ns, con)
    except Exception:  # noqa: BLE001 - the record keeps the real error; the SQL is a bonus
        return None


def _seconds(ns: int) -> str:
    return _seconds_text(ns / NS_PER_SECOND)


def _seconds_text(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"
