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


def write(con, to: To, select_sql: str, keep_rows: bool = False) -> int:
    """Run the to(): returns the number of field values written. With `keep_rows`, the
    rows written stay in the temporary table ROWS (the caller reads its result from
    them, then calls `drop_rows`)."""
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
        if to.field_fn is None:
            value_type = schema.type_of("_value")
            if value_type not in storage.FIELD_SQL_TYPES:
                raise FluxSemanticError(f"to(): _value of type {value_type.value} cannot be written", to.span)
        else:
            for name, _, flux_type in field_columns(to):
                if flux_type not in storage.FIELD_SQL_TYPES:
                    raise FluxSemanticError(f"to(): field {name!r} has no writable type", to.span)
        catalog = storage.ensure_bucket(con, to.bucket)
        written = 0
        for measurement, fields, present in _measurements(con, to, tags):
            written += _write_measurement(con, to, catalog, measurement, fields, present)
        return written
    finally:
        if not keep_rows:
            drop_rows(con)


def drop_rows(con) -> None:
    con.execute(f"DROP TABLE IF EXISTS {quote(ROWS)}")


def _valid(column: str, flux_type: FluxType | None) -> str:
    """The SQL condition under which a value is written (not null, NaN or infinite)."""
    cond = f"{quote(column)} IS NOT NULL"
    if flux_type == FluxType.FLOAT:
        cond += f" AND isfinite({quote(column)})"
    return cond


def _point_condition(to: To) -> str:
    """The rows that hold a point to write: a time, and a field with a value to write."""
    cond = f"{quote(to.time_column)} IS NOT NULL"
    if to.field_fn is None:
        return cond + f" AND \"_field\" IS NOT NULL AND {_valid('_value', to.input.schema.type_of('_value'))}"
    return cond + " AND (" + " OR ".join(_valid(c, t) for _, c, t in field_columns(to)) + ")"


def _measurements(con, to: To, tags: list[str]) -> list[tuple[str, dict, list[str]]]:
    """(measurement, {field: type}, tags holding a value) of each measurement with points
    to write, from one pass over the rows (a statement per question costs more than the
    question)."""
    measurement = quote(to.measurement_column)
    points = _point_condition(to)
    if to.field_fn is None:
        # One row per (measurement, field) of the points: cheaper for DuckDB than a
        # list(DISTINCT) per measurement.
        counts = [f"count(*) FILTER (WHERE {quote(t)} <> '')" for t in tags]
        rows = con.execute(
            f"SELECT {measurement}, \"_field\"{''.join(', ' + c for c in counts)} FROM {quote(ROWS)} "
            f"WHERE {measurement} IS NOT NULL AND {points} GROUP BY ALL"
        ).fetchall()
        value_type = to.input.schema.type_of("_value")
        found: dict[str, tuple[set, list]] = {}
        for name, field, *tag_counts in rows:
            names, totals = found.setdefault(name, (set(), [0] * len(tags)))
            names.add(field)
            for i, n in enumerate(tag_counts):
                totals[i] += n
        # Python orders str by code point, as DuckDB orders VARCHAR.
        return [(name, {n: value_type for n in sorted(names)}, [t for t, n in zip(tags, totals) if n])
                for name, (names, totals) in sorted(found.items())]
    counts = [f"count(*) FILTER (WHERE {points} AND {quote(t)} <> '')" for t in tags]
    rows = con.execute(
        f"SELECT {measurement}{''.join(', ' + c for c in counts)} FROM {quote(ROWS)} "
        f"WHERE {measurement} IS NOT NULL GROUP BY {measurement} ORDER BY {measurement}"
    ).fetchall()
    fields = {n: t for n, _, t in field_columns(to)}
    return [(name, fields, [t for t, n in zip(tags, tag_counts) if n]) for name, *tag_counts in rows]


def _write_measurement(con, to: To, catalog, measurement: str, fields: dict, present: list[str]) -> int:
    created = measurement not in catalog.measurements
    try:
        layout = storage.extend_measurement(con, catalog, measurement, present, fields)
    except storage.FieldTypeConflict as exc:
        raise FluxSemanticError(f"to(): {exc}", to.span) from None
    params = {"m": measurement}
    if to.field_fn is None:
        value_type = to.input.schema.type_of("_value")
        params.update({f"f{i}": n for i, n in enumerate(fields)})
        value_of = {n: f"CASE WHEN \"_field\" = $f{i} AND {_valid('_value', value_type)} THEN \"_value\" END"
                    for i, n in enumerate(fields)}
    else:
        value_of = {name: f"CASE WHEN {_valid(column, flux_type)} THEN {quote(column)} END"
                    for name, column, flux_type in field_columns(to)}
    tag_cols = [(t, layout.tag(t).column) for t in present]
    field_cols = [(f, layout.field(f).column) for f in fields]
    # One staging row per point key (time and tag set): the rows of a key carry its fields
    # (one per row without fieldFn); a field given twice keeps the later row's value, as a
    # later line of a write would.
    keys = [f"{quote(to.time_column)}", *[f"nullif({quote(t)}, '')" for t, _ in tag_cols]]
    numbered = (f"SELECT row_number() OVER () AS _ln, * FROM {quote(ROWS)} "
                f"WHERE {quote(to.measurement_column)} = $m AND {_point_condition(to)}")
    select = ["max(_ln) AS _ln", f"{keys[0]} AS \"_time\""]
    select += [f"{k} AS {quote(c)}" for k, (_, c) in zip(keys[1:], tag_cols)]
    select += [f"arg_max({value_of[f]}, _ln) FILTER (WHERE {value_of[f]} IS NOT NULL) AS {quote(c)}" for f, c in field_cols]
    points = f"SELECT {', '.join(select)} FROM ({numbered}) GROUP BY {', '.join(keys)}"
    if created:
        return storage.append_to_new_table(con, layout, points, params, [c for _, c in tag_cols + field_cols])
    # A table that holds points already: stage the new ones and merge (the overwrite rule).
    con.execute(f"CREATE OR REPLACE TEMP TABLE {quote(STAGING)} AS {points}", params)
    written = storage.merge_rows(con, layout, STAGING, [(c, c) for _, c in tag_cols], [(c, c) for _, c in field_cols],
                                 unique_keys=True)
    con.execute(f"DROP TABLE {quote(STAGING)}")
    return written
