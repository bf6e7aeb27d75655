"""Helpers for table functions: checking arguments and building Plan nodes from them."""
from __future__ import annotations

from ..analyze.objects import Closure, RowRecord, RowValue, Stream, Builtin, Record
from ..analyze.operators import describe, scalar_type, to_scalar
from ..analyze.variants import NeedsSplit, StreamVariants
from ..plan import PlanNode, Project, Schema
from ..scalar import Col, Scalar
from ..types import FluxType
from ..values import Duration, Time


def stream_of(ctx, value, arg: str = "tables") -> PlanNode:
    if isinstance(value, StreamVariants):
        raise NeedsSplit()  # e.g. one side of a join: compile each type group apart
    if not isinstance(value, Stream):
        raise ctx.error(f"expected a stream of tables, got {describe(value)}", arg)
    return value.node


def row_record(schema: Schema) -> RowRecord:
    return RowRecord({c.label: RowValue(Col(c.label, c.type)) for c in schema.columns})


def string_list(ctx, value, arg: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ctx.error(f"{arg} must be an array of strings", arg)
    return tuple(value)


def expect(ctx, value, kinds, arg: str, what: str):
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,))):
        raise ctx.error(f"{arg} must be {what}, got {describe(value)}", arg)
    return value


def duration_arg(ctx, value, arg: str) -> Duration:
    return expect(ctx, value, Duration, arg, "a duration")


def function_arg(ctx, value, arg: str):
    return expect(ctx, value, (Closure, Builtin), arg, "a function")


def time_arg(ctx, value, arg: str) -> int:
    """A time bound: a time, a duration relative to now(), or an integer of Unix seconds."""
    if isinstance(value, Time):
        return value.nanoseconds
    if isinstance(value, Duration):
        from ..analyze.time import add_duration

        return add_duration(ctx.now, value, ctx.location)
    if isinstance(value, int) and not isinstance(value, bool):
        return value * 1_000_000_000
    raise ctx.error(f"{arg} must be a time or a duration, got {describe(value)}", arg)


def apply_row_fn(ctx, fn, node: PlanNode, arg: str = "fn", extra: dict | None = None):
    return ctx.evaluator.row_function(function_arg(ctx, fn, arg), row_record(node.schema), ctx.arg_spans.get(arg, ctx.span), extra)


def project(node: PlanNode, columns: list[tuple[str, Scalar]], key, flux_name: str) -> Project:
    types = []
    for label, expr in columns:
        t = scalar_type(expr)
        if t is None:
            t = node.schema.type_of(label) or FluxType.STRING
        types.append(t)
    return Project(node, tuple(columns), tuple(key), tuple(types), flux_name=flux_name)


def record_columns(ctx, value, arg: str = "fn") -> list[tuple[str, Scalar]]:
    if isinstance(value, (RowRecord, Record)):
        return [(label, to_scalar(v, ctx.arg_spans.get(arg))) for label, v in value.fields.items()]
    raise ctx.error(f"the function must return a record, got {describe(value)}", arg)
