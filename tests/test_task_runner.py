"""One run: its transaction, its record, retries with backoff, and the file lock helper."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from runtime.locking import DatabaseLocked, lock_error_message, open_database, same_database_cursor
from runtime.tasks import store
from runtime.tasks.runner import RetryPolicy, RunContext, RunRequest, execute_run
from transpile.errors import FluxSemanticError, Span

from task_fakes import HOUR, WindowMeanExecutor, add_task, make_source_db, t

T0 = t("2024-01-01T00:00:00Z")


@pytest.fixture
def con(tmp_path):
    path = str(tmp_path / "runner.duckdb")
    make_source_db(path, T0, T0 + 3 * HOUR).close()
    con = open_database(path)
    yield con
    con.close()


def context(executor, waits=None, **kwargs):
    return RunContext(executor=executor, wait=lambda s: (waits.append(s) if waits is not None else None) or False, **kwargs)


def test_success_records_everything_in_the_same_transaction(con):
    task = add_task(con, created=T0)
    outcome = execute_run(con, RunRequest(task, T0 + HOUR), context(WindowMeanExecutor()))
    assert outcome.status == "success" and outcome.rows_written == 12
    (run,) = store.list_runs(con, task.id)
    assert (run.status, run.attempt, run.trigger, run.rows_written) == ("success", 1, "schedule", 12)
    assert run.scheduled_for == T0 + HOUR and run.run_at == T0 + HOUR
    assert run.started_at <= run.finished_at and run.flux == task.source and "INSERT INTO dst" in run.sql
    messages = [line.message for line in store.list_logs(con, task.id, run.id)]
    assert messages[0] == "Started attempt 1 of 2 (schedule): now() = 2024-01-01T01:00:00Z"
    assert messages[1].startswith("Completed(success): 12 rows written in")


def test_a_failed_attempt_writes_nothing_and_keeps_the_real_error(con):
    task = add_task(con, created=T0, retry=1)
    waits: list[float] = []
    outcome = execute_run(con, RunRequest(task, T0 + HOUR), context(WindowMeanExecutor(fail=True), waits))
    assert outcome.status == "failed" and waits == [1.0]
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'dst'").fetchone()[0] == 0
    first, second = reversed(store.list_runs(con, task.id))
    assert first.will_retry and not second.will_retry
    assert first.error.startswith("Catalog Error: Table with name bucket_that_does_not_exist does not exist")
    assert first.sql and first.rows_written is None
    messages = [line.message for line in store.list_logs(con, task.id, second.id)]
    assert messages[-1] == "Giving up after 2 attempt(s)"


class RaisingExecutor:
    def __init__(self, error):
        self.error = error

    def run(self, con, source, now_ns):
        raise self.error

    def sql(self, source, now_ns, con=None):
        raise AssertionError("a compile error has no SQL to record")


def test_flux_errors_keep_their_position_and_have_no_sql(con):
    task = add_task(con, created=T0)
    error = FluxSemanticError('could not find bucket "nope"', Span(3, 7, 3, 20))
    execute_run(con, RunRequest(task, T0 + HOUR), context(RaisingExecutor(error)))
    run = store.list_runs(con, task.id)[0]
    assert run.error == '3:7: could not find bucket "nope"' and run.sql is None


def test_unexpected_exceptions_are_recorded_not_raised(con):
    task = add_task(con, created=T0)
    outcome = execute_run(con, RunRequest(task, T0 + HOUR), context(RaisingExecutor(KeyError("x"))))
    assert outcome.status == "failed" and outcome.error == "internal error: KeyError: 'x'"


def test_backoff_is_exponential_and_capped():
    policy = RetryPolicy(base_delay=1.0, factor=2.0, max_delay=5.0)
    assert [policy.delay(k) for k in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_stop_during_backoff_leaves_the_retry_pending(con):
    task = add_task(con, created=T0, retry=3)
    ctx = RunContext(executor=WindowMeanExecutor(fail=True), wait=lambda seconds: True)  # stopped while waiting
    outcome = execute_run(con, RunRequest(task, T0 + HOUR), ctx)
    assert outcome.status == "failed" and outcome.retry_pending
    (run,) = store.list_runs(con, task.id)
    assert run.will_retry  # the next start resumes with attempt 2
    assert store.resumable_times(con, task.id) == {T0 + HOUR: 2}


class ConflictOnceExecutor(WindowMeanExecutor):
    def run(self, con, source, now_ns):
        if not self.calls:
            self.calls.append(now_ns)
            raise duckdb.TransactionException('TransactionContext Error: Catalog write-write conflict on create with "dst"')
        return super().run(con, source, now_ns)


def test_a_write_conflict_is_executed_again_not_counted_as_an_attempt(con):
    task = add_task(con, created=T0)
    outcome = execute_run(con, RunRequest(task, T0 + HOUR), context(ConflictOnceExecutor()))
    assert outcome.status == "success"
    (run,) = store.list_runs(con, task.id)
    assert run.attempt == 1
    assert any("Write conflict" in line.message for line in store.list_logs(con, task.id, run.id))


def test_offset_sets_run_at(con):
    from transpile.values import Duration

    task = add_task(con, created=T0, offset=Duration(0, 300 * 10**9))
    execute_run(con, RunRequest(task, T0 + HOUR), context(WindowMeanExecutor()))
    (run,) = store.list_runs(con, task.id)
    assert run.run_at == T0 + HOUR + 300 * 10**9 and run.scheduled_for == T0 + HOUR


# ---------------------------------------------------------------- the file lock


def test_lock_error_names_the_holder_in_one_line(tmp_path):
    path = str(tmp_path / "held.duckdb")
    duckdb.connect(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({path!r})
            print("holding", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(DatabaseLocked) as info:
            open_database(path, read_only=True, wait_seconds=0.2)
        message = str(info.value)
        assert "\n" not in message and f"{path} is in use by process {holder.pid}" in message
        assert info.value.pid == holder.pid
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    open_database(path).close()  # released: opens again


def test_lock_error_message_ignores_other_errors(tmp_path):
    assert lock_error_message("x", duckdb.CatalogException("Catalog Error: nope")) is None
    assert lock_error_message("x", ValueError("Could not set lock on file")) is None


def test_worker_cursors_use_the_same_catalog(con):
    cursor = same_database_cursor(con)
    cursor.execute("CREATE TABLE made_by_cursor (x INTEGER)")
    cursor.close()
    assert con.execute("SELECT count(*) FROM made_by_cursor").fetchone()[0] == 0
