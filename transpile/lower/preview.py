"""Lowering of `FirstTables`: rank the tables by the stream position of their first row."""
from __future__ import annotations

from sqlglot import exp

from ..plan.preview import FirstTables
from . import sql
from .lowerer import Lowerer, key_partition, lowers
from .relation import Relation

TABLE_START = "__table_start"


@lowers(FirstTables)
def lower_first_tables(lw: Lowerer, node: FirstTables) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    tail = node.input.order.items[-1][0]
    marked = rel.with_columns(dict(rel.columns), has_window=True)
    marked.columns[TABLE_START] = sql.over(sql.func("min", rel.ref(tail)), key_partition(rel, node))
    ranked = lw.materialize(marked, node.step)
    rank = sql.over(sql.func("dense_rank"), [], [sql.ordered(ranked.ref(TABLE_START))])
    out = ranked.with_columns({k: v for k, v in ranked.columns.items() if k != TABLE_START})
    out.qualify.append(exp.LTE(this=rank, expression=sql.number(node.n)))
    return out
