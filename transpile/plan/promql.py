"""Plan nodes of Flux's `internal/promql` package: PromQL's range-vector functions
(changes, resets, rate/increase/delta, irate/idelta, deriv/predict_linear) computed over
each table's samples, histogram_quantile, and label_replace.

In PromQL a series is what Flux calls a table: its labels are the group key, its samples
the rows with a non-null `_value` in row order. Nodes say their output schema and
nothing about SQL (lowering: lower/promql.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..tables import Column
from ..types import FluxType
from .core import KeepsTables, OrderBy, PlanNode, Schema, Unary


def key_columns(schema: Schema, exclude=()) -> tuple[Column, ...]:
    return tuple(c for c in schema.columns if c.label in schema.key and c.label not in exclude)


@dataclass(frozen=True)
class SeriesValue(Unary, PlanNode):
    """One float row per table computed from the table's samples: the group key columns
    and `column` (other columns are dropped, as for Flux aggregates).

    `function` names an entry of the lowering's table (changes, resets, extrapolatedRate,
    instantRate, linearRegression, constant); `params` holds its constant arguments.
    Functions that need two samples give no row for a shorter table.
    """

    input: PlanNode
    function: str
    params: tuple[tuple[str, object], ...] = ()
    column: str = "_value"
    time_column: str = "_time"
    flux_name: str = ""

    @property
    def step(self) -> str:
        return self.flux_name or self.function

    @property
    def order(self) -> OrderBy:
        return OrderBy()

    @cached_property
    def schema(self) -> Schema:
        return _one_float_row_per_table(self.input.schema, self.column)


@dataclass(frozen=True)
class HistogramQuantile(Unary, PlanNode):
    """promHistogramQuantile(): each table is one histogram, a row per bucket with its
    cumulative count and upper bound; one row per table with the quantile in
    `value_column` (float) and the group key columns."""

    input: PlanNode
    quantile: float
    count_column: str = "_value"
    upper_bound_column: str = "le"
    value_column: str = "_value"
    flux_name: str = "promHistogramQuantile"

    @property
    def order(self) -> OrderBy:
        return OrderBy()

    @cached_property
    def schema(self) -> Schema:
        return _one_float_row_per_table(self.input.schema, self.value_column)


@dataclass(frozen=True)
class LabelReplace(KeepsTables, PlanNode):
    """labelReplace(): where the `source` column's value (empty when there is none) fully
    matches `pattern`, the string column `destination` becomes `rewrite` (an RE2 rewrite
    string: `\\1` for a group) expanded over the match; an empty result leaves it null,
    as PromQL drops an empty label. The output holds the labels (the group key, with
    the destination joining it when new: a PromQL label names the series) and `_value`,
    as a PromQL instant vector does (conformance testing/promql/labelReplace_full_string_match
    drops _time); rows whose key changes move to another table."""

    input: PlanNode
    source: str
    destination: str
    pattern: str
    rewrite: str
    flux_name: str = "labelReplace"

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        kept = set(s.key) | {"_value", self.destination}
        cols = tuple(Column(c.label, FluxType.STRING) if c.label == self.destination else c
                     for c in s.columns if c.label in kept)
        if s.has(self.destination):
            return Schema(cols, s.key)
        return Schema(cols + (Column(self.destination, FluxType.STRING),), s.key + (self.destination,))


def _one_float_row_per_table(s: Schema, column: str) -> Schema:
    """The key columns of each table, then `column` as a float (one row per table)."""
    cols = key_columns(s, exclude=(column,)) + (Column(column, FluxType.FLOAT),)
    return Schema(cols, tuple(k for k in s.key if k != column))
