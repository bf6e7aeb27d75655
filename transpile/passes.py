"""Plan-to-plan rewrites, applied in order by `optimize`.

Each pass is a function PlanNode -> PlanNode that returns new nodes (plans are immutable)
and is idempotent. Shared sub-plans stay shared: a node is rewritten once.
"""
from __future__ import annotations

import dataclasses

from .plan import Filter, Group, PlanNode, Project, Range, Sort
from .plan.reshape import ColumnLabels, Distinct
from .plan.storage import From, SeriesKeys, SeriesValues
from .types import FluxType
from .scalar import Call, Col, Lit, Scalar, columns_used


def rewrite(node: PlanNode, visit, memo: dict | None = None) -> PlanNode:
    """Rebuild `node` bottom-up, applying `visit` to every node after its inputs."""
    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, PlanNode):
            new = rewrite(value, visit, memo)
            if new is not value:
                changes[f.name] = new
        elif isinstance(value, tuple) and value and all(isinstance(v, PlanNode) for v in value):
            new = tuple(rewrite(v, visit, memo) for v in value)
            if any(a is not b for a, b in zip(new, value)):
                changes[f.name] = new
    out = dataclasses.replace(node, **changes) if changes else node
    out = visit(out)
    memo[id(node)] = out
    return out


def merge_range_into_scan(node: PlanNode) -> PlanNode:
    """`from() |> range()`: the time bounds become part of the scan (and prune its row groups)."""
    if isinstance(node, Range) and isinstance(node.input, From) and node.input.start is None:
        return dataclasses.replace(node.input, start=node.start, stop=node.stop)
    return node


def merge_filter_into_scan(node: PlanNode) -> PlanNode:
    """`from() |> range() |> filter()`: equalities on _measurement and _field choose the tables
    and columns to read; conditions on tags and time go into the scan's WHERE; the rest
    (conditions on _value, ...) stays a filter above the scan."""
    if not (isinstance(node, Filter) and isinstance(node.input, From) and not node.keep_empty):
        return node
    scan = node.input
    scan_columns = {"_time", "_measurement", "_field", *scan.tag_keys()}
    kept, pushed = [], []
    measurements, fields = scan.measurements, scan.fields
    for term in conjuncts(node.predicate):
        chosen = equality_set(term)
        if chosen is not None and chosen[0] == "_measurement":
            measurements = chosen[1] if measurements is None else measurements & chosen[1]
        elif chosen is not None and chosen[0] == "_field":
            fields = chosen[1] if fields is None else fields & chosen[1]
        elif columns_used(term) <= scan_columns:
            pushed.append(term)
        else:
            kept.append(term)
    predicate = scan.predicate
    for term in pushed:
        predicate = term if predicate is None else Call("and", (predicate, term), term.type)
    new_scan = dataclasses.replace(scan, measurements=measurements, fields=fields, predicate=predicate)
    if not kept:
        return new_scan
    rest = kept[0]
    for term in kept[1:]:
        rest = Call("and", (rest, term), rest.type)
    return Filter(new_scan, rest, False, flux_name=node.flux_name)


def conjuncts(expr: Scalar) -> list[Scalar]:
    if isinstance(expr, Call) and expr.fn == "and":
        return conjuncts(expr.args[0]) + conjuncts(expr.args[1])
    return [expr]


def equality_set(expr: Scalar) -> tuple[str, frozenset] | None:
    """`r.c == "a"` or `r.c == "a" or r.c == "b"` -> ("c", {"a", "b"})."""
    if isinstance(expr, Call) and expr.fn == "or":
        left, right = equality_set(expr.args[0]), equality_set(expr.args[1])
        if left and right and left[0] == right[0]:
            return left[0], left[1] | right[1]
        return None
    if isinstance(expr, Call) and expr.fn == "==":
        a, b = expr.args
        if isinstance(b, Col):
            a, b = b, a
        if isinstance(a, Col) and isinstance(b, Lit) and isinstance(b.value, str):
            return a.name, frozenset([b.value])
    return None


def read_schema_from_tables(node: PlanNode) -> PlanNode:
    """The schema functions' pipelines (functions/influxdb_schema.py) over a bucket scan
    read the measurement tables directly:

    - `keep(columns: [c]) |> group() |> distinct(column: c) |> sort()` of a tag (with or
      without `filter(fn: (r) => exists r._value)` before the sort),
      `_measurement` or `_field` becomes `SeriesValues`: a tag's distinct values read
      once per measurement table (a row exists only where some field has a value, so
      without a condition on `_field` no field column is read); a measurement or a field
      is present when one row of it matches (reading stops at the first).
    - `keys() |> keep(columns: ["_value"]) |> distinct() |> sort()` becomes `SeriesKeys`.

    The catalog only prunes (a measurement without the tag has no value for it): what is
    listed still depends on the rows in range that match the predicate. Only a scan with a
    range and no condition left above it (on `_value`, ...) is rewritten; the `sort()`
    is required because the values come sorted, where distinct() alone keeps the order of
    first appearance.
    """
    if not (isinstance(node, Sort) and node.columns == ("_value",) and not node.desc):
        return node
    distinct = node.input
    if isinstance(distinct, Filter) and _is_exists_value(distinct.predicate) and not distinct.keep_empty:
        distinct = distinct.input  # tag values have no nulls anyway
    if not isinstance(distinct, Distinct):
        return node
    below = distinct.input
    column = distinct.column
    if isinstance(below, Group) and below.key == () and isinstance(below.input, Project):
        scan = below.input.input
        while isinstance(scan, Project) and _selects(scan, column):
            scan = scan.input  # a keep() or drop() before: the column passes as it is
        if (isinstance(scan, From) and scan.start is not None and _keeps_only(below.input, column)
                and column in ("_measurement", "_field", *scan.tag_keys())):
            return SeriesValues(scan, column)
    if (column == "_value" and isinstance(below, Project) and _keeps_only(below, "_value")
            and below.key == () and isinstance(below.input, ColumnLabels) and below.input.column == "_value"):
        scan = below.input.input
        if isinstance(scan, From) and scan.start is not None and below.input.labels == scan.schema.key:
            return SeriesKeys(scan)
    return node


def _is_exists_value(predicate: Scalar) -> bool:
    return (isinstance(predicate, Call) and predicate.fn == "exists" and len(predicate.args) == 1
            and isinstance(predicate.args[0], Col) and predicate.args[0].name == "_value")


def _selects(project: Project, column: str) -> bool:
    """`project` only selects columns (keep, drop), `column` among them."""
    return (all(isinstance(v, Col) and v.name == label for label, v in project.columns)
            and any(label == column for label, _ in project.columns))


def _keeps_only(project: Project, column: str) -> bool:
    """`project` is keep(columns: [column]) of a string column."""
    if len(project.columns) != 1:
        return False
    label, value = project.columns[0]
    return label == column and isinstance(value, Col) and value.name == column and project.types == (FluxType.STRING,)


PASSES = (merge_range_into_scan, merge_filter_into_scan, read_schema_from_tables)


def optimize(node: PlanNode) -> PlanNode:
    for step in PASSES:
        node = rewrite(node, step, memo={})
    return node
