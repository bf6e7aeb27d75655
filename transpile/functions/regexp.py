"""Flux's `regexp` package: RE2 regular expressions on strings, folded or lowered to DuckDB.

https://docs.influxdata.com/flux/v0/stdlib/regexp/ . Flux uses Go's `regexp` (RE2 syntax);
DuckDB's regexp functions use RE2 too, so patterns go to SQL unchanged. Folds use Python's
`re` after translating the RE2-only syntax it lacks (POSIX classes such as `[[:alpha:]]`,
`\\z`); a pattern Python still cannot compile is left to DuckDB. Indexes are BYTE
offsets as in Go. Replacement templates use Go's `$1`/`${name}` syntax and are rewritten
to RE2's `\\1` form.
"""
from __future__ import annotations

import re

from sqlglot import exp

from ..lower import sql
from ..types import FluxType
from ..values import Regex
from .registry import flux_function
from .scalar_support import ROW_ARRAY_CALLS, is_row, register_sql, row_call, template, template_sql

PKG = "regexp"
STR, INT, BOOL = FluxType.STRING, FluxType.INT, FluxType.BOOL

_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


def python_pattern(pattern: str) -> re.Pattern | None:
    """The RE2 pattern as a Python regex, or None when Python cannot express it."""
    text = re.sub(r"\[:(\w+):\]", lambda m: _POSIX.get(m.group(1), m.group(0)), pattern)
    text = text.replace("\\z", "\\Z")
    try:
        return re.compile(text)
    except re.error:
        return None


def go_template_to_re2(template_text: str, pattern: str) -> str:
    """Go's Regexp.Expand template ($1, ${1}, $name, ${name}, $$) as an RE2 rewrite string."""
    compiled = python_pattern(pattern)
    names = compiled.groupindex if compiled is not None else {}
    out, i = [], 0
    while i < len(template_text):
        c = template_text[i]
        if c == "\\":
            out.append("\\\\")
        elif c != "$":
            out.append(c)
        elif template_text.startswith("$$", i):
            out.append("$")
            i += 1
        else:
            m = re.compile(r"\{(\w+)\}|(\w+)").match(template_text, i + 1)
            if m is None:  # a lone `$` is kept as text
                out.append("$")
            else:
                name = m.group(1) or m.group(2)
                if name.isdigit():
                    out.append(f"\\{int(name)}" if int(name) <= 9 else "")
                elif name in names:
                    out.append(f"\\{names[name]}")
                i = m.end() - 1
        i += 1
    return "".join(out)


def _expand_python(template_text: str, m: re.Match) -> str:
    def group(name: str) -> str:
        try:
            return m.group(int(name) if name.isdigit() else name) or ""
        except IndexError:  # Go expands an unknown group to ""
            return ""

    out, i = [], 0
    while i < len(template_text):
        c = template_text[i]
        if c != "$":
            out.append(c)
        elif template_text.startswith("$$", i):
            out.append("$")
            i += 1
        else:
            mm = re.compile(r"\{(\w+)\}|(\w+)").match(template_text, i + 1)
            if mm is None:
                out.append("$")
            else:
                out.append(group(mm.group(1) or mm.group(2)))
                i = mm.end() - 1
        i += 1
    return "".join(out)


def _byte_len(s: str) -> int:
    return len(s.encode("utf-8"))


# ---------------------------------------------------------------- SQL


def _pattern_sql(r: exp.Expression, wrap) -> exp.Expression:
    """A pattern derived from `r`: computed here when r is a constant, else in SQL."""
    if isinstance(r, exp.Literal) and r.is_string:
        return exp.Literal.string(wrap(r.this))
    before, after = wrap("\x00").split("\x00")
    return sql.func("concat", exp.Literal.string(before), r, exp.Literal.string(after))


def _find_index_sql(args, types):
    r, v = args
    pat = _pattern_sql(r, lambda p: f"^(?s:(.*?))({p})")
    return template(
        "CASE WHEN regexp_matches(v, r) THEN [strlen(regexp_extract(v, pat, 1)),"
        " strlen(regexp_extract(v, pat, 1)) + strlen(regexp_extract(v, pat, 2))] ELSE []::BIGINT[] END",
        v=v,
        r=r,
        pat=pat,
    )


# A Go template computed per row, rewritten in SQL: backslashes doubled, `${N}` and `$N`
# (N a digit not followed by a name character) to `\N`, other `$name` (named groups, or
# Go's longest-name rule as in `$1W`) expand to "". `$$` is not handled per row.
_ROW_TEMPLATE = (
    "regexp_replace(regexp_replace(regexp_replace(replace(t, '\\', '\\\\'),"
    " '\\$\\{([0-9])\\}', '\\\\\\1', 'g'),"
    " '\\$([0-9])([^A-Za-z0-9_]|$)', '\\\\\\1\\2', 'g'),"
    " '\\$\\{?[A-Za-z0-9_]+\\}?', '', 'g')"
)


def _replace_sql(args, types):
    r, v, t = args
    if isinstance(t, exp.Literal) and t.is_string and isinstance(r, exp.Literal):
        rewrite = exp.Literal.string(go_template_to_re2(t.this, r.this))
    else:  # a template computed per row: `$1`/`${1}` to `\1`, backslashes doubled
        rewrite = template(_ROW_TEMPLATE, t=t)
    return sql.func("regexp_replace", v, r, rewrite, exp.Literal.string("g"))


_QUOTE_META = template_sql("regexp_replace(v, '([\\\\.+*?()|\\[\\]{}^$])', '\\\\\\1', 'g')", "v")
_SPLIT = template_sql(
    "CASE WHEN n = 0 THEN []::VARCHAR[] WHEN v = '' THEN [''] ELSE list_transform([regexp_split_to_array(v, r)], p ->"
    " CASE WHEN n < 0 OR len(p) <= n THEN p ELSE p[1:n - 1] || [regexp_extract(v, concat('^(?s:(?:.*?(?:', r, ')){',"
    " CAST(n - 1 AS VARCHAR), '})(.*)$'), 1)] END)[1] END",
    "r",
    "v",
    "n",
)

register_sql("regexp.findString", lambda a, t: sql.func("regexp_extract", a[1], a[0]), STR)
register_sql("regexp.findStringIndex", _find_index_sql, INT)
ROW_ARRAY_CALLS.add("regexp.findStringIndex")
register_sql("regexp.matchRegexpString", lambda a, t: sql.func("regexp_matches", a[1], a[0]), BOOL)
register_sql("regexp.replaceAllString", _replace_sql, STR)
register_sql("regexp.quoteMeta", _QUOTE_META, STR)
register_sql("regexp.splitRegexp", _SPLIT, STR)
ROW_ARRAY_CALLS.add("regexp.splitRegexp")


# ---------------------------------------------------------------- functions


def _regex_arg(ctx, r) -> Regex:
    if not isinstance(r, Regex):
        raise ctx.error("r must be a regular expression (a /regex/ literal or regexp.compile(v:))", "r")
    return r


def _fold_or_row(ctx, qualified, values, result_type, fold):
    """Fold with Python when every value is constant and the pattern translates; else SQL."""
    if not is_row(*values):
        if any(v is None for v in values):
            return None
        compiled = python_pattern(values[0].pattern)
        if compiled is not None:
            return fold(compiled, *values[1:])
    return row_call(qualified, values, result_type, ctx.span)


@flux_function(PKG, pipe=None)
def compile(ctx, v):
    """regexp.compile(v): a regular expression from a string."""
    if not isinstance(v, str):
        raise ctx.unsupported("v must be a constant string", "v")
    return Regex(v)  # RE2 syntax is checked by DuckDB (Python's re knows only part of it)


@flux_function(PKG, pipe=None)
def getString(ctx, r):
    """regexp.getString(r): the source text of r."""
    return _regex_arg(ctx, r).pattern


@flux_function(PKG, pipe=None)
def quoteMeta(ctx, v):
    """regexp.quoteMeta(v): v with every regex metacharacter escaped (Go's QuoteMeta)."""
    if is_row(v):
        return row_call("regexp.quoteMeta", (v,), STR, ctx.span)
    return None if v is None else re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", v)


@flux_function(PKG, pipe=None)
def findString(ctx, r, v):
    """regexp.findString(r, v): the leftmost match of r in v, or ""."""
    return _fold_or_row(ctx, "regexp.findString", (_regex_arg(ctx, r), v), STR, lambda p, s: (m.group(0) if (m := p.search(s)) else ""))


@flux_function(PKG, pipe=None)
def findStringIndex(ctx, r, v):
    """regexp.findStringIndex(r, v): [start, end] byte offsets of the leftmost match, or []."""

    def fold(p, s):
        m = p.search(s)
        return [_byte_len(s[: m.start()]), _byte_len(s[: m.end()])] if m else []

    return _fold_or_row(ctx, "regexp.findStringIndex", (_regex_arg(ctx, r), v), INT, fold)


@flux_function(PKG, pipe=None)
def matchRegexpString(ctx, r, v):
    """regexp.matchRegexpString(r, v): whether v contains a match of r."""
    return _fold_or_row(ctx, "regexp.matchRegexpString", (_regex_arg(ctx, r), v), BOOL, lambda p, s: p.search(s) is not None)


@flux_function(PKG, pipe=None)
def replaceAllString(ctx, r, v, t):
    """regexp.replaceAllString(r, v, t): every match replaced by the template t ($1, ${name})."""

    def fold(p, s, tmpl):
        return p.sub(lambda m: _expand_python(tmpl, m), s)

    return _fold_or_row(ctx, "regexp.replaceAllString", (_regex_arg(ctx, r), v, t), STR, fold)


@flux_function(PKG, pipe=None)
def splitRegexp(ctx, r, v, i):
    """regexp.splitRegexp(r, v, i): v split around matches of r, at most i parts (i < 0: all)."""

    def fold(p, s, n):
        if n == 0:
            return []
        if s == "":
            return [""]
        parts = p.split(s, maxsplit=0 if n < 0 else n - 1)
        if p.groups:  # Python returns captured groups between the parts; Go does not
            parts = parts[:: p.groups + 1]
        return parts

    return _fold_or_row(ctx, "regexp.splitRegexp", (_regex_arg(ctx, r), v, i), STR, fold)
