"""The one place where tasks reach the Flux compiler and executor.

Owns the adapter between the task runner and `runtime.execute`: `run_script(con, source,
now_ns)` compiles a script with now() = now_ns and executes its statements on `con`
without committing (the runner owns the transaction); `script_sql(source, now_ns)` gives
the SQL for `--dry-run`. Both are imported lazily so that the task machinery can be
tested with another executor (anything with the two methods of `ScriptExecutor`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import duckdb


@dataclass(frozen=True)
class ScriptOutcome:
    """What one execution of a task script did."""

    rows_written: int
    sql: str


class ScriptExecutor(Protocol):
    def run(self, con: duckdb.DuckDBPyConnection, source: str, now_ns: int) -> ScriptOutcome:
        """Execute on `con` inside the caller's transaction; raise FluxError or duckdb.Error."""

    def sql(self, source: str, now_ns: int, con: duckdb.DuckDBPyConnection | None = None) -> str:
        """The SQL that `run` would execute on `con` (whose catalog it may use), with now()
        resolved; raise FluxError."""


class ExecutorUnavailable(RuntimeError):
    """This build of flux2sql has no script executor (runtime.execute.run_script/script_sql)."""


def _execute_function(name: str):
    try:
        import runtime.execute as execute
    except ImportError as error:
        raise ExecutorUnavailable(f"flux2sql cannot execute task scripts: {error}") from None
    function = getattr(execute, name, None)
    if function is None:
        raise ExecutorUnavailable(f"flux2sql cannot execute task scripts: runtime.execute has no {name}()")
    return function


class FluxScriptExecutor:
    """The real executor: flux2sql's compiler and `to()` (runtime.execute)."""

    def run(self, con: duckdb.DuckDBPyConnection, source: str, now_ns: int) -> ScriptOutcome:
        outcome = _execute_function("run_script")(con, source, now_ns)
        return ScriptOutcome(rows_written=int(outcome.rows_written), sql=outcome.sql)

    def sql(self, source: str, now_ns: int, con: duckdb.DuckDBPyConnection | None = None) -> str:
        return _execute_function("script_sql")(source, now_ns, con)


def default_executor() -> ScriptExecutor:
    return FluxScriptExecutor()
