"""aggregateWindow() over the fields of a storage scan, read from the wide measurement table.

`from() |> range() |> filter() |> aggregateWindow(fn: mean)` over several fields would
scan the measurement table once per field (a UNION ALL, lower/storage.py) and group the
series rows. A row of the wide table holds every field of one tag set at one time, so
one GROUP BY over it computes every field's aggregate per (tag set, window) at once:
`avg("used") ... count("used")` per field column, the aggregate taking the rows where
that field has a value, as the field's own series would. The grouped rows are then
turned into one row per field (`unnest` of the field names and values), keeping only the
fields that had a value in the window: the rows the per-field aggregate gives, after
which the windows are cut and filled as for any windowed aggregate (lower/aggregates.py).

A program over fields of mixed types is evaluated as type variants joined by a union
once their columns agree (transpile/analyze/variants.py): the union of the same
aggregate over each variant's scan is one such GROUP BY over all their fields.

It only applies when the scan is read by this aggregate alone and the windows are cut
at constant bounds (see aggregates.raw_windows); anything else is lowered step by step.
"""
from __future__ import annotations

import dataclasses

from sqlglot import exp

from .. import plan as p
from ..plan.storage import From
from ..scalar import columns_used
from . import sql
from .aggregates import AGGREGATES, WINDOW, AggregateInput, RawWindows, raw_windows, windowed_result
from .lowerer import SEQ, Lowerer, order_sql
from .relation import Relation
from .storage import _scan_column, pinned_tags, union_of_scans

COUNT = "__count"


def applies(lw: Lowerer, nodes) -> bool:
    """Whether `nodes` are windowed aggregates, the same step over scans of the same
    series that differ only in `_value` type (or one such aggregate), each read once,
    reading two fields or more in all."""
    first = nodes[0]
    if not all(_shape_of(n) is not None and _same_step(n, first) for n in nodes) or first.function not in AGGREGATES:
        return False
    scans = [n.input.input for n in nodes]
    if any(lw.uses.get(id(s), 0) > 1 or id(s) in lw.memo or lw.uses.get(id(n.input), 0) > 1
           for n, s in zip(nodes, scans)):
        return False
    if any(not _same_scan(s, scans[0]) for s in scans) or len({s.value_type for s in scans}) != len(scans):
        return False
    if scans[0].predicate is not None and "_field" in columns_used(scans[0].predicate):
        return False  # a condition on the field name is not one on the rows of the table
    return len(_read(scans)) > 1


def _read(scans) -> list:
    return [(layout, f) for s in scans for layout, f in s.selected() if f.type == s.value_type]


def fields_under_common_steps(lw: Lowerer, union: p.Union) -> p.PlanNode | None:
    """`union(f(a), f(b))` as `f(union(a, b))` when a and b are aggregates that `applies`
    to and f is the same chain of steps that keep each table apart (a projection that
    keeps the key, window(every: inf)): aggregateWindow's duplicate and window after its
    aggregate, for the type variants of one from(). The union is then one GROUP BY."""
    streams, steps = list(union.streams), []
    while all(_table_wise(s) for s in streams) and all(_same_fields(s, streams[0]) for s in streams):
        steps.append(streams[0])
        streams = [s.input for s in streams]
    if not steps or not applies(lw, streams):
        return None
    if any(lw.uses.get(id(s), 0) > 1 for step in [union.streams] for s in step):
        return None
    node = dataclasses.replace(union, streams=tuple(streams))
    for step in reversed(steps):
        node = dataclasses.replace(step, input=node)
    return node


def _table_wise(node) -> bool:
    """A step that works on each table alone and keeps tables apart."""
    if not (isinstance(node, p.Project) or (isinstance(node, p.Window) and node.every_inf)):
        return False
    return set(node.input.schema.key) <= set(node.schema.key)


def _same_fields(a, b) -> bool:
    return type(a) is type(b) and _fields(dataclasses.replace(a, input=None)) == _fields(dataclasses.replace(b, input=None))


def aggregate_of_fields(lw: Lowerer, nodes: list) -> Relation | None:
    """The rows of `nodes` (see `applies`) read as one GROUP BY per measurement table, or
    None when that does not apply (then each is lowered step by step)."""
    if not applies(lw, nodes):
        return None
    first = nodes[0]
    scans = [n.input.input for n in nodes]
    read = _read(scans)
    window = first.input
    by_table = {}
    for layout, f in read:
        by_table.setdefault(layout.measurement, (layout, []))[1].append(f)
    parts, raw = [], None
    for layout, fields in by_table.values():
        rows = _table_rows(scans[0], layout, fields)
        raw = raw_windows(window, rows)
        if raw is None:
            return None
        parts.append(_fields_of_table(lw, first, raw, layout, fields))
    labels = [k for k in first.schema.key if k not in (window.start_column, window.stop_column)] + [WINDOW, first.column]
    long = parts[0] if len(parts) == 1 else union_of_scans(lw, first.step, parts, labels)
    return windowed_result(lw, long, first, raw, lambda ref, start, stop: {first.column: ref(first.column)})


def _shape_of(node) -> From | None:
    """The scan under `node` when it is an aggregate of window() of a from()."""
    if isinstance(node, p.Aggregate) and p.core.windowed(node) and isinstance(node.input.input, From):
        return node.input.input
    return None


def _same_step(a, b) -> bool:
    """The same aggregate of the same window (inputs aside)."""
    def step(n):
        return dataclasses.replace(n, input=None)

    return type(a) is type(b) and _fields(step(a)) == _fields(step(b)) \
        and _fields(step(a.input)) == _fields(step(b.input))


def _fields(node) -> dict:
    return {f.name: getattr(node, f.name) for f in dataclasses.fields(node) if f.name not in ("input", "out_type")}


def _same_scan(a: From, b: From) -> bool:
    """Scans of the same series (a type variant of one from() differs only in value_type)."""
    return (a.catalog, a.measurements, a.fields, a.start, a.stop, a.predicate) == \
        (b.catalog, b.measurements, b.fields, b.start, b.stop, b.predicate)


def _table_rows(scan: From, layout, fields: list) -> Relation:
    """The rows of one measurement table that hold one of `fields`, with the scan's
    columns except `_field` and `_value` (the range, the pushed-down filter)."""
    pinned = pinned_tags(scan)
    columns = {label: _scan_column(scan, layout, None, label, pinned)
               for label in scan.schema.labels if label not in ("_field", "_value")}
    columns[SEQ] = sql.func("epoch_ns", sql.col("_time"))
    where = []
    if len(fields) < len(layout.fields):
        # Rows holding none of these fields add nothing; every stored row holds some field.
        present = [exp.Not(this=exp.Is(this=sql.col(f.column), expression=exp.Null())) for f in fields]
        anyone = present[0]
        for c in present[1:]:
            anyone = exp.Or(this=anyone, expression=c)
        where.append(exp.Paren(this=anyone) if len(present) > 1 else anyone)
    if scan.start is not None:
        where.append(exp.GTE(this=sql.col("_time"), expression=sql.time_literal(scan.start)))
        where.append(exp.LT(this=sql.col("_time"), expression=sql.time_literal(scan.stop)))
    if scan.predicate is not None:
        from .scalars import lower_scalar

        where.append(lower_scalar(scan.predicate, lambda c: _scan_column(scan, layout, None, c)))
    source = exp.Table(this=sql.ident(layout.table), db=sql.ident(layout.schema))
    return Relation(source=source, columns=columns, where=where)


def _fields_of_table(lw: Lowerer, node: p.Aggregate, raw: RawWindows, layout, fields: list) -> Relation:
    """One row per (series, window, field with a value in it): the aggregate of every
    field per (series, window), then unnested into field rows."""
    rel, window = raw.rel, raw.window
    bounds = (window.start_column, window.stop_column)
    keys = [k for k in node.schema.key if k not in bounds and k != "_field"]
    grouped = {k: rel.ref(k) for k in keys}
    grouped[WINDOW] = raw.bucket.copy()
    build = AGGREGATES[node.function]
    order = order_sql(rel, window)
    for i, f in enumerate(fields):
        value = sql.col(f.column)
        grouped[f"__value_{i}"] = build(AggregateInput(value, f.type, dict(node.params), value.copy(), order))
        grouped[f"{COUNT}_{i}"] = sql.func("count", value.copy())
    wide = lw.materialize(rel.with_columns(grouped, group_by_all=True), node.step)
    listed = lambda items: exp.Array(expressions=items)  # noqa: E731
    unnested = {k: wide.ref(k) for k in keys + [WINDOW]}
    unnested["_field"] = sql.func("unnest", listed([exp.Literal.string(f.key) for f in fields]))
    unnested[node.column] = sql.func("unnest", listed([wide.ref(f"__value_{i}") for i in range(len(fields))]))
    unnested[COUNT] = sql.func("unnest", listed([wide.ref(f"{COUNT}_{i}") for i in range(len(fields))]))
    long = lw.materialize(wide.with_columns(unnested), f"{node.step}_fields")
    out = long.with_columns({k: long.ref(k) for k in keys + ["_field", WINDOW, node.column]})
    out.where.append(exp.GT(this=long.ref(COUNT), expression=sql.number(0)))
    return out
