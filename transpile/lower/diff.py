"""Lowering of `Diff` (plan/diff.py): a FULL JOIN of both streams' rows, keeping the unmatched.

Each side becomes a CTE of its real rows (no empty-table placeholders) numbered twice:
`__pos`, the row's position in its table, and `__dup`, which copy of an identical row it
is (so rows match as multisets: two equal rows in `want` need two in `got`). Rows join
when every column is equal (IS NOT DISTINCT FROM: null equals null) and `__dup` is too;
the rows left without a partner are the diff.
"""
from __future__ import annotations

from sqlglot import exp

from ..plan.diff import DIFF, Diff
from ..types import FluxType
from . import sql
from .lowerer import SEQ, Lowerer, lowers, marker_of, order_sql
from .relation import Relation

POS = "__pos"
DUP = "__dup"


@lowers(Diff)
def lower_diff(lw: Lowerer, node: Diff) -> Relation:
    columns = [c for c in node.schema.columns if c.label != DIFF]
    want = _numbered_side(lw, node.want, columns, node.schema.key, "diff_want")
    got = _numbered_side(lw, node.got, columns, node.schema.key, "diff_got")
    conditions = [_same(c.label, c.type, node) for c in columns]
    conditions.append(exp.EQ(this=sql.col(DUP, "w"), expression=sql.col(DUP, "g")))
    got_table = exp.Table(this=sql.ident(got), alias=exp.TableAlias(this=sql.ident("g")))
    join = exp.Join(this=got_table, on=sql.and_all(conditions), side="FULL")
    removed = exp.Is(this=sql.col(POS, "g"), expression=exp.Null())

    def pick(label: str) -> exp.Expression:
        return exp.Case(ifs=[exp.If(this=removed.copy(), true=sql.col(label, "w"))], default=sql.col(label, "g"))

    out = {c.label: pick(c.label) for c in columns}
    out[DIFF] = exp.Case(ifs=[exp.If(this=removed.copy(), true=exp.Literal.string("-"))], default=exp.Literal.string("+"))
    # Unmatched rows in the order of their position in their table, "-" before "+" at a tie.
    order = [sql.ordered(pick(k)) for k in node.schema.key]
    order += [sql.ordered(exp.Coalesce(this=sql.col(POS, "w"), expressions=[sql.col(POS, "g")])),
              sql.ordered(exp.Not(this=removed.copy()))]
    out[SEQ] = sql.over(exp.RowNumber(), [], order)
    source = exp.Table(this=sql.ident(want), alias=exp.TableAlias(this=sql.ident("w")))
    rel = Relation(source=source, columns=out, joins=[join], has_window=True)
    rel.where.append(exp.Or(this=exp.Is(this=sql.col(POS, "w"), expression=exp.Null()), expression=removed.copy()))
    return rel


def _numbered_side(lw: Lowerer, node, columns, key, step: str) -> str:
    """A CTE of the side's real rows with every column of the diff, `__pos` and `__dup`."""
    rel = lw.composable_input(node, node.step)
    values = {c.label: rel.ref(c.label) if c.label in rel.columns else sql.null(c.type) for c in columns}
    order = order_sql(rel, node)
    numbered = dict(values)
    numbered[POS] = sql.over(exp.RowNumber(), [values[k].copy() for k in key], order)
    numbered[DUP] = sql.over(exp.RowNumber(), [v.copy() for v in values.values()], [o.copy() for o in order])
    side = rel.with_columns(numbered, has_window=True)
    marker = marker_of(node)
    if node.may_have_empty and marker in rel.columns:
        side.where.append(exp.Not(this=exp.Is(this=rel.ref(marker), expression=exp.Null())))
    return lw.ctes.add(step, side.to_select())


def _same(label: str, t, node: Diff) -> exp.Expression:
    w, g = sql.col(label, "w"), sql.col(label, "g")
    same = exp.NullSafeEQ(this=w, expression=g)
    if t != FluxType.FLOAT:
        return same
    if node.epsilon is not None:
        # testing.diff: "how far apart two float values can be, but still considered equal".
        near = exp.LTE(this=sql.func("abs", exp.Sub(this=w.copy(), expression=g.copy())), expression=sql.literal(float(node.epsilon)))
        same = exp.Paren(this=exp.Or(this=same, expression=near))
    if not node.nans_equal:
        # DuckDB orders NaN as equal to itself; Flux (Go) does not, unless nansEqual is set.
        both_nan = exp.And(this=sql.func("isnan", w.copy()), expression=sql.func("isnan", g.copy()))
        same = exp.And(this=same, expression=exp.Not(this=exp.Paren(this=both_nan)))
    return same
