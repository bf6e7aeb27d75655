"""Execute compiled Flux on a DuckDB connection and regroup the rows into Flux tables.

All data work happens in the SQL; this module only fetches rows (times as epoch
nanoseconds, exact), splits them into tables by the plan's group key and keeps the
row order the SQL produced.
"""
from __future__ import annotations

import gc
import itertools
import operator
import re
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from sqlglot import exp

from transpile.errors import FluxSemanticError
from transpile.tables import Column, Table
from transpile.timefmt import parse_rfc3339
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


@dataclass(frozen=True)
class Fetch:
    """How to read a result: the SQL of its non-constant columns (times as epoch
    nanoseconds, exact) and the Python values of the constant ones.

    Constant columns (range bounds, the measurement and field of a scan, ...) are literals
    in the SQL; fetching them would convert the same value once per row, which costs as
    much as a small query. They are filled in per table instead."""

    sql: str
    fetched: tuple[int, ...]        # schema positions of the SQL's columns, in order
    constants: dict[int, object]    # schema position -> value of a constant column


def plan_fetch(result, written: tuple[str, set] | None = None) -> Fetch:
    """The Fetch of `result`; with `written` = (table, its column labels), read from that
    table, which holds the rows a to() wrote (by label, with the row order columns) when
    the to() is the result."""
    select = result.select
    schema = result.schema
    projections = list(select.expressions)
    by_label = {p.alias_or_name: p for p in projections}
    fetched, constants, wanted = [], {}, []
    for position, column in enumerate(schema.columns):
        proj = by_label[column.label]
        inner = proj.this if isinstance(proj, exp.Alias) else proj
        value = constant_value(inner, column.type)
        if value is not NOT_CONSTANT:
            constants[position] = value
            continue
        fetched.append(position)
        if column.type in NANOSECOND_TYPES:
            proj = exp.alias_(exp.Anonymous(this="epoch_ns", expressions=[inner.copy()]),
                              exp.to_identifier(column.label, quoted=True))
        wanted.append(proj)
    if not wanted:  # every column is constant: the SQL still counts the rows
        wanted = [exp.alias_(exp.Literal.number(1), exp.to_identifier("__row", quoted=True))]
    if written is not None:
        return Fetch(_read_back(result, *written, fetched), tuple(fetched), constants)
    # Swap the projections in place for the generation (the tree is not copied, it is
    # as large as the whole program) and put them back.
    select.set("expressions", wanted)
    try:
        text = select.sql(dialect="duckdb", copy=False)
    finally:
        select.set("expressions", projections)
    return Fetch(text, tuple(fetched), constants)


def _read_back(result, table: str, labels: set, fetched: list[int]) -> str:
    """SELECT the fetched columns from `table` (by label) in the result's order: the
    non-constant key columns, then the row order columns it has (as lower_result orders)."""
    schema = result.schema
    constant = {schema.columns[i].label for i in range(len(schema.columns)) if i not in fetched}
    columns = []
    for i in fetched:
        c = schema.columns[i]
        e = exp.column(c.label, quoted=True)
        if c.type in NANOSECOND_TYPES:
            e = exp.Anonymous(this="epoch_ns", expressions=[e])
        columns.append(exp.alias_(e, exp.to_identifier(c.label, quoted=True)))
    if not columns:
        columns = [exp.alias_(exp.Literal.number(1), exp.to_identifier("__row", quoted=True))]
    order = [(k, False) for k in schema.key if k not in constant]
    order += [(c, desc) for c, desc in result.node.order.items if c not in constant and c in labels]
    select = exp.select(*columns).from_(exp.Table(this=exp.to_identifier(table, quoted=True)))
    if order:
        select = select.order_by(*[exp.Ordered(this=exp.column(c, quoted=True), desc=desc, nulls_first=not desc)
                                   for c, desc in order])
    return select.sql(dialect="duckdb")


NOT_CONSTANT = object()
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?)?")


def constant_value(e: exp.Expression, flux_type: FluxType):
    """The Python value of a literal the lowering writes for a constant column (see
    transpile.lower.sql.literal), or NOT_CONSTANT for anything else (then it is fetched)."""
    if isinstance(e, exp.Null):
        return None
    if isinstance(e, exp.Cast):
        if isinstance(e.this, exp.Null):
            return None
        if isinstance(e.this, exp.Literal) and e.this.is_string and flux_type == FluxType.TIME \
                and e.to.this in (exp.DataType.Type.TIMESTAMP_NS,):
            match = _TIMESTAMP.fullmatch(e.this.this)
            if match is not None:
                day, clock, fraction = match.groups()
                try:
                    return parse_rfc3339(f"{day}T{clock or '00:00:00'}{'.' + fraction if fraction else ''}Z")
                except ValueError:  # not a time Python reads the same way: DuckDB converts it
                    return NOT_CONSTANT
        return NOT_CONSTANT
    if isinstance(e, exp.Literal) and e.is_string and flux_type == FluxType.STRING:
        return e.this
    if isinstance(e, exp.Boolean) and flux_type == FluxType.BOOL:
        return bool(e.this)
    return NOT_CONSTANT


def row_builder(width: int, fetched: tuple[int, ...], constants: dict[int, object]):
    """A function (fetched rows) -> full rows with the constants in place.

    It is one list comprehension written for the shape (positions are generated names,
    values are bound, never spliced into the code): per row it costs about what
    fetching one column costs, where a generic loop costs several times that."""
    if not constants and list(fetched) == list(range(width)):
        return lambda rows: rows
    where = {position: i for i, position in enumerate(fetched)}
    cells = [f"r[{where[i]}]" if i in where else f"c{i}" for i in range(width)]
    env = {f"c{i}": value for i, value in constants.items()}
    return eval(f"lambda rows: [({', '.join(cells)},) for r in rows]", env)  # noqa: S307


def run_result(con, result, written: tuple[str, set] | None = None) -> list[Table]:
    fetch = plan_fetch(result, written)
    schema = result.schema
    columns = tuple(Column(c.label, c.type) for c in schema.columns)
    # Rows arrive ordered by the group key (lower_result sorts by its non-constant
    # columns), so each table is a run of rows with the same fetched key cells.
    fetched = set(fetch.fetched)
    key_cells = [schema.labels.index(k) for k in schema.key if schema.labels.index(k) in fetched]
    # The rows are new tuples that the cycle collector would scan again and again while
    # they are created (a tenth of the time); none of them can be part of a cycle.
    collecting = gc.isenabled()
    gc.disable()
    try:
        full = fetch_rows(con, fetch, len(columns))
        if not full:
            return []
        if not key_cells:
            tables = [Table(columns, schema.key, full)]
        else:
            found: dict = {}
            for start, end, key in key_runs(full, operator.itemgetter(*key_cells)):
                table = found.get(key)
                if table is None:
                    found[key] = Table(columns, schema.key, full[start:end])
                else:
                    table.rows += full[start:end]
            tables = list(found.values())
        marked = getattr(result.node, "maybe_absent", None)
        return own_columns(tables, schema, marked) if marked else tables
    finally:
        if collecting:
            gc.enable()


def own_columns(tables: list[Table], schema, marked: frozenset) -> list[Table]:
    """Each table with only the columns it has in Flux. A stream has one schema here, so a
    column some tables lack (`marked`: PlanNode.maybe_absent) is null in them: a marked key
    column whose value is null, or a marked column outside the key that is null on every
    row (a table group() merged from tables without it), is not a column of that table.
    Rows are re-tupled only for the tables that lose a column."""
    labels = schema.labels
    in_key = [i for i, label in enumerate(labels) if label in marked and label in schema.key]
    outside = [i for i, label in enumerate(labels) if label in marked and label not in schema.key]
    shapes: dict = {}  # dropped positions -> (columns, key, row getter)
    out = []
    for table in tables:
        rows = table.rows
        first = rows[0]
        dropped = tuple(sorted([i for i in in_key if first[i] is None]
                               + [i for i in outside if all(row[i] is None for row in rows)]))
        if not dropped:
            out.append(table)
            continue
        shape = shapes.get(dropped)
        if shape is None:
            kept = [i for i in range(len(labels)) if i not in dropped]
            gone = {labels[i] for i in dropped}
            shape = shapes[dropped] = (
                tuple(table.columns[i] for i in kept),
                tuple(k for k in table.key if k not in gone),
                row_picker(kept),
            )
        columns, key, pick = shape
        out.append(Table(columns, key, pick(rows)))
    return out


def row_picker(kept: list[int]):
    """A function (rows) -> the rows with only the cells at `kept`."""
    if not kept:
        return lambda rows: [() for _ in rows]
    if len(kept) == 1:
        i = kept[0]
        return lambda rows: [(row[i],) for row in rows]
    get = operator.itemgetter(*kept)
    return lambda rows: list(map(get, rows))


# DuckDB result types that numpy holds exactly and whose `tolist()` gives the Python values
# fetchall() gives (DECIMAL and HUGEINT would become floats there; they are fetched as rows).
_EXACT_IN_NUMPY = {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT",
                   "DOUBLE", "VARCHAR", "BOOLEAN", '"NULL"'}


def fetch_rows(con, fetch: Fetch, width: int) -> list[tuple]:
    """The result's rows as tuples of the schema's width, constants filled in. Read column
    by column (numpy arrays turned into lists, zipped into the rows): one tuple per row
    instead of a fetched one and a completed one, a third less time for large results."""
    cursor = con.execute(fetch.sql)
    if not fetch.fetched or not all(str(d[1]) in _EXACT_IN_NUMPY for d in cursor.description):
        rows = cursor.fetchall()
        build = row_builder(width, fetch.fetched, fetch.constants)
        return build([()] * len(rows) if not fetch.fetched else rows)
    lists = [array.tolist() for array in cursor.fetchnumpy().values()]
    count = len(lists[0])
    where = {position: i for i, position in enumerate(fetch.fetched)}
    cells = [lists[where[i]] if i in where else itertools.repeat(fetch.constants[i], count) for i in range(width)]
    return list(zip(*cells))


def key_runs(rows: list, key) -> Iterator[tuple[int, int, object]]:
    """(start, end, key) of each run of rows with equal keys. Equal keys are adjacent, so
    the end of a run is found by galloping then bisecting on equality: a few key reads
    per table instead of one per row."""
    n, start = len(rows), 0
    while start < n:
        k = key(rows[start])
        lo, step = start, 1  # rows[lo] has key k; rows[hi] does not, or hi == n
        hi = start + 1
        while hi < n and key(rows[hi]) == k:
            lo, step = hi, step * 2
            hi = start + step
        hi = min(hi, n)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if key(rows[mid]) == k:
                lo = mid
            else:
                hi = mid
        yield start, hi, k
        start = hi


def run_compiled(con, compiled) -> QueryResult:
    """Execute every statement of `compiled` on `con` (writes first, then each result's
    rows), without transaction control: callers that write wrap it in a transaction."""
    from runtime import to_bucket

    out = QueryResult(compiled=compiled)
    merged: dict[str, dict[tuple, Table]] = {}
    for result in compiled.results:
        writes = result.writes or []
        # A to() that is the result: its rows are what it wrote; read them back instead
        # of running the query again.
        read_back = bool(writes) and writes[-1][0] is result.node
        with naming_failures(result):
            for i, (to, select) in enumerate(writes):
                keep = read_back and i == len(writes) - 1
                out.rows_written += to_bucket.write(con, to, select.sql(dialect="duckdb", copy=False), keep_rows=keep)
        tables = merged.setdefault(result.name, {})
        if not any(name == result.name for name, _ in out.results):
            out.results.append((result.name, []))
        try:
            written = (to_bucket.ROWS, {p.alias_or_name for p in writes[-1][1].expressions}) if read_back else None
            with naming_failures(result):
                found = run_result(con, result, written)
        finally:
            if read_back:
                to_bucket.drop_rows(con)
        for table in found:
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


@contextmanager
def naming_failures(result):
    """Let a DuckDB error raised by `result`'s statements carry the result's name (as
    `error.flux_result`), so the CLI can point at the yield that failed (runtime/cli/runtime_errors.py)."""
    import duckdb

    try:
        yield
    except duckdb.Error as error:
        error.flux_result = result.name
        raise


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
        if name not in self._buckets:
            self._buckets[name] = cached_catalog(self.con, name)
        return self._buckets[name]

    def buckets(self) -> list[str]:
        from runtime import storage

        return storage.list_buckets(self.con)

    @property
    def in_memory(self) -> bool:
        """True for a database without a file (`flux2sql query` without --db)."""
        row = self.con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
        return row is None or not row[0]


# Catalogs read per connection: {connection: {bucket: (generation, catalog)}}. Reading one
# costs about 1.5 ms, as much as the SQL of a small query; runtime.storage bumps the
# generation on every catalog write and withholds it while a write may be uncommitted.
_CATALOGS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def cached_catalog(con, bucket: str):
    """`load_catalog(con, bucket)`, read again only after the catalog changed."""
    from runtime import storage

    generation = storage.catalog_generation(con)
    try:
        kept = _CATALOGS.setdefault(con, {}) if generation is not None else None
    except TypeError:  # a connection stand-in that cannot be weakly referenced
        kept = None
    if kept is not None and bucket in kept and kept[bucket][0] == generation:
        return kept[bucket][1]
    catalog = storage.load_catalog(con, bucket)
    if kept is not None and storage.catalog_generation(con) == generation:
        kept[bucket] = (generation, catalog)
    return catalog


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
    from runtime import storage

    # Queries start outside a transaction (they open their own): earlier catalog writes
    # on this connection are committed or rolled back by now.
    storage.catalog_settled(con)
    compiled = compile_for(con, source, now_ns, filename)
    if len(compiled.results) == 1 and not compiled.results[0].writes:
        return run_compiled(con, compiled)  # one SELECT: a transaction of its own
    con.execute("BEGIN TRANSACTION")
    try:
        result = run_compiled(con, compiled)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return result
