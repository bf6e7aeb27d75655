"""Execute compiled Flux on a DuckDB connection and regroup the rows into Flux tables.

All data work happens in the SQL; this module only fetches rows (times as epoch
nanoseconds, exact), splits them into tables by the plan's group key and keeps the
row order the SQL produced.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from sqlglot import exp

from transpile.tables import Column, Table
from transpile.types import FluxType

NANOSECOND_TYPES = (FluxType.TIME,)


@dataclass
class QueryResult:
    """The results of a query: (name, tables) pairs in yield order."""

    results: list[tuple[str, list[Table]]] = field(default_factory=list)
    sql: str = ""

    def __iter__(self) -> Iterator[Table]:
        for _, tables in self.results:
            yield from tables

    def write(self, out, format: str = "csv") -> None:
        from runtime.output import WRITERS

        WRITERS[format](self.results, out)

    def to_csv(self) -> str:
        import io

        buf = io.StringIO()
        self.write(buf, "csv")
        return buf.getvalue()


def fetch_select(result) -> exp.Select:
    """The result's SELECT with time columns read as epoch nanoseconds (exact)."""
    select = result.select.copy()
    times = {c.label for c in result.schema.columns if c.type in NANOSECOND_TYPES}
    projections = []
    for proj in select.expressions:
        label = proj.alias_or_name
        if label in times:
            inner = proj.this if isinstance(proj, exp.Alias) else proj
            proj = exp.alias_(exp.Anonymous(this="epoch_ns", expressions=[inner.copy()]), exp.to_identifier(label, quoted=True))
        projections.append(proj)
    select.set("expressions", projections)
    return select


def run_result(con, result) -> list[Table]:
    query = fetch_select(result).sql(dialect="duckdb")
    rows = con.execute(query).fetchall()
    schema = result.schema
    columns = tuple(Column(c.label, c.type) for c in schema.columns)
    key_index = [schema.labels.index(k) for k in schema.key]
    tables: dict[tuple, Table] = {}
    for row in rows:
        key = tuple(row[i] for i in key_index)
        table = tables.get(key)
        if table is None:
            table = tables[key] = Table(columns, schema.key, [])
        table.rows.append(row)
    return list(tables.values())


def run_compiled(con, compiled) -> QueryResult:
    out = QueryResult(sql=compiled.sql())
    for result in compiled.results:
        out.results.append((result.name, run_result(con, result)))
    return out
