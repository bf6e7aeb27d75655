"""Lowering of the reshaping and selection nodes (plan/reshape.py) to DuckDB SQL.

pivot is a GROUP BY over the group key and row key with one filtered ordered aggregate
per new column (`last(value ORDER BY __seq) FILTER (WHERE key = v)`), which keeps the last
value of a repeated (row, column) pair as Flux does; distinct and mode are GROUP BYs;
unique and sample are QUALIFYs on row_number(); keys()/columns() cross join each table's
key with a VALUES list of labels.
"""
from __future__ import annotations

from sqlglot import exp

from ..plan import reshape as r
from ..types import FluxType
from . import sql
from .lowerer import SEQ, Lowerer, is_constant, key_partition, lowers, order_sql
from .relation import Relation
from .storage import pivoted_scan


def cell_sql(value, t: FluxType | None) -> exp.Expression:
    """A raw table cell (times as int ns) as a typed SQL constant."""
    if value is None:
        return sql.null(t)
    if t == FluxType.TIME:
        return sql.time_literal(value)
    if t == FluxType.UINT:
        return sql.cast(sql.number(int(value)), FluxType.UINT)
    if t == FluxType.INT:
        return sql.cast(sql.number(int(value)), FluxType.INT)
    if t == FluxType.FLOAT:
        return sql.cast(sql.number(float(value)), FluxType.FLOAT)
    return sql.literal(value)


def is_real(rel: Relation) -> exp.Expression:
    """True on real rows, false on empty-table placeholders."""
    return exp.Not(this=exp.Is(this=rel.ref(SEQ), expression=exp.Null()))


def _nonempty_having(out: Relation) -> None:
    # An aggregate with nothing to group by gives one row even over no rows.
    out.having = exp.GT(this=sql.func("count", exp.Star()), expression=sql.number(0))


@lowers(r.Pivot)
def lower_pivot(lw: Lowerer, node: r.Pivot) -> Relation:
    wide = pivoted_scan(lw, node)
    if wide is not None:
        return wide
    rel = lw.composable_input(node.input, node.input.step)
    return grouped_pivot(rel, node, [(node, node.value_column)])


def grouped_pivot(rel: Relation, node, parts: list) -> Relation:
    """The pivot `node` as a GROUP BY over `rel`: the kept columns, then for each
    (pivot, value column of rel) in `parts` one filtered `last()` per new column of that
    pivot (PivotVariants has a part per type variant; Pivot one)."""
    first = parts[0][0]
    key_types = [first.input.schema.type_of(c) for c in first.column_key]
    new = {label for pivot, _ in parts for label, _ in pivot.new_columns}
    columns = {c.label: rel.ref(c.label) for c in node.schema.columns if c.label not in new}
    for pivot, value in parts:
        ordered = exp.Order(this=rel.ref(value), expressions=[sql.ordered(rel.ref(SEQ))])
        for label, values in pivot.new_columns:
            conds = [is_real(rel)] + [
                exp.Is(this=rel.ref(c), expression=exp.Null()) if v is None else exp.EQ(this=rel.ref(c), expression=cell_sql(v, t))
                for c, v, t in zip(first.column_key, values, key_types)
            ]
            columns[label] = exp.Filter(this=exp.Last(this=ordered.copy()), expression=exp.Where(this=sql.and_all(conds)))
    columns[SEQ] = sql.func("min", rel.ref(SEQ))
    out = rel.with_columns(columns, group_by_all=True)
    if all(is_constant(columns[c.label]) for c in node.schema.columns if c.label not in new):
        _nonempty_having(out)  # nothing to group by: no rows must give no row
    return out


@lowers(r.ColumnLabels)
def lower_column_labels(lw: Lowerer, node: r.ColumnLabels) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    keys = [c.label for c in node.schema.columns if c.label != node.column]
    presence = _label_presence(rel, node, keys)
    tables = rel.with_columns({k: rel.ref(k) for k in keys} | {"__one": sql.number(1)}
                              | {hidden: test for _, hidden, test in presence}, group_by_all=True)
    if any(label not in keys for label, _, _ in presence):
        _nonempty_having(tables)  # bool_or() over no rows still gives a row
    name = lw.ctes.add(node.step + "_tables", tables.to_select())
    rows = [exp.Tuple(expressions=[exp.Literal.string(label), sql.number(i)]) for i, label in enumerate(node.labels)]
    values = exp.Values(
        expressions=rows or [exp.Tuple(expressions=[sql.null(FluxType.STRING), sql.null(FluxType.INT)])],
        alias=exp.TableAlias(this=sql.ident("labels"), columns=[sql.ident("__label"), sql.ident("__ord")]),
    )
    columns = {k: sql.col(k, name) for k in keys}
    columns[node.column] = sql.col("__label", "labels")
    columns[SEQ] = sql.col("__ord", "labels")
    out = Relation(source=exp.Table(this=sql.ident(name)), columns=columns, joins=[exp.Join(this=values, kind="CROSS")])
    if not rows:  # no labels (e.g. keys() of ungrouped tables): no rows
        out.where.append(exp.false())
    for label, hidden, _ in presence:
        # A label is listed for the tables that have the column.
        out.where.append(exp.Paren(this=exp.or_(
            exp.NEQ(this=sql.col("__label", "labels"), expression=exp.Literal.string(label)), sql.col(hidden, name))))
    return out


def _label_presence(rel: Relation, node: r.ColumnLabels, keys: list) -> list:
    """(label, hidden column, SQL test) for each listed label whose column some tables
    lack (PlanNode.maybe_absent): a table has a key column whose value is not null, and
    a column outside the key with a value on some row."""
    marked = node.input.maybe_absent
    out = []
    for i, label in enumerate(node.labels):
        if label not in marked or label == node.column:
            continue
        present = exp.Not(this=exp.Is(this=rel.ref(label), expression=exp.Null()))
        if label not in keys:
            present = sql.func("bool_or", present)
        out.append((label, f"__has_{i}", present))
    return out


@lowers(r.Distinct)
def lower_distinct(lw: Lowerer, node: r.Distinct) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    columns = {c.label: rel.ref(c.label) for c in node.schema.columns if c.label != "_value"}
    columns["_value"] = rel.ref(node.column)
    columns[SEQ] = sql.func("min", rel.ref(SEQ))
    out = rel.with_columns(columns, group_by_all=True)
    _nonempty_having(out)
    return out


@lowers(r.RowSelect)
def lower_row_select(lw: Lowerer, node: r.RowSelect) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    params = dict(node.params)
    out = rel.with_columns(dict(rel.columns))
    partition = key_partition(rel, node)
    if node.kind == "unique":
        # The first row holding each value of the column (nulls are a value too).
        rank = sql.over(exp.RowNumber(), partition + [rel.ref(node.column)], order_sql(rel, node))
        out.where.append(is_real(rel))
        out.qualify.append(exp.EQ(this=rank, expression=sql.number(1)))
        return out
    if node.kind == "sample":
        n, pos = int(params["n"]), int(params["pos"])
        index = exp.Sub(this=sql.over(exp.RowNumber(), partition, order_sql(rel, node)), expression=sql.number(1))
        out.where.append(is_real(rel))
        out.qualify.append(exp.GTE(this=index, expression=sql.number(pos)))
        out.qualify.append(
            exp.EQ(this=exp.Mod(this=exp.Paren(this=exp.Sub(this=index.copy(), expression=sql.number(pos))), expression=sql.number(n)),
                   expression=sql.number(0))
        )
        return out
    raise ValueError(node.kind)


@lowers(r.Mode)
def lower_mode(lw: Lowerer, node: r.Mode) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    columns = {c.label: rel.ref(c.label) for c in node.schema.columns}
    # Nulls count 0, so they win only when a table holds nothing else: "if there is no
    # mode, mode() returns null" (https://docs.influxdata.com/flux/v0/stdlib/universe/mode/).
    columns["__n"] = sql.func("count", rel.ref(node.column))
    columns[SEQ] = sql.func("min", rel.ref(SEQ))
    counted = rel.with_columns(columns, group_by_all=True)
    counted.where.append(is_real(rel))
    name = lw.ctes.add(node.step, counted.to_select())
    out = Relation(source=exp.Table(this=sql.ident(name)), columns={c: sql.col(c) for c in list(node.schema.labels) + [SEQ]})
    key = [sql.col(k) for k in node.schema.key]
    best = sql.over(sql.func("max", sql.col("__n")), key)
    # Every value once is no mode: one row with a null value (the docs' example: six
    # different values give `null`).
    repeated = exp.GT(this=sql.col("__n"), expression=sql.number(1))
    out.columns[node.column] = exp.Case(ifs=[exp.If(this=repeated, true=sql.col(node.column))])
    first = exp.EQ(this=sql.over(exp.RowNumber(), key, [sql.ordered(sql.col(SEQ))]), expression=sql.number(1))
    out.qualify.append(exp.and_(exp.EQ(this=sql.col("__n"), expression=best),
                                exp.Paren(this=exp.or_(repeated.copy(), first))))
    out.has_window = True
    return out


@lowers(r.Covariance)
def lower_covariance(lw: Lowerer, node: r.Covariance) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    x, y = sql.cast(rel.ref(node.x), FluxType.FLOAT), sql.cast(rel.ref(node.y), FluxType.FLOAT)
    columns = {c.label: rel.ref(c.label) for c in node.schema.columns if c.label != node.value_dst}
    covariance = sql.func("covar_samp", x, y)
    if node.pearsonr:
        # Sxy / (sqrt(Sxx) * sqrt(Syy)): DuckDB's corr() differs in the last digit from
        # Flux (the docs' pearsonr example gives 0.9856626734271221, corr() ...222).
        sxy, sxx, syy = (sql.func(f"regr_{s}", y.copy(), x.copy()) for s in ("sxy", "sxx", "syy"))
        roots = exp.Mul(this=sql.func("sqrt", sxx), expression=sql.func("sqrt", syy))
        covariance = exp.Div(this=sxy, expression=exp.Paren(this=roots))
    columns[node.value_dst] = covariance
    columns[SEQ] = sql.func("min", rel.ref(SEQ))
    out = rel.with_columns(columns, group_by_all=True)
    if not node.schema.key:
        _nonempty_having(out)
    return out


def _reduce_aggregate(rel: Relation, kind: str, arg, arg_type) -> exp.Expression:
    from .lowerer import scalar_sql

    real = exp.Where(this=is_real(rel))
    if kind == "count":
        return exp.Filter(this=sql.func("count", exp.Star()), expression=real)
    x = scalar_sql(rel, arg)
    if kind == "last":
        ordered = exp.Order(this=x, expressions=[sql.ordered(rel.ref(SEQ))])
        return exp.Filter(this=exp.Last(this=ordered), expression=real)
    if kind in ("max", "min"):
        return exp.Filter(this=sql.func(kind, x), expression=real)
    # sum / product: a null operand makes the accumulator null for good (null + x is null).
    total = sql.cast(exp.Filter(this=sql.func(kind, x), expression=real.copy()), arg_type)
    has_null = exp.Filter(this=sql.func("bool_or", exp.Is(this=x.copy(), expression=exp.Null())), expression=real.copy())
    return exp.Case(ifs=[exp.If(this=exp.Coalesce(this=has_null, expressions=[exp.false()]), true=sql.null(arg_type))],
                    default=total)


@lowers(r.Reduce)
def lower_reduce(lw: Lowerer, node: r.Reduce) -> Relation:
    from .scalars import lower_scalar

    rel = lw.composable_input(node.input, node.input.step)
    key = list(node.schema.key)
    columns = {k: rel.ref(k) for k in key}
    for name, kind, arg in node.aggregates:
        columns[r.AGG + name] = _reduce_aggregate(rel, kind, arg, getattr(arg, "type", None))
    columns[SEQ] = sql.func("min", rel.ref(SEQ))
    grouped = rel.with_columns(columns, group_by_all=True)
    if not key:
        _nonempty_having(grouped)
    agg = lw.materialize(grouped, node.step)
    out = {k: agg.ref(k) for k in key}
    for (label, expr), t in zip(node.outputs, node.types):
        out[label] = sql.cast(lower_scalar(expr, agg.ref), t)
    out[SEQ] = agg.ref(SEQ)
    return agg.with_columns(out)


def columns_to_rows(lw: Lowerer, rel: Relation, kept: list, columns, label_col: str, step: str) -> str:
    """A CTE with one row per (input row, non-null column among `columns`): the `kept`
    columns, the column's name in `label_col`, its value in `_value`, and `__ord` (the
    column's position) to order the rows. Returns the CTE's name."""
    selects = []
    for i, label in enumerate(columns):
        cols = {k: rel.ref(k) for k in kept}
        cols[label_col] = exp.Literal.string(label)
        cols["_value"] = rel.ref(label)
        cols["__ord"] = sql.number(i)
        cols[SEQ] = rel.ref(SEQ)
        part = rel.with_columns(cols)
        part.where.append(exp.Not(this=exp.Is(this=rel.ref(label), expression=exp.Null())))
        selects.append(part.to_select())
    return lw.ctes.add(step, sql.union_all(selects))


@lowers(r.Unpivot)
def lower_unpivot(lw: Lowerer, node: r.Unpivot) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    kept = [c.label for c in node.schema.columns if c.label not in ("_field", "_value")]
    name = columns_to_rows(lw, rel, kept, node.value_columns, "_field", node.step)
    columns = {c: sql.col(c) for c in node.schema.labels}
    columns[SEQ] = sql.over(exp.RowNumber(), [], [sql.ordered(sql.col("__ord")), sql.ordered(sql.col(SEQ))])
    return Relation(source=exp.Table(this=sql.ident(name)), columns=columns, has_window=True)


@lowers(r.KeyValues)
def lower_key_values(lw: Lowerer, node: r.KeyValues) -> Relation:
    rel = lw.composable_input(node.input, node.input.step)
    key = [c.label for c in node.schema.columns if c.label not in ("_key", "_value")]
    name = columns_to_rows(lw, rel, key, node.key_columns, "_key", node.step + "_pairs")
    pairs = Relation(source=exp.Table(this=sql.ident(name)),
                     columns={c: sql.col(c) for c in key + ["_key", "_value"]}, group_by_all=True)
    pairs.columns["__ord"] = sql.func("min", sql.col("__ord"))
    pairs.columns[SEQ] = sql.func("min", sql.col(SEQ))
    grouped = lw.materialize(pairs, node.step)
    columns = {c: grouped.ref(c) for c in node.schema.labels}
    columns[SEQ] = sql.over(exp.RowNumber(), [], [sql.ordered(grouped.ref("__ord")), sql.ordered(grouped.ref(SEQ))])
    return grouped.with_columns(columns, has_window=True)
