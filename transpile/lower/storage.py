"""Lowering of `from()` (read a bucket's wide measurement tables as Flux series rows) and
`to()` (its input passes through; the write itself is a statement the runtime runs).

One SELECT per (measurement, field): `'mem' AS _measurement, 'used' AS _field, "used"
AS _value`, the tag columns, and the pushed-down range and filter in its WHERE, so DuckDB
reads only the columns and row groups it needs. Several are joined by UNION ALL.
"""
from __future__ import annotations

from sqlglot import exp

from ..plan.storage import From, SeriesKeys, SeriesValues, To
from ..scalar import columns_used
from ..types import FluxType
from . import sql
from .lowerer import SEQ, Lowerer, is_constant, lowers
from .relation import Relation
from .scalars import lower_scalar


@lowers(From)
def lower_from(lw: Lowerer, node: From) -> Relation:
    labels = list(node.schema.labels)
    pinned = pinned_tags(node)
    selects = []
    for layout, field in node.selected():
        if field.type != node.value_type:
            continue
        columns = {}
        for label in labels:
            columns[label] = _scan_column(node, layout, field, label, pinned)
        columns[SEQ] = sql.func("epoch_ns", sql.col("_time"))
        where = [exp.Not(this=exp.Is(this=sql.col(field.column), expression=exp.Null()))]
        if node.start is not None:
            where.append(exp.GTE(this=sql.col("_time"), expression=sql.time_literal(node.start)))
            where.append(exp.LT(this=sql.col("_time"), expression=sql.time_literal(node.stop)))
        if node.predicate is not None:
            where.append(lower_scalar(node.predicate, lambda c, l=layout, f=field: _scan_column(node, l, f, c)))
        source = exp.Table(this=sql.ident(layout.table), db=sql.ident(layout.schema))
        selects.append(Relation(source=source, columns=columns, where=where))
    if not selects:
        columns = {c.label: sql.null(c.type) for c in node.schema.columns}
        columns[SEQ] = sql.null(FluxType.INT)
        empty = Relation(source=exp.Values(expressions=[exp.Tuple(expressions=[exp.Null()])],
                                           alias=exp.TableAlias(this=sql.ident("nothing"))), columns=columns)
        empty.where.append(exp.false())
        return empty
    if len(selects) == 1:
        return selects[0]
    return union_of_scans(lw, node.step, selects, labels + [SEQ])


def union_of_scans(lw: Lowerer, step: str, selects: list, labels: list) -> Relation:
    """The scans as one CTE (UNION ALL). A column that is the same constant in every scan
    (the range bounds, the measurement) stays a constant over the CTE instead of a
    column of it, so later steps need not group, partition or sort by it."""
    constant = {label: e for label, e in selects[0].columns.items()
                if is_constant(e) and all(rel.columns[label] == e for rel in selects[1:])}
    for rel in selects:
        rel.columns = {label: e for label, e in rel.columns.items() if label not in constant}
    name = lw.ctes.add(step, sql.union_all([rel.to_select(copy=False) for rel in selects]))
    columns = {label: constant[label].copy() if label in constant else sql.col(label) for label in labels}
    return Relation(source=exp.Table(this=sql.ident(name)), columns=columns)


def pivoted_scan(lw: Lowerer, node) -> Relation | None:
    """`from() |> range() |> filter() |> pivot(rowKey: ["_time"], columnKey: ["_field"],
    valueColumn: "_value")` read straight from the wide measurement tables: a row of a
    measurement table is one (tag set, time) and holds every field, which is exactly a
    pivoted row (https://docs.influxdata.com/flux/v0/stdlib/universe/pivot/: one row per
    row-key value in each table, one column per field; the table's fields stored at that
    time, null where a field has no value). Rows where none of the fields has a value are
    not points. None when the pivot is not of that shape (then it groups the series rows).
    """
    scan = node.input
    if not (isinstance(scan, From) and node.row_key == ("_time",) and node.column_key == ("_field",)
            and node.value_column == "_value"):
        return None
    read = [(layout, f) for layout, f in scan.selected() if f.type == scan.value_type]
    new = {values[0]: label for label, values in node.new_columns}
    if not read or set(new) != {f.key for _, f in read}:
        return None
    labels = [c.label for c in node.schema.columns]
    kept = [label for label in labels if label not in new.values()]
    if any(label in new for label in ("_start", "_stop", "_time", "_measurement")) or len(set(labels)) != len(labels):
        return None
    if scan.predicate is not None and "_field" in columns_used(scan.predicate):
        return None  # a condition on the field name is not one on the rows of the table
    pinned = pinned_tags(scan)
    selects = []
    for name, layout in sorted({l.measurement: l for l, _ in read}.items()):
        fields = {f.key: f for l, f in read if l is layout}
        columns = {label: _scan_column(scan, layout, None, label, pinned) for label in kept}
        for key, label in new.items():
            f = fields.get(key)
            columns[label] = sql.col(f.column) if f is not None else sql.null(scan.value_type)
        columns[SEQ] = sql.func("epoch_ns", sql.col("_time"))
        present = [exp.Not(this=exp.Is(this=sql.col(f.column), expression=exp.Null())) for f in fields.values()]
        where = [_any(present)]
        if scan.start is not None:
            where.append(exp.GTE(this=sql.col("_time"), expression=sql.time_literal(scan.start)))
            where.append(exp.LT(this=sql.col("_time"), expression=sql.time_literal(scan.stop)))
        if scan.predicate is not None:
            where.append(lower_scalar(scan.predicate, lambda c, l=layout: _scan_column(scan, l, None, c)))
        source = exp.Table(this=sql.ident(layout.table), db=sql.ident(layout.schema))
        selects.append(Relation(source=source, columns=columns, where=where))
    if len(selects) == 1:
        return selects[0]
    return union_of_scans(lw, node.step, selects, labels + [SEQ])


def _any(conditions: list) -> exp.Expression:
    out = conditions[0]
    for c in conditions[1:]:
        out = exp.Or(this=out, expression=c)
    return exp.Paren(this=out) if len(conditions) > 1 else out


def pinned_tags(node: From) -> dict[str, str]:
    """Tags the scan's predicate fixes to one value (`r.host == "a"` among its AND-ed
    terms): every row read holds that value, so the column is that constant (later steps
    then neither group nor partition nor sort by it)."""
    from ..passes import conjuncts, equality_set

    pinned = {}
    for term in conjuncts(node.predicate) if node.predicate is not None else ():
        chosen = equality_set(term)
        if chosen is not None and len(chosen[1]) == 1 and chosen[0] not in ("_time", "_measurement", "_field"):
            pinned[chosen[0]] = next(iter(chosen[1]))
    return pinned


def _scan_column(node: From, layout, field, label: str, pinned: dict | None = None) -> exp.Expression:
    if pinned and label in pinned and layout.tag(label) is not None:
        return exp.Literal.string(pinned[label])
    if label == "_start":
        return sql.time_literal(node.start)
    if label == "_stop":
        return sql.time_literal(node.stop)
    if label == "_time":
        return sql.col("_time")
    if label == "_value":
        return sql.col(field.column)
    if label == "_field":
        return exp.Literal.string(field.key)
    if label == "_measurement":
        return exp.Literal.string(layout.measurement)
    tag = layout.tag(label)
    return sql.col(tag.column) if tag is not None else sql.null(FluxType.STRING)


# The schema functions (plan/storage.py SeriesValues, SeriesKeys): each answer is a UNION of
# small SELECTs, one per measurement table (tag values) or per thing that may be present
# (a measurement, a field, a tag key), each reading up to its first matching row.

@lowers(SeriesValues)
def lower_series_values(lw: Lowerer, node: SeriesValues) -> Relation:
    scan, column = node.scan, node.column
    branches = []
    for layout, fields in _read_by_measurement(scan):
        if column == "_measurement":
            branches.append(_if_any_row(layout, _row_conditions(scan, layout, fields), layout.measurement))
        elif column == "_field":
            for f in fields:
                branches.append(_if_any_row(layout, _row_conditions(scan, layout, [f]), f.key))
        elif layout.tag(column) is not None:
            tag = sql.col(layout.tag(column).column)
            where = _row_conditions(scan, layout, fields) + [exp.Not(this=exp.Is(this=tag.copy(), expression=exp.Null()))]
            branches.append(_table_select(layout, [sql.alias(tag, "v")], where).distinct())
    return _sorted_values(lw, node.step, branches)


@lowers(SeriesKeys)
def lower_series_keys(lw: Lowerer, node: SeriesKeys) -> Relation:
    scan = node.scan
    branches = []
    for layout, fields in _read_by_measurement(scan):
        where = _row_conditions(scan, layout, fields)
        # Every series has these in its key (https://docs.influxdata.com/flux/v0/stdlib/universe/keys/).
        branches.append(_if_any_row(layout, where, "_field", "_measurement", "_start", "_stop"))
        for tag in layout.tags:
            present = exp.Not(this=exp.Is(this=sql.col(tag.column), expression=exp.Null()))
            branches.append(_if_any_row(layout, [w.copy() for w in where] + [present], tag.key))
    return _sorted_values(lw, node.step, branches)


def _read_by_measurement(scan: From) -> list:
    """(measurement layout, its fields the scan reads, of every type), by measurement."""
    out: dict = {}
    for layout, f in scan.selected():
        out.setdefault(layout.measurement, (layout, []))[1].append(f)
    return [out[name] for name in sorted(out)]


def _row_conditions(scan: From, layout, fields: list) -> list:
    """WHERE terms for the rows of `layout` holding a point of one of `fields` in the
    scan's range that matches its predicate."""
    where = [exp.GTE(this=sql.col("_time"), expression=sql.time_literal(scan.start)),
             exp.LT(this=sql.col("_time"), expression=sql.time_literal(scan.stop))]
    predicate = None if _always_true(scan.predicate) else scan.predicate
    present = lambda f: exp.Not(this=exp.Is(this=sql.col(f.column), expression=exp.Null()))
    if predicate is not None and "_field" in columns_used(predicate):
        # The condition differs per field: some field present with its condition true.
        where.append(_any([exp.Paren(this=exp.And(
            this=present(f), expression=lower_scalar(predicate, lambda c, f=f: _scan_column(scan, layout, f, c))))
            for f in fields]))
        return where
    if predicate is not None:
        where.append(lower_scalar(predicate, lambda c: _scan_column(scan, layout, None, c)))
    if {f.key for f in fields} != {f.key for f in layout.fields}:
        where.append(_any([present(f) for f in fields]))
    # else: every field of the table counts, and a stored row holds at least one value.
    return where


def _always_true(predicate) -> bool:
    from ..passes import conjuncts
    from ..scalar import Lit

    return predicate is None or all(isinstance(t, Lit) and t.value is True for t in conjuncts(predicate))


def _table_select(layout, columns: list, where: list) -> exp.Select:
    source = exp.Table(this=sql.ident(layout.table), db=sql.ident(layout.schema))
    return exp.select(*columns, copy=False).from_(source, copy=False).where(sql.and_all(where), copy=False)


def _if_any_row(layout, where: list, *values: str) -> exp.Select:
    """`values` (one row each) when some row of the table meets `where`; the scan stops at
    the first such row."""
    found = _table_select(layout, [exp.Literal.number(1)], where).limit(1, copy=False)
    labels = [exp.Literal.string(v) for v in values]
    value = labels[0] if len(labels) == 1 else sql.func("unnest", exp.Array(expressions=labels))
    return exp.select(sql.alias(value, "v"), copy=False).from_(found.subquery("found", copy=False), copy=False)


def _sorted_values(lw: Lowerer, step: str, branches: list) -> Relation:
    """The branches' distinct values `v`, sorted ascending, as the column `_value`."""
    if not branches:
        empty = Relation(source=exp.Values(expressions=[exp.Tuple(expressions=[exp.Null()])],
                                           alias=exp.TableAlias(this=sql.ident("nothing"))),
                         columns={"_value": sql.null(FluxType.STRING), SEQ: sql.null(FluxType.INT)})
        empty.where.append(exp.false())
        return empty
    union = branches[0]
    for b in branches[1:]:
        union = exp.Union(this=union, expression=b, distinct=True)
    if len(branches) == 1:
        union = union.distinct()
    name = lw.ctes.add(step, union)
    value = sql.col("v")
    seq = sql.over(sql.func("row_number"), [], [sql.ordered(value.copy())])
    return Relation(source=exp.Table(this=sql.ident(name)), columns={"_value": value, SEQ: seq}, has_window=True)


@lowers(To)
def lower_to(lw: Lowerer, node: To) -> Relation:
    rel = lw.relation(node.input)
    if not rel.composable:
        rel = lw.materialize(rel, node.input.step)
    lw.writes.append((node, rel))
    return rel
