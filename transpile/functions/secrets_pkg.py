"""Flux's `influxdata/influxdb/secrets` package: secrets.get() has no local meaning.

InfluxDB keeps secrets in its own store, per organisation; a DuckDB file has no such store,
so secrets.get() is an error naming that (with its position) rather than an unknown
function. https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/secrets/get/
"""
from __future__ import annotations

from .registry import flux_function


@flux_function("influxdata/influxdb/secrets", pipe=None,
               unsupported="a local database has no secret store; write the value in the script")
def get(ctx, key):
    """secrets.get(key): unsupported (see the module docstring)."""
    raise ctx.unsupported("a local database has no secret store; write the value in the script instead", "key")
