"""Plan-to-plan rewrites, applied in order by `optimize`.

Each pass is a function PlanNode -> PlanNode that returns new nodes (plans are immutable)
and is idempotent. Shared sub-plans stay shared: a node is rewritten once.
"""
from __future__ import annotations

import dataclasses

from .plan import Filter, PlanNode, Range
from .plan.storage import From
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


PASSES = (merge_range_into_scan, merge_filter_into_scan)


def optimize(node: PlanNode) -> PlanNode:
    for step in PASSES:
        node = rewrite(node, step, memo={})
    return node
