"""Lowering of `PivotVariants`: one pivot over the type variants of a stream.

Each variant's rows go into one UNION ALL with their value in a column of its own
(`__value_<n>`, typed as that variant's values; NULL in the other variants' rows), and
the pivot is the same GROUP BY as a plain pivot (`grouped_pivot`), each new column
taking the value column of the variant that supplies it.
"""
from __future__ import annotations

from sqlglot import exp

from ..plan.reshape import PivotVariants
from . import sql
from .lowerer import SEQ, Lowerer, lowers
from .relation import Relation
from .reshape import grouped_pivot


def _value_label(index: int) -> str:
    return f"__value_{index}"


@lowers(PivotVariants)
def lower_pivot_variants(lw: Lowerer, node: PivotVariants) -> Relation:
    first = node.pivots[0]
    new = {label for p in node.pivots for label, _ in p.new_columns}
    kept = [c.label for c in node.schema.columns if c.label not in new]
    carried = kept + [c for c in first.column_key if c not in kept]
    value_types = [p.input.schema.type_of(p.value_column) for p in node.pivots]
    selects = []
    for index, pivot in enumerate(node.pivots):
        rel = lw.relation(pivot.input)
        columns = {label: rel.ref(label) for label in carried}
        for other, t in enumerate(value_types):
            columns[_value_label(other)] = rel.ref(pivot.value_column) if other == index else sql.null(t)
        columns[SEQ] = rel.ref(SEQ)
        selects.append(rel.with_columns(columns).to_select())
    name = lw.ctes.add(node.step + "_variants", sql.union_all(selects))
    labels = carried + [_value_label(i) for i in range(len(node.pivots))] + [SEQ]
    rel = Relation(source=exp.Table(this=sql.ident(name)), columns={label: sql.col(label) for label in labels})
    return grouped_pivot(rel, node, [(pivot, _value_label(i)) for i, pivot in enumerate(node.pivots)])
