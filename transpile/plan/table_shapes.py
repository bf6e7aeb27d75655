"""Table shapes: the groups of a stream's tables that have the same columns, found at compile time.

A stream has one static schema (see `core`): a column some tables lack is in the schema and
null in those tables. That is enough for most functions, but not for those whose output
*schema* depends on which columns a table has. Flux's joins work per table pair: `join()`
renames a column present in both tables of a pair and its output group key is the union of
the pair's keys (https://docs.influxdata.com/flux/v0/stdlib/universe/join/); `join.tables`
and `experimental.join` pair tables by group key, so tables keyed by different columns never
meet. To compile such a function, a stream is split into *shapes* and each combination is
compiled on its own (see `functions/join.py`).

Shapes come from the value domains (`domains`): each combination of group-key values names a
table, and a column that reads MISSING in it is not in that table. Tables are told apart in
SQL by which key columns are null, so tables whose key columns are null in the same places
form one shape (with the union of their columns): the split is always exact, and a stream
whose tables cannot be told apart (or whose data is not known at compile time) is one shape,
as before.

This module knows nothing of SQL.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..scalar import Call, Col, Scalar
from ..types import FluxType
from .core import Filter, PlanNode, Project
from .domains import MISSING, _rows


@dataclass(frozen=True)
class TableShape:
    """The columns (in schema order) and group key of some of a stream's tables, and the
    predicate over key columns that selects those tables (None: all tables)."""

    columns: tuple[str, ...]
    key: tuple[str, ...]
    predicate: Scalar | None = None


def table_shapes(node: PlanNode, by_all_columns: bool) -> list[TableShape]:
    """The shapes of `node`'s tables, in order of first appearance. With `by_all_columns`
    False only group-key columns count (a table then keeps every non-key column)."""
    schema = node.schema
    whole = TableShape(schema.labels, schema.key)
    key = schema.key
    tables = _rows(node, key, {}) if key else None
    if not tables:
        return [whole]
    # Null pattern of a table: which of its key cells are null (absent or a null value).
    patterns: dict[tuple, set] = {}
    for cells in tables:
        pattern = tuple(v is None or v is MISSING for v in cells)
        present = patterns.setdefault(pattern, set())
        present.update(k for k, v in zip(key, cells) if v is not MISSING)
    if len(patterns) == 1:
        return [whole]  # nothing tells the tables apart
    if by_all_columns:
        for label in schema.labels:
            if label not in key:
                _add_non_key(node, key, label, patterns)
    else:
        for present in patterns.values():
            present.update(label for label in schema.labels if label not in key)
    by_columns: dict[frozenset, list[tuple]] = {}
    for pattern, present in patterns.items():
        by_columns.setdefault(frozenset(present), []).append(pattern)
    if len(by_columns) == 1:
        return [whole]
    varying = [i for i in range(len(key)) if len({p[i] for p in patterns}) > 1]
    shapes = []
    for present, group in by_columns.items():
        predicate = _combine("or", [_pattern_test(schema, pattern, varying) for pattern in group])
        shapes.append(TableShape(tuple(c for c in schema.labels if c in present),
                                 tuple(k for k in key if k in present), predicate))
    return shapes


def restrict(node: PlanNode, shape: TableShape, flux_name: str) -> PlanNode:
    """The tables of `node` that have `shape`, with only the shape's columns and key."""
    schema = node.schema
    if shape.predicate is None and shape.columns == schema.labels and shape.key == schema.key:
        return node
    source = Filter(node, shape.predicate, flux_name=flux_name) if shape.predicate is not None else node
    columns = tuple((c, Col(c, schema.type_of(c))) for c in shape.columns)
    types: tuple[FluxType | None, ...] = tuple(schema.type_of(c) for c in shape.columns)
    return Project(source, columns, shape.key, types, flux_name=flux_name)


def _add_non_key(node: PlanNode, key: tuple, label: str, patterns: dict) -> None:
    """Add `label` to the columns of each null pattern whose tables may have it."""
    cells = _rows(node, key + (label,), {})
    if cells is None:  # not known: every table may have it
        for present in patterns.values():
            present.add(label)
        return
    for row in cells:
        if row[-1] is not MISSING:
            pattern = tuple(v is None or v is MISSING for v in row[:-1])
            if pattern in patterns:
                patterns[pattern].add(label)


def _pattern_test(schema, pattern: tuple, varying: list) -> Scalar:
    """`exists k` / `not exists k` for each key column whose nullness tells tables apart."""
    tests: list[Scalar] = []
    for i in varying:
        label = schema.key[i]
        present = Call("exists", (Col(label, schema.type_of(label)),), FluxType.BOOL)
        tests.append(Call("not", (present,), FluxType.BOOL) if pattern[i] else present)
    return _combine("and", tests)


def _combine(operator: str, tests: list[Scalar]) -> Scalar:
    """`a and b and c` as the binary calls the operators take."""
    out = tests[0]
    for test in tests[1:]:
        out = Call(operator, (out, test), FluxType.BOOL)
    return out
