"""Lowering of `from()` (read a bucket's wide measurement tables as Flux series rows) and
`to()` (its input passes through; the write itself is a statement the runtime runs).

One SELECT per (measurement, field): `'mem' AS _measurement, 'used' AS _field, "used"
AS _value`, the tag columns, and the pushed-down range and filter in its WHERE, so DuckDB
reads only the columns and row groups it needs. Several are joined by UNION ALL.
"""
from __future__ import annotations

from sqlglot import exp

from ..plan.storage import From, To
from ..scalar import Call, Col, Lit
from ..types import FluxType
from . import sql
from .lowerer import SEQ, Lowerer, lowers
from .relation import Relation
from .scalars import lower_scalar


@lowers(From)
def lower_from(lw: Lowerer, node: From) -> Relation:
    labels = list(node.schema.labels)
    selects = []
    for layout, field in node.selected():
        if field.type != node.value_type:
            continue
        columns = {}
        for label in labels:
            columns[label] = _scan_column(node, layout, field, label)
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
    name = lw.ctes.add(node.step, sql.union_all([rel.to_select() for rel in selects]))
    return Relation(source=exp.Table(this=sql.ident(name)), columns={l: sql.col(l) for l in labels + [SEQ]})


def _scan_column(node: From, layout, field, label: str) -> exp.Expression:
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


@lowers(To)
def lower_to(lw: Lowerer, node: To) -> Relation:
    rel = lw.relation(node.input)
    if not rel.composable:
        rel = lw.materialize(rel, node.input.step)
    lw.writes.append((node, rel))
    return rel
