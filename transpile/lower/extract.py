"""Lowering of values extracted from streams (plan/extract.py).

- `FindTable`: rows of the first table, in stream order, whose key satisfies the predicate.
- `TableCell` / `TableColumn`: a scalar subquery over the table's SQL,
  `(WITH ... SELECT "x" FROM "rows" WHERE "__row" = 0)`. The subquery carries its own
  WITH clause (its CTEs may read the outer row, and a scalar lowering has no access to
  the statement's WITH). Runtime errors of Flux (no table found, index out of bounds)
  are DuckDB `error()` calls in a CASE, so the query fails with that one line.
- `OuterRef`: a correlated subquery reads the outer row through a first CTE, `__outer`,
  that selects the outer row's values without a FROM (so they bind to the enclosing
  query); references read it with `(SELECT "__outer_x" FROM "__outer")`.
- `ChooseStream`: both streams, each filtered by the (outer) test, as a UNION ALL.
"""
from __future__ import annotations

import dataclasses

from sqlglot import exp

from ..plan.core import SEQ, PlanNode
from ..plan.extract import ChooseStream, FindTable, OuterRef, TableCell, TableColumn
from ..scalar import Call, Scalar
from . import sql
from .lowerer import Lowerer, key_partition, lowers, marker_of, order_sql, scalar_sql
from .relation import Relation, passthrough
from .scalars import SCALAR_KINDS, lower_scalar

OUTER = "__outer"
MATCH = "__match"
TABLE_START = "__table_start"
ROW = "__row"
VALUE = "__value"


# ---------------------------------------------------------------- plan nodes


@lowers(FindTable)
def lower_find_table(lw: Lowerer, node: FindTable) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    if node.predicate is False:
        out = rel.with_columns(dict(rel.columns))
        out.where.append(exp.false())
        return out
    # A table's position in the stream: its first row's (see plan.core.PlanNode.table_position).
    position = node.input.table_position or node.input.order.items[-1][0]
    marked = rel.with_columns(dict(rel.columns), has_window=True)
    marked.columns[TABLE_START] = sql.over(sql.func("min", rel.ref(position)), key_partition(rel, node))
    if node.predicate is not True:
        marked.columns[MATCH] = exp.Coalesce(this=scalar_sql(rel, node.predicate), expressions=[exp.false()])
    ranked = lw.materialize(marked, node.step)
    out = ranked.with_columns({k: v for k, v in ranked.columns.items() if k not in (MATCH, TABLE_START)})
    if MATCH in ranked.columns:
        out.where.append(ranked.ref(MATCH))
    keys = [sql.ordered(e) for e in key_partition(ranked, node)]
    order = [sql.ordered(ranked.ref(TABLE_START), nulls_first=False)]
    order = keys + order if node.input.tables_in_key_order else order + keys
    out.qualify.append(exp.EQ(this=sql.over(sql.func("dense_rank"), [], order), expression=sql.number(1)))
    return out


@lowers(ChooseStream)
def lower_choose_stream(lw: Lowerer, node: ChooseStream) -> Relation:
    test = exp.Coalesce(this=lower_scalar(node.test, _no_columns), expressions=[exp.false()])
    carried = [label for label, _ in node.order.items if label != SEQ]
    selects = []
    for branch, passes in ((node.when_true, test), (node.when_false, exp.Not(this=exp.Paren(this=test.copy())))):
        rel = lw.composable_input(branch, branch.step)
        columns = {c.label: rel.ref(c.label) if c.label in rel.columns else sql.null(c.type) for c in node.schema.columns}
        for label in [*carried, SEQ, marker_of(branch)]:
            columns.setdefault(label, rel.ref(label))
        out = rel.with_columns(columns)
        out.where.append(passes)
        selects.append(out.to_select())
    union = sql.union_all(selects)
    for u in union.find_all(exp.Union):
        u.set("by_name", True)
    name = lw.ctes.add(node.step, union)
    return passthrough(exp.Table(this=sql.ident(name)), selects[0].named_selects)


def _no_columns(label: str) -> exp.Expression:
    # Only outer references occur in a ChooseStream test or an extraction's index.
    return sql.null()


# ---------------------------------------------------------------- scalars


def lower_outer_ref(expr: OuterRef, resolve) -> exp.Expression:
    return exp.Paren(this=exp.select(sql.col(_outer_label(expr.name))).from_(exp.Table(this=sql.ident(OUTER))))


def lower_table_cell(expr: TableCell, resolve) -> exp.Expression:
    def finish(sub: Lowerer, rel: Relation) -> exp.Select:
        rows = _numbered_rows(sub, rel, expr.node, expr.column)
        at = exp.EQ(this=rows.ref(ROW), expression=lower_scalar(expr.index, _no_columns))
        if expr.missing_table is None and expr.missing_row is None:
            out = rows.with_columns({expr.column: rows.ref(VALUE)})
            out.where.append(at)
            return out.to_select()
        value = exp.Filter(this=exp.First(this=rows.ref(VALUE)), expression=exp.Where(this=at.copy()))
        checks = []
        if expr.missing_table is not None:
            checks.append(exp.If(this=exp.EQ(this=exp.Count(this=exp.Star()), expression=sql.number(0)),
                                 true=_error(expr.missing_table, expr.type)))
        if expr.missing_row is not None:
            checks.append(exp.If(this=exp.EQ(this=exp.CountIf(this=at), expression=sql.number(0)),
                                 true=_error(expr.missing_row, expr.type)))
        return rows.with_columns({expr.column: exp.Case(ifs=checks, default=value)}).to_select()

    return _subquery(expr.node, [expr.index], resolve, finish)


def lower_table_column(expr: TableColumn, resolve) -> exp.Expression:
    def finish(sub: Lowerer, rel: Relation) -> exp.Select:
        node = expr.node
        if not rel.composable:
            rel = sub.materialize(rel, node.step)
        order = order_sql(rel, node)
        value = rel.ref(expr.column)
        values = exp.ArrayAgg(this=exp.Order(this=value, expressions=order) if order else value)
        marker = marker_of(node)
        if node.may_have_empty and marker in rel.columns:
            real = exp.Not(this=exp.Is(this=rel.ref(marker), expression=exp.Null()))
            values = exp.Filter(this=values, expression=exp.Where(this=real))
        array = exp.Coalesce(this=values, expressions=[exp.Cast(this=exp.Array(expressions=[]), to=_list_type(expr))])
        if expr.missing_table is not None:
            no_table = exp.EQ(this=exp.Count(this=exp.Star()), expression=sql.number(0))
            array = exp.Case(ifs=[exp.If(this=no_table, true=exp.Cast(this=_error_call(expr.missing_table), to=_list_type(expr)))],
                             default=array)
        return rel.with_columns({expr.column: array}).to_select()

    return _subquery(expr.node, [], resolve, finish)


SCALAR_KINDS[OuterRef] = lower_outer_ref
SCALAR_KINDS[TableCell] = lower_table_cell
SCALAR_KINDS[TableColumn] = lower_table_column


# ---------------------------------------------------------------- subqueries


def _subquery(node: PlanNode, scalars: list, resolve, finish) -> exp.Expression:
    """`(WITH ... SELECT ...)` over `node`'s SQL; `finish(lowerer, relation)` builds the last
    SELECT. Outer references in the plan (or in `scalars`) read the row `resolve` lowers."""
    sub = Lowerer()
    refs = _outer_refs(node, scalars)
    if refs:
        outer = exp.select(*[sql.alias(resolve(name), _outer_label(name)) for name in refs])
        sub.ctes.add(OUTER, outer)
    sub._count_uses(node)
    select = finish(sub, sub.relation(node))
    # A Paren rather than a Subquery: operators leave a parenthesised expression as it is.
    return exp.Paren(this=sub.ctes.attach(select))


def _numbered_rows(sub: Lowerer, rel: Relation, node: PlanNode, column: str) -> Relation:
    """A CTE of the table's `column` as `__value` and each row's 0-based index `__row`
    (null on an empty table's placeholder row)."""
    if not rel.composable:
        rel = sub.materialize(rel, node.step)
    number = exp.Sub(this=sql.over(exp.RowNumber(), [], order_sql(rel, node)), expression=sql.number(1))
    marker = marker_of(node)
    if node.may_have_empty and marker in rel.columns:
        number = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=rel.ref(marker), expression=exp.Null())), true=number)])
    rows = rel.with_columns({VALUE: rel.ref(column), ROW: number}, has_window=True)
    return sub.materialize(rows, "rows")


def _outer_refs(node: PlanNode, scalars: list) -> list[str]:
    """The outer row's columns read anywhere in the plan under `node` (in first-use order)."""
    names: dict[str, None] = {}
    seen: set[int] = set()

    def scan_value(value) -> None:
        if isinstance(value, Scalar):
            for s in _walk(value):
                if isinstance(s, OuterRef):
                    names.setdefault(s.name)
        elif isinstance(value, (tuple, list)):
            for v in value:
                scan_value(v)
        elif isinstance(value, PlanNode):
            scan_node(value)

    def scan_node(n: PlanNode) -> None:
        if id(n) in seen:
            return
        seen.add(id(n))
        if dataclasses.is_dataclass(n):
            for f in dataclasses.fields(n):
                scan_value(getattr(n, f.name))

    scan_node(node)
    scan_value(list(scalars))
    return list(names)


def _walk(expr: Scalar):
    """Scalars under `expr`, through calls and the index of a nested extraction."""
    stack = [expr]
    while stack:
        s = stack.pop()
        yield s
        if isinstance(s, Call):
            stack.extend(s.args)
        elif isinstance(s, TableCell):
            stack.append(s.index)


def _outer_label(name: str) -> str:
    # Not the column's own name: in a SELECT without FROM, DuckDB would read `"x" AS "x"` as
    # the alias itself rather than the enclosing query's column.
    return f"{OUTER}_{name}"


def _error_call(message: str) -> exp.Expression:
    return sql.func("error", exp.Literal.string(message))


def _error(message: str, t) -> exp.Expression:
    return sql.cast(_error_call(message), t)


def _list_type(expr: TableColumn) -> exp.DataType:
    return exp.DataType.build(f"{sql.SQL_TYPES.get(expr.type, 'VARCHAR')}[]", dialect=sql.DIALECT)
