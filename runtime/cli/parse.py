"""`flux2sql parse FILE...`: check that Flux files parse; `--json` prints the AST."""
from __future__ import annotations

import json
import sys
from typing import List

import typer

from .common import load_source, report


def register(app: typer.Typer) -> None:
    app.command("parse")(parse)


def parse(
    files: List[str] = typer.Argument(..., help="Flux files to parse ('-' for standard input)."),
    as_json: bool = typer.Option(False, "--json", help="Print the AST as JSON."),
) -> None:
    """Parse Flux files: exit 0 when all parse, else print FILE:LINE:COL: message per error."""
    from transpile import ast
    from transpile.errors import FluxError
    from transpile.parser import parse as parse_flux

    # The parser allows ASTs up to transpile.parser.MAX_NESTING levels; to_json recurses.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))
    failed = False
    trees = []
    for path in files:
        try:
            source, name = load_source(path)
        except FluxError as error:
            report(error, "<stdin>" if path == "-" else path)
            failed = True
            continue
        try:
            tree = parse_flux(source, name)
        except FluxError as error:
            report(error, name, source)
            failed = True
            continue
        if as_json:
            trees.append(ast.to_json(tree))
    if as_json and not failed:
        typer.echo(json.dumps(trees[0] if len(trees) == 1 else trees, indent=2))
    raise typer.Exit(1 if failed else 0)
