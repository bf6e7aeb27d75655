"""`experimental.to()` and `influxdb.wideTo()`: write *pivoted* rows into a bucket.

Each row is one point: group key columns (other than `_measurement`, `_start` and `_stop`)
are its tags, the other columns (other than `_time`) its fields. They reuse the `To` plan
node of `to()` with one field per column, so the runtime's upsert (InfluxDB's overwrite
rule) applies. https://docs.influxdata.com/flux/v0/stdlib/experimental/to/ and
https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/wideto/
Must not: decide how rows are written (runtime/to_bucket.py does).
"""
from __future__ import annotations

from ..analyze.objects import Stream
from ..plan.storage import To
from ..scalar import Col
from .registry import alias, flux_function
from .streams import stream_of

_NOT_TAGS = ("_measurement", "_start", "_stop")


@flux_function("experimental", name="to")
def experimental_to(ctx, tables, bucket=None, bucketID=None, org=None, orgID=None, host=None, token=None):
    """experimental.to(bucket): upsert each row as a point with its non-key columns as fields."""
    node = stream_of(ctx, tables)
    if bucket is None:
        raise ctx.error("bucket is required (bucketID is not supported by a local database)", "bucketID" if bucketID else None)
    schema = node.schema
    for column in ("_time", "_measurement"):
        if not schema.has(column):
            raise ctx.error(f"the input has no {column} column")
    tags = tuple(k for k in schema.key if k not in _NOT_TAGS)
    fields = tuple((c.label, Col(c.label, c.type)) for c in schema.non_key() if c.label != "_time")
    if not fields:
        raise ctx.error("the input has no column outside the group key to write as a field")
    return Stream(To(node, bucket, "_measurement", tags, "_time", fields, span=ctx.span))


alias("influxdata/influxdb", "wideTo", "experimental", "to")
