"""Plan nodes for buckets: `from(bucket:)` reads series tables, `to(bucket:)` writes them.

A bucket's layout (one wide table per measurement, a column per tag and per field) comes
from `transpile.storage_layout`; the query compiler learns it from the catalog.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..scalar import Scalar
from ..storage_layout import BucketCatalog
from ..tables import Column
from ..types import FluxType
from .core import KeepsTables, PlanNode, Schema, absent_rule, marks_passed_through


FIELD_TYPE_ORDER = (FluxType.FLOAT, FluxType.INT, FluxType.UINT, FluxType.STRING, FluxType.BOOL)


@dataclass(frozen=True)
class From(PlanNode):
    """InfluxDB series tables of one bucket: one table per (measurement, field, tag set).

    `value_type` is the Flux type of `_value` (one per stream, see transpile.compile);
    `measurements`/`fields` restrict the scan (None: all); `start`/`stop` come from a
    `range()` merged into the scan, `predicate` from filters on tags and time.
    """

    catalog: BucketCatalog
    value_type: FluxType
    site: int
    measurements: frozenset | None = None
    fields: frozenset | None = None
    start: int | None = None
    stop: int | None = None
    predicate: Scalar | None = None
    flux_name: str = "from"

    @property
    def inputs(self):  # type: ignore[override]
        return ()

    @property
    def bucket(self) -> str:
        return self.catalog.bucket

    def selected(self):
        """(measurement layout, field column) pairs this scan reads, of its value type."""
        out = []
        for name, layout in sorted(self.catalog.measurements.items()):
            if self.measurements is not None and name not in self.measurements:
                continue
            for f in layout.fields:
                if self.fields is not None and f.key not in self.fields:
                    continue
                out.append((layout, f))
        return out

    def candidate_types(self) -> set:
        return {f.type for _, f in self.selected()}

    def source_choices(self) -> list:
        """The `_value` types of the fields this scan reads, one compilation each."""
        found = self.candidate_types()
        return [t for t in FIELD_TYPE_ORDER if t in found]

    @property
    def source_choice(self):
        return self.value_type

    def known_values(self, column: str, where: dict):
        """The values `_field` and `_measurement` can take, from the catalog (for pivot)."""
        if column not in ("_field", "_measurement"):
            return None
        where = where or {}

        def allowed(name: str, value) -> bool:
            chosen = where.get(name)
            return not isinstance(chosen, (set, frozenset)) or value in chosen

        read = [(layout, f) for layout, f in self.selected()
                if f.type == self.value_type and allowed("_measurement", layout.measurement) and allowed("_field", f.key)]
        return tuple(sorted({f.key if column == "_field" else layout.measurement for layout, f in read}))

    def tag_keys(self) -> list[str]:
        keys: list[str] = []
        for name, layout in sorted(self.catalog.measurements.items()):
            if self.measurements is not None and name not in self.measurements:
                continue
            for t in layout.tag_keys:
                if t not in keys:
                    keys.append(t)
        return sorted(keys)

    @cached_property
    def schema(self) -> Schema:
        cols = []
        key = []
        if self.start is not None:
            cols += [Column("_start", FluxType.TIME), Column("_stop", FluxType.TIME)]
            key += ["_start", "_stop"]
        cols += [Column("_time", FluxType.TIME), Column("_value", self.value_type),
                 Column("_field", FluxType.STRING), Column("_measurement", FluxType.STRING)]
        key += ["_measurement", "_field"]
        for t in self.tag_keys():
            cols.append(Column(t, FluxType.STRING))
            key.append(t)
        return Schema(tuple(cols), tuple(key))

    # Rows carry `__seq` = their time in nanoseconds: storage returns each series in time
    # order, and the series in the order of their keys.
    tables_in_key_order = True
    seq_is_time = True
    # Each table is one series: a row per (tag set, time) in storage, so times are unique
    # within a table, and the scan reads only the rows where the field has a value.
    unique_times = True
    values_not_null = True

    @property
    def bounds(self):
        return (self.start, self.stop) if self.start is not None else None


@dataclass(frozen=True)
class To(KeepsTables, PlanNode):
    """`to()`: write the input into a bucket of the same database; the input passes through."""

    input: PlanNode
    bucket: str
    measurement_column: str = "_measurement"
    tag_columns: tuple[str, ...] | None = None
    time_column: str = "_time"
    field_fn: object = None  # ((field name, value scalar), ...) or None for {r._field: r._value}
    flux_name: str = "to"
    span: object = field(default=None, compare=False)

    @property
    def schema(self) -> Schema:
        return self.input.schema



@absent_rule(From)
def _tags_may_be_absent(node: From) -> frozenset:
    """Every tag column: InfluxDB stores no null tag, a series without tag X has no column X."""
    return frozenset(node.tag_keys())


@absent_rule(To)
def _to_passes_marks(node: To) -> frozenset:
    return marks_passed_through(node)


class ListsOfScan:
    """A node listing something about the series its `scan` reads: one table with the
    string column `_value`, within the scan's range."""

    @property
    def schema(self) -> Schema:
        return Schema((Column("_value", FluxType.STRING),), ())

    @property
    def bounds(self):
        return self.scan.bounds


@dataclass(frozen=True)
class SeriesValues(ListsOfScan, PlanNode):
    """The distinct values of one column of the series a scan reads, sorted, as one table
    with the string column `_value`: `from() |> range() |> filter() |> keep(columns: [c])
    |> group() |> distinct(column: c) |> sort()` (schema.tagValues, fieldKeys,
    measurements: https://docs.influxdata.com/flux/v0/stdlib/influxdata/influxdb/schema/).

    `column` is a tag key, `_measurement` or `_field`. Unlike the scan it replaces, it
    reads the fields of every type at once (one compilation, one table). A series without
    the tag has no value for it (Flux's tables lack the column), so it contributes none.
    """

    scan: From
    column: str
    flux_name: str = "distinct"


@dataclass(frozen=True)
class SeriesKeys(ListsOfScan, PlanNode):
    """The group key labels of the series a scan reads, each once, sorted, as one table with
    the string column `_value`: `from() |> range() |> filter() |> keys() |> keep(columns:
    ["_value"]) |> distinct() |> sort()` (schema.tagKeys). A series' key is `_start`,
    `_stop`, `_measurement`, `_field` and the tags it has; no series, no labels.
    """

    scan: From
    flux_name: str = "keys"
