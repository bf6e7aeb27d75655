"""The scheduler: due runs with a fixed clock, idempotence, catch-up, concurrency, crashes."""
from __future__ import annotations

import duckdb
import pytest

from runtime.tasks import store
from runtime.tasks.catchup import CatchUp
from runtime.tasks.runner import RetryPolicy
from runtime.tasks.scheduler import Scheduler
from transpile.values import Duration

from task_fakes import HOUR, MINUTE, FakeClock, WindowMeanExecutor, add_task, dst_rows, expected_means, make_source_db, t

DAY_START = t("2024-01-01T00:00:00Z")
DAY_STOP = t("2024-01-02T00:00:00Z")


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "tasks.duckdb")
    con = make_source_db(path, DAY_START, DAY_STOP)
    yield path, con
    con.close()


def once(path, now, executor, **kwargs):
    scheduler = Scheduler(path, executor=executor, clock=lambda: now, backoff_wait=lambda s: False, **kwargs)
    return scheduler.run_once()


def runs(path, name="downsample"):
    con = duckdb.connect(path)
    try:
        task = store.get_task(con, name)
        return list(reversed(store.list_runs(con, task.id)))
    finally:
        con.close()


def test_once_runs_exactly_the_due_hourly_runs_and_outputs_the_means(db):
    path, con = db
    add_task(con, created=DAY_START)  # created at 00:00: first run at 01:00
    con.close()
    executor = WindowMeanExecutor()
    summary = once(path, DAY_STOP + 30 * MINUTE, executor)
    hours = [DAY_START + k * HOUR for k in range(1, 25)]
    assert executor.calls == hours  # in scheduled order; now() = scheduled time
    assert summary.succeeded == 24 and summary.failed == 0
    records = runs(path)
    assert [r.scheduled_for for r in records] == hours
    assert all(r.status == "success" and r.attempt == 1 and r.rows_written == 12 for r in records)
    assert all(r.sql for r in records)
    con = duckdb.connect(path)
    assert dst_rows(con) == pytest.approx(expected_means(DAY_START, DAY_STOP))
    con.close()
    # A second identical call runs nothing.
    again = WindowMeanExecutor()
    assert once(path, DAY_STOP + 30 * MINUTE, again).outcomes == []
    assert again.calls == []


def test_first_run_is_the_first_grid_point_after_creation(db):
    path, con = db
    add_task(con, created=t("2024-01-01T02:30:00Z"))
    con.close()
    executor = WindowMeanExecutor()
    once(path, t("2024-01-01T02:59:59Z"), executor)
    assert executor.calls == []
    once(path, t("2024-01-01T03:00:00Z"), executor)
    assert executor.calls == [t("2024-01-01T03:00:00Z")]


def test_offset_delays_the_run_but_keeps_now(db):
    path, con = db
    add_task(con, created=DAY_START, offset=Duration(0, 5 * MINUTE))
    con.close()
    executor = WindowMeanExecutor()
    once(path, t("2024-01-01T01:04:59Z"), executor)
    assert executor.calls == []
    once(path, t("2024-01-01T01:05:00Z"), executor)
    assert executor.calls == [t("2024-01-01T01:00:00Z")]
    (record,) = runs(path)
    assert record.scheduled_for == t("2024-01-01T01:00:00Z") and record.run_at == t("2024-01-01T01:05:00Z")


def test_catch_up_latest_runs_only_the_newest_and_logs_the_skip(db):
    path, con = db
    task = add_task(con, created=DAY_START, catch_up=CatchUp.LATEST)
    con.close()
    executor = WindowMeanExecutor()
    once(path, t("2024-01-01T05:10:00Z"), executor)
    assert executor.calls == [t("2024-01-01T05:00:00Z")]
    con = duckdb.connect(path)
    logs = [line.message for line in store.list_logs(con, task.id) if line.run_id is None]
    assert any("Skipped 4 run(s) scheduled from 2024-01-01T01:00:00Z to 2024-01-01T04:00:00Z" in m for m in logs)
    con.close()
    # The skipped runs stay skipped.
    once(path, t("2024-01-01T06:00:00Z"), executor)
    assert executor.calls == [t("2024-01-01T05:00:00Z"), t("2024-01-01T06:00:00Z")]


def test_catch_up_skip_is_influxdb_behaviour_at_start(db):
    path, con = db
    add_task(con, created=DAY_START, catch_up=CatchUp.SKIP)
    con.close()
    executor = WindowMeanExecutor()
    once(path, t("2024-01-01T05:10:00Z"), executor)
    assert executor.calls == []
    once(path, t("2024-01-01T06:10:00Z"), executor)
    assert executor.calls == []  # each --once is a start: missed runs are skipped


def test_catch_up_all_is_bounded_by_max_catch_up(db):
    path, con = db
    add_task(con, created=DAY_START, max_catch_up=3)
    con.close()
    executor = WindowMeanExecutor()
    summary = once(path, t("2024-01-01T10:00:00Z"), executor)
    assert executor.calls == [t("2024-01-01T08:00:00Z"), t("2024-01-01T09:00:00Z"), t("2024-01-01T10:00:00Z")]
    assert summary.skipped == 7
    once(path, t("2024-01-01T10:30:00Z"), executor)
    assert len(executor.calls) == 3


def test_inactive_tasks_do_not_run(db):
    path, con = db
    task = add_task(con, created=DAY_START)
    with store.transaction(con):
        store.set_status(con, task.id, "inactive", DAY_START)
    con.close()
    executor = WindowMeanExecutor()
    once(path, DAY_STOP, executor)
    assert executor.calls == []


def test_failing_task_is_retried_retry_times_with_backoff_and_keeps_the_error(db):
    path, con = db
    add_task(con, created=DAY_START, retry=3)
    con.close()
    waits: list[float] = []
    executor = WindowMeanExecutor(fail=True)
    scheduler = Scheduler(path, executor=executor, clock=lambda: t("2024-01-01T01:00:00Z"),
                          retry=RetryPolicy(base_delay=2.0, factor=2.0, max_delay=60),
                          backoff_wait=lambda seconds: waits.append(seconds) or False)
    summary = scheduler.run_once()
    assert summary.failed == 1
    assert waits == [2.0, 4.0, 8.0]
    records = runs(path)
    assert [r.attempt for r in records] == [1, 2, 3, 4]
    assert {r.scheduled_for for r in records} == {t("2024-01-01T01:00:00Z")}
    assert all(r.status == "failed" for r in records)
    assert [r.will_retry for r in records] == [True, True, True, False]
    assert all("bucket_that_does_not_exist" in r.error for r in records)
    con = duckdb.connect(path)
    # The failed attempts wrote nothing: each was rolled back.
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'dst'").fetchone()[0] == 0
    con.close()
    # A final failure is not run again by the next pass.
    again = WindowMeanExecutor()
    once(path, t("2024-01-01T01:30:00Z"), again)
    assert again.calls == []


def test_retry_succeeds_after_transient_failures(db):
    path, con = db
    add_task(con, created=DAY_START, retry=5)
    con.close()
    executor = WindowMeanExecutor(fail_times={t("2024-01-01T01:00:00Z"): 2})
    once(path, t("2024-01-01T01:00:00Z"), executor)
    records = runs(path)
    assert [(r.attempt, r.status) for r in records] == [(1, "failed"), (2, "failed"), (3, "success")]
    con = duckdb.connect(path)
    assert len(dst_rows(con)) == 12
    con.close()


def test_concurrency_limits_parallel_runs_of_a_task(db):
    path, con = db
    add_task(con, "one", created=DAY_START, concurrency=1)
    con.close()
    executor = WindowMeanExecutor(delay=0.02)
    once(path, t("2024-01-01T08:00:00Z"), executor, workers=4)
    assert executor.max_active == 1
    assert executor.calls == sorted(executor.calls)


def test_concurrency_allows_parallel_runs_up_to_the_limit(db):
    path, con = db
    add_task(con, "three", created=DAY_START, concurrency=3)
    con.close()
    executor = WindowMeanExecutor(delay=0.1)
    once(path, t("2024-01-01T09:00:00Z"), executor, workers=8)
    assert 2 <= executor.max_active <= 3
    assert sorted(set(executor.calls)) == [DAY_START + k * HOUR for k in range(1, 10)]
    # Concurrent runs may conflict in DuckDB (both creating `dst`); that is not a failure.
    records = runs(path, "three")
    assert len(records) == 9 and all(r.status == "success" and r.attempt == 1 for r in records)
    con = duckdb.connect(path)
    assert dst_rows(con) == pytest.approx(expected_means(DAY_START, t("2024-01-01T09:00:00Z")))
    con.close()


def test_interrupted_run_is_canceled_and_redone_without_duplicates(db):
    path, con = db
    task = add_task(con, created=DAY_START)
    con.close()
    once(path, t("2024-01-01T02:00:00Z"), WindowMeanExecutor())
    # Simulate a process killed during the 03:00 run: a committed `started` record, and the
    # output transaction never committed.
    con = duckdb.connect(path)
    with store.transaction(con):
        store.insert_run(con, task=task, trigger="schedule", scheduled_for=t("2024-01-01T03:00:00Z"),
                         run_at=t("2024-01-01T03:00:00Z"), status="started", attempt=1, started_at=1)
    con.close()
    executor = WindowMeanExecutor()
    summary = once(path, t("2024-01-01T03:30:00Z"), executor)
    assert summary.interrupted == 1
    assert executor.calls == [t("2024-01-01T03:00:00Z")]
    records = [r for r in runs(path) if r.scheduled_for == t("2024-01-01T03:00:00Z")]
    assert [r.status for r in records] == ["canceled", "success"]
    assert "interrupted" in records[0].error
    con = duckdb.connect(path)
    assert dst_rows(con) == pytest.approx(expected_means(DAY_START, t("2024-01-01T03:00:00Z")))
    con.close()


def test_interrupted_run_is_redone_even_when_policy_skips(db):
    path, con = db
    task = add_task(con, created=DAY_START, catch_up=CatchUp.SKIP)
    with store.transaction(con):
        store.insert_run(con, task=task, trigger="schedule", scheduled_for=t("2024-01-01T01:00:00Z"),
                         run_at=t("2024-01-01T01:00:00Z"), status="started", attempt=1, started_at=1)
    con.close()
    executor = WindowMeanExecutor()
    once(path, t("2024-01-01T04:30:00Z"), executor)
    assert executor.calls == [t("2024-01-01T01:00:00Z")]


def test_pending_retry_is_resumed_at_next_start(db):
    path, con = db
    task = add_task(con, created=DAY_START, retry=2)
    with store.transaction(con):
        run_id = store.insert_run(con, task=task, trigger="schedule", scheduled_for=t("2024-01-01T01:00:00Z"),
                                  run_at=t("2024-01-01T01:00:00Z"), status="started", attempt=1, started_at=1)
        store.finish_run(con, run_id, status="failed", finished_at=2, error="boom", will_retry=True)
    con.close()
    executor = WindowMeanExecutor()
    once(path, t("2024-01-01T01:30:00Z"), executor)
    records = runs(path)
    assert [(r.attempt, r.status) for r in records] == [(1, "failed"), (2, "success")]


def test_manual_run_queued_for_the_future_is_run_by_the_scheduler(db):
    path, con = db
    task = add_task(con, created=DAY_START)
    with store.transaction(con):
        store.insert_run(con, task=task, trigger="manual", scheduled_for=t("2024-01-01T00:30:00Z"),
                         run_at=t("2024-01-01T00:45:00Z"), status="scheduled", attempt=1, requested_at=DAY_START)
    con.close()
    executor = WindowMeanExecutor()
    once(path, t("2024-01-01T00:44:00Z"), executor)
    assert executor.calls == []
    once(path, t("2024-01-01T00:45:00Z"), executor)
    assert executor.calls == [t("2024-01-01T00:30:00Z")]
    (record,) = runs(path)
    assert record.status == "success" and record.trigger == "manual"


def test_forever_loop_with_a_fake_clock(db):
    path, con = db
    add_task(con, created=t("2024-01-01T00:10:00Z"), every=Duration(0, 15 * MINUTE))
    con.close()
    executor = WindowMeanExecutor(period=15 * MINUTE)
    clock = FakeClock(t("2024-01-01T00:10:00Z"), stop_at=t("2024-01-01T01:20:00Z"))
    scheduler = Scheduler(path, executor=executor, clock=clock, sleep=clock.sleep, poll_interval=3600)
    clock.scheduler = scheduler
    scheduler.run_forever()
    assert executor.calls == [t("2024-01-01T00:15:00Z") + k * 15 * MINUTE for k in range(5)]
    # It slept until each next run instead of polling.
    assert clock.sleeps[0] == pytest.approx(300.0)


def test_forever_loop_releases_the_file_while_idle(db):
    path, con = db
    add_task(con, created=DAY_START)
    con.close()
    seen: list[bool] = []

    def sleep(seconds):
        try:
            other = duckdb.connect(path)  # another "process" may open the file meanwhile
            other.close()
            seen.append(True)
        except duckdb.Error:
            seen.append(False)
        scheduler.stop()

    scheduler = Scheduler(path, executor=WindowMeanExecutor(), clock=lambda: t("2024-01-01T00:30:00Z"), sleep=sleep)
    scheduler.run_forever()
    assert seen == [True]


def test_cron_task_in_a_time_zone(db):
    path, con = db
    add_task(con, "paris", cron="0 2 * * *", every=None, timezone="Europe/Paris", created=t("2024-10-25T12:00:00Z"))
    con.close()
    executor = WindowMeanExecutor()
    once(path, t("2024-10-28T12:00:00Z"), executor)
    # 02:00 in Paris: CEST (UTC+2) until the 27th's fall-back, then CET; the repeated hour runs once.
    assert executor.calls == [t("2024-10-26T00:00:00Z"), t("2024-10-27T00:00:00Z"), t("2024-10-28T01:00:00Z")]
