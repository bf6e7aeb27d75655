"""Lowering of the Join node: a SQL join of the two input relations, each as a CTE.

Group key columns compare with IS NOT DISTINCT FROM (a null key value names a table like
any other); `on` columns with `=`, since null never equals null in a join. Empty-table placeholders never join (their __seq is NULL). For outer
joins, a group key column read from the missing side takes the present side's value:
Flux hands `as` a record holding the table's group key when one side has no match.
"""
from __future__ import annotations

from sqlglot import exp

from ..plan.join import LEFT, RIGHT, Join
from . import sql
from .lowerer import SEQ, Lowerer, lowers
from .relation import Relation
from .scalars import lower_scalar


def _as_table(lw: Lowerer, node, step: str) -> str:
    """The name of a CTE holding the node's rows (reused when the relation already is one)."""
    rel = lw.relation(node)
    plain = (
        isinstance(rel.source, exp.Table)
        and not rel.joins
        and not rel.where
        and rel.composable
        and all(isinstance(e, exp.Column) and e.name == label and not e.table for label, e in rel.columns.items())
    )
    if plain:
        return rel.source.name
    return lw.ctes.add(step, rel.to_select())


@lowers(Join)
def lower_join(lw: Lowerer, node: Join) -> Relation:
    lname = _as_table(lw, node.left, node.step + "_left")
    rname = _as_table(lw, node.right, node.step + "_right")
    lcols = set(node.left.schema.labels)
    rcols = set(node.right.schema.labels)
    keyed = node.right if node.method == "right" else node.left
    shared_key = keyed.schema.key if node.match_key else ()
    # Tables whose key columns differ never have the same group key: no pair meets.
    never = node.match_key and set(node.left.schema.key) != set(node.right.schema.key)

    def side(label: str, columns: set, alias: str) -> exp.Expression:
        return sql.col(label, alias) if label in columns or label == SEQ else sql.null()

    def resolve(name: str) -> exp.Expression:
        if name.startswith(LEFT):
            label = name[len(LEFT):]
            own, other = side(label, lcols, "l"), side(label, rcols, "r")
        elif name.startswith(RIGHT):
            label = name[len(RIGHT):]
            own, other = side(label, rcols, "r"), side(label, lcols, "l")
        else:
            return sql.null()
        if label in shared_key and node.method != "inner":
            return exp.Coalesce(this=own, expressions=[other])
        return own

    conds = [exp.Not(this=exp.Is(this=sql.col(SEQ, "l"), expression=exp.Null())),
             exp.Not(this=exp.Is(this=sql.col(SEQ, "r"), expression=exp.Null()))]
    if never:
        conds.append(exp.false())
    for k in () if never else shared_key:
        conds.append(exp.NullSafeEQ(this=side(k, lcols, "l"), expression=side(k, rcols, "r")))
    for lc, rc in node.on:
        # "Null values are not considered equal when comparing column values" (join docs).
        conds.append(exp.EQ(this=side(lc, lcols, "l"), expression=side(rc, rcols, "r")))
    join_side = {"inner": None, "left": "LEFT", "right": "RIGHT", "full": "FULL"}[node.method]
    right_table = exp.Table(this=sql.ident(rname), alias=exp.TableAlias(this=sql.ident("r")))
    join = exp.Join(this=right_table, on=sql.and_all(conds), side=join_side) if join_side else exp.Join(this=right_table, on=sql.and_all(conds))
    columns = {label: lower_scalar(expr, resolve) for label, expr in node.columns}
    # Flux merges both sides sorted by the `on` columns, then in input order; join() emits
    # its tables in group key order (conformance universe/join_panic).
    inner = node.method == "inner"
    order = [sql.ordered(columns[k].copy()) for k in node.key] if node.tables_by_key else []
    for lc, rc in node.on:
        by = side(lc, lcols, "l") if inner else exp.Coalesce(this=side(lc, lcols, "l"), expressions=[side(rc, rcols, "r")])
        if all(o.this != by for o in order):  # a key column joined on is ordered by already
            order.append(sql.ordered(by))
    order += [sql.ordered(sql.col(SEQ, "l"), nulls_first=False), sql.ordered(sql.col(SEQ, "r"), nulls_first=False)]
    columns[SEQ] = sql.over(exp.RowNumber(), [], order)
    source = exp.Table(this=sql.ident(lname), alias=exp.TableAlias(this=sql.ident("l")))
    rel = Relation(source=source, columns=columns, joins=[join], has_window=True)
    if not inner:  # an unmatched placeholder row of either side is no row
        rel.where.append(exp.Not(this=exp.Is(this=exp.Coalesce(this=sql.col(SEQ, "l"), expressions=[sql.col(SEQ, "r")]),
                                             expression=exp.Null())))
    return rel
