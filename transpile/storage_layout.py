"""How buckets are laid out in a DuckDB file: the names and types the SQL compiler and the
runtime share.

Owns the naming rules (bucket -> schema, measurement -> table, tag/field key -> column), the
catalog table names and the SQL type of each Flux field type, and the catalog dataclasses
the query compiler reads. It must not import duckdb or `runtime`: it is pure data and rules;
the DDL that applies them lives in `runtime/storage.py`. docs/storage.md is the design record.

Layout (one wide table per measurement, like the schema an expert would write by hand):

    "<bucket schema>"."<measurement table>" (
        "_time"  TIMESTAMP_NS NOT NULL,       -- exact to the nanosecond
        "<tag>"  VARCHAR, ...                 -- one column per tag key; NULL = tag absent
        "<field>" DOUBLE|BIGINT|UBIGINT|VARCHAR|BOOLEAN, ...  -- NULL = no point
    )

A row is (tag set, time); a Flux point (measurement, tag set, field, time) is one non-NULL
field cell. The catalog tables in schema `flux2sql` record every name and each field's type.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .types import FluxType

# The schema holding the catalog tables.
CATALOG_SCHEMA = "flux2sql"
BUCKETS_TABLE = "buckets"            # (bucket, schema_name)
MEASUREMENTS_TABLE = "measurements"  # (bucket, measurement, table_name)
TAG_KEYS_TABLE = "tag_keys"          # (bucket, measurement, tag_key, column_name)
FIELDS_TABLE = "fields"              # (bucket, measurement, field_key, column_name, flux_type)

# The name under which the runtime attaches the database file, so that a bucket schema
# named like the file (telegraf.duckdb holding bucket "telegraf") is never ambiguous.
DATABASE_ALIAS = "flux2sql_db"

TIME_COLUMN = "_time"
TIME_SQL_TYPE = "TIMESTAMP_NS"
TAG_SQL_TYPE = "VARCHAR"

# The DuckDB column type that stores each Flux field type, exactly.
FIELD_SQL_TYPES: dict[FluxType, str] = {
    FluxType.FLOAT: "DOUBLE",
    FluxType.INT: "BIGINT",
    FluxType.UINT: "UBIGINT",
    FluxType.STRING: "VARCHAR",
    FluxType.BOOL: "BOOLEAN",
}
FIELD_TYPES = tuple(FIELD_SQL_TYPES)

# Schema names a bucket cannot take as is: DuckDB's own catalogs and schemas, the catalog
# schema and the alias of the database. Such a bucket gets the suffix "_bucket".
RESERVED_SCHEMAS = frozenset(
    {CATALOG_SCHEMA, DATABASE_ALIAS, "_tasks", "system", "temp", "memory", "information_schema", "pg_catalog"}
)


def default_schema_name(bucket: str) -> str:
    """The schema of a bucket when no other bucket took the name first."""
    return bucket + "_bucket" if bucket.lower() in RESERVED_SCHEMAS else bucket


def unique_name(wanted: str, taken: set[str], suffix: str = "") -> str:
    """`wanted`, or `wanted<suffix>`, `wanted<suffix>_2`, ... : the first name not in `taken`.

    DuckDB identifiers are case-insensitive even when quoted, while line protocol names are
    case-sensitive, so `taken` holds lower-cased names and the comparison ignores case.
    """
    candidates = [wanted] + ([wanted + suffix] if suffix else [])
    for candidate in candidates:
        if candidate.lower() not in taken:
            return candidate
    n = 2
    while f"{candidates[-1]}_{n}".lower() in taken:
        n += 1
    return f"{candidates[-1]}_{n}"


@dataclass(frozen=True)
class TagColumn:
    key: str      # the tag key as written in line protocol
    column: str   # its column in the measurement table


@dataclass(frozen=True)
class FieldColumn:
    key: str
    column: str
    type: FluxType

    @property
    def sql_type(self) -> str:
        return FIELD_SQL_TYPES[self.type]


@dataclass(frozen=True)
class MeasurementLayout:
    """Where one measurement of one bucket lives and what it holds."""

    bucket: str
    measurement: str
    schema: str
    table: str
    tags: tuple[TagColumn, ...] = ()
    fields: tuple[FieldColumn, ...] = ()

    def tag(self, key: str) -> TagColumn | None:
        return next((t for t in self.tags if t.key == key), None)

    def field(self, key: str) -> FieldColumn | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def tag_keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.tags)

    @property
    def field_types(self) -> dict[str, FluxType]:
        return {f.key: f.type for f in self.fields}

    def column_names(self) -> set[str]:
        """Lower-cased names of every column, for `unique_name`."""
        names = {TIME_COLUMN.lower()}
        names.update(t.column.lower() for t in self.tags)
        names.update(f.column.lower() for f in self.fields)
        return names


@dataclass(frozen=True)
class BucketCatalog:
    """What the query compiler needs to know about a bucket: its measurements, and for each
    its tag keys and fields with their Flux types (and where they are stored)."""

    bucket: str
    schema: str
    measurements: dict[str, MeasurementLayout] = field(default_factory=dict)

    def measurement(self, name: str) -> MeasurementLayout | None:
        return self.measurements.get(name)
