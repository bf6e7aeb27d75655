"""The seed task end to end with flux2sql's own compiler and to(): the issue's "done when".

Data are written with `runtime.Database.write`, the task is created and scheduled with
the command line and a fixed clock, and the output bucket is read back with a Flux query.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runtime.database import Database
from runtime.cli.main import app

SEED_FILE = Path("/work/shared/examples/seed_task_fixed.flux")
SEED = """option task = {name: "cqinterval15m", every: 1h, offset: 0m, concurrency: 1, retry: 5}

data = from(bucket: "telegraf/default")
  |> range(start: -task.every)
  |> filter(fn: (r) => r._measurement == "mem" and r.host == "myHost")

data
  |> aggregateWindow(every: 5m, fn: mean)
  |> to(bucket: "telegraf_downsampled")
"""
T0 = 1_704_067_200  # 2024-01-01T00:00:00Z, in seconds
HOURS = 4
READ_BACK = 'from(bucket: "telegraf_downsampled") |> range(start: 2024-01-01T00:00:00Z, stop: 2024-01-02T00:00:00Z)'


def cli(*args):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def write_data(path: str) -> None:
    lines = []
    for second in range(0, HOURS * 3600, 10):
        value = f"{second / 60:.4f}"
        lines.append(f"mem,host=myHost used_percent={value} {(T0 + second) * 10**9}")
        lines.append(f"mem,host=otherHost used_percent=1{value} {(T0 + second) * 10**9}")  # filtered out
    db = Database(path)
    db.write("\n".join(lines) + "\n", bucket="telegraf/default")
    db.close()


def expected_means() -> dict[str, float]:
    """5-minute means of myHost's values, stamped with each window's stop (aggregateWindow's _time)."""
    windows: dict[int, list[float]] = {}
    for second in range(0, HOURS * 3600, 10):
        windows.setdefault((second // 300 + 1) * 300, []).append(float(f"{second / 60:.4f}"))
    from transpile.timefmt import format_rfc3339

    return {format_rfc3339((T0 + stop) * 10**9): sum(v) / len(v) for stop, v in windows.items()}


def read_back(path: str) -> dict[str, float]:
    db = Database(path)
    try:
        result = db.query(READ_BACK)
        rows = {}
        for table in result:
            labels = [c.label for c in table.columns]
            assert dict(zip(table.key, table.key_values()))["host"] == "myHost"
            for row in table.rows:
                record = dict(zip(labels, row))
                from transpile.timefmt import format_rfc3339

                rows[format_rfc3339(record["_time"])] = record["_value"]
        return rows
    finally:
        db.close()


@pytest.fixture
def seed(tmp_path):
    script = tmp_path / "seed.flux"
    script.write_text(SEED_FILE.read_text() if SEED_FILE.exists() else SEED)
    return str(script)


def test_scheduled_runs_compute_the_means_once(tmp_path, seed):
    path = str(tmp_path / "e2e.duckdb")
    write_data(path)
    assert cli("task", "create", "--db", path, seed, "--now", "2024-01-01T00:00:00Z").exit_code == 0
    out = cli("scheduler", "--db", path, "--once", "--now", f"2024-01-01T0{HOURS}:00:00Z")
    assert f"{HOURS} run(s): {HOURS} succeeded, 0 failed" in out.stdout, out.output
    assert read_back(path) == pytest.approx(expected_means())
    again = cli("scheduler", "--db", path, "--once", "--now", f"2024-01-01T0{HOURS}:00:00Z")
    assert "nothing due" in again.stdout
    runs = json.loads(cli("task", "runs", "cqinterval15m", "--db", path, "--json").stdout)
    assert [r["rows_written"] for r in runs] == [12] * HOURS and all(r["sql"] for r in runs)
    # Running a window again (a retry at its scheduled time) overwrites, never duplicates.
    cli("task", "run", "cqinterval15m", "--db", path, "--at", "2024-01-01T02:00:00Z", "--now", "2024-01-01T05:00:00Z")
    assert read_back(path) == pytest.approx(expected_means())
    dry = cli("task", "run", "cqinterval15m", "--db", path, "--at", "2024-01-01T02:00:00Z", "--dry-run").stdout
    assert "covers [2024-01-01T01:00:00Z, 2024-01-01T02:00:00Z)" in dry


def test_backfill_gives_the_same_rows_as_the_schedule(tmp_path, seed):
    path = str(tmp_path / "backfill.duckdb")
    write_data(path)
    cli("task", "create", "--db", path, seed, "--now", f"2024-01-01T0{HOURS}:00:00Z")
    out = cli("task", "backfill", "cqinterval15m", "--db", path, "--start", "2024-01-01T00:00:00Z",
              "--stop", f"2024-01-01T0{HOURS}:00:00Z", "--now", f"2024-01-01T0{HOURS}:30:00Z")
    assert f"{HOURS} of {HOURS} run(s) done" in out.stdout, out.output
    assert read_back(path) == pytest.approx(expected_means())


def test_a_failing_task_is_retried_and_keeps_the_real_error(tmp_path):
    path = str(tmp_path / "failing.duckdb")
    write_data(path)
    script = tmp_path / "broken.flux"
    script.write_text('option task = {name: "broken", every: 1h, retry: 2}\n'
                      'from(bucket: "not-there") |> range(start: -task.every) |> to(bucket: "out")\n')
    created = cli("task", "create", "--db", path, str(script), "--now", "2024-01-01T00:00:00Z")
    assert created.exit_code == 0 and "bucket 'not-there' not found" in created.stderr
    cli("scheduler", "--db", path, "--once", "--now", "2024-01-01T01:00:00Z", "--retry-delay", "0.01")
    runs = json.loads(cli("task", "runs", "broken", "--db", path, "--json").stdout)
    assert sorted(r["attempt"] for r in runs) == [1, 2, 3]
    assert all(r["status"] == "failed" and "2:6: from: bucket 'not-there' not found" in r["error"] for r in runs)


def test_sigkill_of_a_real_scheduler_leaves_whole_windows_and_the_restart_completes(tmp_path, seed):
    import os
    import signal
    import subprocess
    import sys

    path = str(tmp_path / "killed.duckdb")
    write_data(path)
    cli("task", "create", "--db", path, seed, "--now", "2024-01-01T00:00:00Z")
    root = str(Path(__file__).parent.parent)
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; from runtime.cli.main import app; sys.argv[0] = 'flux2sql'; app()",
         "scheduler", "--db", path, "--once", "--now", f"2024-01-01T0{HOURS}:00:00Z", "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root,
        env={**os.environ, "PYTHONPATH": root},
    )
    try:
        for line in child.stdout:
            if "scheduled for 2024-01-01T02:00:00Z: started" in line:
                break  # 01:00 committed; 02:00 has just started (compiling): kill it there
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        child.kill()
    means = expected_means()
    written = read_back(path)
    runs = json.loads(cli("task", "runs", "cqinterval15m", "--db", path, "--json").stdout)
    succeeded = {r["scheduled_for"] for r in runs if r["status"] == "success"}
    assert "2024-01-01T01:00:00Z" in succeeded
    assert any(r["status"] == "started" for r in runs)  # killed inside a run
    for hour in range(1, HOURS + 1):
        stop = f"2024-01-01T0{hour}:00:00Z"
        window = [t for t in means if f"2024-01-01T0{hour - 1}:05:00Z" <= t <= stop]
        present = [t for t in window if t in written]
        # A window is all there (its run committed) or not at all.
        assert present == (window if stop in succeeded else []), stop
    out = cli("scheduler", "--db", path, "--once", "--now", f"2024-01-01T0{HOURS}:00:00Z")
    assert out.exit_code == 0 and "was interrupted; its output was rolled back" in out.stdout
    assert read_back(path) == pytest.approx(means)
    runs = json.loads(cli("task", "runs", "cqinterval15m", "--db", path, "--json").stdout)
    assert [r["status"] for r in runs if r["scheduled_for"] == "2024-01-01T02:00:00Z"] == ["success", "canceled"]
