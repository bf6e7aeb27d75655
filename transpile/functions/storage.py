"""`from(bucket:)` and `to(bucket:)`: reading and writing buckets of the same DuckDB file;
`buckets()`: the list of them.

https://docs.influxdata.com/flux/v0/stdlib/universe/from/ , /universe/to/ and
/influxdata/influxdb/buckets/. `org`, `host` and `token` are accepted and ignored: the
bucket is local.
"""
from __future__ import annotations

import hashlib

from ..analyze.objects import Record, RowRecord, Stream
from ..analyze.operators import to_scalar
from ..analyze.variants import AllChoices, StreamVariants
from ..plan import Literal
from ..plan.storage import From, To
from ..storage_layout import BucketCatalog, default_schema_name
from ..tables import Column, Table
from ..types import FluxType
from .registry import flux_function
from .streams import apply_row_fn, stream_of, string_list


# Buckets InfluxDB always has (monitor.from() reads this one): before anything is written to
# it, reading it gives no tables rather than "bucket not found".
SYSTEM_BUCKETS = ("_monitoring",)


@flux_function("universe", name="from", pipe=None)
def from_(ctx, bucket=None, bucketID=None, org=None, orgID=None, host=None, token=None):
    """from(bucket): the bucket's series tables; follow it with range()."""
    if bucket is None:
        raise ctx.error("bucket is required (bucketID is not supported by a local database)", "bucketID" if bucketID else None)
    catalog = ctx.evaluator.catalog
    if catalog is None:
        raise ctx.unsupported("reading a bucket needs a database: pass --db FILE", "bucket")
    found = catalog.bucket(bucket)
    if found is None and bucket in SYSTEM_BUCKETS:
        found = BucketCatalog(bucket, default_schema_name(bucket))  # exists, holds nothing yet
    if found is None:
        names = catalog.buckets()
        listing = ", ".join(repr(n) for n in names) if names else "none"
        raise ctx.error(f"bucket {bucket!r} not found (buckets: {listing})", "bucket")
    site = ctx.evaluator.next_source_site(all_choices=True)
    wanted = ctx.evaluator.source_types.get(site) or FluxType.FLOAT
    if isinstance(wanted, AllChoices):
        return StreamVariants(site, tuple(Stream(From(found, t, site)) for t in wanted.choices))
    return Stream(From(found, wanted, site))


@flux_function("universe")
def to(ctx, tables, bucket=None, bucketID=None, org=None, orgID=None, host=None, token=None,
       timeColumn="_time", measurementColumn="_measurement", tagColumns=None, fieldFn=None):
    """to(bucket): upsert the rows into a bucket (InfluxDB's overwrite rule); tables pass through."""
    node = stream_of(ctx, tables)
    if bucket is None:
        raise ctx.error("bucket is required (bucketID is not supported by a local database)")
    tags = string_list(ctx, tagColumns, "tagColumns") if tagColumns is not None else None
    fields = None
    if fieldFn is not None:
        value = apply_row_fn(ctx, fieldFn, node, "fieldFn")
        if not isinstance(value, (Record, RowRecord)):
            raise ctx.error("fieldFn must return a record {field: value}", "fieldFn")
        fields = tuple((k, to_scalar(v)) for k, v in value.fields.items())
    for column in (timeColumn, measurementColumn):
        if not node.schema.has(column):
            raise ctx.error(f"column {column!r} does not exist", "timeColumn" if column == timeColumn else "measurementColumn")
    return Stream(To(node, bucket, measurementColumn, tags, timeColumn, fields, span=ctx.span))


# buckets(): https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/buckets/ gives one
# table with these columns. A local database has no organisation and no retention:
# organizationID is LOCAL_ORG_ID for every bucket, retentionPolicy "" and retentionPeriod 0
# (InfluxDB's "keep forever"); id is the first 16 hex digits of the SHA-256 of the name
# (InfluxDB's ID format, stable across runs and files).
BUCKET_COLUMNS = (Column("name", FluxType.STRING), Column("id", FluxType.STRING),
                  Column("organizationID", FluxType.STRING), Column("retentionPolicy", FluxType.STRING),
                  Column("retentionPeriod", FluxType.INT))
LOCAL_ORG_ID = "0000000000000000"


def bucket_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def buckets(ctx, org=None, orgID=None, host=None, token=None):
    """buckets(): the buckets of the database, by name, read from its catalog at compile time."""
    catalog = ctx.evaluator.catalog
    if catalog is None:
        raise ctx.unsupported("listing buckets needs a database: pass --db FILE")
    names = sorted(catalog.buckets())
    if not names and getattr(catalog, "in_memory", False):
        # `flux2sql query` without --db runs on an empty in-memory database.
        raise ctx.unsupported("the database holds no buckets: pass --db FILE (flux2sql write creates buckets)")
    rows = [(name, bucket_id(name), LOCAL_ORG_ID, "", 0) for name in names]
    return Stream(Literal((Table(BUCKET_COLUMNS, (), rows),), flux_name="buckets"))


flux_function("universe", pipe=None)(buckets)
flux_function("influxdata/influxdb", name="buckets", pipe=None)(buckets)
