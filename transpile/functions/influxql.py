"""`internal/influxql`: the time constants InfluxQL works with.

https://docs.influxdata.com/flux/v0/stdlib/internal/influxql/
"""
from __future__ import annotations

from ..timefmt import parse_rfc3339
from ..values import Time
from .registry import constant

constant("internal/influxql", "epoch", Time(0))
constant("internal/influxql", "minTime", Time(parse_rfc3339("1677-09-21T00:12:43.145224194Z")))
constant("internal/influxql", "maxTime", Time(parse_rfc3339("2262-04-11T23:47:16.854775806Z")))
