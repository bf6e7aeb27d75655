"""Flux tasks: `option task`, the schedule grid, run history, the runner, the scheduler.

Public API (see docs/tasks.md): `read_task_options`, `schedule_for`, `plan_due_runs`,
`create_task` ... in `lifecycle`, `execute_run` in `runner`, `Scheduler`, `run_backfill`.
Submodules import duckdb and croniter; this package file imports nothing heavy.
"""
