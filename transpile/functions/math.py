"""Flux's `math` package: Go's `math` functions and constants, folded or lowered to DuckDB.

https://docs.influxdata.com/flux/v0/stdlib/math/ . Go returns NaN or ±Inf where Python
raises (math.log(0), math.sqrt(-1), overflow), so folds map those cases to Go's values;
DuckDB's functions already return them (note DuckDB's `log` is log10: Go's Log is `ln`).
`math.round` rounds half away from zero (DuckDB's round of a DOUBLE does too), `mMax`/`mMin`
follow Go's Max/Min (NaN wins, +Inf wins for Max). Functions returning records (frexp,
lgamma, modf, sincos) give a record whose fields are computed per row.

Where a textbook formula loses precision (expm1 and log1p near 0, sinh and tanh near 0,
hypot of large or tiny values, remainder as x - y*n), the SQL and the fold compute the same
well-conditioned formula, so a constant and a column give the same float: the results agree
with the documented examples of the Flux math pages (e.g. expm1(x: 0.022),
hypot(p: 2.0, q: 5.0), cbrt(x: 1728.0)). Bit-level functions (float64bits, float64frombits,
ilogb, logb, frexp) are exact arithmetic on powers of two in SQL.

Not available per row in SQL (folded on constants only): erf, erfc, erfinv, erfcinv.
Bessel functions (j0, j1, jn, y0, y1, yn) are not implemented.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math as pymath
import struct
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from statistics import NormalDist

from sqlglot import exp

from ..analyze.objects import Record
from ..lower import sql
from ..types import FluxType
from ..values import UInt
from .registry import LIMITS, constant, flux_function, scalar
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


def _libm(name: str):
    """The C math library's `double name(double)`: the function DuckDB's SQL of the same name
    calls, so a fold and its SQL give the same float (CPython's math.gamma and math.lgamma are
    its own code, a few ulps away). None where the library cannot be loaded."""
    try:
        fn = getattr(ctypes.CDLL(ctypes.util.find_library("m")), name)
    except (OSError, AttributeError, TypeError):
        return None
    fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_double]
    return fn


_TGAMMA, _LGAMMA = _libm("tgamma"), _libm("lgamma")


def go_gamma(x: float) -> float:
    if x == 0:
        return pymath.copysign(INF, x)
    if x < 0 and x.is_integer() or x == -INF:
        return NAN
    if _TGAMMA is not None:
        return _TGAMMA(x)
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
    if x == 0:
        return x
    # Normal quantile of (x + 1)/2, then Newton steps on erf(y) = x: (x + 1)/2 drops the low
    # digits of a small x (erfinv(1e-20) would be 0).
    y = NormalDist().inv_cdf((x + 1) / 2) / pymath.sqrt(2) if abs(x) > 1e-8 else x * pymath.sqrt(pymath.pi) / 2
    if abs(x) < 0.9:
        for _ in range(2):
            y -= (pymath.erf(y) - x) / (2 / pymath.sqrt(pymath.pi) * pymath.exp(-y * y))
    return y


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
    """Go's Lgamma: (log|Gamma(x)|, sign of Gamma(x)); Lgamma(±Inf) = ±Inf, and +Inf with sign
    1 at 0 and the negative integers."""
    if pymath.isinf(x) or pymath.isnan(x):
        return x, 1
    if x == 0 or x < 0 and x.is_integer():
        return INF, 1
    value = _LGAMMA(x) if _LGAMMA is not None else pymath.lgamma(x)
    sign = -1 if x < 0 and int(pymath.floor(x)) % 2 == 1 else 1
    return value, sign


# Odd Taylor series of sinh (x + x^3/3! + ... + x^17/17!) in Horner form: exact to the last
# bit for |x| <= 0.625, where exp(x) - exp(-x) loses the leading digits to cancellation.
_SINH_DENOMINATORS = [(2 * k) * (2 * k + 1) for k in range(1, 9)]


def _sinh_series(x: float) -> float:
    s = x * x
    acc = 1.0
    for d in reversed(_SINH_DENOMINATORS):
        acc = 1 + s / d * acc
    return x * acc


def go_sinh(x: float) -> float:
    """sinh as Go computes it by ranges: a series near 0, (e - 1/e)/2, then e/2 past 21."""
    a = abs(x)
    if a <= 0.5:
        return _sinh_series(x)
    e = pymath.exp(a) if a <= 709.78 else INF
    r = e * 0.5 if a > 21 else (e - 1 / e) * 0.5
    return -r if x < 0 else r


def go_cosh(x: float) -> float:
    a = abs(x)
    e = pymath.exp(a) if a <= 709.78 else INF
    return e * 0.5 if a > 21 else (e + 1 / e) * 0.5


def go_tanh(x: float) -> float:
    a = abs(x)
    if a < 0.625:
        sh = _sinh_series(x)
        return sh / pymath.sqrt(1 + sh * sh)
    s = pymath.exp(2 * a) if a <= 354 else INF
    r = 1 - 2 / (s + 1)
    return -r if x < 0 else r


def go_expm1(x: float) -> float:
    """e**x - 1 by Kahan's formula (u - 1) * x / log(u), u = exp(x): no cancellation near 0."""
    u = pymath.exp(x) if x <= 709.78 else INF
    if u == 1:
        return x
    if u - 1 == -1 or pymath.isinf(u):
        return u - 1
    return (u - 1) * (x / pymath.log(u))


def go_log1p(x: float) -> float:
    """log(1 + x) by Goldberg's formula log(w) * x / (w - 1), w = 1 + x: exact near 0."""
    w = 1 + x
    if w == 1 or x == INF or pymath.isnan(x):
        return x
    if w == 0:
        return -INF
    if w < 0:
        return NAN
    return pymath.log(w) * (x / (w - 1))


# Go computes Log10(x) as Log(x) * (1/Ln10) and Log2 from Frexp as Log(frac) * (1/Ln2) + exp
# (exact at powers of two); these floats are 1/Ln10 and 1/Ln2 rounded once. The C library's
# log10 and log2 differ in the last bit: Flux documents log10(x: 3.14) = 0.4969296480732149
# and log2(x: 3.14) = 1.6507645591169022.
INV_LN10, INV_LN2 = 0.4342944819032518, 1.4426950408889634


def go_log10(x: float) -> float:
    return _go(pymath.log, _log_domain)(x) * INV_LN10


def go_log2(x: float) -> float:
    if x <= 0 or pymath.isinf(x) or pymath.isnan(x):
        return _go(pymath.log, _log_domain)(x) * INV_LN2
    frac, e = pymath.frexp(x)
    return float(e - 1) if frac == 0.5 else pymath.log(frac) * INV_LN2 + e


def go_cbrt(x: float) -> float:
    """The C library's cbrt is off by an ulp (cbrt(1728) = 12.000000000000002); one Newton
    step y - (y^3 - x) / 3y^2 brings it to Go's 12."""
    y = pymath.cbrt(x)
    if 1e-290 <= abs(x) <= 1e290:
        y = y - (y * y * y - x) / (3 * y * y)
    return y


def go_hypot(p: float, q: float) -> float:
    """Go's Hypot: max * sqrt(1 + (min/max)^2), no overflow or underflow in p*p + q*q."""
    p, q = abs(p), abs(q)
    if pymath.isinf(p) or pymath.isinf(q):
        return INF
    if pymath.isnan(p) or pymath.isnan(q):
        return NAN
    p, q = max(p, q), min(p, q)
    if p == 0:
        return 0.0
    q = q / p
    return p * pymath.sqrt(1 + q * q)


def go_ldexp(frac: float, e: int) -> float:
    if frac == 0 or pymath.isinf(frac) or pymath.isnan(frac):
        return frac
    try:
        return pymath.ldexp(frac, max(min(int(e), 5000), -5000))
    except OverflowError:
        return pymath.copysign(INF, frac)


# Go's math.NaN() is Float64frombits(0x7FF8000000000001); a NaN has no other bits in Flux.
GO_NAN_BITS = 0x7FF8000000000001


def go_float64bits(f: float) -> UInt:
    return UInt(GO_NAN_BITS if pymath.isnan(f) else struct.unpack("<Q", struct.pack("<d", f))[0])


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

def _sinh_series_sql(v: str) -> str:
    """SQL text of _sinh_series over the expression text `v`."""
    acc = "1"
    for d in reversed(_SINH_DENOMINATORS):
        acc = f"(1 + {v} * {v} / {d} * {acc})"
    return f"({v} * {acc})"


# The binary exponent of a finite non-zero x (Go's Ilogb): floor(log2|x|) corrected by one
# where log2 rounds across a power of two. A is |x| with 1 standing in for 0, ±Inf and NaN
# so that the expression is defined on every row.
_A = "(CASE WHEN isfinite(x) AND x <> 0 THEN abs(x) ELSE 1.0 END)"
_E0 = f"floor(log2({_A}))"
_EXPONENT = (f"(CAST({_E0} AS INTEGER) - CASE WHEN pow(2.0, {_E0}) > {_A} THEN 1 ELSE 0 END"
             f" + CASE WHEN pow(2.0, {_E0} + 1) <= {_A} THEN 1 ELSE 0 END)")
_SIGN_BIT = "CAST(CASE WHEN signbit(x) THEN 9223372036854775808 ELSE 0 END AS UBIGINT)"
_BITS = (f"CASE WHEN isnan(x) THEN CAST({GO_NAN_BITS} AS UBIGINT)"
         f" WHEN isinf(x) THEN {_SIGN_BIT} + CAST(9218868437227405312 AS UBIGINT)"
         f" WHEN x = 0 THEN {_SIGN_BIT}"
         f" WHEN {_EXPONENT} < -1022 THEN {_SIGN_BIT} + CAST(abs(x) * pow(2.0, 1022) * 4503599627370496 AS UBIGINT)"
         f" ELSE {_SIGN_BIT} + CAST({_EXPONENT} + 1023 AS UBIGINT) * CAST(4503599627370496 AS UBIGINT)"
         f" + CAST((abs(x) * pow(2.0, -{_EXPONENT}) - 1) * 4503599627370496 AS UBIGINT) END")
# Sign, biased exponent and mantissa of the bits b; (2^52 + m) * 2^(e - 1075) and
# m * 2^-1074 are exact products.
_FROM_BITS = ("CASE WHEN ((b >> 52) & 2047) = 2047 THEN CASE WHEN (b & 4503599627370495) <> 0 THEN 'nan'::DOUBLE"
              " WHEN (b >> 63) = 1 THEN '-inf'::DOUBLE ELSE 'inf'::DOUBLE END"
              " ELSE CASE WHEN (b >> 63) = 1 THEN -1.0 ELSE 1.0 END * CASE WHEN ((b >> 52) & 2047) = 0"
              " THEN CAST(b & 4503599627370495 AS DOUBLE) * pow(2.0, -1074)"
              " ELSE CAST((b & 4503599627370495) + 4503599627370496 AS DOUBLE) * pow(2.0, CAST((b >> 52) & 2047 AS INTEGER) - 1075)"
              " END END")
# IEEE remainder (Go's Remainder) without rounding: r = |x| mod 2|y| is exact, then |y| is
# taken off once or twice while r > |y|/2 (compared as r > |y| - r, exact by Sterbenz).
_R = "(abs(x) % (2 * abs(y)))"
_R1 = f"({_R} - abs(y))"
_REMAINDER = ("CASE WHEN isnan(x) OR isnan(y) OR isinf(x) OR y = 0 THEN 'nan'::DOUBLE WHEN isinf(y) THEN x"
              f" ELSE CASE WHEN signbit(x) THEN -1.0 ELSE 1.0 END * CASE WHEN {_R} > abs(y) - {_R}"
              f" THEN CASE WHEN {_R1} >= abs(y) - {_R1} THEN {_R1} - abs(y) ELSE {_R1} END ELSE {_R} END END")
_HYPOT = ("CASE WHEN isinf(p) OR isinf(q) THEN 'inf'::DOUBLE WHEN isnan(p) OR isnan(q) THEN 'nan'::DOUBLE"
          " WHEN greatest(abs(p), abs(q)) = 0 THEN 0.0"
          " ELSE greatest(abs(p), abs(q)) * sqrt(1 + (least(abs(p), abs(q)) / greatest(abs(p), abs(q)))"
          " * (least(abs(p), abs(q)) / greatest(abs(p), abs(q)))) END")
_LOG2 = (f"CASE WHEN x <= 0 OR isinf(x) OR isnan(x) THEN ln(x) * {INV_LN2}"
         f" WHEN x / pow(2.0, {_EXPONENT}) = 1 THEN CAST({_EXPONENT} AS DOUBLE)"
         f" ELSE ln(x / pow(2.0, {_EXPONENT}) / 2) * {INV_LN2} + ({_EXPONENT} + 1) END")
_CBRT = "CASE WHEN abs(x) BETWEEN 1e-290 AND 1e290 THEN cbrt(x) - (cbrt(x) * cbrt(x) * cbrt(x) - x) / (3 * cbrt(x) * cbrt(x)) ELSE cbrt(x) END"
_SINH = (f"CASE WHEN abs(x) <= 0.5 THEN {_sinh_series_sql('x')}"
         " ELSE CASE WHEN x < 0 THEN -1.0 ELSE 1.0 END * CASE WHEN abs(x) > 21 THEN exp(abs(x)) * 0.5"
         " ELSE (exp(abs(x)) - 1 / exp(abs(x))) * 0.5 END END")
_COSH = "CASE WHEN abs(x) > 21 THEN exp(abs(x)) * 0.5 ELSE (exp(abs(x)) + 1 / exp(abs(x))) * 0.5 END"
_TANH = (f"CASE WHEN abs(x) < 0.625 THEN {_sinh_series_sql('x')} / sqrt(1 + {_sinh_series_sql('x')} * {_sinh_series_sql('x')})"
         " ELSE CASE WHEN x < 0 THEN -1.0 ELSE 1.0 END * (1 - 2 / (exp(2 * abs(x)) + 1)) END")
_EXPM1 = ("CASE WHEN exp(x) = 1 THEN x WHEN exp(x) - 1 = -1 OR isinf(exp(x)) THEN exp(x) - 1"
          " ELSE (exp(x) - 1) * (x / ln(exp(x))) END")
_LOG1P = ("CASE WHEN 1 + x = 1 OR x = 'inf'::DOUBLE THEN x WHEN 1 + x = 0 THEN '-inf'::DOUBLE"
          " ELSE ln(1 + x) * (x / ((1 + x) - 1)) END")
# ldexp in two halves: 2^exp alone under- or overflows for exponents a subnormal or huge
# fraction brings back in range (Go's Ldexp(1024, -1080) = 2^-1070).
_LDEXP = ("CASE WHEN frac = 0 OR isinf(frac) OR isnan(frac) THEN frac"
          " ELSE frac * pow(2.0, CAST(greatest(least(exp, 5000), -5000) AS BIGINT) // 2)"
          " * pow(2.0, CAST(greatest(least(exp, 5000), -5000) AS BIGINT) - CAST(greatest(least(exp, 5000), -5000) AS BIGINT) // 2) END")


def _uint_arg(builder):
    def build(args, types):
        return builder([sql.cast(a, UINT) if t == INT else a for a, t in zip(args, types)], types)

    return build


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
    ("cbrt", ("x",), FLOAT, _t(_CBRT, "x"), _go(go_cbrt)),
    ("ceil", ("x",), FLOAT, _f("ceil"), _go(lambda x: x if not pymath.isfinite(x) else pymath.copysign(float(pymath.ceil(x)), x))),
    ("copysign", ("x", "y"), FLOAT, _t("CASE WHEN signbit(y) THEN -abs(x) ELSE abs(x) END", "x", "y", strict=True), _go(pymath.copysign)),
    ("cos", ("x",), FLOAT, _f("cos"), _go(pymath.cos)),
    ("cosh", ("x",), FLOAT, _t(_COSH, "x"), _go(go_cosh)),
    ("dim", ("x", "y"), FLOAT, _t("CASE WHEN isnan(x - y) THEN 'nan'::DOUBLE WHEN x - y <= 0 THEN 0.0 ELSE x - y END", "x", "y"), _go(go_dim)),
    ("erf", ("x",), FLOAT, None, _go(pymath.erf)),
    ("erfc", ("x",), FLOAT, None, _go(pymath.erfc)),
    ("erfinv", ("x",), FLOAT, None, _go(go_erfinv)),
    ("erfcinv", ("x",), FLOAT, None, _go(lambda x: go_erfinv(1 - x))),
    ("exp", ("x",), FLOAT, _f("exp"), _go(pymath.exp)),
    ("exp2", ("x",), FLOAT, _t("pow(2.0, x)", "x"), _go(lambda x: go_pow(2.0, x))),
    ("expm1", ("x",), FLOAT, _t(_EXPM1, "x"), _go(go_expm1)),
    ("floor", ("x",), FLOAT, _f("floor"), _go(lambda x: x if not pymath.isfinite(x) else pymath.copysign(float(pymath.floor(x)), x))),
    ("gamma", ("x",), FLOAT, _f("gamma"), _go(go_gamma)),
    ("hypot", ("p", "q"), FLOAT, _t(_HYPOT, "p", "q", strict=True), _go(go_hypot)),
    ("ilogb", ("x",), INT, _t(f"CASE WHEN x = 0 THEN -2147483648 WHEN isnan(x) OR isinf(x) THEN 2147483647 ELSE {_EXPONENT} END", "x", strict=True), lambda x: go_ilogb(float(x))),
    ("isInf", ("f", "sign"), BOOL, template_sql("CASE WHEN sign >= 0 AND f = 'inf'::DOUBLE THEN true WHEN sign <= 0 AND f = '-inf'::DOUBLE THEN true ELSE false END", "f", "sign", strict=True), go_is_inf),
    ("isNaN", ("f",), BOOL, _f("isnan"), lambda f: pymath.isnan(f)),
    ("ldexp", ("frac", "exp"), FLOAT, template_sql(_LDEXP, "frac", "exp"), lambda f, e: go_ldexp(float(f), e)),
    ("log", ("x",), FLOAT, _f("ln"), _go(pymath.log, _log_domain)),
    ("log10", ("x",), FLOAT, _t(f"ln(x) * {INV_LN10}", "x"), _go(go_log10)),
    ("log1p", ("x",), FLOAT, _t(_LOG1P, "x"), _go(go_log1p)),
    ("log2", ("x",), FLOAT, _t(_LOG2, "x"), _go(go_log2)),
    ("logb", ("x",), FLOAT, _t(f"CASE WHEN x = 0 THEN '-inf'::DOUBLE WHEN isinf(x) THEN 'inf'::DOUBLE WHEN isnan(x) THEN x ELSE CAST({_EXPONENT} AS DOUBLE) END", "x", strict=True), _go(go_logb)),
    ("mMax", ("x", "y"), FLOAT, _MAX, _go(go_max)),
    ("mMin", ("x", "y"), FLOAT, _MIN, _go(go_min)),
    ("mod", ("x", "y"), FLOAT, _t("x % y", "x", "y"), _go(pymath.fmod)),  # DuckDB's fmod() is not C's fmod
    ("nextafter", ("x", "y"), FLOAT, _f("nextafter"), _go(pymath.nextafter)),
    ("pow", ("x", "y"), FLOAT, _f("pow"), go_pow),
    ("pow10", ("n",), FLOAT, template_sql("CASE WHEN n < -323 THEN 0.0 WHEN n > 308 THEN 'inf'::DOUBLE ELSE CAST(concat('1e', n) AS DOUBLE) END", "n", strict=True), go_pow10),
    ("remainder", ("x", "y"), FLOAT, _t(_REMAINDER, "x", "y", strict=True), _go(pymath.remainder)),
    ("round", ("x",), FLOAT, _f("round"), _go(go_round)),
    ("roundtoeven", ("x",), FLOAT, _float_args(lambda a, t: sql.func("round_even", a[0], exp.Literal.number(0))), _go(lambda x: go_round(x, ROUND_HALF_EVEN))),
    ("signbit", ("x",), BOOL, _f("signbit"), lambda x: pymath.copysign(1, x) < 0),
    ("sin", ("x",), FLOAT, _f("sin"), _go(pymath.sin)),
    ("sinh", ("x",), FLOAT, _t(_SINH, "x"), _go(go_sinh)),
    ("sqrt", ("x",), FLOAT, _f("sqrt"), _go(pymath.sqrt)),
    ("tan", ("x",), FLOAT, _f("tan"), _go(pymath.tan)),
    ("tanh", ("x",), FLOAT, _t(_TANH, "x"), _go(go_tanh)),
    ("trunc", ("x",), FLOAT, _f("trunc"), _go(lambda x: x if not pymath.isfinite(x) else pymath.copysign(float(pymath.trunc(x)), x))),
    ("float64bits", ("f",), UINT, _t(_BITS, "x", strict=True), lambda f: go_float64bits(float(f))),
    (
        "float64frombits",
        ("b",),
        FLOAT,
        _uint_arg(template_sql(_FROM_BITS, "b", strict=True)),
        lambda b: struct.unpack("<d", struct.pack("<Q", b.value if isinstance(b, UInt) else b))[0],
    ),
]

for _name, _params, _returns, _sql, _fold in _TABLE:
    scalar(PKG, _name, _params, _returns, sql=_sql, fold=nullsafe(_fold))

for _name in ("erf", "erfc", "erfinv", "erfcinv"):
    LIMITS[f"{PKG}.{_name}"] = ("partial", "constant arguments only: not computed per row in SQL")

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
# Go's Modf gives the fraction the sign of f, -0 included (Modf(-3) = {int: -3, frac: -0}).
register_sql("math.modf_frac", _t("CASE WHEN isinf(x) THEN 'nan'::DOUBLE WHEN signbit(x) THEN -abs(x - trunc(x)) ELSE abs(x - trunc(x)) END", "x"), FLOAT)


@flux_function(PKG, pipe=None)
def modf(ctx, f):
    """math.modf(f): {int, frac}, the integer and fractional parts of f (same sign)."""
    if is_row(f):
        return Record({"int": row_call("math.modf_int", (f,), FLOAT), "frac": row_call("math.modf_frac", (f,), FLOAT)})
    frac, whole = pymath.modf(float(f))
    return Record({"int": whole, "frac": NAN if pymath.isinf(f) else pymath.copysign(frac, f)})


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
        return Record({"frac": row_call("math.frexp_frac", (f,), FLOAT), "exp": row_call("math.frexp_exp", (f,), INT)})
    f = float(f)
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


register_sql("math.lgamma_value", _t("CASE WHEN x = '-inf'::DOUBLE THEN x ELSE lgamma(x) END", "x"), FLOAT)
# frexp: f = frac * 2^exp with exp = Ilogb(f) + 1; 0, ±Inf and NaN give {frac: f, exp: 0}.
register_sql("math.frexp_exp", _t(f"CASE WHEN x = 0 OR isinf(x) OR isnan(x) THEN 0 ELSE {_EXPONENT} + 1 END", "x", strict=True), INT)
register_sql("math.frexp_frac", _t(f"CASE WHEN x = 0 OR isinf(x) OR isnan(x) THEN x ELSE x / pow(2.0, {_EXPONENT}) / 2 END", "x", strict=True), FLOAT)
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
