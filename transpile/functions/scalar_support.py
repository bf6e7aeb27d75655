"""Shared pieces of the scalar (per-row) function packages: strings, math, date, regexp, ...

Owns: SQL builder factories for registry `scalar()` entries, null-propagating folds,
Go's float formatting (`strconv.FormatFloat(v, 'f', -1, 64)`) both in Python and as a
DuckDB expression, SQL templates (fixed SQL text parsed once by sqlglot, arguments
substituted as expression trees, never as text), row arrays (functions such as
`strings.split` return an array per row that Flux code indexes: `strings.split(...)[0]`).

It must not know about plan nodes or tables.
"""
from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache
from typing import Callable

import sqlglot
from sqlglot import exp

from ..analyze.objects import RowValue
from ..analyze.operators import scalar_type, to_scalar
from ..errors import FluxSemanticError
from ..lower import sql
from ..scalar import Call
from ..types import FluxType
from .registry import SCALARS, ScalarFunction

# Go's unicode.IsSpace (Unicode White_Space): used by strings.trimSpace and friends.
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
RE2_GO_SPACE = r"[\t\n\v\f\r\x{85}\p{Z}]"


# ---------------------------------------------------------------- folds


def nullsafe(fold: Callable) -> Callable:
    """A fold that gives null when any argument is null (Flux functions of missing values)."""

    def wrapped(*args):
        if any(a is None for a in args):
            return None
        return fold(*args)

    wrapped.__name__ = getattr(fold, "__name__", "fold")
    return wrapped


def go_format_float(v: float) -> str:
    """strconv.FormatFloat(v, 'f', -1, 64): shortest digits that round-trip, never an exponent."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    text = format(Decimal(repr(v)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# ---------------------------------------------------------------- SQL builders


def fn_sql(name: str) -> Callable:
    """Builder for a DuckDB function of the same arguments: `fn_sql("upper")`."""
    return lambda args, types: sql.func(name, *args)


@lru_cache(maxsize=None)
def _parsed(text: str) -> exp.Expression:
    tree = sqlglot.parse_one(text, read=sql.DIALECT)
    # Lambda parameters shadow columns in DuckDB: give them names no Flux column uses, so a
    # column substituted into a lambda body (say one named "p") is never captured.
    for lam in tree.find_all(exp.Lambda):
        params = {p.name for p in lam.expressions}
        for ident in lam.find_all(exp.Identifier):
            if ident.name in params and not isinstance(ident.parent, exp.Column):
                ident.set("this", f"__{ident.name}")
    return tree


def template(text: str, **args: exp.Expression) -> exp.Expression:
    """Fixed SQL text (no user values) with columns named `$name` replaced by `args[name]`.

    Placeholders are written as identifiers `_0`, `_1`, ... or any name passed in `args`.
    """
    tree = _parsed(text).copy()

    def substitute(node):
        if isinstance(node, exp.Column) and not node.table and node.name in args:
            return args[node.name].copy()
        return node

    return tree.transform(substitute)


def template_sql(text: str, *names: str, strict: bool = False) -> Callable:
    """A registry `sql` builder from a template: positional args bound to `names`.

    `strict`: null when any argument is null (for templates that would otherwise turn a
    null into a value, e.g. through coalesce or CASE ... ELSE)."""

    def build(args, types):
        out = template(text, **{n: paren(a) for n, a in zip(names, args)})
        return null_if_any_null(out, args) if strict else out

    return build


def null_if_any_null(e: exp.Expression, args) -> exp.Expression:
    checks = [exp.Is(this=paren(a.copy()), expression=exp.Null()) for a in args if not isinstance(a, exp.Literal)]
    if not checks:
        return e
    test = checks[0]
    for c in checks[1:]:
        test = exp.Or(this=test, expression=c)
    return exp.Case(ifs=[exp.If(this=test, true=exp.Null())], default=e)


def paren(e: exp.Expression) -> exp.Expression:
    if isinstance(e, (exp.Column, exp.Literal, exp.Anonymous, exp.Cast, exp.Func, exp.Paren, exp.Null, exp.Boolean)):
        return e
    return exp.Paren(this=e)


def double(e: exp.Expression) -> exp.Expression:
    return sql.cast(e, FluxType.FLOAT)


def go_format_float_sql(e: exp.Expression) -> exp.Expression:
    """DuckDB expression equal to Go's strconv.FormatFloat(e, 'f', -1, 64).

    DuckDB's CAST(double AS VARCHAR) prints the shortest round-trip digits too, switching to
    an exponent (`1e+21`, `2.5e-05`) for large and small magnitudes and writing `1.0`
    for whole numbers: the exponent is expanded into plain digits and `.0` is dropped.
    """
    return template(_FORMAT_FLOAT, x=paren(e))


# `s`: the VARCHAR form; `m`: its mantissa without sign; `d`: mantissa digits; `p`: where
# the decimal point goes in `d` (digits before the point plus the exponent).
_FORMAT_FLOAT = """
CASE
  WHEN isnan(x) THEN 'NaN'
  WHEN isinf(x) AND x > 0 THEN '+Inf'
  WHEN isinf(x) THEN '-Inf'
  ELSE list_transform([CAST(x AS VARCHAR)], s ->
    CASE
      WHEN NOT contains(s, 'e') THEN
        CASE WHEN ends_with(s, '.0') THEN s[1:length(s) - 2] ELSE s END
      ELSE list_transform([ltrim(split_part(s, 'e', 1), '-')], m ->
        list_transform([replace(m, '.', '')], d ->
          list_transform([coalesce(nullif(strpos(m, '.'), 0) - 1, length(m)) + CAST(split_part(s, 'e', 2) AS BIGINT)], p ->
            CASE WHEN starts_with(s, '-') THEN '-' ELSE '' END ||
            CASE
              WHEN p >= length(d) THEN d || repeat('0', p - length(d))
              WHEN p <= 0 THEN '0.' || repeat('0', -p) || d
              ELSE d[1:p] || '.' || d[p + 1:]
            END
          )[1]
        )[1]
      )[1]
    END
  )[1]
END
"""


def byte_offset_sql(text: exp.Expression, char_position: exp.Expression) -> exp.Expression:
    """Go byte offset of the 1-based character position (0 = not found -> -1)."""
    return template(
        "CASE WHEN p = 0 THEN -1 ELSE strlen(substring(s, 1, p - 1)) END",
        s=paren(text),
        p=paren(char_position),
    )


# ---------------------------------------------------------------- row values


def is_row(*values) -> bool:
    return any(isinstance(v, RowValue) for v in values)


def row_call(qualified: str, values, result_type: FluxType | None, span=None) -> RowValue:
    """The per-row call of a registered scalar entry over constant or row values."""
    return RowValue(Call(qualified, tuple(to_scalar(v, span) for v in values), result_type))


def register_sql(qualified: str, sql_builder: Callable, returns=None) -> None:
    """Register the SQL of an internal per-row call (not visible as a Flux name)."""
    pkg, _, name = qualified.rpartition(".")
    SCALARS[qualified] = ScalarFunction(pkg, name, (), returns, sql_builder, None, {})


# Row arrays: the call that builds an array per row carries its element type; the names
# of such calls are kept here so that indexing can check it has an array.
ROW_ARRAY_CALLS: set[str] = set()
INDEX_CALL = "flux2sql.array_index"


def index_row_value(obj, index, span):
    """`arr[i]` where `arr` is computed per row (e.g. `strings.split(v: r.x, t: " ")[0]`)."""
    if not isinstance(obj, RowValue) or not isinstance(obj.scalar, Call) or obj.scalar.fn not in ROW_ARRAY_CALLS:
        raise FluxSemanticError("only arrays can be indexed", span)
    if isinstance(index, bool) or not isinstance(index, (int, RowValue)):
        raise FluxSemanticError("an array index must be an int", span)
    if isinstance(index, int) and index < 0:
        raise FluxSemanticError(f"index {index} out of bounds", span)
    idx = to_scalar(index, span)
    return RowValue(Call(INDEX_CALL, (obj.scalar, idx), scalar_type(obj.scalar)))


def _index_sql(args, types):
    # Flux arrays are 0-based, DuckDB lists 1-based.
    return sql.func("list_extract", args[0], exp.Add(this=paren(args[1]), expression=exp.Literal.number(1)))


register_sql(INDEX_CALL, _index_sql)
