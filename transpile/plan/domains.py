"""Value domains: the values (and value combinations) columns can take at a plan node,
known at compile time.

Schemas are static (see `core`), yet `pivot()` makes columns out of DATA values. The
choice made here: the new columns are computed at compile time from the *value domain*
of the column-key columns, found by walking the plan back to its `Literal` sources.
`column_rows(node, columns)` gives the distinct combinations of several columns that
occur together in a row, in first-appearance order. Row-subsetting steps (range, filter,
sort, group, limit, ...) pass the domain through; equality and `exists` filters on any
column narrow it; computed columns (`map`) fold their expression over the combinations of
their inputs; a pivot's column key narrows the rows behind each column it makes. The
domain is a superset of the values present after the plan runs, so a table may get a
column that holds only nulls where Flux would not create it; for Flux every table has
its own columns anyway, and a column of nulls is how this compiler's one-schema-per-stream
model shows "not in this table". When the domain cannot be known (a source whose data is
not known at compile time), pivot is refused with a clear error rather than guessed.

Extension points for nodes defined elsewhere: a node that only drops or reorders rows and
keeps its columns sets `passes_rows_through = True`; a source whose values are known
another way (a storage scan reading field names from the bucket catalog) defines
`known_values(column, where) -> tuple | None`.

This module knows nothing of SQL.
"""
from __future__ import annotations

from itertools import product

from ..scalar import Call, Col, Lit, Scalar, columns_used
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

MAX_COMBINATIONS = 10_000
Rows = tuple  # tuple[tuple, ...]: distinct value combinations, first appearance first


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


# ---------------------------------------------------------------- public API


def column_rows(node: PlanNode, columns: tuple[str, ...], where: dict | None = None) -> Rows | None:
    """The distinct combinations of `columns` that occur in one row of `node`'s output (a
    superset), or None when they cannot be known at compile time. Cells are raw table cells
    (times as int nanoseconds); a column a table lacks reads as None. `where` maps columns to
    the values a row must have to count."""
    rows = _rows(node, tuple(columns), where or {})
    if rows is None:
        return None
    return tuple(dict.fromkeys(tuple(None if v is MISSING else v for v in row) for row in rows))


def column_values(node: PlanNode, column: str, where: dict | None = None) -> tuple | None:
    """The distinct values `column` may hold in `node`'s output (see `column_rows`)."""
    rows = column_rows(node, (column,), where)
    return None if rows is None else tuple(row[0] for row in rows)


def column_present(node: PlanNode, column: str) -> bool:
    """False when no table that can reach `node`'s output has `column` (it is in the
    stream's schema only because other tables have it); True when it may have it."""
    rows = _rows(node, (column,), {})
    return rows is None or any(row[0] is not MISSING for row in rows)


def allowed_values(predicate: Scalar, column: str):
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


# ---------------------------------------------------------------- the walk


def _rows(node: PlanNode, cols: tuple, where: dict) -> Rows | None:
    handler = _ROWS.get(type(node))
    if handler is not None:
        return handler(node, cols, where)
    known = getattr(node, "known_values", None)
    if known is not None:  # e.g. a storage scan answering from the bucket catalog
        domains = [known(c, where) for c in cols]
        return None if any(d is None for d in domains) else _product(domains)
    if getattr(node, "passes_rows_through", False) and node.inputs:
        return _rows(node.inputs[0], cols, where)
    return None


def _product(domains: list) -> Rows | None:
    size = 1
    for d in domains:
        size *= len(d)
    return tuple(product(*domains)) if size <= MAX_COMBINATIONS else None


def _without(where: dict, names) -> dict:
    return {c: v for c, v in where.items() if c not in names}


def _rebuild(cols: tuple, inner_cols: tuple, inner: Rows | None, constants: dict) -> Rows | None:
    """Rows of `cols` from rows of `inner_cols` plus constant columns."""
    if inner is None:
        return None
    out: dict = {}
    for row in inner:
        values = dict(zip(inner_cols, row))
        out.setdefault(tuple(constants[c] if c in constants else values[c] for c in cols), None)
    return tuple(out)


def _literal_rows(node: Literal, cols: tuple, where: dict) -> Rows:
    seen: dict = {}
    for table in node.tables:
        index = {label: i for i, label in enumerate(table.labels)}
        for row in table.rows:
            if all((row[index[c]] if c in index else None) in allowed for c, allowed in where.items()):
                seen.setdefault(tuple(row[index[c]] if c in index else MISSING for c in cols), None)
    return tuple(seen)


def _through(node, cols, where):
    return _rows(node.inputs[0], cols, where)


def _range_rows(node: Range, cols: tuple, where: dict):
    # range() sets _start and _stop on every row (the bounds, as time cells).
    bounds = {"_start": node.start, "_stop": node.stop}
    if any(c in where and b not in where[c] for c, b in bounds.items()):
        return ()
    inner_cols = tuple(c for c in cols if c not in bounds)
    return _rebuild(cols, inner_cols, _rows(node.input, inner_cols, _without(where, bounds)), bounds)


def _window_rows(node: Window, cols: tuple, where: dict):
    bounds = (node.start_column, node.stop_column)
    if any(c in bounds for c in cols):
        return None  # window bounds are computed from the data
    return _rows(node.input, cols, _without(where, bounds))


def _filter_rows(node: Filter, cols: tuple, where: dict):
    narrowed = dict(where)
    for c in columns_used(node.predicate):
        allowed = allowed_values(node.predicate, c)
        if allowed is not None:
            narrowed[c] = narrowed[c] & allowed if c in narrowed else allowed
    return _rows(node.input, cols, narrowed)


def _project_rows(node: Project, cols: tuple, where: dict):
    exprs = dict(node.columns)
    inner_where: dict = {}
    for c, allowed in where.items():
        e = exprs.get(c)
        if isinstance(e, Col):
            inner_where[e.name] = inner_where[e.name] & allowed if e.name in inner_where else allowed
        elif isinstance(e, Lit) and _cell_of(e.value) not in allowed:
            return ()
    needed: dict = {}
    for c in cols:
        e = exprs.get(c)
        if e is None:
            return None
        for name in ([e.name] if isinstance(e, Col) else sorted(columns_used(e))):
            needed.setdefault(name, None)
    inner_cols = tuple(needed)
    inner = _rows(node.input, inner_cols, inner_where)
    if inner is None:
        return None
    types = {c: node.input.schema.type_of(c) for c in inner_cols}
    out: dict = {}
    for row in inner:
        cells = dict(zip(inner_cols, row))
        values = []
        for c in cols:
            e = exprs[c]
            if isinstance(e, Col):
                values.append(cells[e.name])
                continue
            env = {name: _flux_value(cells[name], types[name]) for name in inner_cols}
            try:
                values.append(_cell_of(fold_scalar(e, env)))
            except _CannotFold:
                return None
        out.setdefault(tuple(values), None)
    return tuple(out)


def _union_rows(node: Union, cols: tuple, where: dict):
    seen: dict = {}
    for stream in node.streams:
        present = tuple(c for c in cols if stream.schema.has(c))
        absent = {c: MISSING for c in cols if c not in present}
        if any(c in where and None not in where[c] for c in where if not stream.schema.has(c)):
            continue  # a column this stream lacks reads as null, which the filters refuse
        rows = _rebuild(cols, present, _rows(stream, present, _without(where, absent)), absent)
        if rows is None:
            return None
        seen.update(dict.fromkeys(rows))
    return tuple(seen)


def _aggregate_rows(node: Aggregate, cols: tuple, where: dict):
    key = node.schema.key
    if any(c not in key for c in cols):
        return None
    return _rows(node.input, cols, {c: v for c, v in where.items() if c in key})


def _pivot_rows(node: Pivot, cols: tuple, where: dict):
    new = dict(node.new_columns)
    kept = _without(where, new)
    made = [c for c in cols if c in new]
    if not made:
        return _rows(node.input, cols, kept)
    if len(made) > 1:
        return None  # cells of different new columns come from different input rows
    column = made[0]
    for c, v in zip(node.column_key, new[column]):
        kept[c] = kept[c] & {v} if c in kept else {v}
    others = tuple(c for c in cols if c != column)
    inner = _rows(node.input, others + (node.value_column,), kept)
    if inner is None:
        return None
    # (A row key without that combination leaves the cell null; that null is not listed.)
    out: dict = {}
    for row in inner:
        values = dict(zip(others, row))
        values[column] = row[-1]
        out.setdefault(tuple(values[c] for c in cols), None)
    return tuple(out)


def _distinct_rows(node: Distinct, cols: tuple, where: dict):
    source = tuple(node.column if c == "_value" else c for c in cols)
    return _rows(node.input, source, {c: v for c, v in where.items() if c in node.input.schema.key})


def _unpivot_rows(node: Unpivot, cols: tuple, where: dict):
    fields = tuple(f for f in node.value_columns if "_field" not in where or f in where["_field"])
    kept = _without(where, ("_field", "_value"))
    others = tuple(c for c in cols if c not in ("_field", "_value"))
    out: dict = {}
    for f in fields:
        inner = _rows(node.input, others + (f,), kept)
        if inner is None:
            return None
        for row in inner:
            if row[-1] is None or row[-1] is MISSING:
                continue  # unpivot skips null cells
            values = dict(zip(others, row))
            values["_field"], values["_value"] = f, row[-1]
            out.setdefault(tuple(values[c] for c in cols), None)
    return tuple(out)


def _join_rows(node: Join, cols: tuple, where: dict):
    exprs = dict(node.columns)
    sides = {LEFT: (node.left, ("right", "full")), RIGHT: (node.right, ("left", "full"))}
    picked: dict = {LEFT: [], RIGHT: []}
    for c in cols:
        e = exprs.get(c)
        prefix = next((p for p in sides if isinstance(e, Col) and e.name.startswith(p)), None)
        if prefix is None:
            return None
        picked[prefix].append((c, e.name[len(prefix):]))
    parts = []
    for prefix, pairs in picked.items():
        if not pairs:
            continue
        side, outer = sides[prefix]
        rows = _rows(side, tuple(name for _, name in pairs), {})
        if rows is None:
            return None
        if node.method in outer:  # rows of the other side without a match
            rows = tuple(dict.fromkeys(rows + (tuple(None for _ in pairs),)))
        parts.append(([c for c, _ in pairs], rows))
    combos = _product([rows for _, rows in parts])
    if combos is None:
        return None
    labels = [c for labels, _ in parts for c in labels]
    out: dict = {}
    for combo in combos:
        values = dict(zip(labels, (v for row in combo for v in row)))
        out.setdefault(tuple(values[c] for c in cols), None)
    return tuple(out)


_ROWS = {
    Literal: _literal_rows,
    Range: _range_rows,
    Filter: _filter_rows,
    Project: _project_rows,
    Group: _through,
    Sort: _through,
    Selector: _through,
    Window: _window_rows,
    Union: _union_rows,
    Aggregate: _aggregate_rows,
    Pivot: _pivot_rows,
    Distinct: _distinct_rows,
    Unpivot: _unpivot_rows,
    Join: _join_rows,
}


# ---------------------------------------------------------------- folding computed columns


class _CannotFold(Exception):
    pass


def _cell_of(value):
    from ..values import Time, UInt

    if isinstance(value, Time):
        return value.nanoseconds
    if isinstance(value, UInt):
        return value.value
    return value


def _flux_value(cell, t: FluxType | None):
    from ..values import Time, UInt

    if cell is None or cell is MISSING:
        return None
    if t == FluxType.TIME:
        return Time(cell)
    if t == FluxType.UINT:
        return UInt(cell)
    return cell


_UNARY = {"neg": "-", "not": "not", "exists": "exists"}
_BINARY = {"+", "-", "*", "/", "%", "^", "=~", "!~", "==", "!=", "<", "<=", ">", ">="}


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
        if len(args) == 2 and expr.fn in _BINARY:
            return operators.fold_binary(expr.fn, args[0], args[1], None)
        from ..functions.registry import SCALARS

        entry = SCALARS.get(expr.fn)
        if entry is not None and entry.fold is not None:
            return entry.fold(*args)
    except (FluxError, ValueError, TypeError, ArithmeticError):
        raise _CannotFold() from None
    raise _CannotFold()
