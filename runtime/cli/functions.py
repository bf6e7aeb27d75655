"""`flux2sql functions`: which Flux functions are supported (the coverage table)."""
from __future__ import annotations

from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parents[2]


def register(app: typer.Typer) -> None:
    app.command("functions")(functions_cmd)


def coverage_rows():
    from importlib.resources import files

    from transpile.coverage import coverage

    known = [l for l in files("transpile").joinpath("flux_stdlib.txt").read_text().splitlines() if l and not l.startswith("#")]
    return coverage(ROOT / "golden", known)


def functions_cmd(
    markdown: bool = typer.Option(False, "--markdown", help="Print the README's Markdown table."),
    status: str = typer.Option(None, "--status", help="Only functions with this status (supported, partial, not supported)."),
) -> None:
    """List the Flux functions flux2sql knows, with their status and the golden file showing each."""
    from transpile.coverage import markdown as to_markdown

    rows = [r for r in coverage_rows() if status is None or r.status == status]
    if markdown:
        typer.echo(to_markdown(rows), nl=False)
        return
    width = max((len(r.name) for r in rows), default=10)
    for r in rows:
        note = f" ({r.note})" if r.note else ""
        typer.echo(f"{r.name:<{width}}  {r.status}{note}")
