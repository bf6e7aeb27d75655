"""Flux's schema functions (`influxdata/influxdb/schema`, their deprecated `v1` aliases):
the tag values, tag keys, field keys and measurements of a bucket.

Written in Flux (registered in FLUX_SOURCES next to the packages' Python builtins such as
fieldsAsCols), each after its page under
https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/schema/ : a read of the
bucket over [start, stop) filtered by the predicate, reduced to one table with one string
column `_value`. The values end sorted ascending, the order InfluxDB's storage returns
them in (its planner reads them from the index). The plan pass
`passes.read_schema_from_tables` makes the values read each measurement table once.
The public functions are Python entry points that check the bucket where the user's call
is (one-line error with its position, as from() gives) and then run the Flux definition
(`_tagValues`, ...) with the arguments given, so the Flux defaults apply.
Must not: compute the values in Python.
"""
from __future__ import annotations

from ..analyze.objects import Stream
from ..errors import FluxSemanticError
from ..plan import Literal
from ..tables import Column, Table
from ..types import FluxType
from .flux_defined import FLUX_SOURCES
from .registry import flux_function
from .storage import SYSTEM_BUCKETS

PKG = "influxdata/influxdb/schema"

SCHEMA_FLUX = '''
// https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/schema/tagvalues/
_tagValues = (bucket, tag, predicate=(r) => true, start=-30d, stop=now()) =>
    from(bucket: bucket)
        |> range(start: start, stop: stop)
        |> filter(fn: predicate)
        // Without _value, the fields of every type make one stream (see analyze/variants.py).
        |> drop(columns: ["_value"])
        |> keep(columns: [tag])
        |> group()
        |> distinct(column: tag)
        // InfluxDB reads tag values from its index: a series without the tag gives no null.
        |> filter(fn: (r) => exists r._value)
        |> sort()

// .../schema/measurementtagvalues/
_measurementTagValues = (bucket, measurement, tag, start=-30d, stop=now()) =>
    _tagValues(bucket: bucket, tag: tag, predicate: (r) => r._measurement == measurement, start: start, stop: stop)

// .../schema/tagkeys/: the group key columns of every matching series.
_tagKeys = (bucket, predicate=(r) => true, start=-30d, stop=now()) =>
    from(bucket: bucket)
        |> range(start: start, stop: stop)
        |> filter(fn: predicate)
        |> keys()
        |> keep(columns: ["_value"])
        |> distinct()
        |> sort()

// .../schema/measurementtagkeys/
_measurementTagKeys = (bucket, measurement, start=-30d, stop=now()) =>
    _tagKeys(bucket: bucket, predicate: (r) => r._measurement == measurement, start: start, stop: stop)

// .../schema/fieldkeys/: the values of the `_field` column.
_fieldKeys = (bucket, predicate=(r) => true, start=-30d, stop=now()) =>
    _tagValues(bucket: bucket, tag: "_field", predicate: predicate, start: start, stop: stop)

// .../schema/measurementfieldkeys/
_measurementFieldKeys = (bucket, measurement, start=-30d, stop=now()) =>
    _fieldKeys(bucket: bucket, predicate: (r) => r._measurement == measurement, start: start, stop: stop)

// .../schema/measurements/: the values of the `_measurement` column.
_measurements = (bucket, start=-30d, stop=now()) =>
    _tagValues(bucket: bucket, tag: "_measurement", start: start, stop: stop)
'''

FLUX_SOURCES[PKG] = SCHEMA_FLUX


def _run(ctx, definition: str, **args):
    """Check the bucket, then call the package's Flux `definition` with the given args."""
    catalog = ctx.evaluator.catalog
    if catalog is None:
        raise ctx.unsupported("reading a bucket needs a database: pass --db FILE", "bucket")
    bucket = args["bucket"]
    found = catalog.bucket(bucket)
    if found is None and bucket not in SYSTEM_BUCKETS:
        names = catalog.buckets()
        listing = ", ".join(repr(n) for n in names) if names else "none"
        raise ctx.error(f"bucket {bucket!r} not found (buckets: {listing})", "bucket")
    tag = args.get("tag")
    if tag is not None and tag not in ("_measurement", "_field") and (
            found is None or all(layout.tag(tag) is None for layout in found.measurements.values())):
        # No series has the tag: no values (keep() would leave the tables without columns).
        return _no_values(definition)
    impl = ctx.evaluator.library_scopes[PKG].names[definition]
    try:
        return ctx.call(impl, {k: v for k, v in args.items() if v is not None})
    except FluxSemanticError as exc:
        if tag is not None and exc.message.endswith(f"column {tag!r} does not exist"):
            # None of the measurements the predicate selects has the tag: no values.
            return _no_values(definition)
        raise


def _no_values(definition: str) -> Stream:
    return Stream(Literal((Table((Column("_value", FluxType.STRING),), ()),), flux_name=definition.lstrip("_")))


# The parameters are the Flux signatures (None: not given, the Flux default applies).
@flux_function(PKG, pipe=None)
def tagValues(ctx, bucket: str, tag: str, predicate=None, start=None, stop=None):
    return _run(ctx, "_tagValues", bucket=bucket, tag=tag, predicate=predicate, start=start, stop=stop)


@flux_function(PKG, pipe=None)
def measurementTagValues(ctx, bucket: str, measurement, tag: str, start=None, stop=None):
    return _run(ctx, "_measurementTagValues", bucket=bucket, measurement=measurement, tag=tag, start=start, stop=stop)


@flux_function(PKG, pipe=None)
def tagKeys(ctx, bucket: str, predicate=None, start=None, stop=None):
    return _run(ctx, "_tagKeys", bucket=bucket, predicate=predicate, start=start, stop=stop)


@flux_function(PKG, pipe=None)
def measurementTagKeys(ctx, bucket: str, measurement, start=None, stop=None):
    return _run(ctx, "_measurementTagKeys", bucket=bucket, measurement=measurement, start=start, stop=stop)


@flux_function(PKG, pipe=None)
def fieldKeys(ctx, bucket: str, predicate=None, start=None, stop=None):
    return _run(ctx, "_fieldKeys", bucket=bucket, predicate=predicate, start=start, stop=stop)


@flux_function(PKG, pipe=None)
def measurementFieldKeys(ctx, bucket: str, measurement, start=None, stop=None):
    return _run(ctx, "_measurementFieldKeys", bucket=bucket, measurement=measurement, start=start, stop=stop)


@flux_function(PKG, pipe=None)
def measurements(ctx, bucket: str, start=None, stop=None):
    return _run(ctx, "_measurements", bucket=bucket, start=start, stop=stop)

# https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/v1/ : deprecated in Flux
# 0.88 in favour of the schema package, same parameters.
FLUX_SOURCES["influxdata/influxdb/v1"] = '''
import "influxdata/influxdb/schema"

tagValues = schema.tagValues
measurementTagValues = schema.measurementTagValues
tagKeys = schema.tagKeys
measurementTagKeys = schema.measurementTagKeys
fieldKeys = schema.fieldKeys
measurementFieldKeys = schema.measurementFieldKeys
measurements = schema.measurements
'''
