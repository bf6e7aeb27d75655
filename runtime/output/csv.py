"""Write query results as Flux annotated CSV, byte for byte as `influx query --raw` prints it.

Owns the CSV encoding of results and the text of each cell type (also used by the
table writer). It must not run queries or decide grouping: it writes the tables it is
given, in the order given.

What `influx query --raw` prints is the body of InfluxDB 2's `/api/v2/query` with the
dialect annotations `["group", "datatype", "default"]` (influx-cli
`clients/query/query.go`), copied unchanged. That body comes from Flux's CSV encoder
(flux `csv/result.go`, `NewMultiResultEncoder`), whose behaviour this module follows:
- Go encoding/csv with `UseCRLF`: every line ends in `\\r\\n`.
- Each result is followed by one extra `\\r\\n` (DelimitedMultiResultEncoder writes the
  delimiter after every result, the last included). Table numbers restart at 0 in
  every result and count every table, empty ones too.
- Annotation rows come in the dialect's order: `#group`, `#datatype`, `#default`, then
  the header `,result,table,<labels>`. The `result` and `table` columns are never
  grouped; their datatypes are `string` and `long`.
- A table gets a new block of annotations and header when it is the first of its
  result, when its columns (labels and types, in order) or its set of group key
  columns differ from the previous table's (flux PR #4063), when it has no rows, or
  when the previous table had no rows. Each block but the first of a result is
  preceded by an empty line.
- `#default` holds the result name in the `result` cell. For a table with rows every
  other cell is empty and data rows carry `,,<table>,...`. A table with no rows is
  written as annotations and header only: its `#default` row carries the table number
  and the group key values, which is how a reader recovers its key.
- Cells: null is empty; `long`/`unsignedLong` in decimal; `double` as Go's
  `strconv.FormatFloat(v, 'f', -1, 64)` (shortest digits that read back exactly, never
  an exponent: `1.5`, `10`, `0.000001`, `+Inf`, `-Inf`, `NaN`, `-0`); booleans
  `true`/`false`; times RFC3339Nano in UTC with the fraction's trailing zeros removed;
  the datatype of time columns is `dateTime:RFC3339`.
- Quoting is Go's: a cell is quoted when it contains `"`, `,`, `\\r` or `\\n`, starts
  with a Unicode space, or is exactly `\\.`; inside quotes `"` doubles, `\\n` becomes
  `\\r\\n` and a `\\r` is dropped.
- flux2sql extension: a `duration` column (Flux has none in tables) is written with the
  datatype `duration` and Flux duration text (`1h30m`), which our decoder reads back.
"""
from __future__ import annotations

from typing import Callable, Iterable, TextIO

from transpile.tables import Table
from transpile.timefmt import format_rfc3339
from transpile.types import FluxType
from transpile.values import Duration

Results = Iterable[tuple[str, list[Table]]]

CRLF = "\r\n"

# ---------------------------------------------------------------------------
# Cell text


def format_float(value: float) -> str:
    """Go's `strconv.FormatFloat(value, 'f', -1, 64)`.

    Python's repr and Go both give the shortest digits that round-trip; only the
    notation differs, so repr's exponent form is expanded to plain positional digits.
    """
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    if "e" not in text:
        return text[:-2] if text.endswith(".0") else text
    mantissa, exponent_text = text.split("e")
    sign = ""
    if mantissa.startswith("-"):
        sign, mantissa = "-", mantissa[1:]
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent_text)  # position of the decimal point in `digits`
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}".rstrip("0").rstrip(".")
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _format_bool(value: bool) -> str:
    return "true" if value else "false"


def _format_duration(nanoseconds: int) -> str:
    return str(Duration(0, nanoseconds))


CELL_FORMATTERS: dict[FluxType, Callable[[object], str]] = {
    FluxType.INT: str,
    FluxType.UINT: str,
    FluxType.FLOAT: format_float,
    FluxType.STRING: str,
    FluxType.BOOL: _format_bool,
    FluxType.TIME: format_rfc3339,
    FluxType.DURATION: _format_duration,
}


def format_cell(value: object, flux_type: FluxType) -> str:
    """The unquoted annotated CSV text of one cell; null is the empty string."""
    return "" if value is None else CELL_FORMATTERS[flux_type](value)


# Go's unicode.IsSpace (Python's str.isspace also counts \x1c-\x1f, which Go does not).
_GO_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def quote(field: str) -> str:
    """`field` as Go's encoding/csv Writer (UseCRLF) writes it."""
    if not field:
        return field
    if not ('"' in field or "," in field or "\n" in field or "\r" in field
            or field[0] in _GO_SPACES or field == "\\."):
        return field
    body = field.replace('"', '""').replace("\r", "").replace("\n", "\r\n")
    return f'"{body}"'


# ---------------------------------------------------------------------------
# Tables


def _schema(table: Table) -> tuple:
    return (tuple((c.label, c.type) for c in table.columns), frozenset(table.key))


def _write_block_head(out: TextIO, table: Table, result_name: str, table_id: int) -> None:
    key = set(table.key)
    groups = ["#group", "false", "false"] + ["true" if c.label in key else "false" for c in table.columns]
    datatypes = ["#datatype", "string", "long"] + [c.type.csv_name for c in table.columns]
    defaults = ["#default", quote(result_name), ""] + [""] * len(table.columns)
    if not table.rows:
        defaults[2] = str(table_id)
        key_values = dict(zip(table.key, table.key_values()))
        for i, column in enumerate(table.columns):
            if column.label in key_values:
                defaults[3 + i] = _cell_text(key_values[column.label], column.type)
    header = ["", "result", "table"] + [quote(c.label) for c in table.columns]
    out.write(CRLF.join(",".join(row) for row in (groups, datatypes, defaults, header)) + CRLF)


def _cell_text(value: object, flux_type: FluxType) -> str:
    text = format_cell(value, flux_type)
    return quote(text) if flux_type is FluxType.STRING else text


def _write_rows(out: TextIO, table: Table, table_id: int) -> None:
    prefix = f",,{table_id},"
    formatters = []
    for column in table.columns:
        base = CELL_FORMATTERS[column.type]
        if column.type is FluxType.STRING:
            formatters.append(lambda v: "" if v is None else quote(v))
        else:
            formatters.append(lambda v, base=base: "" if v is None else base(v))
    if not formatters:
        out.write("".join(f",,{table_id}" + CRLF for _ in table.rows))
        return
    lines = [
        prefix + ",".join([fmt(v) for fmt, v in zip(formatters, row)]) + CRLF
        for row in table.rows
    ]
    out.write("".join(lines))


def _write_result(out: TextIO, name: str, tables: list[Table]) -> None:
    last_schema = None
    last_empty = False
    for table_id, table in enumerate(tables):
        schema = _schema(table)
        empty = not table.rows
        if last_schema is None or schema != last_schema or empty or last_empty:
            if last_schema is not None:
                out.write(CRLF)
            _write_block_head(out, table, name, table_id)
        _write_rows(out, table, table_id)
        last_schema, last_empty = schema, empty


def write_csv(results: Results, out: TextIO) -> None:
    """Write every (result name, tables) as `influx query --raw` prints a Flux query's results."""
    for name, tables in results:
        _write_result(out, name, tables)
        out.write(CRLF)
