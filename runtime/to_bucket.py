"""`to()`: write the rows of a compiled `to()` into a bucket of the same DuckDB file.

The rows come from the SQL the compiler generated for the to()'s input; this module
materialises them in a temporary table, creates the destination's measurement tables and
columns as needed (storage DDL lives in runtime.storage), and upserts them with
InfluxDB's overwrite rule (`storage.merge_rows`). Like InfluxDB, it skips null, NaN and
infinite values, empty tag values and rows without a time.
https://docs.influxdata.com/flux/v0/stdlib/universe/to/
"""
from __future__ import annotations

from transpile.errors import FluxSemanticError
from transpile.plan.storage import To
from transpile.types import FluxType

from . import storage
from .storage import quote

ROWS = "__flux2sql_to_rows"
STAGING = "__flux2sql_to_staging"
EXCLUDED_TAGS = {"_measurement", "_field", "_value", "_start", "_stop", "_time"}


def field_columns(to: To) -> list[tuple[str, str, FluxType | None]]:
    """(field name, column of the rows table holding its value, Flux type) for fieldFn."""
    return [(name, f"__field_{i}", getattr(scalar, "type", None)) for i, (name, scalar) in enumerate(to.field_fn or ())]


def write(con, to: To, select_sql: str) -> int:
    """Run the to(): returns the number of field values written."""
    schema = to.input.schema
    con.execute(f"CREATE OR REPLACE TEMP TABLE {quote(ROWS)} AS {select_sql}")
    try:
        tags = list(to.tag_columns) if to.tag_columns is not None else [
            c.label for c in schema.columns
            if c.type == FluxType.STRING and c.label not in EXCLUDED_TAGS and c.label != to.measurement_column
        ]
        for t in tags:
            if schema.type_of(t) != FluxType.STRING:
                raise FluxSemanticError(f"to(): tag column {t!r} is not a string column", to.span)
        if to.field_fn is None and not (schema.has("_field") and schema.has("_value")):
            raise FluxSemanticError("to(): the input has no _field and _value columns (use fieldFn)", to.span)
        catalog = storage.ensure_bucket(con, to.bucket)
        measurements = [r[0] for r in con.execute(
            f"SELECT DISTINCT {quote(to.measurement_column)} FROM {quote(ROWS)} "
            f"WHERE {quote(to.measurement_column)} IS NOT NULL ORDER BY 1").fetchall()]
        written = 0
        for measurement in measurements:
            written += _write_measurement(con, to, catalog, measurement, tags)
        return written
    finally:
        con.execute(f"DROP TABLE IF EXISTS {quote(ROWS)}")
        con.execute(f"DROP TABLE IF EXISTS {quote(STAGING)}")


def _valid(column: str, flux_type: FluxType | None) -> str:
    """The SQL condition under which a value is written (not null, NaN or infinite)."""
    cond = f"{quote(column)} IS NOT NULL"
    if flux_type == FluxType.FLOAT:
        cond += f" AND isfinite({quote(column)})"
    return cond


def _write_measurement(con, to: To, catalog, measurement: str, tags: list[str]) -> int:
    schema = to.input.schema
    where = [f"{quote(to.measurement_column)} = $m", f"{quote(to.time_column)} IS NOT NULL"]
    base = f"FROM {quote(ROWS)} WHERE {' AND '.join(where)}"
    params = {"m": measurement}
    if to.field_fn is None:
        value_type = schema.type_of("_value")
        if value_type not in storage.FIELD_SQL_TYPES:
            raise FluxSemanticError(f"to(): _value of type {value_type.value} cannot be written", to.span)
        names = [r[0] for r in con.execute(
            f"SELECT DISTINCT \"_field\" {base} AND \"_field\" IS NOT NULL AND {_valid('_value', value_type)} ORDER BY 1",
            {"m": measurement}).fetchall()]
        fields = {n: value_type for n in names}
        params.update({f"f{i}": n for i, n in enumerate(names)})
        value_of = {n: f"CASE WHEN \"_field\" = $f{i} AND {_valid('_value', value_type)} THEN \"_value\" END"
                    for i, n in enumerate(names)}
    else:
        fields, value_of = {}, {}
        for name, column, flux_type in field_columns(to):
            if flux_type not in storage.FIELD_SQL_TYPES:
                raise FluxSemanticError(f"to(): field {name!r} has no writable type", to.span)
            fields[name] = flux_type
            value_of[name] = f"CASE WHEN {_valid(column, flux_type)} THEN {quote(column)} END"
    if not fields:
        return 0
    # A row with no value to write is not a point.
    if to.field_fn is None:
        base += f" AND \"_field\" IS NOT NULL AND {_valid('_value', schema.type_of('_value'))}"
    else:
        base += " AND (" + " OR ".join(_valid(c, t) for _, c, t in field_columns(to)) + ")"
    present = [t for t in tags if con.execute(
        f"SELECT count(*) {base} AND {quote(t)} <> ''", {"m": measurement}).fetchone()[0]]
    try:
        layout = storage.extend_measurement(con, catalog, measurement, present, fields)
    except storage.FieldTypeConflict as exc:
        raise FluxSemanticError(f"to(): {exc}", to.span) from None
    tag_cols = [(t, layout.tag(t).column) for t in present]
    field_cols = [(f, layout.field(f).column) for f in fields]
    select = ["row_number() OVER () AS _ln", f"{quote(to.time_column)} AS \"_time\""]
    select += [f"nullif({quote(t)}, '') AS {quote(c)}" for t, c in tag_cols]
    select += [f"{value_of[f]} AS {quote(c)}" for f, c in field_cols]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {quote(STAGING)} AS SELECT {', '.join(select)} {base}", params)
    # Rows of other fields carry NULL here; merge_rows merges them per (tags, time).
    return storage.merge_rows(con, layout, STAGING, [(c, c) for _, c in tag_cols], [(c, c) for _, c in field_cols])

