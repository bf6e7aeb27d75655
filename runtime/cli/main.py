"""Assembles the `flux2sql` typer application from the command modules."""
from __future__ import annotations

import typer

from . import parse as parse_cmd
from . import query as query_cmd
from . import functions as functions_cmd
from . import demo as demo_cmd
from . import task as task_cmd
from . import scheduler as scheduler_cmd
from . import write as write_cmd

app = typer.Typer(
    name="flux2sql",
    help="Run Flux (InfluxDB's query and task language) on DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

parse_cmd.register(app)
query_cmd.register(app)
functions_cmd.register(app)
demo_cmd.register(app)
write_cmd.register(app)
task_cmd.register(app)
scheduler_cmd.register(app)


def main() -> None:
    """Run the CLI; an unexpected error is one line on stderr (FLUX2SQL_DEBUG=1 shows the traceback)."""
    import os
    import sys

    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:  # a bug of ours: never a traceback for the user
        if os.environ.get("FLUX2SQL_DEBUG"):
            raise
        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc} (set FLUX2SQL_DEBUG=1 for details)\n")
        sys.exit(70)


if __name__ == "__main__":
    main()
