"""Test doubles for the task tests: a script executor that behaves like the seed task.

`WindowMeanExecutor` stands in for flux2sql's compiler + `to()` (runtime.execute), which
the task machinery reaches only through the `ScriptExecutor` protocol. Like the seed
task, it averages `src` in 5-minute windows over [now - 1h, now), stamps each mean with
its window's stop (aggregateWindow's timeSrc), and overwrites those points in `dst`.
"""
from __future__ import annotations

import threading
import time

import duckdb

from runtime.tasks.executor import ScriptOutcome
from runtime.tasks.options import TaskOptions
from runtime.tasks.store import TaskRecord, ensure_schema, insert_task, transaction
from runtime.tasks.catchup import CatchUp
from transpile.timefmt import parse_rfc3339
from transpile.values import Duration

HOUR = 3600 * 1_000_000_000
MINUTE = 60 * 1_000_000_000
SECOND = 1_000_000_000


def t(text: str) -> int:
    return parse_rfc3339(text)


class WindowMeanExecutor:
    def __init__(self, *, period: int = HOUR, window: int = 5 * MINUTE, fail: bool = False,
                 fail_times: dict[int, int] | None = None, delay: float = 0.0,
                 slow_at: int | None = None, slow_query: bool = False, announce=None):
        self.period = period
        self.window = window
        self.fail = fail
        self.fail_times = dict(fail_times or {})  # now -> number of times to fail
        self.delay = delay
        # At `slow_at`, after writing its output, the run announces itself and then sleeps
        # (or runs a long DuckDB query, which can be interrupted): a window to kill it in.
        self.slow_at = slow_at
        self.slow_query = slow_query
        self.announce = announce
        self.calls: list[int] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def statements(self, now_ns: int) -> list[tuple[str, list]]:
        start = now_ns - self.period
        return [
            ("CREATE TABLE IF NOT EXISTS dst (time TIMESTAMP_NS, value DOUBLE)", []),
            ("DELETE FROM dst WHERE time > make_timestamp_ns(?) AND time <= make_timestamp_ns(?)", [start, now_ns]),
            (
                """INSERT INTO dst
                   SELECT make_timestamp_ns(? + (w + 1) * ?), avg(value)
                   FROM (SELECT (epoch_ns(time) - ?) // ? AS w, value FROM src
                         WHERE time >= make_timestamp_ns(?) AND time < make_timestamp_ns(?))
                   GROUP BY w""",
                [start, self.window, start, self.window, start, now_ns],
            ),
        ]

    def run(self, con: duckdb.DuckDBPyConnection, source: str, now_ns: int) -> ScriptOutcome:
        with self._lock:
            self.calls.append(now_ns)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            rows = 0
            for number, (sql, params) in enumerate(self.statements(now_ns)):
                result = con.execute(sql, params).fetchall()
                if number == 2:
                    rows = result[0][0] if result else 0
                    if self.delay:
                        time.sleep(self.delay)
                    if now_ns == self.slow_at:
                        if self.announce is not None:
                            self.announce(now_ns)
                        if self.slow_query:
                            con.execute("SELECT count(*) FROM range(100000000000) a(x) WHERE x % 7 = 3").fetchall()
                        else:
                            time.sleep(1.0)
            remaining = self.fail_times.get(now_ns, 0)
            if self.fail or remaining:
                self.fail_times[now_ns] = max(0, remaining - 1)
                # A real execution error, after some output was written: it must be rolled back.
                con.execute("SELECT * FROM bucket_that_does_not_exist")
            return ScriptOutcome(rows_written=rows, sql=self.sql(source, now_ns))
        finally:
            with self._lock:
                self.active -= 1

    def sql(self, source: str, now_ns: int, con=None) -> str:
        return ";\n".join(sql for sql, _ in self.statements(now_ns)) + ";"


def make_source_db(path: str, start: int, stop: int, step: int = 10 * SECOND) -> duckdb.DuckDBPyConnection:
    """A database with `src` points every `step` in [start, stop): value = minutes since start."""
    con = duckdb.connect(path)
    con.execute("CREATE TABLE src (time TIMESTAMP_NS, value DOUBLE)")
    con.execute(
        "INSERT INTO src SELECT make_timestamp_ns(?::BIGINT + i * ?::BIGINT), (i * ?::BIGINT) / 60e9 FROM range((? - ?) // ?) r(i)",
        [start, step, step, stop, start, step],
    )
    ensure_schema(con)
    return con


def add_task(con, name: str = "downsample", *, every: Duration | None = Duration(0, HOUR), cron: str | None = None,
             offset: Duration = Duration(), concurrency: int = 1, retry: int = 1, created: int,
             catch_up: CatchUp = CatchUp.ALL, max_catch_up: int = 1000, timezone: str | None = None) -> TaskRecord:
    options = TaskOptions(name=name, every=every if cron is None else None, cron=cron, offset=offset,
                          concurrency=concurrency, retry=retry)
    with transaction(con):
        return insert_task(con, source=f'option task = {{name: "{name}"}}\n', options=options, timezone=timezone,
                           catch_up=catch_up, max_catch_up=max_catch_up, status="active", now=created)


def expected_means(start: int, stop: int, step: int = 10 * SECOND, window: int = 5 * MINUTE) -> dict[int, float]:
    """Hand-computed 5-minute means of the `src` data over [start, stop), keyed by window stop."""
    sums: dict[int, list[float]] = {}
    for i in range((stop - start) // step):
        point = start + i * step
        value = (i * step) / 60e9
        stop_of_window = start + ((point - start) // window + 1) * window
        sums.setdefault(stop_of_window, []).append(value)
    return {k: sum(v) / len(v) for k, v in sums.items()}


def dst_rows(con) -> dict[int, float]:
    rows = con.execute("SELECT epoch_ns(time), value FROM dst ORDER BY time").fetchall()
    assert len(rows) == len({r[0] for r in rows}), "duplicate points in dst"
    return dict(rows)


class FakeClock:
    """A clock the scheduler reads and an idle wait that advances it instead of sleeping."""

    def __init__(self, now: int, stop_at: int | None = None, scheduler=None):
        self.now = now
        self.stop_at = stop_at
        self.scheduler = scheduler
        self.sleeps: list[float] = []

    def __call__(self) -> int:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(1, int(seconds * SECOND))
        if self.stop_at is not None and self.now > self.stop_at and self.scheduler is not None:
            self.scheduler.stop()
