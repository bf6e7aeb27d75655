"""Execute compiled Flux on a DuckDB connection and regroup the rows into Flux tables.

All data work happens in the SQL; this module only fetches rows (times as epoch
nanoseconds, exact), splits them into tables by the plan's group key and keeps the
row order the SQL produced.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from sqlglot import exp

from transpile.errors import FluxSemanticError
from transpile.tables import Column, Table
from transpile.types import FluxType

NANOSECOND_TYPES = (FluxType.TIME,)


@dataclass
class QueryResult:
    """The results of a query: (name, tables) pairs in yield order."""

    results: list[tuple[str, list[Table]]] = field(default_factory=list)
    compiled: object = None
    rows_written: int = 0

    @property
    def sql(self) -> str:
        """The SQL that ran (printed on demand: formatting it costs as much as a small query)."""
        return self.compiled.sql() if self.compiled is not None else ""

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
    """Execute every statement of `compiled` on `con` (writes first, then each result's
    rows), without transaction control: callers that write wrap it in a transaction."""
    from runtime import to_bucket

    out = QueryResult(compiled=compiled)
    merged: dict[str, dict[tuple, Table]] = {}
    for result in compiled.results:
        for to, select in result.writes or ():
            out.rows_written += to_bucket.write(con, to, select.sql(dialect="duckdb"))
        tables = merged.setdefault(result.name, {})
        if not any(name == result.name for name, _ in out.results):
            out.results.append((result.name, []))
        for table in run_result(con, result):
            key = (table.labels, table.key_values())
            if key in tables:
                # Fields of different types were compiled apart (transpile.compile); Flux
                # would have merged them into one table, which cannot hold two types.
                raise FluxSemanticError(
                    f"result {result.name!r}: fields of different types end up in one table "
                    f"{dict(zip(table.key, table.key_values()))}; filter by _field or convert with toFloat()"
                )
            tables[key] = table
    out.results = [(name, list(merged[name].values())) for name, _ in out.results]
    return out


@dataclass(frozen=True)
class ScriptRun:
    """What one execution of a script did (for tasks)."""

    rows_written: int
    sql: str


class ConnectionCatalog:
    """The buckets of the database on a connection, as the compiler asks for them."""

    def __init__(self, con):
        self.con = con
        self._buckets: dict = {}  # one catalog read per bucket and compilation

    def bucket(self, name: str):
        from runtime import storage

        if name not in self._buckets:
            self._buckets[name] = storage.load_catalog(self.con, name)
        return self._buckets[name]

    def buckets(self) -> list[str]:
        from runtime import storage

        return storage.list_buckets(self.con)


def compile_for(con, source: str, now_ns: int, filename: str = "<stdin>"):
    import transpile

    return transpile.compile(source, now=now_ns, filename=filename, catalog=ConnectionCatalog(con) if con is not None else None)


def run_script(con, source: str, now_ns: int, filename: str = "<stdin>") -> ScriptRun:
    """Compile `source` with now() = now_ns and execute it on `con` inside the caller's
    transaction. Raises FluxError (compile) or duckdb.Error (execution)."""
    compiled = compile_for(con, source, now_ns, filename)
    result = run_compiled(con, compiled)
    return ScriptRun(result.rows_written, result.sql)


def script_sql(source: str, now_ns: int, con=None) -> str:
    """The SQL `run_script` would execute (for --dry-run); `con` gives the buckets' catalog."""
    return compile_for(con, source, now_ns).sql()


def run_query(con, source: str, now_ns: int, filename: str = "<stdin>") -> QueryResult:
    """Run a Flux query as one transaction: its to() writes commit with it or not at all."""
    compiled = compile_for(con, source, now_ns, filename)
    con.execute("BEGIN TRANSACTION")
    try:
        result = run_compiled(con, compiled)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return result
