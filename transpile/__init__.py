"""flux2sql's compiler: Flux source -> AST -> Plan -> DuckDB SQL.

Public API:
    transpile.parse(source, filename) -> ast.File
    transpile.compile(source, now=...) -> Compiled (one lowered statement per result)
    transpile.to_sql(source, now=None) -> str

This package never imports duckdb or `runtime`: it produces SQL, it does not run it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import FluxError, FluxSemanticError, FluxSyntaxError, FluxUnsupportedError, Span  # noqa: F401


@dataclass
class Compiled:
    """A compiled program: the SQL statement of each result, and the program's options."""

    results: list  # list[lower.lowerer.LoweredResult]
    options: dict
    now: int | None

    def sql(self, pretty: bool = True) -> str:
        parts = []
        for result in self.results:
            select = result.select.copy()
            select.add_comments([f" result: {result.name} "], prepend=True)
            parts.append(select.sql(dialect="duckdb", pretty=pretty) + ";")
        return "\n\n".join(parts) + ("\n" if parts else "")


def parse(source: str, filename: str = "<stdin>"):
    from .parser import parse as _parse

    return _parse(source, filename)


def compile(source: str, now: int | str | None = None, filename: str = "<stdin>", base_dir=None, catalog=None) -> Compiled:
    """Compile Flux `source`; `now` is the time now() returns (ns since epoch or RFC3339)."""
    from .analyze.evaluate import Evaluator
    from .lower.lowerer import Lowerer
    from . import lower  # noqa: F401  (registers the node lowerings)

    if isinstance(now, str):
        from .timefmt import parse_rfc3339

        now = parse_rfc3339(now)
    tree = parse(source, filename)
    if base_dir is None and filename not in ("<stdin>", "-"):
        base_dir = Path(filename).resolve().parent
    program = Evaluator(now=now, base_dir=base_dir, catalog=catalog).run(tree)
    results = [Lowerer().lower_result(r.name, r.node) for r in program.results]
    return Compiled(results, program.options, program.now)


def to_sql(source: str, now: int | str | None = None) -> str:
    """The DuckDB SQL of a Flux script: one statement per yield."""
    return compile(source, now=now).sql()
