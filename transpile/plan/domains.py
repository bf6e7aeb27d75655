"""Value domains: the values a column can take at a plan node, known at compile time.

Schemas are static (see `core`), yet `pivot()` makes columns out of DATA values. The
choice made here: the new columns are computed at compile time from the *value domain*
of the column-key columns, found by walking the plan back to its `Literal` sources
(`column_values`). Row-subsetting steps (range, filter, sort, group, limit, ...) pass the
domain through; equality filters (`r._field == "x" or ...`, on any column) narrow it, and
so does a pivot's column key for the columns it makes. The domain is a superset of the
values present after the plan runs, so a table may get a column that holds only nulls
where Flux would not create it; for Flux every table has its own columns anyway, and a
column of nulls is how this compiler's one-schema-per-stream model shows "not in this
table". When the domain cannot be known (a source whose data is not known at compile
time), pivot is refused with a clear error rather than guessed.

Extension points for nodes defined elsewhere: a node that only drops or reorders rows and
keeps its columns sets `passes_rows_through = True`; a source whose values are known
another way (a storage scan reading field names from the bucket catalog) defines
`known_values(column, where) -> tuple | None`.

This module knows nothing of SQL.
"""
from __future__ import annotations

from ..scalar import Call, Col, Lit, Scalar
from ..types import FluxType
from .core import (
    Aggregate,
    Filter,
    Group,
    Literal,
    PlanNode,
    Project,
    Range,
    Selector,
    Sort,
    Union,
    Window,
)
from .join import LEFT, RIGHT, Join
from .reshape import Distinct, Pivot, Unpivot


class _Missing:
    """The 'value' of a column in a table that does not have that column."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


class _NonNull:
    """The values allowed by `exists r.column`: every value but null."""

    def __contains__(self, value) -> bool:
        return value is not None and value is not MISSING

    def __and__(self, other):
        return other if isinstance(other, _NonNull) else {v for v in other if v in self}

    __rand__ = __and__


NON_NULL = _NonNull()


def column_values(node: PlanNode, column: str, where: dict | None = None) -> tuple | None:
    """The distinct values `column` may hold in `node`'s output, in first-appearance order,
    or None when they cannot be known at compile time. Cells are raw table cells (times as
    int nanoseconds). `where` maps columns to the values a row must have to count (the
    equality and `exists` filters met on the way to the source): the answer is a superset
    of what the plan really yields, never a subset."""
    values = _values(node, column, where or {})
    if values is None:
        return None
    return tuple(dict.fromkeys(None if v is MISSING else v for v in values))


def column_present(node: PlanNode, column: str) -> bool:
    """False when no table that can reach `node`'s output has `column` (it is in the
    stream's schema only because other tables have it); True when it may have it."""
    values = _values(node, column, {})
    return values is None or any(v is not MISSING for v in values)


def _values(node: PlanNode, column: str, where: dict) -> tuple | None:
    handler = _DOMAIN.get(type(node))
    if handler is not None:
        return handler(node, column, where)
    known = getattr(node, "known_values", None)
    if known is not None:  # e.g. a storage scan answering from the bucket catalog
        return known(column, where)
    if getattr(node, "passes_rows_through", False) and node.inputs:
        return _values(node.inputs[0], column, where)
    return None


def _literal_values(node: Literal, column: str, where: dict):
    seen: dict = {}
    for table in node.tables:
        index = {label: i for i, label in enumerate(table.labels)}
        for row in table.rows:
            if all((row[index[c]] if c in index else None) in allowed for c, allowed in where.items()):
                seen.setdefault(row[index[column]] if column in index else MISSING, None)
    return tuple(seen)


def _through(node, column, where):
    return _values(node.inputs[0], column, where)


def _range_values(node: Range, column: str, where: dict):
    # range() sets _start and _stop on every row (the bounds, as time cells).
    if column in ("_start", "_stop"):
        value = node.start if column == "_start" else node.stop
        allowed = where.get(column)
        return (value,) if allowed is None or value in allowed else ()
    return _values(node.input, column, {c: v for c, v in where.items() if c not in ("_start", "_stop")})


def _window_values(node: Window, column: str, where: dict):
    if column in (node.start_column, node.stop_column):
        return None  # window bounds are computed from the data
    return _values(node.input, column, {c: v for c, v in where.items() if c not in (node.start_column, node.stop_column)})


def _filter_values(node: Filter, column: str, where: dict):
    from ..scalar import columns_used

    narrowed = dict(where)
    for c in columns_used(node.predicate):
        allowed = allowed_values(node.predicate, c)
        if allowed is not None:
            narrowed[c] = narrowed[c] & allowed if c in narrowed else allowed
    return _values(node.input, column, narrowed)


def allowed_values(predicate: Scalar, column: str) -> set | None:
    """The values of `column` a row must have to pass `predicate` (None: any value)."""
    if isinstance(predicate, Call):
        if predicate.fn == "exists" and len(predicate.args) == 1:
            arg = predicate.args[0]
            return NON_NULL if isinstance(arg, Col) and arg.name == column else None
        if predicate.fn == "==" and len(predicate.args) == 2:
            a, b = predicate.args
            if isinstance(b, Col) and isinstance(a, Lit):
                a, b = b, a
            if isinstance(a, Col) and a.name == column and isinstance(b, Lit) and b.value is not None:
                return {_cell_of(b.value)}
            return None
        if predicate.fn == "and":
            sets = [s for s in (allowed_values(a, column) for a in predicate.args) if s is not None]
            if not sets:
                return None
            out = sets[0]
            for s in sets[1:]:
                out = out & s
            return out
        if predicate.fn == "or":
            sets = [allowed_values(a, column) for a in predicate.args]
            if any(s is None for s in sets):
                return None
            if any(isinstance(s, _NonNull) for s in sets):
                return NON_NULL  # the equalities only allow non-null values anyway
            out: set = set()
            for s in sets:
                out |= s
            return out
    return None


def _cell_of(value):
    from ..values import Time, UInt

    if isinstance(value, Time):
        return value.nanoseconds
    if isinstance(value, UInt):
        return value.value
    return value


def _project_values(node: Project, column: str, where: dict):
    exprs = dict(node.columns)
    inner: dict = {}
    for c, allowed in where.items():
        e = exprs.get(c)
        if isinstance(e, Col):
            inner[e.name] = inner[e.name] & allowed if e.name in inner else allowed
        elif isinstance(e, Lit) and _cell_of(e.value) not in allowed:
            return ()
    e = exprs.get(column)
    if isinstance(e, Col):
        return _values(node.input, e.name, inner)
    if isinstance(e, Lit):
        return (_cell_of(e.value),)
    return _computed_values(node.input, e, inner) if e is not None else None


MAX_COMBINATIONS = 10_000


def _computed_values(node: PlanNode, expr: Scalar, where: dict):
    """The values of a computed column (`map(fn: (r) => ({r with k: r.a + "_" + r.b}))`):
    the expression folded over every combination of its input columns' domains."""
    from itertools import product

    from ..scalar import columns_used

    used = sorted(columns_used(expr))
    domains = []
    for c in used:
        values = _values(node, c, where)
        if values is None:
            return None
        domains.append(tuple(dict.fromkeys(None if v is MISSING else v for v in values)))
    size = 1
    for d in domains:
        size *= len(d)
    if size > MAX_COMBINATIONS:
        return None
    types = [node.schema.type_of(c) for c in used]
    seen: dict = {}
    for combo in product(*domains):
        env = {c: _flux_value(v, t) for c, v, t in zip(used, combo, types)}
        try:
            seen.setdefault(_cell_of(fold_scalar(expr, env)), None)
        except _CannotFold:
            return None
    return tuple(seen)


class _CannotFold(Exception):
    pass


def _flux_value(cell, t: FluxType | None):
    from ..values import Time, UInt

    if cell is None:
        return None
    if t == FluxType.TIME:
        return Time(cell)
    if t == FluxType.UINT:
        return UInt(cell)
    return cell


_UNARY = {"neg": "-", "not": "not", "exists": "exists"}


def fold_scalar(expr: Scalar, env: dict):
    """Evaluate a row expression with the columns bound to constants (Flux's rules, via
    the evaluator's operators and the scalar functions' folds)."""
    from ..analyze import operators
    from ..errors import FluxError

    if isinstance(expr, Lit):
        return expr.value
    if isinstance(expr, Col):
        return env.get(expr.name)
    if not isinstance(expr, Call):
        raise _CannotFold()
    args = [fold_scalar(a, env) for a in expr.args]
    try:
        if expr.fn == "if":
            return args[1] if args[0] is True else args[2]
        if expr.fn in ("and", "or"):
            return operators.logical(expr.fn, args[0], args[1], None)
        if expr.fn in _UNARY:
            return operators.unary(_UNARY[expr.fn], args[0], None)
        if expr.fn == "concat":
            from ..functions.universe import to_string

            return None if None in args else "".join(a if isinstance(a, str) else to_string(a) for a in args)
        if len(args) == 2 and expr.fn in operators.COMPARISONS | {"+", "-", "*", "/", "%", "^", "=~", "!~"}:
            return operators.fold_binary(expr.fn, args[0], args[1], None)
        from ..functions.registry import SCALARS

        entry = SCALARS.get(expr.fn)
        if entry is not None and entry.fold is not None:
            return entry.fold(*args)
    except (FluxError, ValueError, TypeError, ArithmeticError):
        raise _CannotFold() from None
    raise _CannotFold()


def _union_values(node: Union, column: str, where: dict):
    seen: dict = {}
    for stream in node.streams:
        values = _values(stream, column, where) if stream.schema.has(column) else (MISSING,)
        if values is None:
            return None
        for v in values:
            seen.setdefault(v, None)
    return tuple(seen)


def _aggregate_values(node: Aggregate, column: str, where: dict):
    if column not in node.schema.key:
        return None
    return _values(node.input, column, {c: v for c, v in where.items() if c in node.schema.key})


def _pivot_values(node: Pivot, column: str, where: dict):
    new = dict(node.new_columns)
    kept = {c: v for c, v in where.items() if c not in new}
    if column not in new:
        return _values(node.input, column, kept)
    for c, v in zip(node.column_key, new[column]):
        kept[c] = kept[c] & {v} if c in kept else {v}
    # (A row key without that combination leaves the cell null; that null is not listed.)
    return _values(node.input, node.value_column, kept)


_DOMAIN = {
    Literal: _literal_values,
    Range: _range_values,
    Filter: _filter_values,
    Project: _project_values,
    Group: _through,
    Sort: _through,
    Selector: _through,
    Window: _window_values,
    Union: _union_values,
    Aggregate: _aggregate_values,
}




def label_of(values: tuple, types: tuple) -> str:
    """Flux's pivot column label: the column-key values joined by "_" ("null" for null)."""
    from ..functions.universe import to_string
    from ..values import Time, UInt

    parts = []
    for v, t in zip(values, types):
        if v is None:
            parts.append("null")
        elif t == FluxType.TIME:
            parts.append(to_string(Time(v)))
        elif t == FluxType.UINT:
            parts.append(to_string(UInt(v)))
        else:
            parts.append(to_string(v))
    return "_".join(parts)




def _distinct_values(node: Distinct, column: str, where: dict):
    source = node.column if column == "_value" else column
    return _values(node.input, source, {c: v for c, v in where.items() if c in node.input.schema.key})


def _unpivot_values(node: Unpivot, column: str, where: dict):
    fields = tuple(f for f in node.value_columns if "_field" not in where or f in where["_field"])
    if column == "_field":
        return fields
    kept = {c: v for c, v in where.items() if c not in ("_field", "_value")}
    if column != "_value":
        return _values(node.input, column, kept)
    seen: dict = {}
    for f in fields:
        values = _values(node.input, f, kept)
        if values is None:
            return None
        seen.update(dict.fromkeys(v for v in values if v is not None and v is not MISSING))
    return tuple(seen)


def _join_values(node: Join, column: str, where: dict):
    expr = dict(node.columns).get(column)
    if not isinstance(expr, Col):
        return None
    for prefix, side, outer in ((LEFT, node.left, ("right", "full")), (RIGHT, node.right, ("left", "full"))):
        if expr.name.startswith(prefix):
            values = _values(side, expr.name[len(prefix):], {})
            if values is not None and node.method in outer:
                values = tuple(dict.fromkeys(values + (None,)))
            return values
    return None


_DOMAIN.update({Pivot: _pivot_values, Distinct: _distinct_values, Unpivot: _unpivot_values, Join: _join_values})
