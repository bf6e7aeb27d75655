"""A SELECT under construction, and the CTEs a program accumulates.

Lowering a plan node either extends the current `Relation` (adds a WHERE, composes a
projection, adds a QUALIFY) or, when SQL clause order forbids that, turns it into a CTE
named after the Flux step and starts a new SELECT over it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlglot import exp

from . import sql


@dataclass
class Relation:
    source: exp.Expression
    columns: dict  # label -> SQL expression over `source` (schema columns, then hidden ones)
    where: list = field(default_factory=list)
    group_by_all: bool = False
    having: exp.Expression | None = None
    qualify: list = field(default_factory=list)
    joins: list = field(default_factory=list)
    has_window: bool = False  # some column is a window function
    # ORDER BY ... LIMIT n OFFSET m: the first rows of the whole relation (one table).
    order_by: list = field(default_factory=list)
    limit: int | None = None
    offset: int = 0

    @property
    def composable(self) -> bool:
        """True when a projection or filter may be merged into this SELECT."""
        return not (self.group_by_all or self.qualify or self.has_window or self.limit is not None)

    def ref(self, label: str) -> exp.Expression:
        try:
            return self.columns[label].copy()
        except KeyError:
            return sql.null()

    def with_columns(self, columns: dict, **changes) -> "Relation":
        return replace(self, columns=columns, where=list(self.where), qualify=list(self.qualify),
                       order_by=list(self.order_by), **changes)

    def to_select(self, copy: bool = True) -> exp.Select:
        """The SELECT. Its parts are copied once (relations share expressions); the
        builder calls then work in place instead of copying the whole query each time.
        `copy=False` when the relation's expressions were built for it alone and it is
        not used again (a scan's SELECT): then they move into the SELECT as they are."""
        own = _own if copy else (lambda e: e)
        select = exp.select(*[sql.alias(own(e), label) for label, e in self.columns.items()], copy=False)
        select = select.from_(own(self.source), copy=False)
        for j in self.joins:
            select = select.join(own(j), copy=False)
        cond = sql.and_all([own(w) for w in self.where])
        if cond is not None:
            select = select.where(cond, copy=False)
        if self.group_by_all:
            select.set("group", exp.Group(all=True))
        if self.having is not None:
            select = select.having(own(self.having), copy=False)
        q = sql.and_all([own(w) for w in self.qualify])
        if q is not None:
            select.set("qualify", exp.Qualify(this=q))
        if self.order_by:
            select = select.order_by(*[own(o) for o in self.order_by], copy=False)
        if self.limit is not None:
            select = select.limit(sql.number(self.limit), copy=False)
            if self.offset:
                select = select.offset(sql.number(self.offset), copy=False)
        return select


def _own(e: exp.Expression) -> exp.Expression:
    """`e` for a new SELECT: itself while no tree holds it yet, else a copy (relations
    share expressions; a node belongs to one tree)."""
    return e.copy() if e.parent is not None else e


def passthrough(source: exp.Expression, labels) -> Relation:
    return Relation(source=source, columns={label: sql.col(label) for label in labels})


class CteList:
    """The WITH clause being built: unique names after Flux steps."""

    def __init__(self) -> None:
        self.items: list[tuple[str, exp.Select]] = []
        self.names: set[str] = set()

    def add(self, step: str, select: exp.Select) -> str:
        base = step.replace(".", "_") or "step"
        name, n = base, 2
        while name in self.names:
            name, n = f"{base}_{n}", n + 1
        self.names.add(name)
        self.items.append((name, select))
        return name

    def attach(self, select: exp.Select) -> exp.Select:
        """`select` with the CTEs in front (the trees are shared, not copied)."""
        for name, body in self.items:
            select = select.with_(sql.ident(name), as_=body, copy=False)
        return select
