"""Flux's schema functions (`influxdata/influxdb/schema`, their deprecated `v1` aliases):
the tag values, tag keys, field keys and measurements of a bucket.

Written in Flux (registered in FLUX_SOURCES next to the packages' Python builtins such as
fieldsAsCols), each after its page under
https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/schema/ : a read of the
bucket over [start, stop) filtered by the predicate, reduced to one table with one string
column `_value`. The values end sorted ascending, the order InfluxDB's storage returns
them in (its planner reads them from the index). The plan pass
`passes.read_schema_from_tables` makes the values read each measurement table once.
Must not: compute anything in Python.
"""
from __future__ import annotations

from .flux_defined import FLUX_SOURCES

SCHEMA_FLUX = '''
// https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/schema/tagvalues/
tagValues = (bucket, tag, predicate=(r) => true, start=-30d, stop=now()) =>
    from(bucket: bucket)
        |> range(start: start, stop: stop)
        |> filter(fn: predicate)
        |> keep(columns: [tag])
        |> group()
        |> distinct(column: tag)
        |> sort()

// .../schema/measurementtagvalues/
measurementTagValues = (bucket, measurement, tag, start=-30d, stop=now()) =>
    tagValues(bucket: bucket, tag: tag, predicate: (r) => r._measurement == measurement, start: start, stop: stop)

// .../schema/tagkeys/: the group key columns of every matching series.
tagKeys = (bucket, predicate=(r) => true, start=-30d, stop=now()) =>
    from(bucket: bucket)
        |> range(start: start, stop: stop)
        |> filter(fn: predicate)
        |> keys()
        |> keep(columns: ["_value"])
        |> distinct()
        |> sort()

// .../schema/measurementtagkeys/
measurementTagKeys = (bucket, measurement, start=-30d, stop=now()) =>
    tagKeys(bucket: bucket, predicate: (r) => r._measurement == measurement, start: start, stop: stop)

// .../schema/fieldkeys/: the values of the `_field` column.
fieldKeys = (bucket, predicate=(r) => true, start=-30d, stop=now()) =>
    tagValues(bucket: bucket, tag: "_field", predicate: predicate, start: start, stop: stop)

// .../schema/measurementfieldkeys/
measurementFieldKeys = (bucket, measurement, start=-30d, stop=now()) =>
    fieldKeys(bucket: bucket, predicate: (r) => r._measurement == measurement, start: start, stop: stop)

// .../schema/measurements/: the values of the `_measurement` column.
measurements = (bucket, start=-30d, stop=now()) =>
    tagValues(bucket: bucket, tag: "_measurement", start: start, stop: stop)
'''

FLUX_SOURCES["influxdata/influxdb/schema"] = SCHEMA_FLUX

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
