"""Lowering of the `experimental/geo` per-table folds (plan/geo.py).

Each table's points are collected in row order with an ordered `list()` aggregate
(GROUP BY ALL over the key), then folded with list functions: the linestring joins
`lon lat` pairs with ", " (floats formatted as Flux's string() does); the total distance
adds the haversine distance of each consecutive pair from 0.0 in row order, as Flux's
accumulator does. An empty table (its placeholder row) gives an empty list: "" and 0.0.
"""
from __future__ import annotations

from sqlglot import exp

from ..plan import geo as g
from . import sql
from .lowerer import SEQ, Lowerer, lowers, order_sql
from .relation import Relation


def _is_real(rel: Relation) -> exp.Expression:
    return exp.Not(this=exp.Is(this=rel.ref(SEQ), expression=exp.Null()))


def _ordered_list(rel: Relation, node, value: exp.Expression) -> exp.Expression:
    """list(value ORDER BY the input's row order) over the table's real rows."""
    ordered = exp.Order(this=value, expressions=order_sql(rel, node.input) or [sql.ordered(rel.ref(SEQ))])
    listed = sql.func("list", ordered)
    return exp.Coalesce(this=exp.Filter(this=listed, expression=exp.Where(this=_is_real(rel))),
                        expressions=[exp.Array(expressions=[])])


def _per_table(lw: Lowerer, node, value: exp.Expression, fold) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    key = list(node.schema.key)
    columns = {k: rel.ref(k) for k in key}
    columns["__points"] = _ordered_list(rel, node, value(rel))
    columns[SEQ] = sql.func("min", rel.ref(SEQ))
    grouped = lw.materialize(rel.with_columns(columns, group_by_all=True), node.step)
    out = {k: grouped.ref(k) for k in key}
    out[node.column] = fold(grouped.ref("__points"))
    out[SEQ] = grouped.ref(SEQ)
    return grouped.with_columns(out)


@lowers(g.LineString)
def lower_linestring(lw: Lowerer, node: g.LineString) -> Relation:
    from ..functions.scalar_support import go_format_float_sql

    def value(rel):
        return exp.DPipe(this=exp.DPipe(this=go_format_float_sql(rel.ref("lon")), expression=exp.Literal.string(" ")),
                         expression=go_format_float_sql(rel.ref("lat")))

    return _per_table(lw, node, value, lambda pts: sql.func("array_to_string", pts, exp.Literal.string(", ")))


@lowers(g.TotalDistance)
def lower_total_distance(lw: Lowerer, node: g.TotalDistance) -> Relation:
    from ..functions.geo_sql import total_distance

    def value(rel):
        return exp.Array(expressions=[rel.ref("lat"), rel.ref("lon")])

    return _per_table(lw, node, value, lambda pts: total_distance(pts, node.radius))
