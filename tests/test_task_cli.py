"""`flux2sql task ...` and `flux2sql scheduler`, driven by a fixed clock (--now).

The script executor is replaced by the seed-task double of task_fakes (flux2sql's compiler
is tested elsewhere); everything else is the real command line, store and scheduler.
"""
from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from runtime.cli.main import app
from runtime.tasks import executor as executor_module

from task_fakes import HOUR, WindowMeanExecutor, dst_rows, expected_means, make_source_db, t

SEED = """// Task options
option task = {
    name: "cqinterval15m",
    every: 1h,
    offset: 0m,
    concurrency: 1,
    retry: 5
}

from(bucket: "telegraf/default")
  |> range(start: -task.every)
  |> filter(fn: (r) => r._measurement == "mem" and r.host == "myHost")
  |> aggregateWindow(every: 5m, fn: mean)
  |> to(bucket: "telegraf_downsampled")
"""
T0 = "2024-01-01T00:00:00Z"


@pytest.fixture
def env(tmp_path, monkeypatch):
    path = str(tmp_path / "data.duckdb")
    make_source_db(path, t("2024-01-01T00:00:00Z"), t("2024-01-02T00:00:00Z")).close()
    script = tmp_path / "seed.flux"
    script.write_text(SEED)
    fake = WindowMeanExecutor()
    monkeypatch.setattr(executor_module, "default_executor", lambda: fake)
    return path, str(script), fake, tmp_path


def cli(*args):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_lifecycle_with_a_fixed_clock(env):
    path, script, fake, _ = env
    out = cli("task", "create", "--db", path, script, "--now", T0)
    assert out.exit_code == 0, out.output
    assert "first run scheduled for 2024-01-01T01:00:00Z" in out.stdout
    listing = json.loads(cli("task", "list", "--db", path, "--now", T0, "--json").stdout)
    assert listing[0]["name"] == "cqinterval15m" and listing[0]["next_scheduled_for"] == "2024-01-01T01:00:00Z"

    out = cli("scheduler", "--db", path, "--once", "--now", "2024-01-02T00:00:00Z")
    assert out.exit_code == 0, out.output
    assert "24 run(s): 24 succeeded, 0 failed" in out.stdout
    assert fake.calls == [t(T0) + k * HOUR for k in range(1, 25)]
    con = duckdb.connect(path)
    assert dst_rows(con) == pytest.approx(expected_means(t(T0), t("2024-01-02T00:00:00Z")))
    con.close()

    out = cli("scheduler", "--db", path, "--once", "--now", "2024-01-02T00:00:00Z")
    assert "nothing due at 2024-01-02T00:00:00Z" in out.stdout and len(fake.calls) == 24

    history = json.loads(cli("task", "runs", "cqinterval15m", "--db", path, "--json", "--limit", "100").stdout)
    assert len(history) == 24 and {r["status"] for r in history} == {"success"}
    assert history[0]["scheduled_for"] == "2024-01-02T00:00:00Z" and history[0]["sql"]
    text = cli("task", "runs", "cqinterval15m", "--db", path).stdout
    assert "2024-01-01T01:00:00Z" in text and "success" in text
    logs = cli("task", "logs", "cqinterval15m", str(history[0]["id"]), "--db", path, "--sql").stdout
    assert "Completed(success): 12 rows written" in logs and "INSERT INTO dst" in logs


def test_create_errors_are_one_line_with_a_position(env, tmp_path):
    path, _, _, _ = env
    bad = tmp_path / "bad.flux"
    bad.write_text('option task = {name: "x", every: 500ms}\nfrom(bucket: "b")\n')
    out = cli("task", "create", "--db", path, str(bad))
    assert out.exit_code == 1
    assert out.stderr.splitlines()[0] == f"{bad}:1:34: invalid options: every option must be at least 1 second"
    assert "Traceback" not in out.output
    out = cli("task", "create", "--db", path, str(bad), "--now", "yesterday")
    assert out.exit_code == 1 and "--now" in out.stderr


def test_duplicate_create_and_unknown_task(env):
    path, script, _, _ = env
    assert cli("task", "create", "--db", path, script, "--now", T0).exit_code == 0
    out = cli("task", "create", "--db", path, script, "--now", T0)
    assert out.exit_code == 1 and "already exists" in out.stderr
    out = cli("task", "show", "nope", "--db", path)
    assert out.exit_code == 1 and "no task named 'nope' (tasks: cqinterval15m)" in out.stderr


def test_manual_run_retry_and_dry_run(env):
    path, script, fake, _ = env
    cli("task", "create", "--db", path, script, "--now", T0)
    out = cli("task", "run", "cqinterval15m", "--db", path, "--at", "2024-01-01T05:00:00Z", "--now", "2024-01-01T12:00:00Z")
    assert out.exit_code == 0, out.output
    assert fake.calls == [t("2024-01-01T05:00:00Z")]
    # Default --at: the latest scheduled time that is due (an aligned window).
    cli("task", "run", "cqinterval15m", "--db", path, "--now", "2024-01-01T12:34:56Z")
    assert fake.calls[-1] == t("2024-01-01T12:00:00Z")
    run_id = json.loads(cli("task", "runs", "cqinterval15m", "--db", path, "--json").stdout)[-1]["id"]
    cli("task", "run", "cqinterval15m", "--db", path, "--retry", str(run_id), "--now", "2024-01-02T00:00:00Z")
    assert fake.calls[-1] == t("2024-01-01T05:00:00Z")  # a retry keeps the scheduled time
    history = json.loads(cli("task", "runs", "cqinterval15m", "--db", path, "--json").stdout)
    assert [r["trigger"] for r in history] == ["manual", "retry", "manual"]
    out = cli("task", "run", "cqinterval15m", "--db", path, "--at", "2024-01-01T07:00:00Z", "--dry-run")
    assert "-- scheduled for 2024-01-01T07:00:00Z = now() in the script" in out.stdout
    assert "covers [2024-01-01T06:00:00Z, 2024-01-01T07:00:00Z)" in out.stdout
    assert len(fake.calls) == 3  # a dry run runs nothing


def test_failing_run_shows_the_real_error(env):
    path, script, fake, _ = env
    fake.fail = True
    cli("task", "create", "--db", path, script, "--now", T0)
    out = cli("task", "run", "cqinterval15m", "--db", path, "--at", "2024-01-01T01:00:00Z", "--now", "2024-01-01T02:00:00Z",
              "--retry-delay", "0")
    assert out.exit_code == 1
    assert "bucket_that_does_not_exist" in out.stderr
    history = json.loads(cli("task", "runs", "cqinterval15m", "--db", path, "--json").stdout)
    assert len(history) == 6 and all("bucket_that_does_not_exist" in r["error"] for r in history)
    assert sorted(r["attempt"] for r in history) == [1, 2, 3, 4, 5, 6]
    text = cli("task", "runs", "cqinterval15m", "--db", path, "--status", "failed").stdout
    assert text.count("failed") == 6


def test_backfill_matches_the_scheduled_runs_and_resumes(env, tmp_path):
    path, script, fake, _ = env
    cli("task", "create", "--db", path, script, "--now", T0)
    out = cli("task", "backfill", "cqinterval15m", "--db", path, "--start", "2024-01-01T00:00:00Z",
              "--stop", "2024-01-01T06:00:00Z", "--now", "2024-01-02T00:00:00Z", "--dry-run")
    assert out.stdout.splitlines()[0] == "6 run(s) of cqinterval15m:"
    fake.fail_times = {t("2024-01-01T04:00:00Z"): 100}
    out = cli("task", "backfill", "cqinterval15m", "--db", path, "--start", "2024-01-01T00:00:00Z",
              "--stop", "2024-01-01T06:00:00Z", "--now", "2024-01-02T00:00:00Z", "--retry-delay", "0")
    assert out.exit_code == 1
    assert "backfill failed at 2024-01-01T04:00:00Z" in out.stderr and "run the same command again to resume" in out.stderr
    fake.fail_times = {}
    out = cli("task", "backfill", "cqinterval15m", "--db", path, "--start", "2024-01-01T00:00:00Z",
              "--stop", "2024-01-01T06:00:00Z", "--now", "2024-01-02T00:00:00Z")
    assert out.exit_code == 0, out.output
    assert "6 of 6 run(s) done (resumed: 3 already done)" in out.stdout
    successes = [c for c in fake.calls]
    assert successes[:3] == [t(T0) + k * HOUR for k in (1, 2, 3)]
    assert successes[-3:] == [t(T0) + k * HOUR for k in (4, 5, 6)]
    con = duckdb.connect(path)
    assert dst_rows(con) == pytest.approx(expected_means(t(T0), t("2024-01-01T06:00:00Z")))
    con.close()
    # The backfilled times count as done for the scheduler: it runs only 07:00 and later.
    before = len(fake.calls)
    cli("scheduler", "--db", path, "--once", "--now", "2024-01-01T08:00:00Z")
    assert fake.calls[before:] == [t("2024-01-01T07:00:00Z"), t("2024-01-01T08:00:00Z")]
    out = cli("task", "backfill", "cqinterval15m", "--db", path, "--start", "2024-01-01T00:00:00Z",
              "--stop", "2024-01-03T00:00:00Z", "--now", "2024-01-02T00:00:00Z")
    assert out.exit_code == 1 and "is not in the past" in out.stderr


def test_enable_disable_delete(env):
    path, script, fake, _ = env
    cli("task", "create", "--db", path, script, "--now", T0)
    assert cli("task", "disable", "cqinterval15m", "--db", path, "--now", "2024-01-01T00:30:00Z").exit_code == 0
    cli("scheduler", "--db", path, "--once", "--now", "2024-01-01T05:00:00Z")
    assert fake.calls == []
    out = cli("task", "enable", "cqinterval15m", "--db", path, "--now", "2024-01-01T05:10:00Z")
    assert "next run scheduled for 2024-01-01T06:00:00Z" in out.stdout  # the paused period is not run
    cli("scheduler", "--db", path, "--once", "--now", "2024-01-01T06:00:00Z")
    assert fake.calls == [t("2024-01-01T06:00:00Z")]
    assert cli("task", "delete", "cqinterval15m", "--db", path).exit_code == 0
    assert cli("task", "list", "--db", path).stdout.strip() == "no tasks"


def test_update_from_a_file(env, tmp_path):
    path, script, fake, _ = env
    cli("task", "create", "--db", path, script, "--now", T0)
    changed = tmp_path / "changed.flux"
    changed.write_text(SEED.replace("every: 1h", "every: 30m").replace('name: "cqinterval15m"', 'name: "half"'))
    out = cli("task", "update", "--db", path, str(changed), "--name", "cqinterval15m", "--now", "2024-01-01T02:10:00Z")
    assert out.exit_code == 0, out.output
    assert "updated task half: every 30m" in out.stdout and "next run scheduled for 2024-01-01T02:30:00Z" in out.stdout
    shown = json.loads(cli("task", "show", "half", "--db", path, "--json", "--now", "2024-01-01T02:10:00Z").stdout)
    assert shown["every"] == "30m" and shown["upcoming"][:2] == ["2024-01-01T02:30:00Z", "2024-01-01T03:00:00Z"]


def test_cron_task_with_time_zone(env, tmp_path):
    path, _, fake, _ = env
    script = tmp_path / "cron.flux"
    script.write_text('option task = {name: "nightly", cron: "0 2 * * *"}\nfrom(bucket: "b") |> range(start: -1d)\n')
    out = cli("task", "create", "--db", path, str(script), "--timezone", "Europe/Paris", "--now", "2024-01-01T00:00:00Z")
    assert "first run scheduled for 2024-01-01T01:00:00Z" in out.stdout  # 02:00 CET
    out = cli("task", "create", "--db", path, str(script), "--timezone", "Nowhere/Land", "--now", T0)
    assert out.exit_code == 1 and "unknown time zone" in out.stderr


def test_commands_report_a_locked_database_in_one_line(env):
    path, script, _, _ = env
    holder = duckdb.connect(path)  # this process holds the file: DuckDB lets no other process in
    try:
        import subprocess
        import sys

        code = (
            "import sys\n"
            "from runtime.cli.main import app\n"
            f"sys.argv = ['flux2sql', 'task', 'list', '--db', {path!r}]\n"
            "app()\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    finally:
        holder.close()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is in use by process" in lines[0] and "Traceback" not in result.stderr
