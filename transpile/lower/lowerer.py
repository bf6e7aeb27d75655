"""Plan -> SQL: one lowering function per plan node type, dispatched by type.

Each function takes the `Lowerer` and the node and returns a `Relation` holding every
schema column plus the hidden columns the node's row order needs (`__seq`). Group keys
become GROUP BY ALL / PARTITION BY; row order becomes ORDER BY inside window functions.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from .. import plan as p
from ..errors import FluxUnsupportedError
from ..plan.storage import To
from ..scalar import Scalar
from . import sql
from .relation import CteList, Relation, passthrough
from .scalars import lower_scalar

SEQ = p.SEQ


@dataclass
class LoweredResult:
    """One statement of the program: the SQL of a result and how to read its rows."""

    name: str
    select: exp.Select
    node: p.PlanNode
    # to() calls: (To node, a SELECT of the rows it writes), in the order they run.
    writes: list = None

    @property
    def schema(self) -> p.Schema:
        return self.node.schema

    def sql(self, pretty: bool = True) -> str:
        return self.select.sql(dialect=sql.DIALECT, pretty=pretty)


class Lowerer:
    def __init__(self) -> None:
        self.ctes = CteList()
        self.memo: dict[int, Relation] = {}
        self.uses: dict[int, int] = {}
        self.parents: dict[int, p.PlanNode] = {}  # node id -> the first step found reading it
        self.writes: list = []
        self.result_node: p.PlanNode | None = None

    # ------------------------------------------------------------------ driving

    def lower_result(self, name: str, node: p.PlanNode) -> LoweredResult:
        self._count_uses(node)
        self.result_node = node
        rel = self.relation(node)
        schema = node.schema
        if not rel.composable:
            rel = self.materialize(rel, node.step)
        columns = {c.label: rel.ref(c.label) for c in schema.columns}
        if not columns:
            # Tables without columns (keep() of missing columns) hold no rows to print.
            columns = {"__nothing": sql.null()}
            rel = rel.with_columns(dict(rel.columns))
            rel.where.append(exp.false())
        final = rel.with_columns(columns)
        marker = marker_of(node)
        if node.may_have_empty and marker is not None:
            final.where.append(exp.Not(this=exp.Is(this=rel.ref(marker), expression=exp.Null())))
        select = final.to_select()
        order = [sql.ordered(rel.ref(k)) for k in schema.key if not is_constant(rel.ref(k))]
        order += [sql.ordered(sort_key(rel.ref(c)), desc) for c, desc in node.order.items
                  if c in rel.columns and not is_constant(rel.ref(c))]
        if order:
            select = select.order_by(*distinct_order(order), copy=False)
        writes = [(to, self._write_select(to, rel_)) for to, rel_ in self.writes]
        return LoweredResult(name, self.ctes.attach(select), node, writes)

    def _write_select(self, to, rel: Relation) -> exp.Select:
        """The rows a to() writes: its input's columns, without empty-table placeholders."""
        out = rel.with_columns({c.label: rel.ref(c.label) for c in to.input.schema.columns})
        for i, (_, value) in enumerate(to.field_fn or ()):
            out.columns[f"__field_{i}"] = scalar_sql(rel, value)
        # The row order columns too: when the to() is the result, its rows are read back
        # from what was written, in this order (runtime/execute.py).
        for label, _ in to.input.order.items:
            if label in rel.columns and label not in out.columns:
                out.columns[label] = rel.ref(label)
        marker = marker_of(to.input)
        if to.input.may_have_empty and marker in rel.columns:
            out.where.append(exp.Not(this=exp.Is(this=rel.ref(marker), expression=exp.Null())))
        return self.ctes.attach(out.to_select())

    def _count_uses(self, node: p.PlanNode) -> None:
        self.uses[id(node)] = self.uses.get(id(node), 0) + 1
        if self.uses[id(node)] == 1:
            for child in node.inputs:
                self.parents.setdefault(id(child), node)
                self._count_uses(child)

    def empty_tables_unseen(self, node: p.PlanNode) -> bool:
        """True when nothing reads `node`'s empty tables: it is the result (or the input of
        the to() that is the result), whose empty tables print and write nothing. Its
        lowering may then drop rows without keeping a placeholder per emptied table."""
        if self.uses.get(id(node), 0) != 1:
            return False
        root = self.result_node
        return node is root or (isinstance(root, To) and root.input is node)

    def relation(self, node: p.PlanNode) -> Relation:
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        try:
            lower = LOWERINGS[type(node)]
        except KeyError:
            raise FluxUnsupportedError(f"{node.step}() cannot be lowered to SQL yet") from None
        rel = lower(self, node)
        if self.uses.get(key, 0) > 1:
            # Used by several consumers: compute it once, as its own CTE.
            rel = self.materialize(rel, node.step)
        self.memo[key] = rel
        return rel

    def materialize(self, rel: Relation, step: str) -> Relation:
        """Make `rel` a CTE and start a SELECT over it. Constant columns (range bounds, the
        measurement and field of a scan) stay inlined, so later steps need not partition
        or sort by them."""
        name = self.ctes.add(step, rel.to_select())
        out = passthrough(exp.Table(this=sql.ident(name)), rel.columns.keys())
        for label, e in rel.columns.items():
            if is_constant(e) and not _has_window_or_aggregate(e):
                out.columns[label] = e.copy()
        return out

    def composable_input(self, node: p.PlanNode, step: str) -> Relation:
        """The input relation, made into a CTE first when it cannot be extended."""
        rel = self.relation(node)
        if not rel.composable:
            rel = self.materialize(rel, step)
        return rel


def is_constant(e: exp.Expression) -> bool:
    return not any(isinstance(n, (exp.Column, exp.Star)) or (isinstance(n, exp.Anonymous) and n.name.lower() in _ROWS_FROM_ONE)
                   for n in e.walk()) and not _has_window_or_aggregate(e)


# Functions that make several rows of one (unnest of a list of constants is not a constant).
_ROWS_FROM_ONE = {"unnest", "generate_series", "range"}


def _has_window_or_aggregate(e: exp.Expression) -> bool:
    return any(isinstance(n, (exp.Window, exp.AggFunc)) or (isinstance(n, exp.Anonymous) and n.name.lower() in _AGGREGATE_NAMES)
               for n in e.walk())


# Aggregates written as plain function calls (lower.sql.func) that must not be inlined.
_AGGREGATE_NAMES = {"count", "count_if", "sum", "avg", "min", "max", "arg_min", "arg_max", "quantile_cont",
                    "quantile_disc", "stddev_samp", "stddev_pop", "skewness", "first", "last", "list", "mode"}


def marker_of(node: p.PlanNode) -> str | None:
    """The column that is NULL exactly on empty-table placeholder rows."""
    return getattr(node, "marker", None) or (marker_of(node.inputs[0]) if node.inputs else SEQ)


def scalar_sql(rel: Relation, expr: Scalar) -> exp.Expression:
    return lower_scalar(expr, rel.ref)


def key_partition(rel: Relation, node: p.PlanNode) -> list:
    """PARTITION BY the group key; a constant key column does not split tables."""
    return [e for e in (rel.ref(k) for k in node.schema.key) if not is_constant(e)]


def order_sql(rel: Relation, node: p.PlanNode, reverse: bool = False) -> list:
    """ORDER BY items for the node's row order (a constant column orders nothing)."""
    items = []
    for c, desc in node.order.items:
        if c in rel.columns and not is_constant(rel.ref(c)):
            items.append(sql.ordered(sort_key(rel.ref(c)), desc != reverse))
    return distinct_order(items)


def distinct_order(items: list) -> list:
    """ORDER BY items without repeats (a later item sorting by the same value decides nothing)."""
    seen, out = [], []
    for item in items:
        if not any(item.this == e for e in seen):
            seen.append(item.this)
            out.append(item)
    return out


def sort_key(e: exp.Expression) -> exp.Expression:
    """What to sort by for `e`: a time column itself rather than its epoch_ns() (the
    `__seq` of a scan), which orders the same and lets DuckDB sort the raw column."""
    if isinstance(e, exp.Anonymous) and e.name.lower() == "epoch_ns" and len(e.expressions) == 1 \
            and isinstance(e.expressions[0], exp.Column):
        return e.expressions[0]
    return e


def hidden(rel: Relation, node: p.PlanNode) -> dict:
    labels = set(node.schema.labels)
    return {k: v for k, v in rel.columns.items() if k not in labels}


LOWERINGS: dict = {}


def lowers(node_type):
    def register(fn):
        LOWERINGS[node_type] = fn
        return fn

    return register
