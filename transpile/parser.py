"""Flux source text -> `transpile.ast.File`.

Owns the scanner (FluxLexer), the LALR parser built by lark from `grammar.lark`, the
callbacks that build AST nodes while parsing, and the wording of syntax errors. Lark trees
and tokens never leave this module. It must not evaluate anything: names are not resolved
and types are not checked here.

The language is the one of the Flux SPEC (https://docs.influxdata.com/flux/v0/spec/); where
the SPEC's grammar is loose, the behaviour of libflux (the reference parser) decides, see
docs/parser.md. Public API: `parse(source, filename) -> File`, raising `FluxSyntaxError` at
the first error.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import lark
from lark import Lark, Token
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

from . import ast
from .ast import Node
from .errors import FluxSyntaxError, Span
from .literals import (
    LiteralError,
    decode_datetime,
    decode_duration,
    decode_float,
    decode_integer,
    decode_regex,
    decode_string_literal,
    decode_string_text,
)

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")

# libflux refuses programs nested deeper than this (ast/check: "Program is nested to deep");
# the same limit keeps every recursive walk of the AST (evaluator, to_json) within reach.
MAX_NESTING = 1000


def parse(source: str, filename: str = "<stdin>") -> ast.File:
    """Parse Flux source into a File; raise FluxSyntaxError at the first error."""
    return _parse(_Scan(source), filename)


def tokenize(source: str) -> list[tuple[str, str, int, int]]:
    """The tokens of a source that parses, as (kind, text, start offset, end offset).

    Which token a `/` or a `{` is depends on the parse, so the source must be valid Flux
    (FluxSyntaxError otherwise). Comments and white space are not tokens.
    """
    scan = _Scan(source)
    scan.tokens = []
    _parse(scan, "<tokenize>")
    return [(t.type, t.value, t.start_pos, t.end_pos) for t in scan.tokens]


def _parse(scan: "_Scan", filename: str) -> ast.File:
    source = scan.source
    _SCANS.current = scan
    try:
        tree = _parser().parse(source)
    except UnexpectedToken as error:
        raise _syntax_error(error, scan) from None
    except UnexpectedInput as error:  # pragma: no cover - the custom lexer raises its own errors
        raise FluxSyntaxError(str(error).splitlines()[0], _point(scan, error.line, error.column)) from None
    except RecursionError:  # pragma: no cover - the parser and callbacks are iterative
        raise FluxSyntaxError("program is nested too deeply", None) from None
    finally:
        _SCANS.current = None
    if scan.token_count * 3 > MAX_NESTING:
        _check_nesting(tree)
    return replace(tree, name=filename)


# ============================================================== scanner
#
# The scanner mirrors libflux's (a longest-match Ragel scanner): the alternatives of
# _TOKEN are ordered so that the first one that matches is the longest lexeme.

_KEYWORDS = frozenset(
    "and or not exists if then else import package return option builtin testcase".split()
)
# Identifiers that are keywords only where the grammar expects them, as in libflux.
_CONTEXTUAL = {"with": "WITH", "extends": "EXTENDS", "where": "WHERE", "stream": "STREAM"}

_DIGIT = "[0-9]"
_TOKEN = re.compile(
    rf"""
     (?P<space>[ \t\r\v\f]+)
    |(?P<newline>\n)
    |(?P<comment>//[^\n]*)
    |(?P<TIME>{_DIGIT}{{4}}-{_DIGIT}{{2}}-{_DIGIT}{{2}}
        (?:T{_DIGIT}{{2}}:{_DIGIT}{{2}}:{_DIGIT}{{2}}(?:\.{_DIGIT}*)?(?:Z|[+-]{_DIGIT}{{2}}:{_DIGIT}{{2}})?)?)
    |(?P<DURATION>(?:{_DIGIT}+(?:mo|ms|us|µs|ns|y|w|d|h|m|s))+)
    |(?P<FLOAT>{_DIGIT}+\.{_DIGIT}*|\.{_DIGIT}+)
    |(?P<INT>{_DIGIT}+)
    |(?P<IDENT>[^\W\d]\w*)
    |(?P<ATTRIBUTE>@[^\W\d]\w*)
    |(?P<STRING>"(?:[^"\\$]|\\[nrt\\"]|\\\$\{{|\\x[0-9A-Fa-f]{{2}}|\$[^{{"])*\$?")
    |(?P<quote>")
    |(?P<slash>/)
    |(?P<lbrace>\{{)
    |(?P<rbrace>\}})
    |(?P<op>==|!=|<=|>=|=~|!~|=>|<-|\|>|[-+*%^=<>()\[\],:.?])
    """,
    re.VERBOSE,
)
# A regex literal: `/`, then characters where every `/` is escaped, then `/`. Newlines are
# allowed, and `\x..` and other escapes are part of the pattern (libflux's regex_lit).
_REGEX = re.compile(r"/(?:[^/]|(?<=\\)/)+/")
# The text of an interpolated string between `"`, `${`, `}` (libflux's string_lit_char).
_TEXT = re.compile(r'(?:[^"\\$]|\\[nrt\\"]|\\\$\{|\\x[0-9A-Fa-f]{2}|\$[^{"])+')

_OPENERS = {"(": ")", "[": "]", "{": "}", "${": "}"}


class _Scan:
    """What the scanner saw of one source: the open brackets (for error messages),
    the number of tokens, where the source ends."""

    def __init__(self, source: str):
        self.source = source
        self.open_brackets: list[tuple[str, int, int]] = []
        self.token_count = 0
        # Where "end of file" is reported: just after the last token (1:1 if there is none).
        self.eof = (1, 1)
        self.tokens: list[Token] | None = None  # recorded only for tokenize()


class _ScanHolder(threading.local):
    current: _Scan | None = None


_SCANS = _ScanHolder()


class FluxLexer(Lexer):
    """Tokens of Flux source for lark, decided with the parser's state where Flux needs it:
    `/` is a regex literal only where no division can be, `{` after `=>` opens a block, and
    `with`/`extends`/`where`/`stream` are keywords only where the grammar expects them."""

    __future_interface__ = 2

    def __init__(self, lexer_conf):
        self.names = {t.pattern.value: t.name for t in lexer_conf.terminals if t.pattern.type == "str"}

    def lex(self, lexer_state, parser_state):
        source = lexer_state.text.text
        scan = _SCANS.current or _Scan(source)
        states = parser_state.parse_conf.states
        names = self.names
        match_token = _TOKEN.match
        brackets = scan.open_brackets
        pos, line, line_start = 0, 1, 0
        size = len(source)
        # Interpolations being scanned: for each, how many `{` are open inside it.
        interpolations: list[int] = []
        strings: list[tuple[int, int]] = []  # where each open interpolated string began
        pending_close = False

        def accepts(terminal: str) -> bool:
            return terminal in states[parser_state.position]

        def token(kind: str, value: str, start: int, end: int) -> Token:
            nonlocal line, line_start
            column = start - line_start + 1
            start_line = line
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = start + value.rindex("\n") + 1
            tok = Token(kind, value, start, start_line, column, line, end - line_start + 1, end)
            scan.token_count += 1
            scan.eof = (line, tok.end_column)
            if scan.tokens is not None:
                scan.tokens.append(tok)
            return tok

        while True:
            if pending_close:
                brackets.pop()
                pending_close = False
            if len(strings) > len(interpolations):
                # Inside the text of an interpolated string.
                if pos >= size:
                    start_line, start_col = strings[-1]
                    raise FluxSyntaxError(
                        "unterminated string literal",
                        Span(start_line, start_col, start_line, start_col + 1),
                        "close the string with '\"'",
                    )
                char = source[pos]
                if char == '"':
                    strings.pop()
                    yield token("QUOTE_END", char, pos, pos + 1)
                    pos += 1
                    continue
                if source.startswith("${", pos):
                    interpolations.append(0)
                    brackets.append(("${", line, pos - line_start + 1))
                    yield token("INTERP_START", "${", pos, pos + 2)
                    pos += 2
                    continue
                if source.startswith('$"', pos):
                    yield token("TEXT", "$", pos, pos + 1)
                    pos += 1
                    continue
                text = _TEXT.match(source, pos)
                if text is None:
                    raise _string_escape_error(source, pos, line, line_start, strings[-1])
                yield token("TEXT", text.group(), pos, text.end())
                pos = text.end()
                continue

            if pos >= size:
                if strings:
                    start_line, start_col = strings[-1]
                    raise FluxSyntaxError(
                        "unterminated string literal",
                        Span(start_line, start_col, start_line, start_col + 1),
                        "close the string with '\"'",
                    )
                return
            match = match_token(source, pos)
            if match is None:
                raise _illegal_character(source, pos, line, line_start)
            kind = match.lastgroup
            value = match.group()
            end = match.end()
            if kind == "space" or kind == "comment":
                pos = end
                continue
            if kind == "newline":
                line += 1
                line_start = pos = end
                continue
            if kind == "IDENT":
                if value in _KEYWORDS:
                    kind = names[value]
                elif value in _CONTEXTUAL and accepts(_CONTEXTUAL[value]):
                    kind = _CONTEXTUAL[value]
            elif kind == "op":
                kind = names[value]
                if value == "." and accepts("RETURN") and not accepts("PIPE_FORWARD"):
                    # A statement cannot start with a label `.a` (libflux: "invalid statement").
                    kind = "LEADING_DOT"
                if value in "([":
                    brackets.append((value, line, pos - line_start + 1))
                elif value in ")]":
                    pending_close = bool(brackets) and _OPENERS[brackets[-1][0]] == value
            elif kind == "slash":
                if not accepts("SLASH") and accepts("REGEX"):
                    regex = _REGEX.match(source, pos)
                    if regex is not None:
                        kind, end = "REGEX", regex.end()
                        value = regex.group()
                if kind == "slash":
                    kind = "SLASH"
            elif kind == "lbrace":
                kind = "BLOCK_START" if accepts("BLOCK_START") else "LBRACE"
                brackets.append(("{", line, pos - line_start + 1))
                if interpolations:
                    interpolations[-1] += 1
            elif kind == "rbrace":
                if interpolations and interpolations[-1] == 0:
                    interpolations.pop()
                    kind = "INTERP_END"
                else:
                    kind = "RBRACE"
                    if interpolations:
                        interpolations[-1] -= 1
                pending_close = bool(brackets) and _OPENERS[brackets[-1][0]] == "}"
            elif kind == "quote":
                strings.append((line, pos - line_start + 1))
                kind = "QUOTE"
            yield token(kind, value, pos, end)
            pos = end


def _illegal_character(source: str, pos: int, line: int, line_start: int) -> FluxSyntaxError:
    char = source[pos]
    column = pos - line_start + 1
    pair = source[pos:pos + 2]
    hint = _CHARACTER_HINTS.get(pair) or _CHARACTER_HINTS.get(char)
    shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
    return FluxSyntaxError(f"unexpected character {shown}", Span(line, column, line, column + 1), hint)


_CHARACTER_HINTS = {
    "&&": "Flux writes logical AND as 'and'",
    "||": "Flux writes logical OR as 'or'",
    "&": "Flux writes logical AND as 'and'",
    "|": "a pipe is written '|>'",
    "!": "Flux writes logical NOT as 'not' (comparisons are '!=' and '!~')",
    "'": "Flux strings use double quotes: \"...\"",
    "@": "an attribute is written '@name' or '@name(...)'",
    "`": "Flux strings use double quotes: \"...\"",
    ";": "Flux needs no ';' between statements: remove it",
    "#": "Flux comments start with '//'",
    "~": "regex matching is written '=~' (or '!~')",
    "\\": "a backslash is only allowed inside strings and regexes",
    # Characters that come with text copied from web pages and word processors.
    "\ufeff": "the file starts with a byte order mark: save it as UTF-8 without BOM",
    "\u00a0": "a non-breaking space: use a plain space",
    "\u201c": "typographic quotes: Flux strings use plain double quotes \"...\"",
    "\u201d": "typographic quotes: Flux strings use plain double quotes \"...\"",
    "\u2018": "typographic quotes: Flux strings use plain double quotes \"...\"",
    "\u2019": "typographic quotes: Flux strings use plain double quotes \"...\"",
}


def _string_escape_error(source, pos, line, line_start, opened) -> FluxSyntaxError:
    column = pos - line_start + 1
    if source[pos] == "\\":
        escape = source[pos:pos + 2]
        if escape == "\\x":
            message = "invalid byte escape in string literal: \\x must be followed by two hex digits"
        else:
            message = f"invalid escape sequence {escape!r} in string literal"
        return FluxSyntaxError(
            message,
            Span(line, column, line, column + len(escape)),
            'valid escapes are \\n \\r \\t \\" \\\\ \\${ and \\xHH; write \\\\ for a backslash',
        )
    start_line, start_col = opened
    return FluxSyntaxError(  # pragma: no cover - _TEXT matches anything else
        "unterminated string literal", Span(start_line, start_col, start_line, start_col + 1)
    )


# ============================================================== AST building
#
# Lark calls these while it reduces (`transformer=` of an LALR parser), so the AST is built
# in one pass without a parse tree. `keep_all_tokens` hands every token to the callbacks,
# which is how each node gets the span from its first to its last token.


def _span(first, last) -> Span:
    a = first.span if isinstance(first, Node) else first
    b = last.span if isinstance(last, Node) else last
    return Span(a.line, a.column, b.end_line, b.end_column)


def _token_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def _literal(build):
    """A token callback that decodes a literal, reporting a bad value at the token."""

    def callback(self, tok: Token):
        try:
            return build(tok)
        except LiteralError as error:
            raise FluxSyntaxError(str(error), _token_span(tok)) from None

    return callback


def _duration(tok: Token) -> ast.DurationLiteral:
    parts, duration = decode_duration(tok.value)
    span = _token_span(tok)
    values = tuple(ast.DurationPart(magnitude, unit, span=span) for magnitude, unit in parts)
    return ast.DurationLiteral(values, duration, span=span)


class _Parenthesized:
    """`( ... )` before we know whether it is a parenthesized expression or a parameter list."""

    __slots__ = ("items", "commas", "open", "close")

    def __init__(self, items, commas, open_token, close_token):
        self.items = items
        self.commas = commas
        self.open = open_token
        self.close = close_token


class _WithProperties:
    __slots__ = ("source", "properties")

    def __init__(self, source, properties):
        self.source = source
        self.properties = properties


def _is_bare(node: Node, name: str) -> bool:
    """True when an identifier's span is just its name (it was not written in parentheses)."""
    s = node.span
    return s.line == s.end_line and s.end_column - s.column == len(name)


def _check_properties(properties, where: Span, what: str) -> None:
    """libflux's ast check: a record or argument list is all `a: x` or all shorthand `a`."""
    shorthand = [p for p in properties if p.value is None]
    if shorthand and len(shorthand) != len(properties):
        raise FluxSyntaxError(
            f"cannot mix shorthand and explicit properties in {what}",
            shorthand[0].span if shorthand[0].span else where,
            f"write '{shorthand[0].key.name}: {shorthand[0].key.name}'",
        )


# SPEC: Operators, precedence table (a larger number binds tighter). All binary operators
# are left-associative.
_PRECEDENCE = {
    "or": 1, "and": 2,
    "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "=~": 3, "!~": 3,
    "+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "^": 6, "|>": 7,
}


def _fold(children):
    """`a op b op c ...` (operands and operator tokens alternating) -> one expression tree,
    by _PRECEDENCE (shunting-yard; iterative, so long chains cannot exhaust the stack)."""
    operands = [children[0]]
    operators: list[Token] = []
    for i in range(1, len(children), 2):
        op, right = children[i], children[i + 1]
        level = _PRECEDENCE[op.value]
        while operators and _PRECEDENCE[operators[-1].value] >= level:
            _apply(operators, operands)
        operators.append(op)
        operands.append(right)
    while operators:
        _apply(operators, operands)
    return operands[0]


def _apply(operators: list, operands: list) -> None:
    op = operators.pop()
    right = operands.pop()
    left = operands.pop()
    span = _span(left, right)
    if op.value == "|>":
        node = _pipe(left, right, span)
    elif op.value in ("and", "or"):
        node = ast.LogicalExpression(op.value, left, right, span=span)
    else:
        node = ast.BinaryExpression(op.value, left, right, span=span)
    operands.append(node)


def _pipe(argument, call, span: Span) -> ast.PipeExpression:
    """`argument |> call`: the destination must be a call written as such (not in parentheses)."""
    if (
        not isinstance(call, ast.CallExpression)
        or call.span.column != call.callee.span.column
        or call.span.line != call.callee.span.line
    ):
        hint = None
        if isinstance(call, (ast.Identifier, ast.MemberExpression)):
            hint = "add the parentheses of the call: '|> f()'"
        raise FluxSyntaxError("the right side of '|>' must be a function call", call.span, hint)
    return ast.PipeExpression(argument, call, span=span)


class _AstBuilder:
    """Callbacks named after the grammar's rules and terminals; each returns an AST node."""

    # ---------------------------------------------------------------- terminals

    def IDENT(self, tok):
        return ast.Identifier(tok.value, span=_token_span(tok))

    INT = _literal(lambda tok: ast.IntegerLiteral(decode_integer(tok.value), span=_token_span(tok)))
    FLOAT = _literal(lambda tok: ast.FloatLiteral(decode_float(tok.value), span=_token_span(tok)))
    STRING = _literal(lambda tok: ast.StringLiteral(decode_string_literal(tok.value), span=_token_span(tok)))
    TEXT = _literal(lambda tok: ast.TextPart(decode_string_text(tok.value), span=_token_span(tok)))
    REGEX = _literal(lambda tok: ast.RegexpLiteral(decode_regex(tok.value), span=_token_span(tok)))
    DURATION = _literal(_duration)
    TIME = _literal(lambda tok: ast.DateTimeLiteral(decode_datetime(tok.value), tok.value, span=_token_span(tok)))

    def PIPE_RECEIVE(self, tok):
        return ast.PipeLiteral(span=_token_span(tok))

    # ---------------------------------------------------------------- file

    def file(self, children):
        package = children[0]
        imports = tuple(c for c in children[1:] if isinstance(c, ast.ImportDeclaration))
        body = tuple(c for c in children[1:] if c is not None and not isinstance(c, ast.ImportDeclaration))
        nodes = [c for c in children if c is not None]
        span = _span(nodes[0], nodes[-1]) if nodes else Span(1, 1, 1, 1)
        return ast.File("", package, imports, body, span=span)

    def package_clause(self, children):
        attributes, keyword, name = children
        return ast.PackageClause(name, attributes=attributes or (), span=_span(attributes[0] if attributes else keyword, name))

    def import_declaration(self, children):
        attributes, keyword, alias, path = children
        return ast.ImportDeclaration(path, alias, attributes=attributes or (), span=_span(attributes[0] if attributes else keyword, path))

    def attributes(self, children):
        return tuple(children)

    def attribute(self, children):
        name, params = children
        params = params or ()
        return ast.Attribute(name.value[1:], params, span=_span(name, name if not params else params[-1]))

    def attribute_parameters(self, children):
        return tuple(c for c in children if isinstance(c, Node))

    # ---------------------------------------------------------------- statements

    def statement(self, children):
        attributes, inner = children
        if attributes:
            inner = replace(inner, attributes=attributes, span=_span(attributes[0], inner))
        return inner

    def option_assignment(self, children):
        keyword, name, _, init = children
        assignment = ast.VariableAssignment(name, init, span=_span(name, init))
        return ast.OptionStatement(assignment, span=_span(keyword, init))

    def option_member_assignment(self, children):
        keyword, obj, _, prop, _, init = children
        member = ast.MemberExpression(obj, prop, span=_span(obj, prop))
        assignment = ast.MemberAssignment(member, init, span=_span(obj, init))
        return ast.OptionStatement(assignment, span=_span(keyword, init))

    def builtin_statement(self, children):
        keyword, name, _, ty = children
        return ast.BuiltinStatement(name, ty, span=_span(keyword, ty))

    def variable_assignment(self, children):
        name, _, init = children
        return ast.VariableAssignment(name, init, span=_span(name, init))

    def return_statement(self, children):
        keyword, argument = children
        return ast.ReturnStatement(argument, span=_span(keyword, argument))

    def expression_statement(self, children):
        expression = children[0]
        return ast.ExpressionStatement(expression, span=expression.span)

    def testcase_statement(self, children):
        keyword, name, _, extends, block = children
        return ast.TestCaseStatement(name, block, extends, span=_span(keyword, block))

    def block(self, children):
        body = tuple(children[1:-1])
        return ast.Block(body, span=_span(children[0], children[-1]))

    # ---------------------------------------------------------------- operators

    def conditional_expression(self, children):
        keyword, test, _, consequent, _, alternate = children
        return ast.ConditionalExpression(test, consequent, alternate, span=_span(keyword, alternate))

    def logical_expression(self, children):
        return _fold(children)

    def comparison_expression(self, children):
        return _fold(children)

    def unary_expression(self, children):
        op, argument = children
        return ast.UnaryExpression(op.value, argument, span=_span(op, argument))

    # ---------------------------------------------------------------- postfix

    def member_expression(self, children):
        obj, _, prop = children
        return ast.MemberExpression(obj, prop, span=_span(obj, prop))

    def call_expression(self, children):
        callee, _, properties, close = children
        arguments = None
        if properties:
            _check_properties(properties, properties[0].span, "call arguments")
            arguments = ast.ObjectExpression(properties, span=_span(properties[0], properties[-1]))
        return ast.CallExpression(callee, arguments, span=_span(callee, close))

    def index_expression(self, children):
        obj, _, index, close = children
        if isinstance(index, ast.StringLiteral):
            # SPEC: Member expressions: `r["k"]` is the member `k`.
            return ast.MemberExpression(obj, index, span=_span(obj, close))
        return ast.IndexExpression(obj, index, span=_span(obj, close))

    # ---------------------------------------------------------------- literals

    def string_expression(self, children):
        parts = tuple(children[1:-1])
        return ast.StringExpression(parts, span=_span(children[0], children[-1]))

    def interpolated_part(self, children):
        start, expression, end = children
        return ast.InterpolatedPart(expression, span=_span(start, end))

    def label_literal(self, children):
        dot, name = children
        value = name.name if isinstance(name, ast.Identifier) else name.value
        return ast.LabelLiteral(value, span=_span(dot, name))

    def property_list(self, children):
        return tuple(c for c in children if isinstance(c, ast.Property))

    def property(self, children):
        key = children[0]
        value = children[2] if len(children) > 2 else None
        return ast.Property(key, value, span=_span(key, value if value is not None else key))

    def with_properties(self, children):
        source, _, properties = children
        return _WithProperties(source, properties or ())

    def record_literal(self, children):
        body = children[1]
        span = _span(children[0], children[-1])
        with_ = None
        if isinstance(body, _WithProperties):
            with_, body = body.source, body.properties
        properties = body or ()
        _check_properties(properties, span, "a record")
        return ast.ObjectExpression(properties, with_, span=span)

    def array_literal(self, children):
        elements = tuple(c for c in children if isinstance(c, Node))
        return ast.ArrayExpression(elements, span=_span(children[0], children[-1]))

    def dict_literal(self, children):
        elements = tuple(c for c in children if isinstance(c, ast.DictItem))
        return ast.DictExpression(elements, span=_span(children[0], children[-1]))

    def association(self, children):
        key, _, value = children
        return ast.DictItem(key, value, span=_span(key, value))

    # ---------------------------------------------------------------- parentheses and functions

    def parenthesized(self, children):
        items = [c for c in children if isinstance(c, Node)]
        commas = any(isinstance(c, Token) and c.type == "COMMA" for c in children)
        return _Parenthesized(items, commas, children[0], children[-1])

    def parameter(self, children):
        key, _, value = children
        return ast.Property(key, value, span=_span(key, value))

    def paren_expression(self, children):
        group = children[0]
        if len(group.items) == 1 and not group.commas and not isinstance(group.items[0], ast.Property):
            inner = group.items[0]
            return replace(inner, span=_span(group.open, group.close))
        what = "'()'" if not group.items else "a parameter list"
        raise FluxSyntaxError(
            f"expected '=>' after {what}",
            Span(group.close.end_line, group.close.end_column, group.close.end_line, group.close.end_column),
            "a function literal is written '(a, b) => body'; parentheses around an expression hold one expression",
        )

    def function_literal(self, children):
        group, _, body = children
        params = []
        for item in group.items:
            if isinstance(item, ast.Property):
                params.append(item)
            elif isinstance(item, ast.Identifier) and _is_bare(item, item.name):
                params.append(ast.Property(item, None, span=item.span))
            else:
                raise FluxSyntaxError(
                    "invalid function parameter: expected a name, or 'name = default'",
                    item.span,
                )
        return ast.FunctionExpression(tuple(params), body, span=_span(group.open, body))

    # ---------------------------------------------------------------- types

    def type_expression(self, children):
        ty = children[0]
        constraints = tuple(c for c in children[1:] if isinstance(c, ast.TypeConstraint))
        return ast.TypeExpression(ty, constraints, span=_span(ty, constraints[-1] if constraints else ty))

    def constraint(self, children):
        tvar = children[0]
        kinds = tuple(c.name for c in children[2:] if isinstance(c, ast.Identifier))
        return ast.TypeConstraint(tvar.name, kinds, span=_span(tvar, children[-1]))

    def named_type(self, children):
        name = children[0]
        return ast.NamedType(name.name, span=name.span)

    def array_type(self, children):
        return ast.ArrayType(children[1], span=_span(children[0], children[-1]))

    def dict_type(self, children):
        return ast.DictType(children[1], children[3], span=_span(children[0], children[-1]))

    def stream_type(self, children):
        return ast.StreamType(children[2], span=_span(children[0], children[-1]))

    def record_type(self, children):
        tvar = None
        if len(children) > 2 and isinstance(children[1], ast.Identifier):
            tvar = children[1].name
        properties = tuple(c for c in children if isinstance(c, ast.PropertyType))
        return ast.RecordType(properties, tvar, span=_span(children[0], children[-1]))

    def property_type(self, children):
        key, _, ty = children
        name = key.name if isinstance(key, ast.Identifier) else key.value
        return ast.PropertyType(name, ty, span=_span(key, ty))

    def function_type(self, children):
        parameters = tuple(c for c in children if isinstance(c, ast.ParameterType))
        return ast.FunctionType(parameters, children[-1], span=_span(children[0], children[-1]))

    def parameter_type(self, children):
        name, _, ty = children
        return ast.ParameterType(name.name, ty, "required", span=_span(name, ty))

    def optional_parameter_type(self, children):
        mark, name, _, ty = children
        return ast.ParameterType(name.name, ty, "optional", span=_span(mark, ty))

    def pipe_parameter_type(self, children):
        arrow, name, _, ty = children
        return ast.ParameterType(name.name if name is not None else "", ty, "pipe", span=_span(arrow, ty))


# ============================================================== the parser

_LOCK = threading.Lock()
_PARSER: Lark | None = None


def _parser() -> Lark:
    """The LALR parser, built once per process (from lark's cache when it can)."""
    global _PARSER
    if _PARSER is None:
        with _LOCK:
            if _PARSER is None:
                _PARSER = _build_parser()
    return _PARSER


_LITERALS: dict[str, str] = {}


def _terminal_literals() -> dict[str, str]:
    """Terminal name -> its fixed text (`RPAR` -> `)`), to name tokens in messages."""
    if not _LITERALS:
        _LITERALS.update({t.name: t.pattern.value for t in _parser().terminals if t.pattern.type == "str"})
    return _LITERALS


def _build_parser() -> Lark:
    options = dict(
        parser="lalr",
        lexer=FluxLexer,
        transformer=_AstBuilder(),
        start="file",
        keep_all_tokens=True,
        maybe_placeholders=True,
    )
    grammar = GRAMMAR_PATH.read_text(encoding="utf-8")
    cache = _cache_file(grammar)
    if cache is None:
        return Lark(grammar, **options)
    # lark checks the digest stored in the file and rebuilds (and rewrites) a stale or
    # unreadable table, so a cache file half-written by a process starting at the same time
    # costs a rebuild, never an error.
    return Lark(grammar, cache=str(cache), **options)


def _cache_file(grammar: str) -> Path | None:
    """Where lark may keep the built parse table: the user's cache folder, never the repo.

    The name carries a digest of the grammar and lark's version, so installs of different
    versions do not overwrite each other's table. None (no caching) when no folder can be
    created and written, e.g. a read-only home; lark itself rebuilds the table when a cache
    file cannot be read, and carries on when it cannot be written.
    """
    digest = hashlib.sha256(f"{grammar}{lark.__version__}{sys.version_info[:2]}".encode()).hexdigest()[:16]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for folder in (Path(base) / "flux2sql", Path(tempfile.gettempdir()) / "flux2sql-cache"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return folder / f"flux-grammar-{digest}.lark"
        except OSError:
            continue
    return None


# ============================================================== nesting


def _check_nesting(tree: ast.File) -> None:
    """Refuse an AST deeper than MAX_NESTING (walked without recursion)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise FluxSyntaxError(
                f"program is nested too deeply (more than {MAX_NESTING} levels)", node.span
            )
        for value in node.__dict__.values():
            if isinstance(value, Node):
                stack.append((value, depth + 1))
            elif isinstance(value, tuple):
                stack.extend((item, depth + 1) for item in value if isinstance(item, Node))


# ============================================================== syntax errors

# How tokens are named in messages.
_TOKEN_NAMES = {
    "IDENT": "an identifier",
    "STRING": "a string",
    "$END": "end of file",
    "BLOCK_START": "'{'",
    "RBRACE": "'}'",
    "INTERP_END": "'}'",
    "QUOTE_END": "'\"'",
    "EXTENDS": "'extends'",
}
# What may be listed after "expected", in this order. Operators are left out: after an
# operand almost any operator could follow, and naming them all helps nobody.
_LISTED = [
    "COLON", "EQUAL", "ARROW", "COMMA", "THEN", "ELSE", "EXTENDS", "BLOCK_START", "IDENT", "STRING",
    "RPAR", "RSQB", "RBRACE", "INTERP_END", "QUOTE_END",
]
_CLOSERS = {"(": "RPAR", "[": "RSQB", "{": "RBRACE", "${": "INTERP_END"}
_CLOSER_TEXT = {"RPAR": ")", "RSQB": "]", "RBRACE": "}"}


def _describe(tok: Token) -> str:
    """The token that was found, for "got ..." and "unexpected ..."."""
    if tok.type == "$END":
        return "end of file"
    if tok.type == "IDENT":
        return f"identifier '{tok.value}'"
    if tok.type == "INT":
        return f"integer {tok.value}"
    if tok.type in ("FLOAT", "DURATION", "TIME", "REGEX"):
        kind = {"FLOAT": "float", "DURATION": "duration", "TIME": "date-time", "REGEX": "regex"}[tok.type]
        return f"{kind} {tok.value}"
    if tok.type == "STRING":
        shown = tok.value if len(tok.value) <= 30 else tok.value[:26] + '..."'
        return f"string {shown}"
    if tok.type == "QUOTE":
        return "a string"
    if tok.value.isalpha():
        return f"keyword '{tok.value}'"
    return f"'{tok.value}'"


def _acceptable(error: UnexpectedToken) -> set[str]:
    """The tokens the parser could really take at the error. LALR merges the states of
    similar contexts, so `error.expected` may list tokens that only fit elsewhere; lark's
    interactive parser tries each one on a copy of the parser state."""
    interactive = getattr(error, "interactive_parser", None)
    if interactive is not None:
        try:
            return set(interactive.accepts())
        except Exception:  # pragma: no cover - fall back on the table's view
            pass
    return set(error.expected)


def _syntax_error(error: UnexpectedToken, scan: _Scan) -> FluxSyntaxError:
    tok = error.token
    if tok.type == "$END":
        line, column = scan.eof
        span = Span(line, column, line, column)
    else:
        span = _token_span(tok)
    got = _describe(tok)
    acceptable = _acceptable(error)
    opener = scan.open_brackets[-1] if scan.open_brackets else None
    closer = _CLOSERS[opener[0]] if opener else None
    hint = _hint(tok, acceptable, scan)

    if tok.type in _CLOSER_TEXT and (closer is None or closer not in acceptable):
        if opener is None:
            text = tok.value
            opening = {")": "(", "]": "[", "}": "{"}[text]
            return FluxSyntaxError(f"unexpected '{text}': no '{opening}' is open", span, hint)

    # After an operand (where a binary-only operator such as `*` may follow), a new statement
    # could start too; listing what starts a statement would not help.
    after_operand = "STAR" in acceptable
    if "INT" in acceptable and not after_operand:
        wanted = ["an expression"]
    else:
        listed = [t for t in _LISTED if t in acceptable and t != closer]
        if after_operand:
            listed = [t for t in listed if t not in ("IDENT", "STRING")]
        wanted = [_display(t) for t in listed]
    closing = ""
    if closer in acceptable:
        wanted.append(f"'{_OPENERS[opener[0]]}'")
        closing = f" to close '{opener[0]}' opened at {opener[1]}:{opener[2]}"
    if not wanted:
        return FluxSyntaxError(f"unexpected {got}", span, hint)
    listed_text = wanted[0] if len(wanted) == 1 else ", ".join(wanted[:-1]) + " or " + wanted[-1]
    return FluxSyntaxError(f"expected {listed_text}{closing}, got {got}", span, hint)


def _display(terminal: str) -> str:
    if terminal in _TOKEN_NAMES:
        return _TOKEN_NAMES[terminal]
    literal = _terminal_literals().get(terminal)
    return f"'{literal}'" if literal is not None else terminal.lower()


_WORD_HINTS = {
    "AND": "Flux writes logical AND in lower case: 'and'",
    "OR": "Flux writes logical OR in lower case: 'or'",
    "NOT": "Flux writes logical NOT in lower case: 'not'",
    "And": "Flux writes logical AND in lower case: 'and'",
    "Or": "Flux writes logical OR in lower case: 'or'",
    "Not": "Flux writes logical NOT in lower case: 'not'",
    "IF": "Flux keywords are lower case: 'if'",
    "THEN": "Flux keywords are lower case: 'then'",
    "ELSE": "Flux keywords are lower case: 'else'",
    "elif": "write 'else if'",
    "elseif": "write 'else if'",
}


def _hint(tok: Token, acceptable: set[str], scan: _Scan) -> str | None:
    """A suggestion for the mistakes people make most (Flux is not SQL, nor JavaScript)."""
    if tok.type == "IDENT" and tok.value in _WORD_HINTS:
        return _WORD_HINTS[tok.value]
    source = scan.source
    before = source[tok.start_pos - 1] if tok.type != "$END" and tok.start_pos else ""
    after = source[tok.end_pos:tok.end_pos + 1] if tok.type != "$END" else ""
    if tok.type in ("EQUAL", "EQ") and "COLON" in acceptable:
        return "record properties and call arguments are written 'name: value'"
    if tok.type == "EQUAL":
        if after == "!":
            return "'not equal' is written '!='"
        if after == "<":
            return "'less or equal' is written '<='"
        return "compare with '==' ('=' only assigns a variable)"
    if tok.type == "ARROW" and "STAR" in acceptable:
        return "'greater or equal' is written '>='"
    if tok.type == "MORETHAN" and before == "-":
        return "a function literal is written '(r) => ...'"
    if tok.type == "MORETHAN" and before == "<":
        return "'not equal' is written '!='"
    if tok.type == "LEADING_DOT":
        return "a statement cannot start with a label such as '.a'"
    if "COMMA" in acceptable and tok.type in ("IDENT", "STRING", "INT", "FLOAT", "DURATION", "TIME", "QUOTE", "LBRACE"):
        return "separate properties, arguments and elements with ','"
    return None


def _point(scan: _Scan, line: int, column: int) -> Span:
    return Span(line, column, line, column + 1)
