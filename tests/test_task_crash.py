"""Crashes and stops, in real processes: SIGKILL mid-run, SIGTERM, a second signal.

Each child process runs the real scheduler (its own code in `-c`, with the seed-task
double as executor) and announces on stdout when a run has written its output and is
still inside its transaction; the parent then signals it.
"""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from runtime.tasks import store
from runtime.tasks.scheduler import Scheduler

from task_fakes import HOUR, WindowMeanExecutor, add_task, dst_rows, expected_means, make_source_db, t

TESTS = str(Path(__file__).parent)
ROOT = str(Path(__file__).parent.parent)
T0 = t("2024-01-01T00:00:00Z")

CHILD = """
import sys
sys.path[:0] = [{tests!r}, {root!r}]
from task_fakes import WindowMeanExecutor
from runtime.tasks import executor as executor_module

def announce(now):
    print("inside", now, flush=True)

fake = WindowMeanExecutor(slow_at={slow_at}, slow_query={slow_query}, announce=announce)
executor_module.default_executor = lambda: fake
from runtime.cli.main import app
sys.argv = ["flux2sql"] + {args!r}
app()
"""


def start_child(path, slow_at, args, slow_query=False, command=("scheduler",)):
    args = [*command, "--db", path, *args]
    code = CHILD.format(tests=TESTS, root=ROOT, slow_at=slow_at, slow_query=slow_query, args=args)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_inside(child) -> str:
    lines = []
    for line in child.stdout:
        lines.append(line)
        if line.startswith("inside"):
            return "".join(lines)
    child.wait(timeout=30)
    raise AssertionError("the child never reached the slow run:\n" + "".join(lines) + child.stderr.read())


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "crash.duckdb")
    con = make_source_db(path, T0, T0 + 24 * HOUR)
    add_task(con, created=T0)
    con.close()
    return path


def test_sigkill_mid_run_leaves_no_partial_output_and_the_next_start_redoes_it(db):
    child = start_child(db, T0 + 3 * HOUR, ["--once", "--now", "2024-01-01T04:00:00Z"])
    wait_inside(child)  # runs 01:00 and 02:00 committed; 03:00 wrote its output, uncommitted
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    con = duckdb.connect(db)
    assert dst_rows(con) == pytest.approx(expected_means(T0, T0 + 2 * HOUR))  # nothing of 03:00
    task = store.get_task(con, "downsample")
    assert [(r.scheduled_for, r.status) for r in reversed(store.list_runs(con, task.id))] == [
        (T0 + HOUR, "success"), (T0 + 2 * HOUR, "success"), (T0 + 3 * HOUR, "started")]
    con.close()

    executor = WindowMeanExecutor()
    summary = Scheduler(db, executor=executor, clock=lambda: T0 + 4 * HOUR).run_once()
    assert summary.interrupted == 1
    assert executor.calls == [T0 + 3 * HOUR, T0 + 4 * HOUR]
    con = duckdb.connect(db)
    assert dst_rows(con) == pytest.approx(expected_means(T0, T0 + 4 * HOUR))  # no duplicates
    statuses = [(r.scheduled_for, r.status) for r in reversed(store.list_runs(con, task.id))]
    assert statuses[2:] == [(T0 + 3 * HOUR, "canceled"), (T0 + 3 * HOUR, "success"), (T0 + 4 * HOUR, "success")]
    con.close()


def test_sigterm_lets_the_current_run_finish_and_exits_cleanly(db):
    child = start_child(db, T0 + 2 * HOUR, ["--once", "--now", "2024-01-01T05:00:00Z", "--workers", "1"])
    wait_inside(child)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert "stopping after the current run" in err
    con = duckdb.connect(db)
    task = store.get_task(con, "downsample")
    records = list(reversed(store.list_runs(con, task.id)))
    # 01:00 done before, 02:00 finished after the signal, nothing new started.
    assert [(r.scheduled_for, r.status) for r in records] == [(T0 + HOUR, "success"), (T0 + 2 * HOUR, "success")]
    assert dst_rows(con) == pytest.approx(expected_means(T0, T0 + 2 * HOUR))
    con.close()


def test_a_second_signal_aborts_the_run_and_rolls_it_back(db):
    child = start_child(db, T0 + 2 * HOUR, ["--once", "--now", "2024-01-01T05:00:00Z", "--workers", "1"], slow_query=True)
    wait_inside(child)
    try:
        child.send_signal(signal.SIGINT)
        # Two signals sent at once may be handled as one: wait until the first is seen.
        assert "stopping after the current run" in child.stderr.readline()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 0, err
    con = duckdb.connect(db)
    task = store.get_task(con, "downsample")
    records = list(reversed(store.list_runs(con, task.id)))
    assert [(r.scheduled_for, r.status) for r in records] == [(T0 + HOUR, "success"), (T0 + 2 * HOUR, "canceled")]
    assert "rolled back" in records[-1].error
    assert dst_rows(con) == pytest.approx(expected_means(T0, T0 + HOUR))
    con.close()
    # The canceled run is redone by the next start.
    executor = WindowMeanExecutor()
    Scheduler(db, executor=executor, clock=lambda: T0 + 2 * HOUR).run_once()
    assert executor.calls == [T0 + 2 * HOUR]


def test_task_run_interrupted_twice_rolls_back_and_exits_130(db):
    child = start_child(db, T0 + HOUR, ["--at", "2024-01-01T01:00:00Z", "--now", "2024-01-01T02:00:00Z"],
                        slow_query=True, command=("task", "run", "downsample"))
    wait_inside(child)
    try:
        child.send_signal(signal.SIGINT)
        assert "stopping after the current run" in child.stderr.readline()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130, err
    assert "rolled back" in err and "Traceback" not in err
    con = duckdb.connect(db)
    task = store.get_task(con, "downsample")
    (record,) = store.list_runs(con, task.id)
    assert record.status == "canceled" and record.trigger == "manual"
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'dst'").fetchone()[0] == 0
    con.close()
