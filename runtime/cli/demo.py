"""`flux2sql demo`: the example task end to end on bundled data, in a temporary database."""
from __future__ import annotations

from importlib.resources import files

import typer

DEMO_NOW = "2023-11-15T00:00:00Z"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)


def demo_cmd() -> None:
    """Load bundled telegraf-like data, show the SQL of the example task and what it writes."""
    import sys

    from runtime.database import Database
    from runtime.execute import compile_for

    examples = files("runtime").joinpath("examples")
    task = examples.joinpath("seed_task.flux").read_text()
    with Database() as db:
        written = db.write(examples.joinpath("telegraf.lp").read_text(), bucket="telegraf/default")
        typer.echo(f"# 1. Loaded {written.points} points ({written.values} field values) of bundled data "
                   "into bucket telegraf/default.")
        typer.echo("\n# 2. The example task (InfluxDB's 'Write an InfluxDB task' page):\n")
        typer.echo(task)
        typer.echo(f"# 3. Its SQL, with now() = {DEMO_NOW} (the run at the top of the hour):\n")
        typer.echo(compile_for(db.connection, task, _ns(DEMO_NOW)).sql())
        result = db.query(task, now=DEMO_NOW)
        typer.echo(f"# 4. The run wrote {result.rows_written} field values into telegraf_downsampled. Reading them back:\n")
        check = 'from(bucket: "telegraf_downsampled") |> range(start: -1h) |> filter(fn: (r) => r._field == "used_percent")'
        db.query(check, now=DEMO_NOW).write(sys.stdout, "table")


def _ns(text: str) -> int:
    from transpile.timefmt import parse_rfc3339

    return parse_rfc3339(text)
