"""Flux's `math` package: Go's `math` functions and constants, folded or lowered to DuckDB.

https://docs.influxdata.com/flux/v0/stdlib/math/ . Go returns NaN or ±Inf where Python
raises (math.log(0), math.sqrt(-1), overflow), so folds map those cases to Go's values;
DuckDB's functions already return them (note DuckDB's `log` is log10: Go's Log is `ln`).
`math.round` rounds half away from zero (DuckDB's round of a DOUBLE does too), `mMax`/`mMin`
follow Go's Max/Min (NaN wins, +Inf wins for Max). Functions returning records (frexp,
lgamma, modf, sincos) give a record whose fields are computed per row.

Not available per row in SQL (folded on constants only): erf, erfc, erfinv, erfcinv,
float64bits, float64frombits, frexp, ilogb, logb, lgamma, expm1 precision; Bessel
functions (j0, j1, jn, y0, y1, yn) are not implemented.
"""
from __future__ import annotations

import math as pymath
import struct
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from statistics import NormalDist

from sqlglot import exp

from ..analyze.objects import Record
from ..lower import sql
from ..types import FluxType
from ..values import UInt
from .registry import constant, flux_function, scalar
from .scalar_support import double, fn_sql, is_row, nullsafe, register_sql, row_call, template_sql

PKG = "math"
FLOAT, INT, BOOL, UINT = FluxType.FLOAT, FluxType.INT, FluxType.BOOL, FluxType.UINT
NAN, INF = float("nan"), float("inf")


# ---------------------------------------------------------------- Go semantics in Python


def _go(fn, on_domain_error=NAN):
    """Python math function with Go's results where Python raises."""

    def call(*args):
        args = tuple(float(a) for a in args)
        try:
            return fn(*args)
        except ValueError:
            return on_domain_error(*args) if callable(on_domain_error) else on_domain_error
        except OverflowError:
            return pymath.copysign(INF, args[0]) if fn in (pymath.sinh,) else INF

    return call


def _log_domain(x, *_):
    return -INF if x == 0 else NAN


def go_round(x: float, rounding=ROUND_HALF_UP) -> float:
    if pymath.isnan(x) or pymath.isinf(x):
        return x
    return pymath.copysign(float(Decimal(x).quantize(Decimal(1), rounding=rounding)), x)


def go_max(x: float, y: float) -> float:
    if pymath.isinf(x) and x > 0 or pymath.isinf(y) and y > 0:
        return INF
    if pymath.isnan(x) or pymath.isnan(y):
        return NAN
    if x == 0 and y == 0:
        return y if pymath.copysign(1, x) < 0 else x
    return max(x, y)


def go_min(x: float, y: float) -> float:
    if pymath.isinf(x) and x < 0 or pymath.isinf(y) and y < 0:
        return -INF
    if pymath.isnan(x) or pymath.isnan(y):
        return NAN
    if x == 0 and y == 0:
        return x if pymath.copysign(1, x) < 0 else y
    return min(x, y)


def go_pow(x: float, y: float) -> float:
    x, y = float(x), float(y)
    try:
        return pymath.pow(x, y)
    except OverflowError:
        odd = y.is_integer() and int(y) % 2 == 1
        return -INF if x < 0 and odd else INF
    except ValueError:
        if x == 0 and y < 0:
            odd = y.is_integer() and int(y) % 2 == 1
            return pymath.copysign(INF, x) if odd else INF
        return NAN


def go_gamma(x: float) -> float:
    if x == 0:
        return pymath.copysign(INF, x)
    if x < 0 and x.is_integer() or x == -INF:
        return NAN
    try:
        return pymath.gamma(x)
    except OverflowError:
        return INF


def go_dim(x: float, y: float) -> float:
    v = x - y
    if pymath.isnan(v):
        return NAN
    return v if v > 0 else 0.0


def go_is_inf(f: float, sign: int) -> bool:
    return sign >= 0 and f == INF or sign <= 0 and f == -INF


def go_erfinv(x: float) -> float:
    if x == 1:
        return INF
    if x == -1:
        return -INF
    if not -1 < x < 1:
        return NAN
    return NormalDist().inv_cdf((x + 1) / 2) / pymath.sqrt(2)


def go_ilogb(x: float) -> int:
    if x == 0:
        return -(1 << 31)
    if pymath.isnan(x) or pymath.isinf(x):
        return (1 << 31) - 1
    return pymath.frexp(x)[1] - 1


def go_logb(x: float) -> float:
    if x == 0:
        return -INF
    if pymath.isinf(x):
        return INF
    if pymath.isnan(x):
        return x
    return float(pymath.frexp(x)[1] - 1)


def go_pow10(n: int) -> float:
    if n < -323:
        return 0.0
    if n > 308:
        return INF
    return float(Decimal(10) ** n)


def go_lgamma(x: float) -> tuple[float, int]:
    try:
        value = pymath.lgamma(x)
    except ValueError:
        return INF, 1
    sign = -1 if x < 0 and not x.is_integer() and int(pymath.floor(x)) % 2 == 1 else 1
    return value, sign


# ---------------------------------------------------------------- SQL


def _float_args(builder):
    """Cast int/uint arguments to DOUBLE before the builder sees them."""

    def build(args, types):
        return builder([double(a) if t in (INT, UINT) else a for a, t in zip(args, types)], types)

    return build


def _f(name: str):
    return _float_args(fn_sql(name))


def _t(text: str, *names: str, strict: bool = False):
    return _float_args(template_sql(text, *names, strict=strict))


_MAX = _t("CASE WHEN x = 'inf'::DOUBLE OR y = 'inf'::DOUBLE THEN 'inf'::DOUBLE WHEN isnan(x) OR isnan(y) THEN 'nan'::DOUBLE"
          " WHEN x = 0 AND y = 0 THEN CASE WHEN signbit(x) THEN y ELSE x END ELSE greatest(x, y) END", "x", "y", strict=True)
_MIN = _t("CASE WHEN x = '-inf'::DOUBLE OR y = '-inf'::DOUBLE THEN '-inf'::DOUBLE WHEN isnan(x) OR isnan(y) THEN 'nan'::DOUBLE"
          " WHEN x = 0 AND y = 0 THEN CASE WHEN signbit(x) THEN x ELSE y END ELSE least(x, y) END", "x", "y", strict=True)

# name, params, returns, sql, fold
_TABLE = [
    ("abs", ("x",), FLOAT, _f("abs"), _go(abs)),
    ("acos", ("x",), FLOAT, _f("acos"), _go(pymath.acos)),
    ("acosh", ("x",), FLOAT, _f("acosh"), _go(pymath.acosh)),
    ("asin", ("x",), FLOAT, _f("asin"), _go(pymath.asin)),
    ("asinh", ("x",), FLOAT, _f("asinh"), _go(pymath.asinh)),
    ("atan", ("x",), FLOAT, _f("atan"), _go(pymath.atan)),
    ("atan2", ("y", "x"), FLOAT, _f("atan2"), _go(pymath.atan2)),
    ("atanh", ("x",), FLOAT, _f("atanh"), _go(pymath.atanh, lambda x: pymath.copysign(INF, x) if abs(x) == 1 else NAN)),
    ("cbrt", ("x",), FLOAT, _f("cbrt"), _go(pymath.cbrt)),
    ("ceil", ("x",), FLOAT, _f("ceil"), _go(lambda x: x if not pymath.isfinite(x) else float(pymath.ceil(x)))),
    ("copysign", ("x", "y"), FLOAT, _t("CASE WHEN signbit(y) THEN -abs(x) ELSE abs(x) END", "x", "y", strict=True), _go(pymath.copysign)),
    ("cos", ("x",), FLOAT, _f("cos"), _go(pymath.cos)),
    ("cosh", ("x",), FLOAT, _t("(exp(x) + exp(-x)) / 2", "x"), _go(pymath.cosh)),
    ("dim", ("x", "y"), FLOAT, _t("CASE WHEN isnan(x - y) THEN 'nan'::DOUBLE WHEN x - y <= 0 THEN 0.0 ELSE x - y END", "x", "y"), _go(go_dim)),
    ("erf", ("x",), FLOAT, None, _go(pymath.erf)),
    ("erfc", ("x",), FLOAT, None, _go(pymath.erfc)),
    ("erfinv", ("x",), FLOAT, None, _go(go_erfinv)),
    ("erfcinv", ("x",), FLOAT, None, _go(lambda x: go_erfinv(1 - x))),
    ("exp", ("x",), FLOAT, _f("exp"), _go(pymath.exp)),
    ("exp2", ("x",), FLOAT, _t("pow(2.0, x)", "x"), _go(lambda x: go_pow(2.0, x))),
    ("expm1", ("x",), FLOAT, _t("exp(x) - 1", "x"), _go(pymath.expm1)),
    ("floor", ("x",), FLOAT, _f("floor"), _go(lambda x: x if not pymath.isfinite(x) else float(pymath.floor(x)))),
    ("gamma", ("x",), FLOAT, _f("gamma"), _go(go_gamma)),
    ("hypot", ("p", "q"), FLOAT, _t("CASE WHEN isinf(p) OR isinf(q) THEN 'inf'::DOUBLE ELSE sqrt(p * p + q * q) END", "p", "q"), _go(pymath.hypot)),
    ("ilogb", ("x",), INT, None, lambda x: go_ilogb(float(x))),
    ("isInf", ("f", "sign"), BOOL, template_sql("CASE WHEN sign >= 0 AND f = 'inf'::DOUBLE THEN true WHEN sign <= 0 AND f = '-inf'::DOUBLE THEN true ELSE false END", "f", "sign", strict=True), go_is_inf),
    ("isNaN", ("f",), BOOL, _f("isnan"), lambda f: pymath.isnan(f)),
    ("ldexp", ("frac", "exp"), FLOAT, template_sql("frac * pow(2.0, exp)", "frac", "exp"), _go(lambda f, e: pymath.ldexp(f, int(e)))),
    ("log", ("x",), FLOAT, _f("ln"), _go(pymath.log, _log_domain)),
    ("log10", ("x",), FLOAT, _f("log10"), _go(pymath.log10, _log_domain)),
    ("log1p", ("x",), FLOAT, _t("ln(1 + x)", "x"), _go(pymath.log1p, lambda x: -INF if x == -1 else NAN)),
    ("log2", ("x",), FLOAT, _f("log2"), _go(pymath.log2, _log_domain)),
    ("logb", ("x",), FLOAT, None, _go(go_logb)),
    ("mMax", ("x", "y"), FLOAT, _MAX, _go(go_max)),
    ("mMin", ("x", "y"), FLOAT, _MIN, _go(go_min)),
    ("mod", ("x", "y"), FLOAT, _t("x % y", "x", "y"), _go(pymath.fmod)),  # DuckDB's fmod() is not C's fmod
    ("nextafter", ("x", "y"), FLOAT, _f("nextafter"), _go(pymath.nextafter)),
    ("pow", ("x", "y"), FLOAT, _f("pow"), go_pow),
    ("pow10", ("n",), FLOAT, template_sql("CASE WHEN n < -323 THEN 0.0 WHEN n > 308 THEN 'inf'::DOUBLE ELSE CAST(concat('1e', n) AS DOUBLE) END", "n", strict=True), go_pow10),
    ("remainder", ("x", "y"), FLOAT, _t("x - y * round_even(x / y, 0)", "x", "y"), _go(pymath.remainder)),
    ("round", ("x",), FLOAT, _f("round"), _go(go_round)),
    ("roundtoeven", ("x",), FLOAT, _float_args(lambda a, t: sql.func("round_even", a[0], exp.Literal.number(0))), _go(lambda x: go_round(x, ROUND_HALF_EVEN))),
    ("signbit", ("x",), BOOL, _f("signbit"), lambda x: pymath.copysign(1, x) < 0),
    ("sin", ("x",), FLOAT, _f("sin"), _go(pymath.sin)),
    ("sinh", ("x",), FLOAT, _t("(exp(x) - exp(-x)) / 2", "x"), _go(pymath.sinh)),
    ("sqrt", ("x",), FLOAT, _f("sqrt"), _go(pymath.sqrt)),
    ("tan", ("x",), FLOAT, _f("tan"), _go(pymath.tan)),
    ("tanh", ("x",), FLOAT, _t("CASE WHEN x > 20 THEN 1.0 WHEN x < -20 THEN -1.0 ELSE (exp(2 * x) - 1) / (exp(2 * x) + 1) END", "x"), _go(pymath.tanh)),
    ("trunc", ("x",), FLOAT, _f("trunc"), _go(lambda x: x if not pymath.isfinite(x) else float(pymath.trunc(x)))),
    (
        "float64bits",
        ("f",),
        UINT,
        None,
        lambda f: UInt(struct.unpack("<Q", struct.pack("<d", f))[0]),
    ),
    (
        "float64frombits",
        ("b",),
        FLOAT,
        None,
        lambda b: struct.unpack("<d", struct.pack("<Q", b.value if isinstance(b, UInt) else b))[0],
    ),
]

for _name, _params, _returns, _sql, _fold in _TABLE:
    scalar(PKG, _name, _params, _returns, sql=_sql, fold=nullsafe(_fold))

scalar(PKG, "NaN", (), FLOAT, sql=lambda a, t: sql.literal(NAN, FLOAT), fold=lambda: NAN)
scalar(
    PKG,
    "mInf",
    ("sign",),
    FLOAT,
    sql=template_sql("CASE WHEN sign >= 0 THEN 'inf'::DOUBLE ELSE '-inf'::DOUBLE END", "sign", strict=True),
    fold=nullsafe(lambda sign: INF if sign >= 0 else -INF),
)


# ---------------------------------------------------------------- functions returning records


register_sql("math.modf_int", _t("trunc(x)", "x"), FLOAT)
register_sql("math.modf_frac", _t("CASE WHEN isinf(x) THEN 'nan'::DOUBLE ELSE x - trunc(x) END", "x"), FLOAT)


@flux_function(PKG, pipe=None)
def modf(ctx, f):
    """math.modf(f): {int, frac}, the integer and fractional parts of f (same sign)."""
    if is_row(f):
        return Record({"int": row_call("math.modf_int", (f,), FLOAT), "frac": row_call("math.modf_frac", (f,), FLOAT)})
    frac, whole = pymath.modf(float(f))
    return Record({"int": whole, "frac": NAN if pymath.isinf(f) else frac})


@flux_function(PKG, pipe=None)
def sincos(ctx, x):
    """math.sincos(x): {sin, cos} of x."""
    if is_row(x):
        return Record({"sin": row_call("math.sin", (x,), FLOAT), "cos": row_call("math.cos", (x,), FLOAT)})
    return Record({"sin": _go(pymath.sin)(x), "cos": _go(pymath.cos)(x)})


@flux_function(PKG, pipe=None)
def frexp(ctx, f):
    """math.frexp(f): {frac, exp} with f == frac * 2^exp and 0.5 <= |frac| < 1."""
    if is_row(f):
        raise ctx.unsupported("frexp of a row value is not supported in SQL", "f")
    if f == 0 or pymath.isnan(f) or pymath.isinf(f):
        return Record({"frac": float(f), "exp": 0})
    frac, e = pymath.frexp(f)
    return Record({"frac": frac, "exp": e})


@flux_function(PKG, pipe=None)
def lgamma(ctx, x):
    """math.lgamma(x): {lgamma, sign}: the natural log of |Gamma(x)| and the sign of Gamma(x)."""
    if is_row(x):
        return Record({"lgamma": row_call("math.lgamma_value", (x,), FLOAT), "sign": row_call("math.lgamma_sign", (x,), INT)})
    value, sign = go_lgamma(float(x))
    return Record({"lgamma": value, "sign": sign})


register_sql("math.lgamma_value", _f("lgamma"), FLOAT)
register_sql(
    "math.lgamma_sign",
    _t("CASE WHEN x < 0 AND x <> floor(x) AND CAST(floor(x) AS BIGINT) % 2 <> 0 THEN -1 ELSE 1 END", "x", strict=True),
    INT,
)


# ---------------------------------------------------------------- constants (Go's math package)

for _name, _value in {
    "e": pymath.e,
    "pi": pymath.pi,
    "phi": (1 + pymath.sqrt(5)) / 2,
    "sqrt2": pymath.sqrt(2),
    "sqrte": pymath.sqrt(pymath.e),
    "sqrtpi": pymath.sqrt(pymath.pi),
    "sqrtphi": pymath.sqrt((1 + pymath.sqrt(5)) / 2),
    "ln2": pymath.log(2),
    "log2e": 1 / pymath.log(2),
    "ln10": pymath.log(10),
    "log10e": 1 / pymath.log(10),
    "maxfloat": 1.7976931348623157e308,
    "smallestNonzeroFloat": 5e-324,
    "maxint": (1 << 63) - 1,
    "minint": -(1 << 63),
    "maxuint": UInt((1 << 64) - 1),
}.items():
    constant(PKG, _name, _value)
