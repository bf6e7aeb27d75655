"""Flux's `regexp` package: RE2 regular expressions on strings, folded or lowered to DuckDB.

https://docs.influxdata.com/flux/v0/stdlib/regexp/ . Flux uses Go's `regexp` (RE2 syntax);
DuckDB's regexp functions use RE2 too, so patterns go to SQL unchanged. Constant calls are
folded with Python's `re` only when `fold_pattern` can translate the pattern to one that
matches exactly the same text (ASCII Perl classes, `$` as end of text, POSIX classes);
otherwise the call is left to DuckDB. Iterating matches follows Go: an empty match right
after a match is skipped (as RE2's global replace does; Python's finditer does not).
Indexes are BYTE offsets as in Go. Replacement templates use Go's `$1`/`${name}` syntax and
are rewritten to RE2's `\\1` form.
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


# RE2's Perl classes are ASCII-only (Python's are Unicode): as explicit classes.
_PERL_CLASS = {"d": "0-9", "s": "\\t\\n\\f\\r ", "w": "0-9A-Za-z_"}
# Escapes Python reads differently from RE2 (or RE2 rejects): \Q..\E, \C, \pN, \Z,
# \u, octal and backreferences.
_NO_FOLD_ESCAPES = set("QECpPZuUNg0123456789")


def fold_pattern(pattern: str) -> re.Pattern | None:
    """The RE2 pattern as a Python regex that matches exactly the same text, or None when
    that cannot be assured (the call is then left to DuckDB's RE2).

    Differences handled: Perl classes (\\d, \\s, \\w) and \\b are ASCII in RE2; `$` without
    the m flag is the end of the text (Python's also matches before a final newline);
    POSIX classes; `[`, `&`, `~`, `|` are plain inside RE2 classes."""
    flags_used = "".join(re.findall(r"\(\?([a-zA-Z]*)[:)]", pattern))
    if "U" in flags_used or "{," in pattern:  # ungreedy swap; `{,n}` is literal in RE2
        return None
    out, i, n = [], 0, len(pattern)
    in_class = class_start = ascii_flag = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                return None
            d = pattern[i + 1]
            if d in _NO_FOLD_ESCAPES:
                return None
            if d.lower() in _PERL_CLASS:
                chars = _PERL_CLASS[d.lower()]
                if in_class:
                    if d.isupper():
                        return None
                    out.append(chars)
                else:
                    out.append(f"[{'^' if d.isupper() else ''}{chars}]")
            elif d == "z":
                out.append("\\Z")
            else:
                ascii_flag |= d in "bB"
                out.append(c + d)
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                name = pattern[i + 2 : end] if end > 0 else ""
                if name not in _POSIX:
                    return None
                out.append(_POSIX[name])
                i = end + 2
                continue
            if c == "]" and not class_start:
                in_class = False
                out.append(c)
            else:
                out.append("\\" + c if c in "[&~|" else c)
            class_start = False
        elif c == "[":
            in_class, class_start = True, True
            out.append(c)
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
        elif c == "$" and "m" not in flags_used:
            out.append("\\Z")
        else:
            out.append(c)
        i += 1
    if ascii_flag and "i" in flags_used:  # Python's ASCII flag also narrows case folding
        return None
    try:
        return re.compile("".join(out), re.ASCII if ascii_flag else 0)
    except re.error:
        return None


def go_find_all(p: re.Pattern, s: str, n: int = -1) -> list[re.Match]:
    """Go's FindAll: successive leftmost matches; an empty match right after the previous
    match is skipped (Python's finditer keeps it). At most n matches when n >= 0."""
    out, pos, prev_end = [], 0, -1
    while (n < 0 or len(out) < n) and pos <= len(s):
        m = p.search(s, pos)
        if m is None:
            break
        if m.end() == pos:  # empty match: advance one rune
            if m.start() != prev_end:
                out.append(m)
            pos += 1
        else:
            out.append(m)
            pos = m.end()
        prev_end = m.end()
    return out


def go_split(p: re.Pattern, s: str, n: int, pattern_text: str) -> list[str]:
    """Go's Regexp.Split(s, n): the text between matches; an empty match at the start adds
    no leading "", an empty match at the end no trailing "" (docs: /a*/ on
    "abaabaccadaaae" gives ["", "b", "b", "c", "c", "d", "e"])."""
    if n == 0:
        return []
    if pattern_text and s == "":
        return [""]
    parts, beg, end = [], 0, 0
    for m in go_find_all(p, s, n):
        if n > 0 and len(parts) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            parts.append(s[beg:end])
        beg = m.end()
    if end != len(s):
        parts.append(s[beg:])
    return parts


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
# Go's Regexp.Split per row. regexp_replace(..., 'g') picks the same matches as Go (an empty
# match right after a match is skipped), so each match m is marked as U+FDD0 m U+FDD1 and the
# marked text split on U+FDD0: e[1] is the text before the first match, e[k + 1] is
# "m_k U+FDD1 text after m_k". Then as Go: an empty first match at 0 adds no leading "";
# at most n parts, the last holding the rest of the text; no trailing "" after an empty
# match at the end. (U+FDD0/U+FDD1 are Unicode noncharacters; a value holding one is an error.)
_SPLIT = template_sql(
    "CASE WHEN n = 0 THEN []::VARCHAR[]"
    " WHEN v = '' THEN CASE WHEN r = '' THEN []::VARCHAR[] ELSE [''] END"
    " WHEN regexp_matches(v, '[\\x{FDD0}\\x{FDD1}]') THEN"
    " error('regexp.splitRegexp(): v holds U+FDD0 or U+FDD1, which flux2sql reserves')"
    " ELSE list_transform([string_split(regexp_replace(v, r, chr(64976) || '\\0' || chr(64977), 'g'), chr(64976))], e ->"
    " list_transform([len(e) > 1 AND e[1] = '' AND starts_with(e[2], chr(64977))], skip0 ->"
    " list_transform([CASE WHEN n < 0 THEN len(e) - 1 WHEN n = 1 THEN 0"
    " ELSE least(len(e) - 1, n - 1 + CAST(skip0 AS BIGINT)) END], k ->"
    " list_transform(range(CAST(skip0 AS BIGINT), k), j -> CASE WHEN j = 0 THEN e[1] ELSE split_part(e[j + 1], chr(64977), 2) END)"
    " || CASE WHEN k = 0 THEN [v] WHEN e[k + 1] = chr(64977) THEN []::VARCHAR[]"
    " ELSE [split_part(e[k + 1], chr(64977), 2) || replace(array_to_string(e[k + 2:], ''), chr(64977), '')] END"
    ")[1])[1])[1] END",
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
        compiled = fold_pattern(values[0].pattern)
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
        out, last = [], 0
        for m in go_find_all(p, s):
            out += [s[last : m.start()], _expand_python(tmpl, m)]
            last = m.end()
        return "".join(out) + s[last:]

    return _fold_or_row(ctx, "regexp.replaceAllString", (_regex_arg(ctx, r), v, t), STR, fold)


@flux_function(PKG, pipe=None)
def splitRegexp(ctx, r, v, i):
    """regexp.splitRegexp(r, v, i): v split around matches of r, at most i parts (i < 0: all)."""

    def fold(p, s, n):
        return go_split(p, s, n, r.pattern)

    return _fold_or_row(ctx, "regexp.splitRegexp", (_regex_arg(ctx, r), v, i), STR, fold)
