"""Lowering of the core plan nodes: sources, range, filter, projections, group, sort, union."""
from __future__ import annotations

from sqlglot import exp

from .. import plan as p
from ..types import FluxType
from . import sql
from .lowerer import SEQ, Lowerer, hidden, key_partition, lowers, marker_of, scalar_sql
from .relation import Relation


@lowers(p.Literal)
def lower_literal(lw: Lowerer, node: p.Literal) -> Relation:
    schema = node.schema
    labels = list(schema.labels)
    rows = []
    seq = 0
    for position, table in enumerate(node.tables):
        if node.first_rows is not None:
            seq = node.first_rows[position]
        index = {c.label: i for i, c in enumerate(table.columns)}
        if not table.rows:
            keyvals = dict(zip(table.key, table.key_values()))
            rows.append([_raw(keyvals.get(label), schema.type_of(label)) for label in labels] + [exp.Null()])
            continue
        for row in table.rows:
            cells = [_raw(row[index[label]] if label in index else None, schema.type_of(label)) for label in labels]
            rows.append(cells + [sql.number(seq)])
            seq += 1
    columns = {c.label: _typed(sql.col(c.label), c.type) for c in schema.columns}
    columns[SEQ] = sql.col(SEQ)
    if not rows:
        rel = Relation(source=exp.Values(expressions=[exp.Tuple(expressions=[exp.Null() for _ in labels] + [exp.Null()])],
                                         alias=_values_alias("t", labels)), columns=columns)
        rel.where.append(exp.false())
        return rel
    values = exp.Values(expressions=[exp.Tuple(expressions=r) for r in rows], alias=_values_alias("t", labels))
    return lw.materialize(Relation(source=values, columns=columns), node.step)


def _values_alias(name: str, labels: list) -> exp.TableAlias:
    return exp.TableAlias(this=sql.ident(name), columns=[sql.ident(l) for l in labels] + [sql.ident(SEQ)])


def _raw(value, t: FluxType | None) -> exp.Expression:
    """A cell inside VALUES; the SELECT above casts each column to its type."""
    if value is None:
        return exp.Null()
    if t == FluxType.TIME:
        from ..timefmt import format_rfc3339

        return exp.Literal.string(format_rfc3339(value).replace("T", " ").rstrip("Z"))
    if t == FluxType.FLOAT:
        v = float(value)
        if v != v or v in (float("inf"), float("-inf")):
            # A typed DOUBLE: a bare string would make DuckDB type the VALUES column from the
            # other rows (DECIMAL for `0.1`) and fail to convert 'Infinity'.
            return sql.number(v)
        return sql.number(v)
    if t in (FluxType.INT, FluxType.UINT, FluxType.DURATION):
        return sql.number(int(value))
    if t == FluxType.BOOL:
        return exp.true() if value else exp.false()
    return exp.Literal.string(str(value))


def _typed(e: exp.Expression, t: FluxType | None) -> exp.Expression:
    return sql.cast(e, t)


def keep_empty_tables(lw: Lowerer, rel: Relation, node: p.PlanNode, passes: exp.Expression, marker: str) -> Relation:
    """Keep the rows where `passes`; a table left with no rows becomes one placeholder row.

    Flux keeps empty tables (an aggregate of one still yields a row) but SQL cannot hold
    an empty group, so the first row of such a table stays, with its non-key cells NULL.
    """
    keep = exp.Coalesce(this=exp.Paren(this=passes), expressions=[exp.false()])
    marked = rel.with_columns(dict(rel.columns))
    marked.columns[KEEP] = exp.And(this=exp.Not(this=exp.Is(this=rel.ref(marker), expression=exp.Null())), expression=keep)
    rel = lw.materialize(marked, node.step)
    key = set(node.schema.key)
    kept = sql.col(KEEP)
    columns = {}
    for label, e in rel.columns.items():
        if label == KEEP:
            continue
        columns[label] = e if label in key else exp.Case(ifs=[exp.If(this=kept.copy(), true=e)])
    partition = key_partition(rel, node)  # a constant key column does not split tables
    none_kept = exp.EQ(this=sql.over(sql.func("count_if", kept.copy()), partition), expression=sql.number(0))
    first = exp.EQ(this=sql.over(exp.RowNumber(), partition, [sql.ordered(rel.ref(marker))]), expression=sql.number(1))
    out = rel.with_columns(columns)
    out.qualify.append(exp.Or(this=kept.copy(), expression=exp.Paren(this=exp.And(this=none_kept, expression=first))))
    return out


KEEP = "__keep"


@lowers(p.Range)
def lower_range(lw: Lowerer, node: p.Range) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    time = rel.ref("_time")
    passes = exp.And(
        this=exp.GTE(this=time, expression=sql.time_literal(node.start)),
        expression=exp.LT(this=time.copy(), expression=sql.time_literal(node.stop)),
    )
    columns = {"_start": sql.time_literal(node.start), "_stop": sql.time_literal(node.stop)}
    if node.clamps_key:
        columns = {"_start": sql.func("greatest", rel.ref("_start"), columns["_start"]),
                   "_stop": sql.func("least", rel.ref("_stop"), columns["_stop"])}
    columns.update({k: v for k, v in rel.columns.items() if k not in ("_start", "_stop")})
    if node.may_have_empty:
        out = keep_empty_tables(lw, rel.with_columns(columns), node, passes, marker_of(node.input))
        return out
    out = rel.with_columns(columns)
    out.where.append(passes)
    return out


@lowers(p.Filter)
def lower_filter(lw: Lowerer, node: p.Filter) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    predicate = scalar_sql(rel, node.predicate)
    if node.keep_empty:
        return keep_empty_tables(lw, rel, node, predicate, marker_of(node.input))
    out = rel.with_columns(dict(rel.columns))
    out.where.append(predicate)
    marker = marker_of(node.input)
    if node.input.may_have_empty and marker in rel.columns:
        # onEmpty "drop": an empty table is dropped even when its key passes the predicate.
        out.where.append(exp.Not(this=exp.Is(this=rel.ref(marker), expression=exp.Null())))
    return out


@lowers(p.Project)
def lower_project(lw: Lowerer, node: p.Project) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    columns = {}
    marker = marker_of(node.input) if node.input.may_have_empty else None
    key = set(node.key)
    for (label, expr), t in zip(node.columns, node.types):
        e = scalar_sql(rel, expr)
        if t is not None and _needs_cast(expr, t):
            e = sql.cast(e, t)
        if marker is not None and label not in key and marker in rel.columns and not _is_col(expr, label):
            # Placeholder rows stay placeholders: their non-key cells stay NULL.
            e = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=rel.ref(marker), expression=exp.Null())), true=e)])
        columns[label] = e
    for label, e in hidden(rel, node.input).items():
        columns.setdefault(label, e)
    return rel.with_columns(columns)


def _is_col(expr, label) -> bool:
    from ..scalar import Col

    return isinstance(expr, Col)


def _needs_cast(expr, t) -> bool:
    from ..scalar import Lit

    return isinstance(expr, Lit) and expr.value is None


@lowers(p.Group)
def lower_group(lw: Lowerer, node: p.Group) -> Relation:
    rel = lw.relation(node.input)
    if node.order.items[0][0] != p.core.TABLE_SEQ:
        return rel
    # Remember where each input table started before the rows are regrouped.
    rel = lw.composable_input(node.input, node.input.step)
    # A table's position: its first row's, or the column the input names for it.
    position = node.input.table_position or node.input.order.items[-1][0]
    first = sql.over(sql.func("min", rel.ref(position)), key_partition(rel, node.input))
    out = rel.with_columns(dict(rel.columns), has_window=True)
    out.columns[p.core.TABLE_SEQ] = first
    return out


@lowers(p.Sort)
def lower_sort(lw: Lowerer, node: p.Sort) -> Relation:
    return lw.relation(node.input)


@lowers(p.Union)
def lower_union(lw: Lowerer, node: p.Union) -> Relation:
    schema = node.schema
    from .field_aggregates import aggregate_of_fields, fields_under_common_steps

    # The same aggregateWindow over the type variants of one from(): one GROUP BY.
    common = fields_under_common_steps(lw, node)
    if common is not None:
        return lw.relation(common)
    fields = aggregate_of_fields(lw, list(node.streams))
    if fields is not None:
        columns = {c.label: fields.ref(c.label) if c.label in fields.columns else sql.null(c.type) for c in schema.columns}
        columns[SEQ] = fields.ref(SEQ)
        return fields.with_columns(columns)
    selects = []
    for stream in node.streams:
        rel = lw.relation(stream)
        cols = {}
        for c in schema.columns:
            cols[c.label] = rel.ref(c.label) if c.label in rel.columns else sql.null(c.type)
        cols[SEQ] = rel.ref(SEQ) if SEQ in rel.columns else sql.number(0)
        selects.append(rel.with_columns(cols).to_select())
    union = sql.union_all(selects)
    for u in union.find_all(exp.Union):
        u.set("by_name", True)  # inputs may list their columns in different orders
    name = lw.ctes.add(node.step, union)
    return Relation(source=exp.Table(this=sql.ident(name)), columns={c: sql.col(c) for c in list(schema.labels) + [SEQ]})
