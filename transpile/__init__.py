"""flux2sql's compiler: Flux source -> AST -> Plan -> DuckDB SQL.

Public API:
    transpile.parse(source, filename) -> ast.File
    transpile.compile(source, now=...) -> Compiled (one lowered statement per result)
    transpile.to_sql(source, now=None) -> str

This package never imports duckdb or `runtime`: it produces SQL, it does not run it.
"""
from __future__ import annotations

import functools
import itertools
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
        """The statements in the order they run: each to()'s rows, then each result. A
        result that is a to() is read back from what the to() wrote: its statement is the
        to()'s, said once."""
        parts = []

        def statement(select, comment: str) -> None:
            select = select.copy()
            select.add_comments([f" {comment} "], prepend=True)
            parts.append(select.sql(dialect="duckdb", pretty=pretty) + ";")

        for result in self.results:
            writes = result.writes or []
            for to, select in writes:
                also = f", also result: {result.name}" if to is result.node else ""
                statement(select, f'to(bucket: "{to.bucket}"): the rows upserted into the bucket{also}')
            if not (writes and writes[-1][0] is result.node):
                statement(result.select, f"result: {result.name}")
        return "\n\n".join(parts) + ("\n" if parts else "")


def parse(source: str, filename: str = "<stdin>"):
    from .parser import parse as _parse

    return _parse(source, filename)


@functools.lru_cache(maxsize=64)
def _parse_once(source: str, filename: str):
    """The AST of a source text, parsed once: a task or a dashboard compiles the same text
    again and again with another `now` (the AST is immutable; errors are not kept)."""
    return parse(source, filename)


def compile(source: str, now: int | str | None = None, filename: str = "<stdin>", base_dir=None, catalog=None) -> Compiled:
    """Compile Flux `source`; `now` is the time now() returns (ns since epoch or RFC3339).

    `catalog` (an object with `bucket(name)` and `buckets()`) describes the buckets that
    `from()` reads. A stream holds one type per column, so a source holding a column in
    several types (the fields a `from()` reads, a CSV's tables) is first evaluated as type
    variants that pivot() can merge (analyze/variants.py); failing that, the program is
    compiled once per type group of each such source, each result has one statement per
    type group of the sources it reads, and the runtime concatenates their tables.
    """
    from .analyze.evaluate import Evaluator
    from .lower.lowerer import Lowerer
    from . import lower  # noqa: F401  (registers the node lowerings)

    if isinstance(now, str):
        from .timefmt import parse_rfc3339

        now = parse_rfc3339(now)
    tree = _parse_once(source, filename)
    if base_dir is None and filename not in ("<stdin>", "-"):
        base_dir = Path(filename).resolve().parent

    def evaluate(types: dict):
        program = Evaluator(now=now, base_dir=base_dir, catalog=catalog, source_types=types).run(tree)
        return program, [(r.name, _optimized(r.node)) for r in program.results]

    first = evaluate({})
    current, fixed, mixed = _source_choices([node for _, node in first[1]])
    if mixed:
        merged = _evaluate_all_choices(evaluate, fixed, mixed)
        if merged is not None:
            program, results = merged
            _check_writes([node for _, node in results])
            compiled = [Lowerer().lower_result(name, node) for name, node in results]
            return Compiled(compiled, program.options, program.now)
    # One compilation per combination of the mixed sources' type groups; each result is
    # lowered once per combination of the sources it reads.
    compiled, done = [], set()
    for combination in itertools.product(*mixed.values()):
        types = {**fixed, **dict(zip(mixed, combination))}
        # The first evaluation serves the combination whose choices it already made.
        same = all(current.get(site) == choice for site, choice in types.items())
        program, results = first if same else evaluate(types)
        _check_writes([node for _, node in results])
        for index, (name, node) in enumerate(results):
            read = tuple(sorted({s.site: types[s.site] for s in _sources([node]) if s.site in mixed}.items()))
            if (index, read) not in done:
                done.add((index, read))
                compiled.append(Lowerer().lower_result(name, node))
    return Compiled(compiled, program.options, program.now)


def _evaluate_all_choices(evaluate, fixed: dict, mixed: dict):
    """The program evaluated once with its mixed-type sources in all their type groups at
    once (analyze/variants.py), or None when some step needs them compiled apart."""
    from .analyze.variants import AllChoices, NeedsSplit

    try:
        return evaluate({**fixed, **{site: AllChoices(tuple(options)) for site, options in mixed.items()}})
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


def _source_choices(nodes) -> tuple[dict, dict, dict]:
    """The sources that may be compiled several ways (see `compile`): the choice each made,
    the one choice of those with a single type group, and the options of the others."""
    current, fixed, mixed = {}, {}, {}
    for source in _sources(nodes):
        options = source.source_choices()
        current[source.site] = source.source_choice
        if len(options) > 1:
            mixed[source.site] = options
        elif options:
            fixed[source.site] = options[0]
    return current, fixed, mixed


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
