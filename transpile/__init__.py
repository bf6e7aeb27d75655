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
    """Compile Flux `source`; `now` is the time now() returns (ns since epoch or RFC3339).

    `catalog` (an object with `bucket(name)` and `buckets()`) describes the buckets that
    `from()` reads. A stream holds one `_value` type, so when the fields a `from()` reads
    have several types, the program is compiled once per type and each result has one
    statement per type; the runtime concatenates their tables.
    """
    from .analyze.evaluate import Evaluator
    from .lower.lowerer import Lowerer
    from . import lower  # noqa: F401  (registers the node lowerings)

    if isinstance(now, str):
        from .timefmt import parse_rfc3339

        now = parse_rfc3339(now)
    tree = parse(source, filename)
    if base_dir is None and filename not in ("<stdin>", "-"):
        base_dir = Path(filename).resolve().parent

    def evaluate(types: dict):
        program = Evaluator(now=now, base_dir=base_dir, catalog=catalog, source_types=types).run(tree)
        return program, [(r.name, _optimized(r.node)) for r in program.results]

    first = evaluate({})
    partitions = _type_partitions([node for _, node in first[1]])
    if len(partitions) > 1:
        merged = _evaluate_all_choices(evaluate, partitions)
        if merged is not None:
            program, results = merged
            _check_writes([node for _, node in results])
            compiled = [Lowerer().lower_result(name, node) for name, node in results]
            return Compiled(compiled, program.options, program.now)
    initial = {source.site: source.source_choice for source in _sources([node for _, node in first[1]])}
    compiled = []
    for types in partitions:
        # The first evaluation serves the partition whose choices it already made.
        same = all(initial.get(site) == choice for site, choice in types.items())
        program, results = first if same else evaluate(types)
        _check_writes([node for _, node in results])
        compiled += [Lowerer().lower_result(name, node) for name, node in results]
    return Compiled(compiled, program.options, program.now)


def _evaluate_all_choices(evaluate, partitions: list[dict]):
    """The program evaluated once with its mixed-type source in all its type groups at
    once (analyze/variants.py), or None when some step needs them compiled apart."""
    from .analyze.variants import AllChoices, NeedsSplit

    site = next(site for site in partitions[0] if partitions[0][site] != partitions[1].get(site))
    types = dict(partitions[0])
    types[site] = AllChoices(tuple(p[site] for p in partitions))
    try:
        return evaluate(types)
    except NeedsSplit:
        return None


def _optimized(node):
    from .passes import optimize

    return optimize(node)


def _sources(nodes) -> list:
    """The source nodes that may be compiled several ways (from(), csv.from with mixed types)."""
    found, seen, stack = [], set(), list(nodes)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(node, "site", 0):
            found.append(node)
        stack.extend(node.inputs)
    return found


def _type_partitions(nodes) -> list[dict]:
    """One {source site: choice} per compilation (see `compile`): a single compilation
    unless one source has several choices (types of its fields, groups of its tables)."""
    choices: dict = {}
    current: dict = {}
    for source in _sources(nodes):
        choices[source.site] = source.source_choices()
        current[source.site] = source.source_choice
    multi = [site for site, options in choices.items() if len(options) > 1]
    if len(multi) > 1:
        raise FluxUnsupportedError(
            "two sources each hold columns of several types (e.g. fields of mixed types); "
            "filter one of them to a single type"
        )
    single = {site: options[0] for site, options in choices.items() if len(options) == 1}
    if not multi:
        return [single] if any(current[site] != choice for site, choice in single.items()) else [{}]
    return [{**single, multi[0]: choice} for choice in choices[multi[0]]]


def _check_writes(nodes) -> None:
    from .plan.storage import To

    read = {scan.bucket for scan in _sources(nodes) if hasattr(scan, "bucket")}
    stack, seen = list(nodes), set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, To) and node.bucket in read:
            raise FluxSemanticError(f"to(): cannot write into bucket {node.bucket!r} while reading it", node.span)
        stack.extend(node.inputs)


def to_sql(source: str, now: int | str | None = None) -> str:
    """The DuckDB SQL of a Flux script: one statement per yield."""
    return compile(source, now=now).sql()
