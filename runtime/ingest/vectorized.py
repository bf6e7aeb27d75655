"""Vectorised line protocol parsing inside DuckDB: the fast path of ingest.

Owns the SQL that turns a chunk of line protocol into typed columns without a Python loop
over lines:

1. Python prepares the chunk with two C-speed byte replacements: the four escape pairs
   outside string values (`\\\\`, `\\ `, `\\,`, `\\=`) become private-use characters
   (decoded per element afterwards), and every space becomes `, ,`, so that one split on
   commas cuts a line into its tokens. DuckDB's CSV reader loads it as one VARCHAR
   column (a delimiter byte absent from the chunk, no quoting), one row per line, in
   file order (`lp_raw`).
2. *Shapes* are learnt in Python from a sample of lines: measurement, tag keys, field keys
   and their types, in line order.
3. One query per measurement splits its lines, finds each line's shape with cheap string
   tests (keys in place, tag values non-empty and without `=`), cuts the values by
   position and converts them, checking line protocol's own grammar: a number must cast
   cleanly and pass the few checks that rule out what DuckDB's casts accept beyond the
   grammar (tests/test_line_protocol.py checks this by brute force); strings must be one
   quoted token.
4. Lines that fit no shape, lines whose values do not convert, and lines of measurements
   absent from the sample go to the reference parser (`line_protocol.py`), which is the
   authority on syntax and on error messages.

The staging tables use generic column names (`t0`, `f0`, ...) per measurement, so that
names that clash in DuckDB (which ignores case) stay apart until `writer.py` maps them to
the measurement table's columns. This module decides no types and writes no bucket.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from transpile.types import FluxType

from .line_protocol import FALSE_SPELLINGS, MAX_TIME_NS, MIN_TIME_NS, TRUE_SPELLINGS

# Private-use stand-ins for the escape pairs \\ , "\ ", \, and \= (replaced in this order,
# which is the left-to-right reading of backslash pairs).
ESCAPES = (("\\\\", "\ue000"), ("\\ ", "\ue001"), ("\\,", "\ue002"), ("\\=", "\ue003"))
STAND_INS = tuple(s for _, s in ESCAPES)
# What each stand-in means in each element (line protocol reference, "Special characters").
_DECODE_KEY = {"\ue000": "\\", "\ue001": " ", "\ue002": ",", "\ue003": "="}
_DECODE_MEASUREMENT = {**_DECODE_KEY, "\ue003": "\\="}
_DECODE_STRING = {"\ue000": "\\", "\ue001": "\\ ", "\ue002": "\\,", "\ue003": "\\="}

SAMPLE_HEAD = 1000      # the first lines of a chunk are all sampled ...
SAMPLE_SPREAD = 1000    # ... and about this many more, evenly spread

_NAME_CHARS = re.compile(r"[^ ,=\x00-\x1f\x7f]+")
_MEASUREMENT_CHARS = re.compile(r"[^ ,\x00-\x1f\x7f]+")


def substitute(line: str) -> str:
    for pair, stand_in in ESCAPES:
        line = line.replace(pair, stand_in)
    return line


def decode(text: str, table: dict[str, str]) -> str:
    for stand_in, meaning in table.items():
        text = text.replace(stand_in, meaning)
    return text


def _value_type(raw: str) -> FluxType:
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
    """The layout shared by a group of lines. Raw names are in the substituted form."""

    escaped: bool
    measurement: str
    raw_measurement: str
    tags: tuple[tuple[str, str], ...]              # (key, raw key)
    fields: tuple[tuple[str, str, FluxType], ...]  # (key, raw key, type)

    @property
    def tag_keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.tags)


def learn_shape(line: str | None) -> Shape | None:
    """The shape of a sample line, or None when such a line is not for the fast path."""
    if not line or line.startswith(("#", " ")):
        return None
    escaped = "\\" in line
    parts = (substitute(line) if escaped else line).split(" ")
    if len(parts) not in (2, 3) or not parts[1]:
        return None
    keys = parts[0].split(",")
    raw_measurement = keys[0]
    if not _MEASUREMENT_CHARS.fullmatch(raw_measurement):
        return None
    tags, fields = [], []
    for part in keys[1:]:
        raw_key, eq, value = part.partition("=")
        if not eq or not value or not _NAME_CHARS.fullmatch(raw_key):
            return None
        tags.append((decode(raw_key, _DECODE_KEY), raw_key))
    for part in parts[1].split(","):
        raw_key, eq, value = part.partition("=")
        if not eq or not value or not _NAME_CHARS.fullmatch(raw_key):
            return None
        fields.append((decode(raw_key, _DECODE_KEY), raw_key, _value_type(value)))
    measurement = decode(raw_measurement, _DECODE_MEASUREMENT)
    names = [measurement] + [k for k, _ in tags] + [k for k, _, _ in fields]
    if any(n.startswith("_") for n in names):
        return None  # a naming error: the careful path words it
    if len({k for k, _ in tags}) != len(tags) or len({k for k, _, _ in fields}) != len(fields):
        return None  # repeated keys: the careful path applies the rules
    return Shape(escaped, measurement, raw_measurement, tuple(tags), tuple(fields))


@dataclass
class StageColumns:
    """Generic staging column names of one measurement: `t<i>` per tag key, `f<j>` per
    (field key, type)."""

    tags: dict[str, str] = field(default_factory=dict)
    fields: dict[tuple[str, FluxType], str] = field(default_factory=dict)

    def tag(self, key: str) -> str:
        return self.tags.setdefault(key, f"t{len(self.tags)}")

    def field(self, key: str, flux_type: FluxType) -> str:
        return self.fields.setdefault((key, flux_type), f"f{len(self.fields)}")


def prepare_chunk(data: bytes) -> tuple[bytes, bool]:
    """The chunk as the fast path reads it, and whether it has escape pairs: escape pairs
    replaced by stand-ins, and every space written as `, ,` so that one split on commas
    cuts a line into measurement, `key=value` tokens and " " tokens where the spaces were."""
    escaped = b"\\" in data
    if escaped:
        for pair, stand_in in ESCAPES:
            if pair.encode() in data:  # a search is much cheaper than a copy
                data = data.replace(pair.encode(), stand_in.encode())
    return data.replace(b" ", b", ,"), escaped


def load_chunk(con: duckdb.DuckDBPyConnection, path: str, delimiter: str) -> int:
    """Table `lp_raw(line)`: one row per line of the (prepared) file at `path`, in file
    order (NULL when empty). Returns the rowid of the first line: rowids of rows written
    inside a transaction do not start at 0, so a line's index is `rowid - base`."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lp_raw AS SELECT line FROM read_csv($path, "
        "columns = {'line': 'VARCHAR'}, delim = $delim, quote = '', escape = '', header = false, "
        "auto_detect = false, new_line = '\\n', max_line_size = $max_line, strict_mode = true)",
        {"path": path, "delim": delimiter, "max_line": 1 << 30},
    )
    base = con.execute("SELECT min(rowid) FROM lp_raw").fetchone()[0]
    return 0 if base is None else base


def sample_indexes(total: int) -> list[int]:
    """Indexes of the lines of a chunk that shapes are learnt from."""
    step = max(1, total // SAMPLE_SPREAD)
    return sorted(set(range(min(total, SAMPLE_HEAD))) | set(range(0, total, step)))


class _Params:
    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def __call__(self, value) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def _prefix_filter(shapes: list[Shape], param: _Params) -> str:
    return " OR ".join(
        f"starts_with(line, {param(m + ',')})" for m in sorted({s.raw_measurement for s in shapes})
    )


def stage_measurement(
    con: duckdb.DuckDBPyConnection,
    table: str,
    shapes: list[Shape],
    columns: StageColumns,
    base: int,
    unit: int,
    now: int,
    escapes: bool,
) -> None:
    """Create `table`: one row per line of the shapes' measurement, with `_ln`, `_shape`
    (1-based index in `shapes`; 0 when the line fits none), `_time`, the generic tag and
    field columns, and `_bad` (a value or the timestamp does not convert). `escapes` says
    whether the chunk has escape pairs (else no line is tested for stand-ins)."""
    param = _Params()
    fits, times = [], []
    for i, shape in enumerate(shapes, 1):
        n_tags, n_fields = len(shape.tags), len(shape.fields)
        gap = 2 + n_tags  # the " " token between tags and fields
        test = [f"tok[1] = {param(shape.raw_measurement)}", f"tok[{gap}] = ' '",
                f"(n = {gap + n_fields} OR (n = {gap + n_fields + 2} AND tok[{gap + n_fields + 1}] = ' '))"]
        if escapes:
            test.insert(0, f"esc = {str(shape.escaped).lower()}")
        for j, (_, raw_key) in enumerate(shape.tags, 2):
            # key in place, value non-empty and without an unescaped '='
            test.append(f"starts_with(tok[{j}], {param(raw_key + '=')})")
            test.append(f"length(tok[{j}]) > {len(raw_key) + 1}")
            test.append(f"NOT contains(substr(tok[{j}], {len(raw_key) + 2}), '=')")
        for j, (_, raw_key, _) in enumerate(shape.fields, gap + 1):
            test.append(f"starts_with(tok[{j}], {param(raw_key + '=')})")
        fits.append(f"WHEN {' AND '.join(test)} THEN {i}")
        ts = _integer(f"tok[{gap + n_fields + 2}]", "BIGINT")
        if unit != 1:
            ts = f"TRY_CAST(CAST({ts} AS HUGEINT) * {unit} AS BIGINT)"
        times.append(f"WHEN {i} THEN CASE WHEN n = {gap + n_fields} THEN {now}::BIGINT ELSE {ts} END")
    cut = []
    for key in _ordered({k for s in shapes for k in s.tag_keys}):
        cases = []
        for i, shape in enumerate(shapes, 1):
            for j, (tag_key, raw_key) in enumerate(shape.tags, 2):
                if tag_key == key:
                    value = f"substr(tok[{j}], {len(raw_key) + 2})"
                    cases.append(f"WHEN {i} THEN {_sql_decode(value, _DECODE_KEY) if shape.escaped else value}")
        cut.append(f"{_by_shape(cases)} AS {columns.tag(key)}")
    bad_checks: dict[int, list[str]] = {i: [] for i in range(1, len(shapes) + 1)}
    for key, flux_type in _ordered({(k, t) for s in shapes for k, _, t in s.fields}):
        name = columns.field(key, flux_type)
        cases = []
        for i, shape in enumerate(shapes, 1):
            for j, (field_key, raw_key, shape_type) in enumerate(shape.fields, len(shape.tags) + 3):
                if field_key == key and shape_type == flux_type:
                    raw = f"substr(tok[{j}], {len(raw_key) + 2})"
                    cases.append(f"WHEN {i} THEN {_CONVERT[flux_type](raw, shape.escaped)}")
                    bad_checks[i].append(
                        f"{name} IS NULL OR NOT isfinite({name})" if flux_type is FluxType.FLOAT else f"{name} IS NULL"
                    )
        cut.append(f"{_by_shape(cases)} AS {name}")
    esc = " OR ".join(f"contains(line, '{s}')" for s in STAND_INS) if escapes else "false"
    bad = _by_shape([
        f"WHEN {i} THEN {' OR '.join(['_ns IS NULL', f'_ns NOT BETWEEN {MIN_TIME_NS} AND {MAX_TIME_NS}'] + checks)}"
        for i, checks in bad_checks.items()
    ])
    bad = f"_shape <> 0 AND ({bad})" if len(shapes) == 1 else f"coalesce({bad}, false)"
    # Staged rows carry their line number, so their order does not matter (a bit faster).
    preserve = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = false")
    try:
        _create_stage(con, table, bad, times, cut, fits, base, esc, shapes, param)
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if preserve else 'false'}")


def _create_stage(con, table, bad, times, cut, fits, base, esc, shapes, param) -> None:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT * EXCLUDE (_ns),
               make_timestamp_ns(CASE WHEN _ns BETWEEN {MIN_TIME_NS} AND {MAX_TIME_NS} THEN _ns END) AS _time,
               {bad} AS _bad
        FROM (
            SELECT ln AS _ln, _shape, {_by_shape(times)} AS _ns, {', '.join(cut)}
            FROM (
                SELECT ln, n, tok, CASE {' '.join(fits)} ELSE 0 END AS _shape
                FROM (
                    SELECT rowid - {base} AS ln, {esc} AS esc, tok, len(tok) AS n
                    FROM (SELECT rowid, line, string_split(line, ',') AS tok FROM lp_raw
                          WHERE {_prefix_filter(shapes, param)})
                )
            )
        )""",
        param.values,
    )


def orphan_lines(con: duckdb.DuckDBPyConnection, shapes: list[Shape], base: int) -> list[int]:
    """Indexes of the non-empty, non-comment lines of no staged measurement."""
    param = _Params()
    covered = _prefix_filter(shapes, param) if shapes else "false"
    return [r[0] for r in con.execute(
        f"SELECT rowid - {base} FROM lp_raw WHERE line IS NOT NULL "
        f"AND NOT starts_with(line, '#') AND NOT ({covered})",
        param.values,
    ).fetchall()]


def _by_shape(cases: list[str]) -> str:
    """`CASE _shape WHEN i THEN x ... END`; just `x` when there is one shape (rows that fit
    no shape are dropped whatever their values)."""
    if len(cases) == 1 and cases[0].startswith("WHEN 1 THEN "):
        return "(" + cases[0][len("WHEN 1 THEN "):] + ")"
    return f"CASE _shape {' '.join(cases)} END"


def _ordered(items: set) -> list:
    return sorted(items, key=lambda x: (str(x[0]), x[1].value) if isinstance(x, tuple) else x)


def _sql_decode(expr: str, table: dict[str, str]) -> str:
    for stand_in, meaning in table.items():
        expr = f"replace({expr}, '{stand_in}', '{meaning}')"
    return expr


def _integer(text: str, sql_type: str) -> str:
    # DuckDB's integer cast also takes `+1`, `1.5`, `1e3`, `0x1f`, `1_000`: keep a value
    # only when it reads back the same or is made of digits and `-` alone (the tests
    # check this against line protocol's grammar by brute force).
    return (
        f"CASE WHEN CAST(TRY_CAST({text} AS {sql_type}) AS VARCHAR) = {text} "
        f"OR ltrim({text}, '0123456789-') = '' THEN TRY_CAST({text} AS {sql_type}) END"
    )


def _float(raw: str, escaped: bool) -> str:
    # DuckDB's double cast also takes `+1`, `1_000`, `inf` and `nan`; the last two are
    # caught as non-finite values (`_bad`), like overflow (the tests check this against
    # line protocol's grammar by brute force).
    return (
        f"CASE WHEN NOT starts_with({raw}, '+') AND NOT contains({raw}, '_') "
        f"THEN TRY_CAST({raw} AS DOUBLE) END"
    )


def _int(raw: str, escaped: bool) -> str:
    return f"CASE WHEN ends_with({raw}, 'i') THEN {_integer(f'left({raw}, -1)', 'BIGINT')} END"


def _uint(raw: str, escaped: bool) -> str:
    return (
        f"CASE WHEN ends_with({raw}, 'u') AND NOT starts_with({raw}, '-') "
        f"THEN {_integer(f'left({raw}, -1)', 'UBIGINT')} END"
    )


def _bool(raw: str, escaped: bool) -> str:
    true = ", ".join(f"'{s}'" for s in sorted(TRUE_SPELLINGS))
    false = ", ".join(f"'{s}'" for s in sorted(FALSE_SPELLINGS))
    return f"CASE WHEN {raw} IN ({true}) THEN true WHEN {raw} IN ({false}) THEN false END"


def _string(raw: str, escaped: bool) -> str:
    # One quoted token: no other quote inside, and no backslash before the closing quote
    # (after substitution, a backslash left there can only mean \").
    inner = f"substr({raw}, 2, length({raw}) - 2)"
    value = _sql_decode(inner, _DECODE_STRING) if escaped else inner
    return (
        f"CASE WHEN length({raw}) >= 2 AND starts_with({raw}, '\"') AND ends_with({raw}, '\"') "
        f"AND strpos({inner}, '\"') = 0 AND NOT ends_with({inner}, '\\') THEN {value} END"
    )


_CONVERT = {
    FluxType.FLOAT: _float,
    FluxType.INT: _int,
    FluxType.UINT: _uint,
    FluxType.BOOL: _bool,
    FluxType.STRING: _string,
}
