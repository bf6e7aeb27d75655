"""Vectorised line protocol parsing inside DuckDB: the fast path of ingest.

Owns the SQL that turns a chunk of line protocol into typed columns without a Python loop
over lines:

1. DuckDB's CSV reader loads the chunk as one VARCHAR column (a delimiter byte absent from
   the chunk, no quoting), one row per line, numbered in file order.
2. The four escape pairs outside string values (`\\\\`, `\\ `, `\\,`, `\\=`) are replaced by
   private-use characters, so that splitting on space and comma is exact; they are turned
   back per element when values are extracted.
3. Lines are grouped by *shape*: measurement, tag keys and field keys with their types, in
   line order. A shape is learnt from one sample line and checked on every line by one
   anchored regular expression that also validates every value's syntax (line protocol's
   own grammar, not DuckDB's more lenient casts).
4. Each shape's values are cut out by position and cast; a failed cast (out of range)
   marks the line bad.

Lines that fit no shape (quoted strings with spaces or commas, `\\"` in strings, repeated
keys, leading spaces ...) and bad lines go to the reference parser in `line_protocol.py`,
which is the authority on syntax and error messages. This module must not decide types or
write to a bucket; `writer.py` does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from transpile.types import FluxType

from .line_protocol import FALSE_SPELLINGS, MAX_TIME_NS, MIN_TIME_NS, TRUE_SPELLINGS

# Private-use stand-ins for the escape pairs \\ , "\ ", \, and \= (in that order of replacement,
# which is the left-to-right reading of backslash pairs).
ESCAPES = (("\\\\", "\ue000"), ("\\ ", "\ue001"), ("\\,", "\ue002"), ("\\=", "\ue003"))
# What each stand-in means in each element (line protocol reference, "Special characters").
_DECODE_KEY = {"\ue000": "\\", "\ue001": " ", "\ue002": ",", "\ue003": "="}
_DECODE_MEASUREMENT = {**_DECODE_KEY, "\ue003": "\\="}
_DECODE_STRING = {"\ue000": "\\", "\ue001": "\\ ", "\ue002": "\\,", "\ue003": "\\="}

MAX_ROUNDS = 8     # rounds of shape discovery per chunk
MAX_SHAPES = 256   # beyond this, leftover lines take the careful path

_CTRL = r"\x00-\x1f\x7f"
_TAG_VALUE_RE = rf"[^ ,={_CTRL}]+"
_VALUE_RE = {
    FluxType.FLOAT: r"-?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)",
    FluxType.INT: r"-?[0-9]+i",
    FluxType.UINT: r"[0-9]+u",
    FluxType.BOOL: "(?:" + "|".join(sorted(TRUE_SPELLINGS | FALSE_SPELLINGS)) + ")",
    FluxType.STRING: r'"[^"\\ ,]*"',
}
_TIME_RE = r"(?: -?[0-9]+)?"
_REGEX_META = set("\\.+*?()|[]{}^$#&~-")
_NAME_CHARS = re.compile(rf"[^ ,={_CTRL}]+")
_MEASUREMENT_CHARS = re.compile(rf"[^ ,{_CTRL}]+")


def _regex_literal(text: str) -> str:
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


def decode(text: str, table: dict[str, str]) -> str:
    for stand_in, meaning in table.items():
        text = text.replace(stand_in, meaning)
    return text


def _sql_decode(expr: str, table: dict[str, str]) -> str:
    for stand_in, meaning in table.items():
        expr = f"replace({expr}, '{stand_in}', '{meaning.replace(chr(39), chr(39) * 2)}')"
    return expr


def _value_type(raw: str) -> FluxType | None:
    if raw.startswith('"'):
        return FluxType.STRING
    if raw in TRUE_SPELLINGS or raw in FALSE_SPELLINGS:
        return FluxType.BOOL
    if raw.endswith("i"):
        return FluxType.INT
    if raw.endswith("u"):
        return FluxType.UINT
    return FluxType.FLOAT


@dataclass(frozen=True)
class Shape:
    """The layout shared by a group of lines: decoded names, and the stand-in forms used
    to match and cut the raw (escape-substituted) lines."""

    id: int
    escaped: bool
    measurement: str
    raw_measurement: str                           # as in the substituted lines
    tags: tuple[tuple[str, int], ...]              # (decoded key, length of raw key)
    fields: tuple[tuple[str, FluxType, int], ...]  # (decoded key, type, length of raw key)
    regex: str

    @property
    def tag_keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.tags)


def learn_shape(shape_id: int, escaped: bool, key_part: str, field_part: str, time_part: str | None) -> Shape | None:
    """The shape of a sample line (escape pairs substituted, split on spaces), or None
    when the line is not for the fast path. The sample itself must match the shape's
    regular expression, so that every round of discovery makes progress."""
    shape = _shape_of(shape_id, escaped, key_part, field_part)
    line = key_part + " " + field_part + ("" if time_part is None else " " + time_part)
    if shape is None or not re.fullmatch(shape.regex, line):
        return None
    return shape


def _shape_of(shape_id: int, escaped: bool, key_part: str, field_part: str) -> Shape | None:
    parts = key_part.split(",")
    measurement_raw = parts[0]
    if not _MEASUREMENT_CHARS.fullmatch(measurement_raw) or measurement_raw.startswith("#"):
        return None
    measurement = decode(measurement_raw, _DECODE_MEASUREMENT)
    tags, seen_tags = [], set()
    regex = [_regex_literal(measurement_raw)]
    for part in parts[1:]:
        key_raw, eq, _ = part.partition("=")
        key = decode(key_raw, _DECODE_KEY)
        if not eq or not _NAME_CHARS.fullmatch(key_raw) or key in seen_tags:
            return None
        seen_tags.add(key)
        tags.append((key, len(key_raw)))
        regex.append("," + _regex_literal(key_raw) + "=" + _TAG_VALUE_RE)
    fields, seen_fields = [], set()
    for i, part in enumerate(field_part.split(",")):
        key_raw, eq, raw = part.partition("=")
        key = decode(key_raw, _DECODE_KEY)
        if not eq or not raw or not _NAME_CHARS.fullmatch(key_raw) or key in seen_fields:
            return None
        seen_fields.add(key)
        flux_type = _value_type(raw)
        fields.append((key, flux_type, len(key_raw)))
        regex.append((" " if i == 0 else ",") + _regex_literal(key_raw) + "=" + _VALUE_RE[flux_type])
    names = [measurement] + [k for k, _ in tags] + [k for k, _, _ in fields]
    if any(n.startswith("_") for n in names):
        return None  # a naming error: the careful path words it
    regex.append(_TIME_RE)
    return Shape(shape_id, escaped, measurement, measurement_raw, tuple(tags), tuple(fields), "".join(regex))


def load_chunk(con: duckdb.DuckDBPyConnection, path: str, delimiter: str) -> None:
    """Table `lp_lines(ln, line)`: one row per line of the file at `path` (NULL when
    empty), `ln` being the 0-based index of the line. The CSV reader keeps the file's order
    (preserve_insertion_order), so the index is the rowid less the first rowid (rowids of
    rows written inside a transaction do not start at 0)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lp_raw AS SELECT line FROM read_csv($path, "
        "columns = {'line': 'VARCHAR'}, delim = $delim, quote = '', escape = '', header = false, "
        "auto_detect = false, new_line = '\\n', max_line_size = $max_line, strict_mode = true)",
        {"path": path, "delim": delimiter, "max_line": 1 << 30},
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lp_lines AS "
        "SELECT rowid - (SELECT min(rowid) FROM lp_raw) AS ln, line FROM lp_raw"
    )
    con.execute("DROP TABLE lp_raw")


def split_lines(con: duckdb.DuckDBPyConnection) -> None:
    """Table `lp_split`: for each non-empty, non-comment line: its index `ln`, whether it
    has escapes, whether it must take the careful path, and its key, field and time parts
    (escape pairs replaced by stand-ins)."""
    pua_check = " OR ".join(f"contains(line, '{stand_in}')" for _, stand_in in ESCAPES)
    substituted = "line"
    for pair, stand_in in ESCAPES:
        substituted = f"replace({substituted}, '{pair.replace(chr(39), chr(39) * 2)}', '{stand_in}')"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE lp_split AS
        WITH src AS (
            SELECT ln, line, contains(line, '\\') AS esc
            FROM lp_lines WHERE line IS NOT NULL AND NOT starts_with(line, '#')
        ), sub AS (
            SELECT ln, esc,
                   CASE WHEN esc THEN {substituted} ELSE line END AS s,
                   starts_with(line, ' ') OR (esc AND ({pua_check})) AS slow
            FROM src
        ), parts AS (SELECT ln, esc, slow, s, string_split(s, ' ') AS p FROM sub)
        SELECT ln, esc, slow OR len(p) NOT IN (2, 3) AS slow, s,
               p[1] AS k, p[2] AS f, p[3] AS t, split_part(p[1], ',', 1) AS m,
               CAST(NULL AS INTEGER) AS shape
        FROM parts"""
    )


def assign_shapes(con: duckdb.DuckDBPyConnection) -> list[Shape]:
    """Learn shapes from sample lines and tag every matching line of `lp_split` with its
    shape id, round after round, until every line fits or no progress is made."""
    shapes: list[Shape] = []
    for _ in range(MAX_ROUNDS):
        samples = con.execute(
            "SELECT esc, min(ln), arg_min(k, ln), arg_min(f, ln), arg_min(t, ln) FROM lp_split "
            "WHERE shape IS NULL AND NOT slow GROUP BY m, esc ORDER BY 2"
        ).fetchall()
        if not samples or len(shapes) >= MAX_SHAPES:
            break
        new: list[Shape] = []
        unfit: list[int] = []
        for escaped, ln, key_part, field_part, time_part in samples:
            shape = learn_shape(len(shapes) + len(new) + 1, escaped, key_part, field_part or "", time_part)
            if shape is None:
                unfit.append(ln)
            else:
                new.append(shape)
        if unfit:
            con.execute("UPDATE lp_split SET slow = true WHERE ln IN (SELECT unnest($lns))", {"lns": unfit})
        if new:
            cases = " ".join(
                f"WHEN m = ${i * 3 + 1} AND esc = ${i * 3 + 2} AND regexp_full_match(s, ${i * 3 + 3}) THEN {s.id}"
                for i, s in enumerate(new)
            )
            params: list = []
            for s in new:
                params += [s.raw_measurement, s.escaped, s.regex]
            con.execute(
                f"UPDATE lp_split SET shape = CASE {cases} END WHERE shape IS NULL AND NOT slow", params
            )
            shapes += new
    return shapes


def careful_lines(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """(ln, text) of every line the shapes do not cover, in line order."""
    return con.execute(
        "SELECT ln, line FROM lp_lines WHERE ln IN "
        "(SELECT ln FROM lp_split WHERE slow OR shape IS NULL) ORDER BY ln"
    ).fetchall()


def shape_stats(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[int, int]]:
    """shape id -> (first ln, number of lines)."""
    rows = con.execute(
        "SELECT shape, min(ln), count(*) FROM lp_split WHERE shape IS NOT NULL GROUP BY shape"
    ).fetchall()
    return {shape: (first, n) for shape, first, n in rows}


def lines_of_shape(con: duckdb.DuckDBPyConnection, shape_id: int) -> list[tuple[int, str]]:
    return con.execute(
        "SELECT ln, line FROM lp_lines WHERE ln IN (SELECT ln FROM lp_split WHERE shape = ?) "
        "ORDER BY ln",
        [shape_id],
    ).fetchall()


def shape_select(
    shape: Shape,
    tag_columns: dict[str, str],
    field_columns: dict[str, str],
    unit: int,
    now: int,
) -> str:
    """A SELECT over `lp_split` giving `_ln`, `_time` (TIMESTAMP_NS), one column per tag and
    field of `shape` (named by `tag_columns`/`field_columns`, quoted) and `_bad`: true
    where a value or the timestamp is out of range. `unit` and `now` are literals."""
    from runtime.storage import quote

    cols = ["ln AS _ln"]
    ns = (
        f"CASE WHEN t IS NULL THEN CAST({now} AS HUGEINT) "
        f"ELSE TRY_CAST(t AS HUGEINT) * {unit} END"
    )
    cols.append(
        f"make_timestamp_ns(CAST(CASE WHEN ns BETWEEN {MIN_TIME_NS} AND {MAX_TIME_NS} THEN ns END AS BIGINT)) AS _time"
    )
    checks = ["ns NOT BETWEEN " + f"{MIN_TIME_NS} AND {MAX_TIME_NS}", "ns IS NULL"]
    for i, (key, raw_len) in enumerate(shape.tags):
        value = f"substr(kp[{i + 2}], {raw_len + 2})"
        if shape.escaped:
            value = _sql_decode(value, _DECODE_KEY)
        cols.append(f"{value} AS {quote(tag_columns[key])}")
    for i, (key, flux_type, raw_len) in enumerate(shape.fields):
        raw = f"substr(fp[{i + 1}], {raw_len + 2})"
        value = _CONVERT[flux_type](raw, shape.escaped)
        name = quote(field_columns[key])
        cols.append(f"{value} AS {name}")
        if flux_type in (FluxType.FLOAT, FluxType.INT, FluxType.UINT):
            checks.append(f"{name} IS NULL")
    return (
        f"SELECT * EXCLUDE (ns), {' OR '.join(checks)} AS _bad FROM (SELECT ns, {', '.join(cols)} FROM "
        f"(SELECT ln, string_split(k, ',') AS kp, string_split(f, ',') AS fp, {ns} AS ns "
        f"FROM lp_split WHERE shape = {shape.id}))"
    )


def _float(raw: str, escaped: bool) -> str:
    return f"CASE WHEN isinf(TRY_CAST({raw} AS DOUBLE)) THEN NULL ELSE TRY_CAST({raw} AS DOUBLE) END"


def _string(raw: str, escaped: bool) -> str:
    value = f"substr({raw}, 2, length({raw}) - 2)"
    return _sql_decode(value, _DECODE_STRING) if escaped else value


_CONVERT = {
    FluxType.FLOAT: _float,
    FluxType.INT: lambda raw, esc: f"TRY_CAST(left({raw}, -1) AS BIGINT)",
    FluxType.UINT: lambda raw, esc: f"TRY_CAST(left({raw}, -1) AS UBIGINT)",
    FluxType.BOOL: lambda raw, esc: f"({raw})[1] IN ('t', 'T')",
    FluxType.STRING: _string,
}
