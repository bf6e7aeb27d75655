"""The bucket storage in a DuckDB file: opening it, the DDL, the catalog, and the merge that
applies InfluxDB's overwrite rule.

Owns every statement that creates or alters a table of a bucket and every write to the
catalog tables (names and layout come from `transpile.storage_layout`; docs/storage.md is the
design record). It does not parse input: ingest hands it staging tables. Identifiers are
always quoted; values always go in as parameters.
"""
from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from typing import Iterable

import duckdb
import numpy as np

from transpile.storage_layout import (
    BUCKETS_TABLE,
    CATALOG_SCHEMA,
    DATABASE_ALIAS,
    FIELD_SQL_TYPES,
    FIELDS_TABLE,
    MEASUREMENTS_TABLE,
    TAG_KEYS_TABLE,
    TAG_SQL_TYPE,
    TIME_COLUMN,
    TIME_SQL_TYPE,
    BucketCatalog,
    FieldColumn,
    MeasurementLayout,
    TagColumn,
    default_schema_name,
    unique_name,
)
from transpile.types import FluxType


class FieldTypeConflict(Exception):
    """A field already holds values of another type (InfluxDB refuses such a write)."""

    def __init__(self, measurement: str, field: str, existing: FluxType, new: FluxType):
        super().__init__(
            f"field type conflict: field {field!r} of measurement {measurement!r} is "
            f"{existing.value}, cannot write {new.value}"
        )
        self.measurement, self.field, self.existing, self.new = measurement, field, existing, new


def quote(identifier: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + identifier.replace('"', '""') + '"'


def qualified(layout: MeasurementLayout) -> str:
    return f"{quote(layout.schema)}.{quote(layout.table)}"


_CATALOG_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {quote(CATALOG_SCHEMA)}",
    f"""CREATE TABLE IF NOT EXISTS {quote(CATALOG_SCHEMA)}.{quote(BUCKETS_TABLE)} (
        bucket VARCHAR PRIMARY KEY,
        schema_name VARCHAR NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {quote(CATALOG_SCHEMA)}.{quote(MEASUREMENTS_TABLE)} (
        bucket VARCHAR NOT NULL,
        measurement VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL,
        PRIMARY KEY (bucket, measurement))""",
    f"""CREATE TABLE IF NOT EXISTS {quote(CATALOG_SCHEMA)}.{quote(TAG_KEYS_TABLE)} (
        bucket VARCHAR NOT NULL,
        measurement VARCHAR NOT NULL,
        tag_key VARCHAR NOT NULL,
        column_name VARCHAR NOT NULL,
        PRIMARY KEY (bucket, measurement, tag_key))""",
    f"""CREATE TABLE IF NOT EXISTS {quote(CATALOG_SCHEMA)}.{quote(FIELDS_TABLE)} (
        bucket VARCHAR NOT NULL,
        measurement VARCHAR NOT NULL,
        field_key VARCHAR NOT NULL,
        column_name VARCHAR NOT NULL,
        flux_type VARCHAR NOT NULL,
        PRIMARY KEY (bucket, measurement, field_key))""",
)


def open_connection(path: str | os.PathLike | None) -> duckdb.DuckDBPyConnection:
    """A connection to the file at `path` (created if missing) or to a new in-memory
    database, attached as `flux2sql_db` and made the default, with the catalog tables."""
    con = duckdb.connect(":memory:")
    # DuckDB's own progress bar would print on stderr during long statements.
    con.execute("SET enable_progress_bar = false")
    target = ":memory:" if path is None else os.fspath(path)
    try:
        con.execute(f"ATTACH {_sql_string(target)} AS {quote(DATABASE_ALIAS)}")
        con.execute(f"USE {quote(DATABASE_ALIAS)}")
        ensure_catalog(con)
    except Exception:
        con.close()
        raise
    # An in-memory database is the connection's own.
    _databases[con] = object() if path is None else os.path.realpath(target)
    return con


def _sql_string(text: str) -> str:
    # ATTACH takes no parameters; a path is the one literal we must inline.
    return "'" + text.replace("'", "''") + "'"


def ensure_catalog(con: duckdb.DuckDBPyConnection) -> None:
    for statement in _CATALOG_DDL:
        con.execute(statement)


# -- catalog changes ----------------------------------------------------------------------
#
# runtime.execute keeps the catalogs it read per connection; every write to the catalog
# tables below bumps the generation of that connection's database, which drops them. A
# connection that wrote may not have committed yet (its transaction may still roll back,
# and other connections do not see its writes): until it is known to be outside a
# transaction, nothing is kept for its database. A connection opened here knows its
# database (its file); any other (a cursor) may share one with any connection.

_databases: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # connection -> database key
_generations: dict = {}  # database key (None: unknown) -> generation
_unsettled: "weakref.WeakSet" = weakref.WeakSet()


def _database_of(con) -> object | None:
    try:
        return _databases.get(con)
    except TypeError:
        return None


def _may_share(a, b) -> bool:
    return a is None or b is None or a == b


def _bump(con) -> None:
    key = _database_of(con)
    _generations[key] = _generations.get(key, 0) + 1


def catalog_changed(con: duckdb.DuckDBPyConnection) -> None:
    """Record a write to the catalog tables on `con` (before it is made)."""
    _bump(con)
    _unsettled.add(con)


def catalog_settled(con: duckdb.DuckDBPyConnection) -> None:
    """`con` is outside any transaction: its catalog writes are committed or rolled back."""
    if con in _unsettled:
        _unsettled.discard(con)
        _bump(con)  # a rollback undid what was read meanwhile


def catalog_generation(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """The generation of the catalog `con` reads, or None while catalog writes that `con`
    may see later are pending."""
    key = _database_of(con)
    if any(_may_share(key, _database_of(other)) for other in list(_unsettled)):
        return None
    if key is None:
        return (sum(_generations.values()),)
    return (_generations.get(None, 0), _generations.get(key, 0))


def list_buckets(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        f"SELECT bucket FROM {quote(CATALOG_SCHEMA)}.{quote(BUCKETS_TABLE)} ORDER BY bucket"
    ).fetchall()
    return [r[0] for r in rows]


def _catalog_sql() -> str:
    def table(name: str) -> str:
        return f"{quote(CATALOG_SCHEMA)}.{quote(name)}"

    return (
        f"SELECT 0 AS kind, schema_name AS measurement, NULL AS key, NULL AS column_name, NULL AS flux_type "
        f"FROM {table(BUCKETS_TABLE)} WHERE bucket = $bucket "
        f"UNION ALL SELECT 1, measurement, table_name, NULL, NULL FROM {table(MEASUREMENTS_TABLE)} WHERE bucket = $bucket "
        f"UNION ALL SELECT 2, measurement, tag_key, column_name, NULL FROM {table(TAG_KEYS_TABLE)} WHERE bucket = $bucket "
        f"UNION ALL SELECT 3, measurement, field_key, column_name, flux_type FROM {table(FIELDS_TABLE)} "
        f"WHERE bucket = $bucket"
    )


_CATALOG_SQL = _catalog_sql()


def load_catalog(con: duckdb.DuckDBPyConnection, bucket: str) -> BucketCatalog | None:
    """The catalog of `bucket`, or None when no such bucket exists: its schema, and its
    measurements with their tag and field columns, each sorted by name. One statement for
    the four catalog tables (a statement costs about as much as the SQL of a small query)."""
    schema, tables, tags, fields = None, {}, {}, {}
    # Sorted here rather than by the SQL (a sort costs as much as the rest of the
    # statement); Python orders str by code point, as DuckDB orders VARCHAR.
    rows = sorted(con.execute(_CATALOG_SQL, {"bucket": bucket}).fetchall(), key=lambda r: (r[0], r[1] or "", r[2] or ""))
    for kind, measurement, key, column, flux_type in rows:
        if kind == 0:
            schema = measurement
        elif kind == 1:
            tables[measurement] = key
        elif kind == 2:
            tags.setdefault(measurement, []).append(TagColumn(key, column))
        else:
            fields.setdefault(measurement, []).append(FieldColumn(key, column, FluxType(flux_type)))
    if schema is None:
        return None
    measurements = {
        m: MeasurementLayout(bucket, m, schema, table, tuple(tags.get(m, ())), tuple(fields.get(m, ())))
        for m, table in tables.items()
    }
    return BucketCatalog(bucket, schema, measurements)


def ensure_bucket(con: duckdb.DuckDBPyConnection, bucket: str) -> BucketCatalog:
    """The catalog of `bucket`, creating its schema when it is new."""
    catalog = load_catalog(con, bucket)
    if catalog is not None:
        return catalog
    taken = {
        r[0].lower()
        for r in con.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database()"
        ).fetchall()
    }
    taken.discard("main")  # a bucket named "main" may share DuckDB's default schema
    schema = unique_name(default_schema_name(bucket), taken)
    catalog_changed(con)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
    con.execute(
        f"INSERT INTO {quote(CATALOG_SCHEMA)}.{quote(BUCKETS_TABLE)} VALUES (?, ?)", [bucket, schema]
    )
    return BucketCatalog(bucket, schema, {})


def extend_measurement(
    con: duckdb.DuckDBPyConnection,
    catalog: BucketCatalog,
    measurement: str,
    tag_keys: Iterable[str],
    fields: dict[str, FluxType],
) -> MeasurementLayout:
    """The layout of `measurement` after creating its table and adding the tag and field
    columns it lacks. Raises FieldTypeConflict when a field exists with another type.
    Updates `catalog.measurements` in place."""
    layout = catalog.measurements.get(measurement)
    for key, flux_type in fields.items():
        existing = layout.field(key) if layout else None
        if existing is not None and existing.type != flux_type:
            raise FieldTypeConflict(measurement, key, existing.type, flux_type)
    created = layout is None
    if created:
        layout = _create_measurement(con, catalog, measurement)
    table = qualified(layout)
    new_tags = list(layout.tags)
    new_fields = list(layout.fields)
    taken = layout.column_names()
    added: list[tuple[str, str]] = []  # (column, SQL type)
    for key in sorted(set(tag_keys) - set(layout.tag_keys)):
        column = unique_name(key, taken, "_tag")
        taken.add(column.lower())
        added.append((column, TAG_SQL_TYPE))
        new_tags.append(TagColumn(key, column))
    for key in sorted(set(fields) - set(layout.field_types)):
        column = unique_name(key, taken, "_field")
        taken.add(column.lower())
        added.append((column, FIELD_SQL_TYPES[fields[key]]))
        new_fields.append(FieldColumn(key, column, fields[key]))
    if added:
        catalog_changed(con)
    if created:
        # A new table gets all its columns at once (an ALTER TABLE per column costs).
        columns = [(TIME_COLUMN, f"{TIME_SQL_TYPE} NOT NULL")] + added
        con.execute(
            f"CREATE TABLE {table} ({', '.join(f'{quote(c)} {t}' for c, t in columns)})"
        )
    else:
        for column, sql_type in added:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {quote(column)} {sql_type}")
    tag_rows = new_tags[len(layout.tags):]
    if tag_rows:
        con.execute(
            f"INSERT INTO {quote(CATALOG_SCHEMA)}.{quote(TAG_KEYS_TABLE)} "
            "SELECT ?, ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
            [catalog.bucket, measurement, [t.key for t in tag_rows], [t.column for t in tag_rows]],
        )
    field_rows = new_fields[len(layout.fields):]
    if field_rows:
        con.execute(
            f"INSERT INTO {quote(CATALOG_SCHEMA)}.{quote(FIELDS_TABLE)} "
            "SELECT ?, ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
            [catalog.bucket, measurement, [f.key for f in field_rows], [f.column for f in field_rows],
             [f.type.value for f in field_rows]],
        )
    layout = MeasurementLayout(
        layout.bucket, measurement, layout.schema, layout.table, tuple(new_tags), tuple(new_fields)
    )
    catalog.measurements[measurement] = layout
    return layout


def _create_measurement(
    con: duckdb.DuckDBPyConnection, catalog: BucketCatalog, measurement: str
) -> MeasurementLayout:
    """The layout of a new measurement, recorded in the catalog; `extend_measurement`
    creates its table."""
    taken = {
        r[0].lower()
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = ?",
            [catalog.schema],
        ).fetchall()
    }
    table = unique_name(measurement, taken)
    catalog_changed(con)
    con.execute(
        f"INSERT INTO {quote(CATALOG_SCHEMA)}.{quote(MEASUREMENTS_TABLE)} VALUES (?, ?, ?)",
        [catalog.bucket, measurement, table],
    )
    return MeasurementLayout(catalog.bucket, measurement, catalog.schema, table)


def merge_rows(
    con: duckdb.DuckDBPyConnection,
    layout: MeasurementLayout,
    staging: str,
    tags: list[tuple[str, str]],
    fields: list[tuple[str, str]],
    unique_keys: bool = False,
) -> int:
    """Write the rows of the temporary table `staging` into the measurement's table with
    InfluxDB's overwrite rule: a point is (measurement, tag set, field, time), so a row
    with the same tag set and time gets the new non-NULL field values and keeps the others.

    `staging` has `_ln` (input order) and `_time`; `tags` and `fields` map its columns to
    the measurement table's: (staging column, table column). Rows repeated inside the
    staging table are merged first, the later line winning field by field, unless the
    caller knows that no (time, tag set) repeats (`unique_keys`). Returns the number of
    field values written.
    """
    target = qualified(layout)
    time_col = quote(TIME_COLUMN)
    tag_cols = [quote(c) for _, c in tags]
    field_cols = [quote(c) for _, c in fields]
    renamed = ", ".join(
        ["_ln", time_col] + [f"{quote(s)} AS {quote(t)}" for s, t in tags + fields]
    )
    source = f"(SELECT {renamed} FROM {quote(staging)})"
    key_cols = [time_col] + tag_cols
    count_values = " + ".join(f"count({f})" for f in field_cols) or "0"
    # A hash collision only sends us down the exact (slower) path below.
    distinct = "count(*)" if unique_keys else f"count(DISTINCT hash({', '.join(key_cols)}))"
    lo, hi, rows, distinct_keys, values = con.execute(
        f"SELECT epoch_ns(min({time_col})), epoch_ns(max({time_col})), count(*), {distinct}, {count_values} "
        f"FROM {source}"
    ).fetchone()
    if rows == 0:
        return 0
    if distinct_keys != rows:
        # Same point twice in one write: the last line wins, field by field.
        merged = ", ".join(
            f"arg_max({f}, _ln) FILTER (WHERE {f} IS NOT NULL) AS {f}" for f in field_cols
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {quote(staging + '_merged')} AS "
            f"SELECT {', '.join(key_cols)}, max(_ln) AS _ln{', ' + merged if merged else ''} "
            f"FROM {source} GROUP BY {', '.join(key_cols)}"
        )
        source = quote(staging + "_merged")
        values = con.execute(f"SELECT {count_values} FROM {source}").fetchone()[0]
    columns = ", ".join(key_cols + field_cols)
    overlap = con.execute(
        # Times travel as epoch nanoseconds: a Python datetime would drop the nanoseconds.
        f"SELECT count(*) FROM {target} WHERE {time_col} "
        "BETWEEN make_timestamp_ns(?) AND make_timestamp_ns(?)",
        [lo, hi],
    ).fetchone()[0]
    if not overlap:
        # The common case (new data): a plain append.
        con.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {source}")
        return values
    present = {c for _, c in tags}
    match = [
        f"t.{time_col} = s.{time_col}",
        f"t.{time_col} BETWEEN make_timestamp_ns($lo) AND make_timestamp_ns($hi)",
    ]
    for tag in layout.tags:
        col = quote(tag.column)
        match.append(
            f"t.{col} IS NOT DISTINCT FROM s.{col}" if tag.column in present else f"t.{col} IS NULL"
        )
    updates = ", ".join(f"{f} = coalesce(s.{f}, t.{f})" for f in field_cols)
    con.execute(
        f"MERGE INTO {target} AS t USING (SELECT {columns} FROM {source}) AS s "
        f"ON {' AND '.join(match)} "
        + (f"WHEN MATCHED THEN UPDATE SET {updates} " if updates else "")
        + f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({', '.join('s.' + c for c in key_cols + field_cols)})",
        {"lo": lo, "hi": hi},
    )
    return values


def append_to_new_table(
    con: duckdb.DuckDBPyConnection, layout: MeasurementLayout, rows_sql: str, params: dict, columns: list[str]
) -> int:
    """INSERT the rows of the query `rows_sql` (one row per time and tag set, its columns
    named as the table's `columns`) into a measurement table created in this transaction:
    nothing stored can share a point with them, so there is nothing to merge. Returns the
    number of field values written."""
    target = qualified(layout)
    names = ", ".join(quote(c) for c in [TIME_COLUMN, *columns])
    con.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM ({rows_sql})", params)
    counts = " + ".join(f"count({quote(f.column)})" for f in layout.fields) or "0"
    return con.execute(f"SELECT {counts} FROM {target}").fetchone()[0]


# -- columns from the fast ingest path --------------------------------------------------

@dataclass
class ColumnPart:
    """Rows of one measurement that share their columns, as numpy arrays: `times` (int64
    ns), `lines` (int64, input order: the later line wins a repeated point), `series`
    (ids into the tag table, or None when the measurement has no tags here) and one array
    per field column (named as in the measurement table)."""

    times: np.ndarray
    lines: np.ndarray
    series: np.ndarray | None
    fields: dict[str, np.ndarray]


def insert_columns(
    con: duckdb.DuckDBPyConnection,
    target: str,
    tag_table: dict[str, np.ndarray],
    part: ColumnPart,
    with_lines: bool = False,
) -> None:
    """INSERT the rows of `part` into the table `target` (a quoted name). `tag_table` maps
    tag columns to their value per series id (object arrays, None = no such tag)."""
    rows: dict[str, np.ndarray] = {"_t": part.times}
    names = [TIME_COLUMN]
    values = ["make_timestamp_ns(r._t)"]
    if with_lines:
        rows["_l"] = part.lines
        names.append("_ln")
        values.append("r._l")
    aliases = {}
    for i, (column, array) in enumerate(part.fields.items()):
        aliases[column] = f"_f{i}"
        rows[f"_f{i}"] = array
        names.append(column)
        values.append(f"r._f{i}")
    join = order = ""
    if tag_table and part.series is not None:
        rows["_s"] = part.series
        series = {"_s": np.arange(len(next(iter(tag_table.values()))), dtype=part.series.dtype)}
        for i, (column, array) in enumerate(tag_table.items()):
            series[f"_g{i}"] = array
            names.append(column)
            values.append(f"s._g{i}")
        con.register("flux2sql_series", series)
        join = " JOIN flux2sql_series s ON r._s = s._s"
        # The join's threads would interleave their rows; kept in input order (a host's
        # series side by side at each time, as written) the rows of a tag value are
        # found about twice as fast (`cpu = 'cpu-total'` at 10M points: 7.4 -> 3.8 ms).
        rows["_l"] = part.lines
        order = " ORDER BY r._l"
    con.register("flux2sql_rows", rows)
    try:
        con.execute(
            f"INSERT INTO {target} ({', '.join(quote(n) for n in names)}) "
            f"SELECT {', '.join(values)} FROM flux2sql_rows r{join}{order}"
        ).fetchall()
    finally:
        con.unregister("flux2sql_rows")
        if join:
            con.unregister("flux2sql_series")


def stored_points_collide(
    con: duckdb.DuckDBPyConnection,
    layout: MeasurementLayout,
    tag_table: dict[str, np.ndarray],
    parts: list[ColumnPart],
) -> bool:
    """Whether a stored row has the tag set and time of a row of `parts` (then the write
    must merge). Zone maps keep this cheap: only stored rows in the parts' time range are
    read, and only the parts' rows inside the stored rows' time range are compared."""
    target = qualified(layout)
    time_col = quote(TIME_COLUMN)
    lo = min(int(p.times.min()) for p in parts)
    hi = max(int(p.times.max()) for p in parts)
    stored_lo, stored_hi = con.execute(
        f"SELECT epoch_ns(min({time_col})), epoch_ns(max({time_col})) FROM {target} "
        f"WHERE {time_col} BETWEEN make_timestamp_ns(?) AND make_timestamp_ns(?)",
        [lo, hi],
    ).fetchall()[0]
    if stored_lo is None:
        return False
    match = [f"t.{time_col} = make_timestamp_ns(c._t)"]
    for tag in layout.tags:
        column = quote(tag.column)
        match.append(f"t.{column} IS NOT DISTINCT FROM c.{column}" if tag.column in tag_table else f"t.{column} IS NULL")
    for part in parts:
        inside = (part.times >= stored_lo) & (part.times <= stored_hi)
        if not inside.any():
            continue
        candidates: dict[str, np.ndarray] = {"_t": part.times[inside]}
        for column, values in tag_table.items():
            candidates[column] = values[part.series[inside]]
        con.register("flux2sql_candidates", candidates)
        try:
            found = con.execute(
                f"SELECT count(*) FROM flux2sql_candidates c JOIN {target} t ON {' AND '.join(match)} "
                f"WHERE t.{time_col} BETWEEN make_timestamp_ns(?) AND make_timestamp_ns(?)",
                [stored_lo, stored_hi],
            ).fetchall()[0][0]
        finally:
            con.unregister("flux2sql_candidates")
        if found:
            return True
    return False
