"""Tasks, runs, run logs and backfills, stored in the task's own DuckDB file.

Owns the `_tasks` schema (named after InfluxDB's `_tasks` system bucket) and every
statement that reads or writes it. Values always go in as parameters; times are
TIMESTAMP_NS columns (UTC) written with `make_timestamp_ns` and read back exactly with
`epoch_ns`, so users can query the history with plain SQL.

Functions here never begin or commit a transaction: callers group them with
`transaction(con)`, which is how a run's output and its record commit together.
It must not execute Flux or decide schedules.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import duckdb

from .catchup import CatchUp
from .options import TaskOptions, parse_duration_text

SCHEMA = "_tasks"
SCHEMA_VERSION = 1
RUN_STATUSES = ("scheduled", "started", "success", "failed", "canceled")
TRIGGERS = ("schedule", "manual", "retry", "backfill")
INTERRUPTED = "interrupted: the process running it stopped before it finished; its output was rolled back"

_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_info (version INTEGER NOT NULL)",
    f"CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.task_ids START 1",
    f"CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.run_ids START 1",
    f"CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.backfill_ids START 1",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.tasks (
        id BIGINT PRIMARY KEY,
        name VARCHAR NOT NULL UNIQUE,
        status VARCHAR NOT NULL CHECK (status IN ('active', 'inactive')),
        source VARCHAR NOT NULL,
        every VARCHAR,
        cron VARCHAR,
        "offset" VARCHAR NOT NULL,
        concurrency INTEGER NOT NULL,
        retry INTEGER NOT NULL,
        timezone VARCHAR,
        catch_up VARCHAR NOT NULL CHECK (catch_up IN ('all', 'latest', 'skip')),
        max_catch_up INTEGER NOT NULL,
        created_at TIMESTAMP_NS NOT NULL,
        updated_at TIMESTAMP_NS NOT NULL,
        settled_through TIMESTAMP_NS NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.runs (
        id BIGINT PRIMARY KEY,
        task_id BIGINT NOT NULL,
        trigger VARCHAR NOT NULL CHECK (trigger IN ('schedule', 'manual', 'retry', 'backfill')),
        backfill_id BIGINT,
        scheduled_for TIMESTAMP_NS NOT NULL,
        run_at TIMESTAMP_NS NOT NULL,
        requested_at TIMESTAMP_NS,
        started_at TIMESTAMP_NS,
        finished_at TIMESTAMP_NS,
        status VARCHAR NOT NULL CHECK (status IN ('scheduled', 'started', 'success', 'failed', 'canceled')),
        attempt INTEGER NOT NULL,
        will_retry BOOLEAN NOT NULL DEFAULT false,
        error VARCHAR,
        rows_written BIGINT,
        flux VARCHAR NOT NULL,
        sql VARCHAR
    )""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.run_logs (
        task_id BIGINT NOT NULL,
        run_id BIGINT,
        time TIMESTAMP_NS NOT NULL,
        message VARCHAR NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.backfills (
        id BIGINT PRIMARY KEY,
        task_id BIGINT NOT NULL,
        start_after TIMESTAMP_NS NOT NULL,
        stop_at TIMESTAMP_NS NOT NULL,
        status VARCHAR NOT NULL CHECK (status IN ('running', 'done', 'failed', 'canceled')),
        created_at TIMESTAMP_NS NOT NULL,
        finished_at TIMESTAMP_NS
    )""",
)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, or ROLLBACK when the block raises (anything, even KeyboardInterrupt)."""
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()


def has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'tasks'", [SCHEMA]
    ).fetchone()
    return bool(row and row[0])


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the `_tasks` tables if they are missing (one transaction)."""
    if has_schema(con):
        return
    with transaction(con):
        for statement in _DDL:
            con.execute(statement)
        con.execute(f"INSERT INTO {SCHEMA}.schema_info VALUES (?)", [SCHEMA_VERSION])


# ---------------------------------------------------------------- tasks


@dataclass(frozen=True)
class TaskRecord:
    id: int
    name: str
    status: str
    source: str
    options: TaskOptions
    timezone: str | None
    catch_up: CatchUp
    max_catch_up: int
    created_at: int
    updated_at: int
    settled_through: int

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def offset_ns(self) -> int:
        return self.options.offset.nanoseconds


_TASK_COLUMNS = (
    'id, name, status, source, every, cron, "offset", concurrency, retry, timezone, catch_up, max_catch_up, '
    "epoch_ns(created_at), epoch_ns(updated_at), epoch_ns(settled_through)"
)


def _task_from_row(row) -> TaskRecord:
    (task_id, name, status, source, every, cron, offset, concurrency, retry, timezone, catch_up,
     max_catch_up, created_at, updated_at, settled_through) = row
    options = TaskOptions(
        name=name,
        every=parse_duration_text(every) if every is not None else None,
        cron=cron,
        offset=parse_duration_text(offset),
        concurrency=concurrency,
        retry=retry,
    )
    return TaskRecord(task_id, name, status, source, options, timezone, CatchUp(catch_up), max_catch_up,
                      created_at, updated_at, settled_through)


def _every_text(options: TaskOptions) -> str | None:
    return str(options.every) if options.every is not None else None


def insert_task(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    options: TaskOptions,
    timezone: str | None,
    catch_up: CatchUp,
    max_catch_up: int,
    status: str,
    now: int,
) -> TaskRecord:
    """A new task; its first scheduled run is the first grid point after `now`."""
    con.execute(
        f"""INSERT INTO {SCHEMA}.tasks VALUES (
            nextval('{SCHEMA}.task_ids'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
            make_timestamp_ns(?), make_timestamp_ns(?), make_timestamp_ns(?))""",
        [options.name, status, source, _every_text(options), options.cron, str(options.offset),
         options.concurrency, options.retry, timezone, catch_up.value, max_catch_up, now, now, now],
    )
    task = get_task(con, options.name)
    assert task is not None
    return task


def replace_task_definition(
    con: duckdb.DuckDBPyConnection,
    task_id: int,
    *,
    source: str,
    options: TaskOptions,
    timezone: str | None,
    catch_up: CatchUp,
    max_catch_up: int,
    now: int,
    settled_through: int,
) -> None:
    con.execute(
        f"""UPDATE {SCHEMA}.tasks SET name = ?, source = ?, every = ?, cron = ?, "offset" = ?,
            concurrency = ?, retry = ?, timezone = ?, catch_up = ?, max_catch_up = ?,
            updated_at = make_timestamp_ns(?), settled_through = make_timestamp_ns(?)
            WHERE id = ?""",
        [options.name, source, _every_text(options), options.cron, str(options.offset), options.concurrency,
         options.retry, timezone, catch_up.value, max_catch_up, now, settled_through, task_id],
    )


def set_status(con: duckdb.DuckDBPyConnection, task_id: int, status: str, now: int, settled_through: int | None = None) -> None:
    if settled_through is None:
        con.execute(
            f"UPDATE {SCHEMA}.tasks SET status = ?, updated_at = make_timestamp_ns(?) WHERE id = ?",
            [status, now, task_id],
        )
    else:
        con.execute(
            f"""UPDATE {SCHEMA}.tasks SET status = ?, updated_at = make_timestamp_ns(?),
                settled_through = make_timestamp_ns(?) WHERE id = ?""",
            [status, now, settled_through, task_id],
        )


def set_settled_through(con: duckdb.DuckDBPyConnection, task_id: int, settled_through: int) -> None:
    con.execute(
        f"UPDATE {SCHEMA}.tasks SET settled_through = make_timestamp_ns(?) WHERE id = ? AND epoch_ns(settled_through) < ?",
        [settled_through, task_id, settled_through],
    )


def get_task(con: duckdb.DuckDBPyConnection, name: str) -> TaskRecord | None:
    row = con.execute(f"SELECT {_TASK_COLUMNS} FROM {SCHEMA}.tasks WHERE name = ?", [name]).fetchone()
    return _task_from_row(row) if row else None


def get_task_by_id(con: duckdb.DuckDBPyConnection, task_id: int) -> TaskRecord | None:
    row = con.execute(f"SELECT {_TASK_COLUMNS} FROM {SCHEMA}.tasks WHERE id = ?", [task_id]).fetchone()
    return _task_from_row(row) if row else None


def list_tasks(con: duckdb.DuckDBPyConnection) -> list[TaskRecord]:
    rows = con.execute(f"SELECT {_TASK_COLUMNS} FROM {SCHEMA}.tasks ORDER BY name").fetchall()
    return [_task_from_row(row) for row in rows]


def delete_task(con: duckdb.DuckDBPyConnection, task_id: int) -> None:
    for table in ("run_logs", "runs", "backfills"):
        con.execute(f"DELETE FROM {SCHEMA}.{table} WHERE task_id = ?", [task_id])
    con.execute(f"DELETE FROM {SCHEMA}.tasks WHERE id = ?", [task_id])


# ---------------------------------------------------------------- runs


@dataclass(frozen=True)
class RunRecord:
    id: int
    task_id: int
    trigger: str
    backfill_id: int | None
    scheduled_for: int
    run_at: int
    requested_at: int | None
    started_at: int | None
    finished_at: int | None
    status: str
    attempt: int
    will_retry: bool
    error: str | None
    rows_written: int | None
    flux: str
    sql: str | None


_RUN_COLUMNS = (
    "id, task_id, trigger, backfill_id, epoch_ns(scheduled_for), epoch_ns(run_at), epoch_ns(requested_at), "
    "epoch_ns(started_at), epoch_ns(finished_at), status, attempt, will_retry, error, rows_written, flux, sql"
)


def _run_from_row(row) -> RunRecord:
    return RunRecord(*row)


def insert_run(
    con: duckdb.DuckDBPyConnection,
    *,
    task: TaskRecord,
    trigger: str,
    scheduled_for: int,
    run_at: int,
    status: str,
    attempt: int,
    started_at: int | None = None,
    requested_at: int | None = None,
    backfill_id: int | None = None,
) -> int:
    """A new run record; returns its id."""
    row = con.execute(
        f"""INSERT INTO {SCHEMA}.runs (id, task_id, trigger, backfill_id, scheduled_for, run_at, requested_at,
                started_at, status, attempt, flux)
            VALUES (nextval('{SCHEMA}.run_ids'), ?, ?, ?, make_timestamp_ns(?), make_timestamp_ns(?),
                make_timestamp_ns(?), make_timestamp_ns(?), ?, ?, ?)
            RETURNING id""",
        [task.id, trigger, backfill_id, scheduled_for, run_at, requested_at, started_at, status, attempt, task.source],
    ).fetchone()
    return int(row[0])


def mark_started(con: duckdb.DuckDBPyConnection, run_id: int, started_at: int, flux: str) -> None:
    """A queued run (status scheduled) begins."""
    con.execute(
        f"UPDATE {SCHEMA}.runs SET status = 'started', started_at = make_timestamp_ns(?), flux = ? WHERE id = ?",
        [started_at, flux, run_id],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    *,
    status: str,
    finished_at: int,
    rows_written: int | None = None,
    sql: str | None = None,
    error: str | None = None,
    will_retry: bool = False,
) -> None:
    con.execute(
        f"""UPDATE {SCHEMA}.runs SET status = ?, finished_at = make_timestamp_ns(?), rows_written = ?,
            sql = ?, error = ?, will_retry = ? WHERE id = ?""",
        [status, finished_at, rows_written, sql, error, will_retry, run_id],
    )


def get_run(con: duckdb.DuckDBPyConnection, run_id: int) -> RunRecord | None:
    row = con.execute(f"SELECT {_RUN_COLUMNS} FROM {SCHEMA}.runs WHERE id = ?", [run_id]).fetchone()
    return _run_from_row(row) if row else None


def list_runs(
    con: duckdb.DuckDBPyConnection, task_id: int, *, limit: int | None = None, status: str | None = None
) -> list[RunRecord]:
    """Runs of a task, newest first (by scheduled time, then id)."""
    sql = f"SELECT {_RUN_COLUMNS} FROM {SCHEMA}.runs WHERE task_id = ?"
    params: list = [task_id]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY scheduled_for DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_run_from_row(row) for row in con.execute(sql, params).fetchall()]


def last_finished_run(con: duckdb.DuckDBPyConnection, task_id: int) -> RunRecord | None:
    row = con.execute(
        f"""SELECT {_RUN_COLUMNS} FROM {SCHEMA}.runs WHERE task_id = ? AND finished_at IS NOT NULL
            ORDER BY finished_at DESC, id DESC LIMIT 1""",
        [task_id],
    ).fetchone()
    return _run_from_row(row) if row else None


# A scheduled time is done when it has a success (any trigger) or a scheduled run whose
# retries are exhausted (InfluxDB also moves on after a failure).
_DONE = "(status = 'success' OR (status = 'failed' AND NOT will_retry AND trigger = 'schedule'))"


def done_times(con: duckdb.DuckDBPyConnection, task_id: int, after: int) -> set[int]:
    rows = con.execute(
        f"SELECT DISTINCT epoch_ns(scheduled_for) FROM {SCHEMA}.runs WHERE task_id = ? AND scheduled_for > make_timestamp_ns(?) AND {_DONE}",
        [task_id, after],
    ).fetchall()
    return {row[0] for row in rows}


def resumable_times(con: duckdb.DuckDBPyConnection, task_id: int) -> dict[int, int]:
    """Scheduled times with scheduled-run records but not done -> the next attempt number.

    The next attempt counts the failed attempts so far (an interrupted attempt does not
    count: it never got to fail).
    """
    rows = con.execute(
        f"""SELECT epoch_ns(r.scheduled_for), count(*) FILTER (WHERE r.status = 'failed')
            FROM {SCHEMA}.runs r
            WHERE r.task_id = ? AND r.trigger = 'schedule' AND r.status IN ('failed', 'canceled')
              AND NOT EXISTS (
                  SELECT 1 FROM {SCHEMA}.runs d
                  WHERE d.task_id = r.task_id AND d.scheduled_for = r.scheduled_for
                    AND (d.status = 'success' OR (d.status = 'failed' AND NOT d.will_retry AND d.trigger = 'schedule')))
            GROUP BY r.scheduled_for""",
        [task_id],
    ).fetchall()
    return {scheduled_for: failed + 1 for scheduled_for, failed in rows}


def cancel_interrupted_runs(con: duckdb.DuckDBPyConnection, now: int, reason: str) -> list[RunRecord]:
    """Mark every run left `started` as canceled.

    Call only while holding the database exclusively and with no run in flight in this
    process: then a `started` run belongs to a process that died (a crash or SIGKILL),
    and its transaction, output included, was never committed.
    """
    rows = con.execute(f"SELECT {_RUN_COLUMNS} FROM {SCHEMA}.runs WHERE status = 'started' ORDER BY id").fetchall()
    interrupted = [_run_from_row(row) for row in rows]
    for run in interrupted:
        finish_run(con, run.id, status="canceled", finished_at=now, error=reason)
        add_log(con, run.task_id, run.id, now, f"Canceled: {reason}")
    return interrupted


def queued_runs_due(con: duckdb.DuckDBPyConnection, now: int) -> list[RunRecord]:
    """Manual runs queued for a future time (status scheduled) whose time has come."""
    rows = con.execute(
        f"""SELECT {_RUN_COLUMNS} FROM {SCHEMA}.runs WHERE status = 'scheduled' AND run_at <= make_timestamp_ns(?)
            ORDER BY run_at, scheduled_for, id""",
        [now],
    ).fetchall()
    return [_run_from_row(row) for row in rows]


def next_queued_run_at(con: duckdb.DuckDBPyConnection) -> int | None:
    row = con.execute(f"SELECT min(epoch_ns(run_at)) FROM {SCHEMA}.runs WHERE status = 'scheduled'").fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------- logs


@dataclass(frozen=True)
class LogLine:
    task_id: int
    run_id: int | None
    time: int
    message: str


def add_log(con: duckdb.DuckDBPyConnection, task_id: int, run_id: int | None, time: int, message: str) -> None:
    con.execute(
        f"INSERT INTO {SCHEMA}.run_logs VALUES (?, ?, make_timestamp_ns(?), ?)", [task_id, run_id, time, message]
    )


def list_logs(con: duckdb.DuckDBPyConnection, task_id: int, run_id: int | None = None) -> list[LogLine]:
    sql = f"SELECT task_id, run_id, epoch_ns(time), message FROM {SCHEMA}.run_logs WHERE task_id = ?"
    params: list = [task_id]
    if run_id is not None:
        sql += " AND run_id = ?"
        params.append(run_id)
    sql += " ORDER BY time, rowid"
    return [LogLine(*row) for row in con.execute(sql, params).fetchall()]


# ---------------------------------------------------------------- backfills


@dataclass(frozen=True)
class BackfillRecord:
    id: int
    task_id: int
    start_after: int
    stop_at: int
    status: str
    created_at: int
    finished_at: int | None


_BACKFILL_COLUMNS = "id, task_id, epoch_ns(start_after), epoch_ns(stop_at), status, epoch_ns(created_at), epoch_ns(finished_at)"


def open_backfill(con: duckdb.DuckDBPyConnection, task_id: int, start_after: int, stop_at: int) -> BackfillRecord | None:
    """An unfinished backfill of the same task and range, to resume."""
    row = con.execute(
        f"""SELECT {_BACKFILL_COLUMNS} FROM {SCHEMA}.backfills WHERE task_id = ? AND start_after = make_timestamp_ns(?)
            AND stop_at = make_timestamp_ns(?) AND status <> 'done' ORDER BY id DESC LIMIT 1""",
        [task_id, start_after, stop_at],
    ).fetchone()
    return BackfillRecord(*row) if row else None


def insert_backfill(con: duckdb.DuckDBPyConnection, task_id: int, start_after: int, stop_at: int, now: int) -> BackfillRecord:
    row = con.execute(
        f"""INSERT INTO {SCHEMA}.backfills VALUES (nextval('{SCHEMA}.backfill_ids'), ?, make_timestamp_ns(?),
            make_timestamp_ns(?), 'running', make_timestamp_ns(?), NULL) RETURNING id""",
        [task_id, start_after, stop_at, now],
    ).fetchone()
    return BackfillRecord(int(row[0]), task_id, start_after, stop_at, "running", now, None)


def set_backfill_status(con: duckdb.DuckDBPyConnection, backfill_id: int, status: str, now: int | None) -> None:
    con.execute(
        f"UPDATE {SCHEMA}.backfills SET status = ?, finished_at = make_timestamp_ns(?) WHERE id = ?",
        [status, now, backfill_id],
    )


def backfill_succeeded_times(con: duckdb.DuckDBPyConnection, backfill_id: int) -> set[int]:
    rows = con.execute(
        f"SELECT DISTINCT epoch_ns(scheduled_for) FROM {SCHEMA}.runs WHERE backfill_id = ? AND status = 'success'",
        [backfill_id],
    ).fetchall()
    return {row[0] for row in rows}

