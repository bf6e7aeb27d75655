"""Sources that are known at compile time: `csv.from`, `array.from`, `testing.load`.

https://docs.influxdata.com/flux/v0/stdlib/csv/from/ and /array/from/. The tables are
decoded here and become a `Literal` plan node (a VALUES list in SQL).
"""
from __future__ import annotations

from pathlib import Path

from ..analyze.objects import Record, Stream
from ..analyze.variants import AllChoices, StreamVariants
from ..analyze.operators import describe, type_of_constant
from ..plan import Literal
from ..tables import Column, Table
from ..values import Duration, Time, UInt
from .registry import flux_function
from .streams import stream_of


@flux_function("csv", name="from", pipe=None)
def csv_from(ctx, csv=None, file=None, mode="annotations"):
    from ..annotated_csv import AnnotatedCSVError, decode, decode_raw
    from ..errors import FluxSemanticError

    if (csv is None) == (file is None):
        raise ctx.error("give exactly one of csv or file")
    if mode not in ("annotations", "raw"):
        raise ctx.error('mode must be "annotations" or "raw"', "mode")
    if file is not None:
        path = Path(file)
        if not path.is_absolute():
            path = ctx.evaluator.base_dir / path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ctx.error(f"cannot read {file}: {exc.strerror or exc}", "file") from None
        name = str(file)
    else:
        text, name = csv, "csv"
    try:
        tables = decode_raw(text, name) if mode == "raw" else decode(text, name)
    except AnnotatedCSVError as exc:
        raise FluxSemanticError(f"csv.from: {exc.message}", ctx.arg_spans.get("file" if file else "csv", ctx.span)) from None
    groups = _type_groups(tables)
    if len(groups) == 1:
        return Stream(Literal(tuple(tables), flux_name="csv"))
    site = ctx.evaluator.next_source_site(all_choices=True)

    first_rows, position = {}, 0
    for table in tables:
        first_rows[id(table)] = position
        position += len(table.rows)

    def group(choice: int) -> Stream:
        chosen = tuple(groups[choice])
        return Stream(Literal(chosen, flux_name="csv", site=site, choice=choice, alternatives=len(groups),
                              first_rows=tuple(first_rows[id(t)] for t in chosen)))

    wanted = ctx.evaluator.source_types.get(site, 0)
    if isinstance(wanted, AllChoices):
        return StreamVariants(site, tuple(group(choice) for choice in wanted.choices))
    return group(wanted)


def _type_groups(tables: list) -> list[list]:
    """The tables split by the types of the columns whose type differs between tables."""
    types: dict = {}
    for table in tables:
        for col in table.columns:
            types.setdefault(col.label, set()).add(col.type)
    mixed = {label for label, seen in types.items() if len(seen) > 1}
    groups: dict = {}
    for table in tables:
        signature = tuple(sorted((c.label, c.type.value) for c in table.columns if c.label in mixed))
        groups.setdefault(signature, []).append(table)
    return list(groups.values())


@flux_function("array", name="from", pipe=None)
def array_from(ctx, rows):
    """array.from(rows): one table, no group key, columns from the records."""
    if not isinstance(rows, list) or not all(isinstance(r, Record) for r in rows):
        raise ctx.error("rows must be an array of records", "rows")
    columns: dict = {}
    for r in rows:
        for label, value in r.fields.items():
            t = type_of_constant(value)
            if value is not None and t is None:
                raise ctx.error(f"column {label!r}: a {describe(value)} cannot be a table cell", "rows")
            if t is not None:
                columns.setdefault(label, t)
            else:
                columns.setdefault(label, None)
    cols = tuple(Column(label, t or _null_type()) for label, t in columns.items())
    cells = [tuple(_cell(r.fields.get(c.label)) for c in cols) for r in rows]
    return Stream(Literal((Table(cols, (), cells),), flux_name="array"))


def _null_type():
    from ..types import FluxType

    return FluxType.STRING


def _cell(v):
    if isinstance(v, Time):
        return v.nanoseconds
    if isinstance(v, UInt):
        return v.value
    if isinstance(v, Duration):
        return v.nanoseconds
    return v


@flux_function("testing")
def load(ctx, tables):
    """testing.load(): the identity in the Flux test harness."""
    stream_of(ctx, tables)
    return tables
