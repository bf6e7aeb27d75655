"""Flux's `http` package: the part that computes data, http.pathEscape().

http.pathEscape(inputString) escapes a string for use as one URL path segment, as Go's
url.PathEscape does: ASCII letters, digits, `-_.~` and `$&+:=@` stay, every other byte of
the UTF-8 text becomes `%XX` (upper-case hex). https://docs.influxdata.com/flux/v0/stdlib/http/pathescape/
http.post and http.endpoint send requests, which a translation to SQL cannot do.
"""
from __future__ import annotations

from urllib.parse import quote

from ..types import FluxType
from .registry import scalar
from .scalar_support import nullsafe, template_sql

PKG = "http"
# Kept as-is besides letters, digits and "-_.~" (which urllib.parse.quote never escapes).
_PATH_SEGMENT_SAFE = "$&+:=@"

_PATH_ESCAPE_SQL = """
array_to_string(list_transform(string_split(s, ''), c ->
    CASE WHEN regexp_full_match(c, '[A-Za-z0-9_.~$&+:=@-]') THEN c
    ELSE regexp_replace(hex(encode(c)), '(..)', '%\\1', 'g') END), '')
"""


def path_escape(s: str) -> str:
    return quote(s, safe=_PATH_SEGMENT_SAFE)


scalar(PKG, "pathEscape", ("inputString",), FluxType.STRING,
       sql=template_sql(_PATH_ESCAPE_SQL, "s"), fold=nullsafe(path_escape))
