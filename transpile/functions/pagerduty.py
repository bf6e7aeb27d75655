"""Flux's `pagerduty` package: the parts that compute data (sending events needs a network).

pagerduty.dedupKey() adds `_pagerdutyDedupKey`, a hash of each table's group key: the key
columns (minus `exclude`) sorted by label, each written as "label\\nvalue\\n", concatenated,
SHA-256 hashed and hex encoded (as the conformance vectors pagerduty/custom_exclude* show).
https://docs.influxdata.com/flux/v0/stdlib/pagerduty/dedupkey/
Must not: format SQL text (sqlglot trees only).
"""
from __future__ import annotations

from ..analyze.objects import Stream
from ..lower import sql
from ..scalar import Call, Col, Lit
from ..types import FluxType
from .registry import flux_function
from .scalar_support import register_sql
from .streams import project, stream_of, string_list

PKG = "pagerduty"
DEDUP_COLUMN = "_pagerdutyDedupKey"
_HASH_CALL = "pagerduty.dedupKey.sha256"


def _hash_sql(args, types):
    """sha256 of the concatenated parts, a null part counting as empty text."""
    parts = [sql.func("coalesce", a, sql.literal("", FluxType.STRING)) for a in args]
    return sql.func("sha256", sql.func("concat", *parts))


register_sql(_HASH_CALL, _hash_sql, FluxType.STRING)


@flux_function(PKG)
def dedupKey(ctx, tables, exclude=["_start", "_stop", "_level"]):  # noqa: B006 - Flux's default
    """pagerduty.dedupKey(exclude): each row gets the hash of its table's group key."""
    node = stream_of(ctx, tables)
    excluded = set(string_list(ctx, exclude, "exclude"))
    schema = node.schema
    parts = []
    for label in sorted(k for k in schema.key if k not in excluded):
        t = schema.type_of(label)
        value = Col(label, t) if t == FluxType.STRING else Call("string", (Col(label, t),), FluxType.STRING)
        parts += [Lit(label + "\n", FluxType.STRING), value, Lit("\n", FluxType.STRING)]
    key_hash = Call(_HASH_CALL, tuple(parts or [Lit("", FluxType.STRING)]), FluxType.STRING)
    columns = [(c.label, Col(c.label, c.type)) for c in schema.columns if c.label != DEDUP_COLUMN]
    columns.append((DEDUP_COLUMN, key_hash))
    return Stream(project(node, columns, schema.key, "dedupKey"))
