"""Decode Flux annotated CSV into materialised tables (`csv.from`, conformance vectors).

Owns reading annotated CSV text into `Table`s: annotation blocks, the header, data rows,
table boundaries, group keys, defaults and the typed parsing of every cell. Also
`mode: "raw"` of `csv.from` (every column a string, one table, no key). Pure Python:
it must not import duckdb or runtime, and it does not write CSV (runtime/output does).

The format, as Flux's decoder reads it (flux `csv/result.go`; conformance README
"Annotated CSV"; https://docs.influxdata.com/flux/v0/stdlib/csv/from/):
- A block is annotation rows (`#datatype`, `#group`, `#default`, in any order), a header
  row, then data rows. The first three cells of every row are the annotation name (empty
  on header and data rows), `result` and `table`; they are not data columns.
- A row whose first cell is not empty starts a new block. Within a block a new table
  starts when the `table` cell is not empty and differs from the table's first row.
- An empty cell takes the column's `#default`, else it is null. A block without data
  rows is one empty table whose key values come from `#default`.
- The group key is the columns marked `true` in `#group`, valued from the first row.
- The result name comes from the `#default` row's `result` cell.
- Blank lines mean nothing; `\\r\\n` is read as `\\n`, also inside quoted cells (as Go's
  encoding/csv does); a UTF-8 byte order mark at the start is skipped.
Deliberately more lenient than Flux (which errors): a block without `#group` has no
key columns, without `#default` has no defaults (result `_result`), without
`#datatype` has string columns; several results are all returned.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Callable, Iterator

from .errors import FluxError
from .tables import Column, Table
from .timefmt import INT64_MAX, INT64_MIN, parse_rfc3339
from .types import FluxType
from .values import NS_PER_UNIT

# A cell may be longer than the csv module's default 128 KiB limit (long strings are
# legal Flux values); the limit only guards against runaway quoting.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

ANNOTATION_DATATYPE = "#datatype"
ANNOTATION_GROUP = "#group"
ANNOTATION_DEFAULT = "#default"
_KNOWN_ANNOTATIONS = (ANNOTATION_DATATYPE, ANNOTATION_GROUP, ANNOTATION_DEFAULT)
_FIRST_DATA_CELL = 3  # annotation name, result, table
DEFAULT_RESULT_NAME = "_result"
UINT64_MAX = (1 << 64) - 1


class AnnotatedCSVError(FluxError):
    """Bad annotated CSV; the message starts with `<source> line <n>:`."""

    def __init__(self, source_name: str, line: int, message: str):
        super().__init__(f"{source_name} line {line}: {message}")
        self.source_name = source_name
        self.line = line


# ---------------------------------------------------------------------------
# Cell parsers: one per type, each mirroring the Go strconv/time function that Flux's
# decoder calls, each raising ValueError on bad text. Python's int()/float() accept
# more than Go (spaces, `_` separators, non-ASCII digits), so those are refused here.

def _parse_long(text: str) -> int:
    digits = text[1:] if text[0] in "+-" else text
    if not (digits.isdigit() and digits.isascii()):
        raise ValueError("not an integer")
    value = int(text)
    if value < INT64_MIN or value > INT64_MAX:
        raise ValueError("out of range for a 64-bit signed integer")
    return value


def _parse_unsigned_long(text: str) -> int:
    # Go's ParseUint takes no sign at all.
    if not (text.isdigit() and text.isascii()):
        raise ValueError("not an unsigned integer")
    value = int(text)
    if value > UINT64_MAX:
        raise ValueError("out of range for a 64-bit unsigned integer")
    return value


def _parse_double(text: str) -> float:
    if "_" in text or text[0].isspace() or text[-1].isspace():
        raise ValueError("not a number")
    try:
        value = float(text)
    except ValueError:
        if "0x" not in text.lower():
            raise
        value = float.fromhex(text)  # Go's ParseFloat also reads hex floats: 0x1p-2
    if math.isinf(value) and "inf" not in text.lower():
        raise ValueError("out of range for a 64-bit float")  # Go: ErrRange
    return value


# Go's strconv.ParseBool.
_BOOLEANS = {
    "1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
    "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False,
}


def _parse_boolean(text: str) -> bool:
    try:
        return _BOOLEANS[text]
    except KeyError:
        raise ValueError("not a boolean") from None


def _parse_string(text: str) -> str:
    return text


_DURATION = re.compile(r"-?(?:\d+(?:mo|ms|us|µs|ns|y|w|d|h|m|s))+", re.ASCII)
_DURATION_PART = re.compile(r"(\d+)(mo|ms|us|µs|ns|y|w|d|h|m|s)")


def _parse_duration(text: str) -> int:
    """Flux duration text (`1h30m`, `-5m`) as int nanoseconds; `mo`/`y` have no fixed length."""
    if not _DURATION.fullmatch(text):
        raise ValueError("not a duration")
    total = 0
    for amount, unit in _DURATION_PART.findall(text):
        if unit not in NS_PER_UNIT:
            raise ValueError(f"unit {unit!r} has no fixed length in nanoseconds")
        total += int(amount) * NS_PER_UNIT[unit]
    return -total if text.startswith("-") else total


CELL_PARSERS: dict[FluxType, Callable[[str], object]] = {
    FluxType.INT: _parse_long,
    FluxType.UINT: _parse_unsigned_long,
    FluxType.FLOAT: _parse_double,
    FluxType.BOOL: _parse_boolean,
    FluxType.STRING: _parse_string,
    FluxType.TIME: parse_rfc3339,  # exact, even past int64 (see parse_rfc3339)
    FluxType.DURATION: _parse_duration,
}


def parse_cell(text: str, flux_type: FluxType) -> object:
    """One non-empty annotated CSV cell as a Python value of `flux_type` (ValueError if bad)."""
    return CELL_PARSERS[flux_type](text)


# ---------------------------------------------------------------------------
# Reading rows

def _numbered_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the row starts, cells) for every non-blank CSV record."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    reader = csv.reader(io.StringIO(text, newline="\n"), strict=True)
    last_line = 0
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _CSVSyntax(reader.line_num or start, str(exc)) from None
        last_line = reader.line_num
        if row:
            yield start, row


class _CSVSyntax(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


@dataclass
class _Block:
    """The schema shared by the tables of one annotation block."""

    result: str
    columns: tuple[Column, ...]
    datatypes: tuple[str, ...]
    parsers: tuple[Callable[[str], object], ...]
    defaults: tuple
    key: tuple[str, ...]
    key_indexes: tuple[int, ...]
    width: int


class _Decoder:
    def __init__(self, source_name: str):
        self.source = source_name
        self.results: list[tuple[str, list[Table]]] = []
        self.row_lines: list[int] = []  # the line of every data row, in file order

    def error(self, line: int, message: str) -> AnnotatedCSVError:
        return AnnotatedCSVError(self.source, line, message)

    def run(self, text: str) -> list[tuple[str, list[Table]]]:
        try:
            self._run(text)
        except _CSVSyntax as exc:
            raise self.error(exc.line, f"malformed CSV: {exc}") from None
        return self.results

    def _run(self, text: str) -> None:
        annotations: dict[str, tuple[int, list[str]]] = {}
        block: _Block | None = None
        block_tables: list[Table] = []
        table_id = ""
        rows: list[tuple] = []
        rows_iter = _numbered_rows(text)
        for line, row in rows_iter:
            first = row[0]
            if first:
                if block is not None:  # an annotation row ends the block
                    self._finish_block(block, block_tables, rows)
                    block, block_tables, rows = None, [], []
                self._add_annotation(annotations, line, row)
                continue
            if block is None:
                block = self._read_header(annotations, line, row, rows_iter)
                annotations = {}
                continue
            if len(row) != block.width:
                raise self.error(line, f"expected {block.width} cells like the header, got {len(row)}")
            cell_table = row[2]
            if not rows:
                table_id = cell_table
            elif cell_table and cell_table != table_id:
                block_tables.append(Table(block.columns, block.key, rows))
                rows, table_id = [], cell_table
            rows.append(self._parse_row(block, line, row))
            self.row_lines.append(line)
        if block is not None:
            self._finish_block(block, block_tables, rows)
        elif annotations:
            first_line = min(line for line, _ in annotations.values())
            raise self.error(first_line, "annotations without a header row")

    def _add_annotation(self, annotations: dict, line: int, row: list[str]) -> None:
        name = row[0]
        if not name.startswith("#"):
            raise self.error(
                line,
                f"expected an annotation (#datatype, #group, #default) or a row whose first cell "
                f"is empty, got {name!r}",
            )
        if name not in _KNOWN_ANNOTATIONS:
            return  # Flux ignores annotations it does not know (e.g. #constant, #timezone)
        if name in annotations:
            raise self.error(line, f"{name} given twice in one block")
        for other_line, other in annotations.values():
            if len(other) != len(row):
                raise self.error(
                    line, f"{name} has {len(row)} cells but the annotation on line {other_line} has {len(other)}"
                )
        annotations[name] = (line, row)

    def _read_header(self, annotations: dict, line: int, header: list[str], rows_iter) -> _Block:
        if not annotations:
            raise self.error(
                line,
                "expected annotation rows (#datatype, #group, #default) before the header; "
                'use mode: "raw" for CSV without annotations',
            )
        width = len(header)
        for name, (annotation_line, cells) in annotations.items():
            if len(cells) != width:
                raise self.error(line, f"header has {width} cells but {name} on line {annotation_line} has {len(cells)}")
        if width > 1 and header[1] == "error":
            raise self._serialized_error(line, rows_iter)
        if width < _FIRST_DATA_CELL or header[1:_FIRST_DATA_CELL] != ["result", "table"]:
            # A table may have no columns at all (Flux writes `,result,table`); without
            # `table` the first data column would be read as the table number.
            raise self.error(line, "header row must begin with the cells annotation, result, table "
                                   f"(found {','.join(header[:_FIRST_DATA_CELL])!r})")
        labels = header[_FIRST_DATA_CELL:]
        seen: set[str] = set()
        for label in labels:
            if label in seen:
                raise self.error(line, f"column {label!r} appears twice in the header")
            seen.add(label)

        datatypes = ["string"] * len(labels)
        if ANNOTATION_DATATYPE in annotations:
            datatypes = annotations[ANNOTATION_DATATYPE][1][_FIRST_DATA_CELL:]
        types = []
        for label, datatype in zip(labels, datatypes):
            try:
                types.append(FluxType.from_csv_name(datatype))
            except ValueError:
                datatype_line = annotations[ANNOTATION_DATATYPE][0]
                raise self.error(datatype_line, f"unsupported datatype {datatype!r} for column {label}") from None
        columns = tuple(Column(label, t) for label, t in zip(labels, types))
        parsers = tuple(CELL_PARSERS[t] for t in types)

        groups = [False] * len(labels)
        if ANNOTATION_GROUP in annotations:
            groups = [cell == "true" for cell in annotations[ANNOTATION_GROUP][1][_FIRST_DATA_CELL:]]
        key_indexes = tuple(i for i, grouped in enumerate(groups) if grouped)

        result = DEFAULT_RESULT_NAME
        defaults: list = [None] * len(labels)
        if ANNOTATION_DEFAULT in annotations:
            default_line, default_row = annotations[ANNOTATION_DEFAULT]
            result = default_row[1]
            for i, text in enumerate(default_row[_FIRST_DATA_CELL:]):
                if text != "":
                    defaults[i] = self._parse_cell(default_line, text, columns[i], datatypes[i], parsers[i])
        return _Block(
            result=result,
            columns=columns,
            datatypes=tuple(datatypes),
            parsers=parsers,
            defaults=tuple(defaults),
            key=tuple(labels[i] for i in key_indexes),
            key_indexes=key_indexes,
            width=width,
        )

    def _serialized_error(self, line: int, rows_iter) -> AnnotatedCSVError:
        # Flux writes a query error as a block whose header is `,error,reference` and whose
        # one row holds the message; its decoder returns that message as the error.
        message_line, message_row = next(rows_iter, (line, []))
        message = message_row[1] if len(message_row) > 1 else "(no message)"
        return self.error(message_line, f"the CSV holds a query error: {message}")

    def _parse_row(self, block: _Block, line: int, row: list[str]) -> tuple:
        try:
            return tuple([
                default if cell == "" else parse(cell)
                for cell, parse, default in zip(row[_FIRST_DATA_CELL:], block.parsers, block.defaults)
            ])
        except ValueError:
            pass
        # Slow path, only to name the cell that failed.
        values = []
        for i, cell in enumerate(row[_FIRST_DATA_CELL:]):
            if cell == "":
                values.append(block.defaults[i])
            else:
                values.append(self._parse_cell(line, cell, block.columns[i], block.datatypes[i], block.parsers[i]))
        return tuple(values)

    def _parse_cell(self, line: int, text: str, column: Column, datatype: str, parse) -> object:
        try:
            return parse(text)
        except ValueError as exc:
            # timefmt's messages repeat the text; keep only their reason, if any.
            reason = str(exc).removeprefix(f"cannot parse {text!r} as an RFC3339 time").removeprefix(": ")
            detail = f" ({reason})" if reason else ""
            shown = json.dumps(text, ensure_ascii=False)  # double quotes, like Go's %q
            raise self.error(line, f"cannot parse {shown} as {datatype} in column {column.label}{detail}") from None

    def _finish_block(self, block: _Block, tables: list[Table], rows: list[tuple]) -> None:
        if rows:
            tables.append(Table(block.columns, block.key, rows))
        elif not tables:
            key_values = tuple(block.defaults[i] for i in block.key_indexes)
            tables.append(Table(block.columns, block.key, [], empty_key_values=key_values))
        if self.results and self.results[-1][0] == block.result:
            self.results[-1][1].extend(tables)
        else:
            self.results.append((block.result, list(tables)))


def decode_results(text: str, source_name: str = "csv") -> list[tuple[str, list[Table]]]:
    """Every result in annotated CSV text, as (result name, tables in file order).

    A new result starts where a block's `#default` result name differs from the
    previous block's (Flux's MultiResultDecoder rule).
    """
    return _Decoder(source_name).run(text)


def decode(text: str, source_name: str = "csv") -> list[Table]:
    """The tables of annotated CSV text (`csv.from(csv:)` with the default mode), in file order.

    Raises AnnotatedCSVError (a FluxError) naming `source_name` and the CSV line.
    Flux's csv.from refuses text holding more than one result; this returns the
    tables of all of them.
    """
    return [table for _, tables in decode_results(text, source_name) for table in tables]


def decode_with_lines(text: str, source_name: str = "csv") -> tuple[list[Table], list[int]]:
    """`decode`, and the line of each data row: the rows of the tables, taken in order,
    are the text's data rows in order (for errors that name a row's line)."""
    decoder = _Decoder(source_name)
    results = decoder.run(text)
    return [table for _, tables in results for table in tables], decoder.row_lines


def decode_raw(text: str, source_name: str = "csv") -> list[Table]:
    """`csv.from(mode: "raw")`: the first row is the header, every column a string.

    All rows form one table with an empty group key; empty cells are null. No rows at
    all gives no table. (Flux's decoder with NoAnnotations.)
    """
    decoder = _Decoder(source_name)
    try:
        rows_iter = _numbered_rows(text)
        header_line, header = next(rows_iter, (0, None))
        if header is None:
            return []
        seen: set[str] = set()
        for label in header:
            if label in seen:
                raise decoder.error(header_line, f"column {label!r} appears twice in the header")
            seen.add(label)
        width = len(header)
        rows = []
        for line, row in rows_iter:
            if len(row) != width:
                raise decoder.error(line, f"expected {width} cells like the header, got {len(row)}")
            rows.append(tuple([cell if cell != "" else None for cell in row]))
    except _CSVSyntax as exc:
        raise decoder.error(exc.line, f"malformed CSV: {exc}") from None
    columns = tuple(Column(label, FluxType.STRING) for label in header)
    return [Table(columns, (), rows)]
