"""`from(bucket:)` and `to(bucket:)`: reading and writing buckets of the same DuckDB file.

https://docs.influxdata.com/flux/v0/stdlib/universe/from/ and /universe/to/. `org`,
`host` and `token` are accepted and ignored: the bucket is local.
"""
from __future__ import annotations

from ..analyze.objects import Record, RowRecord, Stream
from ..analyze.operators import to_scalar
from ..analyze.variants import AllChoices, StreamVariants
from ..plan.storage import From, To
from ..storage_layout import BucketCatalog, default_schema_name
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
