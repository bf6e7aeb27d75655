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
    """Run the CLI. Every failure is one line on stderr and a non-zero exit: a usage error
    (exit 2), a user error (exit 1, printed by the command), an unexpected error of ours
    (exit 70; FLUX2SQL_DEBUG=1 shows the traceback)."""
    import os
    import sys

    import typer

    click = _click_exceptions()
    try:
        # Not standalone: click would print a usage error as a "Usage:" block first.
        code = app(standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except getattr(click, "NoArgsIsHelpError", ()) as error:  # `flux2sql task` alone: the help, as click shows it
        error.show()
        sys.exit(error.exit_code)
    except click.ClickException as error:
        sys.stderr.write(usage_error_line(error) + "\n")
        sys.exit(error.exit_code)
    except Exception as exc:  # a bug of ours: never a traceback for the user
        if os.environ.get("FLUX2SQL_DEBUG"):
            raise
        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc} (set FLUX2SQL_DEBUG=1 for details)\n")
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)


def _click_exceptions():
    """click's exception classes: typer >= 0.2x vendors click, older typer uses click itself."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    return exceptions


def usage_error_line(error) -> str:
    """`error: <what is wrong> (see `flux2sql CMD --help`)` for a click error, on one line."""
    message = " ".join(error.format_message().split())
    ctx = getattr(error, "ctx", None)
    if ctx is None:
        return f"error: {message}"
    return f"error: {message} (see `{ctx.command_path} --help`)"


if __name__ == "__main__":
    main()
