"""Errors DuckDB raises while running a compiled Flux script, as one Flux error line.

Owns the wording of such an error and its position: the yield (or the implicitly yielded
expression statement) of the result whose statement failed, which runtime.execute records
on the error as `flux_result`. DuckDB does not say which Flux step failed, so the position
is the result's, not the step's. Must not run SQL.
"""
from __future__ import annotations

import dataclasses
import re

from transpile import ast
from transpile.errors import FluxError, Span

DEFAULT_RESULT = "_result"  # Flux's name for yield() without a name and for implicit yields

# DuckDB's advice on its own SQL (TRY(), SET ...) means nothing to a Flux user.
_DUCKDB_ADVICE = re.compile(r"\s*(Use TRY\(|or SET |HINT:).*$")
_DUCKDB_CLASS = re.compile(r"^(?P<kind>[A-Z][A-Za-z ]*) Error: ")


def runtime_error(error: BaseException, source: str, filename: str) -> FluxError:
    """A FluxError for `error`, positioned at the yield of the result that failed when it is
    known (or when the script has one result), else without a position."""
    span = result_span(source, filename, getattr(error, "flux_result", None))
    return FluxError(f"runtime error: {clean_message(error)}", span)


def clean_message(error: BaseException) -> str:
    """The first line of DuckDB's message, without its error class and its SQL advice."""
    return clean_text(str(error)) or type(error).__name__


def clean_text(text: str) -> str:
    """`clean_message` of an error's text (task runs keep DuckDB's text as it was)."""
    lines = text.strip().splitlines()
    text = lines[0] if lines else ""
    match = _DUCKDB_CLASS.match(text)
    if match and match["kind"] in ("Invalid Input", "Out of Range", "Conversion"):
        text = text[match.end():]
    return _DUCKDB_ADVICE.sub("", text).rstrip(" .!")


def result_span(source: str, filename: str, name: str | None) -> Span | None:
    """Where the result `name` is yielded; with `name` unknown, the one result's site."""
    import transpile

    try:
        tree = transpile.parse(source, filename)
    except (FluxError, RecursionError):
        return None
    sites = yield_sites(tree)
    if name is None:
        names = {site_name for site_name, _ in sites}
        if len(names) != 1:
            return None
        name = names.pop()
    return next((span for site_name, span in sites if site_name == name), None)


def yield_sites(tree) -> list[tuple[str, Span | None]]:
    """(result name, span) of every yield() call with a literal name (or none), and of every
    top-level expression statement, which Flux yields implicitly as _result."""
    sites = []
    for statement in getattr(tree, "body", ()):
        if isinstance(statement, ast.ExpressionStatement) and not _is_yield(statement.expression):
            sites.append((DEFAULT_RESULT, statement.span))
    stack = [tree]
    while stack:  # iterative: a script may nest deeper than Python's recursion limit
        node = stack.pop()
        if isinstance(node, ast.CallExpression) and _is_yield_call(node):
            name = _name_argument(node)
            if name is not None:
                sites.append((name, node.span))
        stack.extend(_children(node))
    return sorted(sites, key=lambda site: (site[1].line, site[1].column) if site[1] else (0, 0))


def _is_yield(expression) -> bool:
    return isinstance(expression, ast.PipeExpression) and _is_yield_call(expression.call)


def _is_yield_call(call: ast.CallExpression) -> bool:
    return isinstance(call.callee, ast.Identifier) and call.callee.name == "yield"


def _name_argument(call: ast.CallExpression) -> str | None:
    """The literal `name:` of a yield() call; _result without one; None when not a literal."""
    for prop in call.arguments.properties if call.arguments is not None else ():
        key = prop.key.name if isinstance(prop.key, ast.Identifier) else prop.key.value
        if key == "name":
            return prop.value.value if isinstance(prop.value, ast.StringLiteral) else None
    return DEFAULT_RESULT


def _children(node):
    if isinstance(node, (list, tuple)):
        return [child for child in node if child is not None]
    if not dataclasses.is_dataclass(node):
        return []
    out = []
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, (ast.Node, list, tuple)):
            out.append(value)
    return out
