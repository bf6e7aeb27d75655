"""Flux's `strings` package: per-row string functions, as folds (Go semantics) and DuckDB SQL.

https://docs.influxdata.com/flux/v0/stdlib/strings/ . Flux implements these with Go's
`strings` and `unicode` packages: lengths and substring indexes count runes (code points),
but `index`, `indexAny`, `lastIndex` and `lastIndexAny` return BYTE offsets (Go's
strings.Index). DuckDB's `length`/`substring`/`strpos` count code points and `strlen`
counts bytes, which is how byte offsets are computed in SQL. Case functions use Go's
SIMPLE (one rune to one rune) Unicode mappings: DuckDB's upper/lower are the same mappings
except for ß, and title case is upper case except for a few digraphs and Georgian; the
case-folding orbits of strings.EqualFold are the classes of lower(upper(rune)) except for
İ and ı (tests check fold and SQL agree on every cased rune).

Most functions are rows of the scalar table; the ones taking or returning arrays
(`joinStr`, `split*`) are builtins that build row calls themselves.
"""
from __future__ import annotations

import re
import unicodedata

from sqlglot import exp

from ..analyze.objects import RowValue
from ..lower import sql
from ..types import FluxType
from .registry import flux_function, scalar
from .scalar_support import (
    GO_SPACE,
    RE2_GO_SPACE,
    ROW_ARRAY_CALLS,
    fn_sql,
    is_row,
    nullsafe,
    register_sql,
    row_call,
    template,
    template_sql,
)

STR, INT, BOOL = FluxType.STRING, FluxType.INT, FluxType.BOOL
PKG = "strings"


# ---------------------------------------------------------------- Go semantics in Python


def _simple_upper(c: str) -> str:
    """unicode.ToUpper of one rune: Unicode's SIMPLE uppercase mapping. Python's upper() is
    the full mapping; where that gives several runes the simple mapping, if any, is the
    titlecase one (U+1FB3 -> U+1FBC) and otherwise the rune is kept (ß stays ß)."""
    if len(u := c.upper()) == 1:
        return u
    return t if len(t := c.title()) == 1 else c


def _simple_title(c: str) -> str:
    """unicode.ToTitle of one rune (simple titlecase mapping: ǳ -> ǲ, Georgian stays)."""
    return t if len(t := c.title()) == 1 else c


def go_upper(s: str) -> str:
    """strings.ToUpper: the simple uppercase mapping per rune."""
    return "".join(map(_simple_upper, s))


def go_to_title(s: str) -> str:
    """strings.ToTitle: the simple titlecase mapping per rune."""
    return "".join(map(_simple_title, s))


def go_lower(s: str) -> str:
    return "".join(low if len(low := c.lower()) == 1 else ("i" if c == "\u0130" else c) for c in s)


# Go's case-folding orbits (unicode.SimpleFold) are the classes of lower(upper(rune)),
# except that İ (U+0130) and ı (U+0131) fold only to themselves.
FOLD_SINGLETONS = "\u0130\u0131"


def _fold_key(c: str) -> str:
    return c if c in FOLD_SINGLETONS else go_lower(go_upper(c))


def _is_separator(r: str) -> bool:
    """Go strings.Title's word separator."""
    if ord(r) <= 0x7F:
        return not (r.isascii() and (r.isalnum() or r == "_"))
    cat = unicodedata.category(r)
    if cat.startswith("L") or cat == "Nd":
        return False
    return r in GO_SPACE


def go_title(s: str) -> str:
    """strings.Title: the first rune of each word (after a separator) to title case."""
    out, prev = [], " "
    for c in s:
        out.append(_simple_title(c) if _is_separator(prev) else c)
        prev = c
    return "".join(out)


def _byte_offset(s: str, char_index: int) -> int:
    return -1 if char_index < 0 else len(s[:char_index].encode("utf-8"))


def go_index(v: str, substr: str) -> int:
    return _byte_offset(v, v.find(substr))


def go_last_index(v: str, substr: str) -> int:
    return _byte_offset(v, v.rfind(substr))


def go_index_any(v: str, chars: str) -> int:
    return next((_byte_offset(v, i) for i, c in enumerate(v) if c in chars), -1)


def go_last_index_any(v: str, chars: str) -> int:
    return next((_byte_offset(v, i) for i in reversed(range(len(v))) if v[i] in chars), -1)


def go_count(v: str, substr: str) -> int:
    return v.count(substr) if substr else len(v) + 1


def go_replace(v: str, t: str, u: str, n: int) -> str:
    return v.replace(t, u, n if n >= 0 else -1)


def go_split_n(v: str, sep: str, n: int, after: bool = False) -> list[str]:
    """Go's genSplit: strings.Split/SplitN/SplitAfter/SplitAfterN."""
    if n == 0:
        return []
    if sep == "":
        runes = list(v)
        if n < 0 or n > len(runes):
            n = len(runes)
        return runes[: n - 1] + ([ "".join(runes[n - 1 :]) ] if n > 0 else [])
    parts = v.split(sep, -1 if n < 0 else n - 1)
    if after:
        parts = [p + sep for p in parts[:-1]] + parts[-1:]
    return parts


def go_substring(v: str, start: int, end: int) -> str:
    start = max(start, 0)
    return v[start:end] if end > start else ""


def go_repeat(v: str, i: int) -> str:
    if i < 0:
        raise ValueError("negative repeat count")
    return v * i


def go_equal_fold(v: str, t: str) -> bool:
    """strings.EqualFold: rune by rune, equal or in the same simple case-folding orbit."""
    return len(v) == len(t) and all(a == b or _fold_key(a) == _fold_key(b) for a, b in zip(v, t))


def _single_byte_is(pattern: str):
    """Flux's isDigit/isLetter/isLower/isUpper: the argument must be exactly one byte
    (so one ASCII character), else an error; then Go's unicode test of that byte."""

    def check(v: str) -> bool:
        if len(v.encode("utf-8")) != 1:
            raise ValueError('"v" is not a valid argument: argument length is not equal to 1')
        return re.fullmatch(pattern, v) is not None

    return check


def go_trim_prefix(v: str, prefix: str) -> str:
    return v[len(prefix) :] if v.startswith(prefix) else v


def go_trim_suffix(v: str, suffix: str) -> str:
    return v[: len(v) - len(suffix)] if suffix and v.endswith(suffix) else v


# ---------------------------------------------------------------- SQL

# Go's strings.Title separators: ASCII except letters, digits and '_'; beyond ASCII, spaces.
_TITLE_SEPARATOR = r"[\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\x{85}\p{Z}]"

# DuckDB's upper() is the simple uppercase mapping except that it maps ß to ẞ (Go keeps ß).
# Title case differs from upper case only for the DŽ/LJ/NJ/DZ digraphs (Ǆ ǅ ǆ all title to
# ǅ) and Georgian Mkhedruli (title case is the letter itself, upper case is Mtavruli).
_KEEP_CASE = "[ßა-ჺჽ-ჿ]"
_UPPER_DIGRAPHS, _TITLE_DIGRAPHS = "ǄǇǊǱ", "ǅǈǋǲ"
_UPPER_SQL = (
    "CASE WHEN contains(v, 'ß') THEN array_to_string(list_transform(string_split(v, 'ß'), x -> upper(x)), 'ß')"
    " ELSE upper(v) END"
)
# one rune c to title case
_TITLE_RUNE_SQL = f"CASE WHEN regexp_full_match(c, '{_KEEP_CASE}') THEN c ELSE translate(upper(c), '{_UPPER_DIGRAPHS}', '{_TITLE_DIGRAPHS}') END"
_TO_TITLE_SQL = (
    f"CASE WHEN regexp_matches(v, '{_KEEP_CASE}') THEN array_to_string(list_transform(string_split(v, ''), c -> {_TITLE_RUNE_SQL}), '')"
    f" ELSE translate(upper(v), '{_UPPER_DIGRAPHS}', '{_TITLE_DIGRAPHS}') END"
)
# Case-folding orbits as lower(upper(rune)); İ and ı (which fold only to themselves) per rune.
_EQUAL_FOLD_SQL = (
    "CASE WHEN regexp_matches(v || t, '[İı]')"
    " THEN list_transform(string_split(v, ''), c -> CASE WHEN c IN ('İ', 'ı') THEN c ELSE lower(upper(c)) END)"
    " = list_transform(string_split(t, ''), c -> CASE WHEN c IN ('İ', 'ı') THEN c ELSE lower(upper(c)) END)"
    " ELSE lower(upper(v)) = lower(upper(t)) END"
)


def _title_sql(args, types):
    return template(
        "array_to_string(list_transform(string_split(v, ''), (c, i) ->"
        f" CASE WHEN i = 1 OR regexp_full_match(string_split(v, '')[i - 1], sep) THEN {_TITLE_RUNE_SQL} ELSE c END), '')",
        v=args[0],
        sep=exp.Literal.string(_TITLE_SEPARATOR),
    )


def _with_pattern(text: str, pattern: str, *names: str):
    """A template whose column `pat` is a fixed regular expression."""

    def build(args, types):
        values = dict(zip(names, args))
        values["pat"] = exp.Literal.string(pattern)
        return template(text, **values)

    return build


_TRIM_SPACE = _with_pattern("regexp_replace(v, pat, '', 'g')", f"^{RE2_GO_SPACE}+|{RE2_GO_SPACE}+$", "v")

_INDEX = template_sql("CASE WHEN strpos(v, s) = 0 THEN -1 ELSE strlen(substring(v, 1, strpos(v, s) - 1)) END", "v", "s")
_LAST_INDEX = template_sql(
    "coalesce(strlen(substring(v, 1, list_filter(range(1, length(v) - length(s) + 2),"
    " i -> substring(v, i, length(s)) = s)[-1] - 1)), -1)",
    "v",
    "s",
    strict=True,
)
_INDEX_ANY = template_sql(
    "coalesce(strlen(substring(v, 1, list_filter(range(1, length(v) + 1), i -> contains(c, v[i]))[1] - 1)), -1)", "v", "c", strict=True
)
_LAST_INDEX_ANY = template_sql(
    "coalesce(strlen(substring(v, 1, list_filter(range(1, length(v) + 1), i -> contains(c, v[i]))[-1] - 1)), -1)", "v", "c", strict=True
)
_CONTAINS_ANY = template_sql("len(list_filter(string_split(c, ''), x -> x <> '' AND contains(v, x))) > 0", "v", "c", strict=True)
_COUNT = template_sql("CASE WHEN s = '' THEN length(v) + 1 ELSE len(string_split(v, s)) - 1 END", "v", "s")
# Go's strings.Replace(v, t, u, n) with t = "": u goes before each of the first n runes
# (every rune when n < 0) and also at the end when n exceeds the rune count.
_INSERT_AROUND_RUNES = (
    "array_to_string(list_transform(string_split(v, ''), (c, i) -> CASE WHEN n < 0 OR i <= n THEN u || c ELSE c END), '')"
    " || CASE WHEN n < 0 OR n > length(v) THEN u ELSE '' END"
)
# Go's strings.Replace(v, t, u, n) with t <> "": the first n non-overlapping matches (all when n < 0).
_REPLACE_MATCHES = (
    "CASE WHEN n < 0 THEN replace(v, t, u) ELSE list_transform([string_split(v, t)], p ->"
    " CASE WHEN len(p) <= n + 1 THEN array_to_string(list_transform(p, (jx, ji) -> CASE WHEN ji = 1 THEN jx ELSE u || jx END), '')"
    " ELSE array_to_string(list_transform(p[1:n + 1], (jx, ji) -> CASE WHEN ji = 1 THEN jx ELSE u || jx END), '') || t || array_to_string(list_transform(p[n + 2:], (jx, ji) -> CASE WHEN ji = 1 THEN jx ELSE t || jx END), '') END)[1] END"
)
_REPLACE_BY_CASE = {
    "empty": template_sql(_INSERT_AROUND_RUNES, "v", "t", "u", "n"),
    "text": template_sql(_REPLACE_MATCHES, "v", "t", "u", "n"),
    "either": template_sql(f"CASE WHEN t = '' THEN {_INSERT_AROUND_RUNES} ELSE {_REPLACE_MATCHES} END", "v", "t", "u", "n"),
}


def _REPLACE(args, types):
    """strings.Replace; when t is a constant only its branch is generated."""
    t = args[1]
    case = "either" if not (isinstance(t, exp.Literal) and t.is_string) else ("empty" if t.this == "" else "text")
    return _REPLACE_BY_CASE[case](args, types)


def _replace_all_sql(args, types):
    """strings.ReplaceAll is Replace with n = -1."""
    return _REPLACE([*args, exp.Literal.number(-1)], types)


_SUBSTRING = template_sql("substring(v, greatest(s, 0) + 1, greatest(e - greatest(s, 0), 0))", "v", "s", "e")
_TRIM_PREFIX = template_sql("CASE WHEN starts_with(v, p) THEN substring(v, length(p) + 1) ELSE v END", "v", "p")
_TRIM_SUFFIX = template_sql("CASE WHEN ends_with(v, p) THEN substring(v, 1, length(v) - length(p)) ELSE v END", "v", "p")
_COMPARE = template_sql("CASE WHEN v < t THEN -1 WHEN v > t THEN 1 ELSE 0 END", "v", "t", strict=True)
_EQUAL_FOLD = template_sql(_EQUAL_FOLD_SQL, "v", "t")
# Go's Repeat panics on a negative count: an error, as in the fold.
_REPEAT = template_sql("CASE WHEN i < 0 THEN error('strings.repeat(): negative repeat count') ELSE repeat(v, i) END", "v", "i")


def _single_byte_sql(pattern: str):
    return _with_pattern(
        "CASE WHEN strlen(v) <> 1 THEN error('\"v\" is not a valid argument: argument length is not equal to 1')"
        " ELSE regexp_full_match(v, pat) END",
        pattern,
        "v",
    )


def _trim(kind: str):
    return lambda args, types: sql.func(kind, args[0], args[1])


# name, params, returns, sql, fold
_TABLE = [
    ("toUpper", ("v",), STR, template_sql(_UPPER_SQL, "v"), go_upper),
    ("toLower", ("v",), STR, fn_sql("lower"), go_lower),
    ("toTitle", ("v",), STR, template_sql(_TO_TITLE_SQL, "v"), go_to_title),
    ("title", ("v",), STR, _title_sql, go_title),
    ("trim", ("v", "cutset"), STR, _trim("trim"), lambda v, c: v.strip(c)),
    ("trimLeft", ("v", "cutset"), STR, _trim("ltrim"), lambda v, c: v.lstrip(c)),
    ("trimRight", ("v", "cutset"), STR, _trim("rtrim"), lambda v, c: v.rstrip(c)),
    ("trimSpace", ("v",), STR, _TRIM_SPACE, lambda v: v.strip(GO_SPACE)),
    ("trimPrefix", ("v", "prefix"), STR, _TRIM_PREFIX, go_trim_prefix),
    ("trimSuffix", ("v", "suffix"), STR, _TRIM_SUFFIX, go_trim_suffix),
    ("containsStr", ("v", "substr"), BOOL, fn_sql("contains"), lambda v, s: s in v),
    ("containsAny", ("v", "chars"), BOOL, _CONTAINS_ANY, lambda v, c: any(ch in v for ch in c)),
    ("hasPrefix", ("v", "prefix"), BOOL, fn_sql("starts_with"), lambda v, p: v.startswith(p)),
    ("hasSuffix", ("v", "suffix"), BOOL, fn_sql("ends_with"), lambda v, p: v.endswith(p)),
    ("equalFold", ("v", "t"), BOOL, _EQUAL_FOLD, go_equal_fold),
    ("compare", ("v", "t"), INT, _COMPARE, lambda v, t: (v > t) - (v < t)),
    ("countStr", ("v", "substr"), INT, _COUNT, go_count),
    ("index", ("v", "substr"), INT, _INDEX, go_index),
    ("lastIndex", ("v", "substr"), INT, _LAST_INDEX, go_last_index),
    ("indexAny", ("v", "chars"), INT, _INDEX_ANY, go_index_any),
    ("lastIndexAny", ("v", "chars"), INT, _LAST_INDEX_ANY, go_last_index_any),
    ("isDigit", ("v",), BOOL, _single_byte_sql("[0-9]"), _single_byte_is("[0-9]")),
    ("isLetter", ("v",), BOOL, _single_byte_sql("[A-Za-z]"), _single_byte_is("[A-Za-z]")),
    ("isLower", ("v",), BOOL, _single_byte_sql("[a-z]"), _single_byte_is("[a-z]")),
    ("isUpper", ("v",), BOOL, _single_byte_sql("[A-Z]"), _single_byte_is("[A-Z]")),
    ("repeat", ("v", "i"), STR, _REPEAT, go_repeat),
    ("replace", ("v", "t", "u", "i"), STR, _REPLACE, go_replace),
    ("replaceAll", ("v", "t", "u"), STR, _replace_all_sql, lambda v, t, u: v.replace(t, u)),
    ("strlen", ("v",), INT, fn_sql("length"), len),
    ("substring", ("v", "start", "end"), STR, _SUBSTRING, go_substring),
]

for _name, _params, _returns, _sql, _fold in _TABLE:
    scalar(PKG, _name, _params, _returns, sql=_sql, fold=nullsafe(_fold))


# ---------------------------------------------------------------- arrays: joinStr and split*


def _join_sql(args, types):
    # args: separator, then the elements
    return sql.func("concat_ws", *args)


register_sql("strings.joinStr", _join_sql, STR)
# DuckDB's array_to_string needs a constant separator: join with a lambda instead.
register_sql("strings.joinStr_list", template_sql("array_to_string(list_transform(a, (jx, ji) -> CASE WHEN ji = 1 THEN jx ELSE s || jx END), '')", "a", "s"), STR)


@flux_function(PKG, pipe=None)
def joinStr(ctx, arr, v):
    """strings.joinStr(arr, v): the elements of arr joined with v."""
    if isinstance(arr, RowValue):
        return row_call("strings.joinStr_list", (arr, v), STR, ctx.span)
    if not isinstance(arr, list):
        raise ctx.error("arr must be an array of strings", "arr")
    if not is_row(v, *arr):
        if v is None or any(not isinstance(a, str) for a in arr):
            raise ctx.error("arr must be an array of strings", "arr")
        return v.join(arr)
    return row_call("strings.joinStr", (v, *arr), STR, ctx.span)


# Go's Split family as SQL over DuckDB's string_split (which also explodes on "" into runes).
_SPLIT_N = (
    "CASE WHEN n = 0 THEN []::VARCHAR[] WHEN n < 0 THEN string_split(v, t) ELSE list_transform([string_split(v, t)], p ->"
    " CASE WHEN len(p) <= n THEN p ELSE p[1:n - 1] || [array_to_string(list_transform(p[n:], (jx, ji) -> CASE WHEN ji = 1 THEN jx ELSE t || jx END), '')] END)[1] END"
)
_SPLIT_AFTER_N = (
    "CASE WHEN n = 0 THEN []::VARCHAR[] ELSE list_transform([string_split(v, t)], p ->"
    " list_transform([CASE WHEN n < 0 OR len(p) <= n THEN p ELSE p[1:n - 1] || [array_to_string(list_transform(p[n:], (jx, ji) -> CASE WHEN ji = 1 THEN jx ELSE t || jx END), '')] END], q ->"
    " list_transform(q, (x, i) -> CASE WHEN i < len(q) THEN x || t ELSE x END))[1])[1] END"
)


def _split_sql(text):
    return template_sql(text, "v", "t", "n")


for _qualified, _text in (("strings.splitN", _SPLIT_N), ("strings.splitAfterN", _SPLIT_AFTER_N)):
    register_sql(_qualified, _split_sql(_text), STR)
    ROW_ARRAY_CALLS.add(_qualified)


def _split(ctx, v, t, i, after: bool):
    if not is_row(v, t, i):
        if v is None or t is None or i is None:
            return None
        return go_split_n(v, t, i, after)
    return row_call("strings.splitAfterN" if after else "strings.splitN", (v, t, i), STR, ctx.span)


@flux_function(PKG, pipe=None)
def split(ctx, v, t):
    """strings.split(v, t): all substrings between separators."""
    return _split(ctx, v, t, -1, False)


@flux_function(PKG, pipe=None)
def splitN(ctx, v, t, i):
    """strings.splitN(v, t, i): at most i substrings; the last holds the unsplit rest."""
    return _split(ctx, v, t, i, False)


@flux_function(PKG, pipe=None)
def splitAfter(ctx, v, t):
    """strings.splitAfter(v, t): split after each separator (it stays in the parts)."""
    return _split(ctx, v, t, -1, True)


@flux_function(PKG, pipe=None)
def splitAfterN(ctx, v, t, i):
    return _split(ctx, v, t, i, True)
