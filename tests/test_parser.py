"""The parser builds the SPEC's AST for every construct of the language, with spans."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from transpile import ast
from transpile.errors import FluxSyntaxError
from transpile.parser import parse, tokenize

SHARED = Path(__file__).resolve().parents[2] / "shared"
CONFORMANCE = SHARED / "flux-conformance" / "cases"


def expr(source: str):
    statement = parse(source).body[-1]
    assert isinstance(statement, ast.ExpressionStatement)
    return statement.expression


def sexp(node) -> str:
    """A compact rendering of expression trees, to check structure and precedence."""
    if isinstance(node, ast.Identifier):
        return node.name
    if isinstance(node, ast.IntegerLiteral):
        return str(node.value)
    if isinstance(node, (ast.BinaryExpression, ast.LogicalExpression)):
        return f"({node.operator} {sexp(node.left)} {sexp(node.right)})"
    if isinstance(node, ast.UnaryExpression):
        return f"({node.operator} {sexp(node.argument)})"
    if isinstance(node, ast.PipeExpression):
        return f"(|> {sexp(node.argument)} {sexp(node.call)})"
    if isinstance(node, ast.CallExpression):
        args = "" if node.arguments is None else " " + " ".join(
            f"{p.key.name}:{sexp(p.value)}" for p in node.arguments.properties
        )
        return f"(call {sexp(node.callee)}{args})"
    if isinstance(node, ast.MemberExpression):
        prop = node.property.name if isinstance(node.property, ast.Identifier) else repr(node.property.value)
        return f"{sexp(node.object)}.{prop}"
    if isinstance(node, ast.IndexExpression):
        return f"{sexp(node.array)}[{sexp(node.index)}]"
    if isinstance(node, ast.ConditionalExpression):
        return f"(if {sexp(node.test)} {sexp(node.consequent)} {sexp(node.alternate)})"
    return type(node).__name__


# ---------------------------------------------------------------- packages, imports, options


def test_package_imports_and_aliases():
    file = parse('package main\nimport "strings"\nimport s2 "experimental/strings"\nx = 1', "f.flux")
    assert file.name == "f.flux"
    assert file.package.name == ast.Identifier("main")
    assert [i.path.value for i in file.imports] == ["strings", "experimental/strings"]
    assert file.imports[0].alias is None and file.imports[1].alias == ast.Identifier("s2")
    assert len(file.body) == 1


def test_import_after_a_statement_is_an_error():
    with pytest.raises(FluxSyntaxError):
        parse('x = 1\nimport "strings"')


def test_options():
    file = parse(
        'option task = {name: "t", every: 1h}\n'
        "option now = () => 2020-01-01T00:00:00Z\n"
        'option location = timezone.location(name: "Europe/Paris")\n'
        "option planner.disablePhysicalRules = [\"a\"]\n"
    )
    task, now, location, qualified = file.body
    assert isinstance(task, ast.OptionStatement) and task.assignment.id.name == "task"
    assert isinstance(now.assignment.init, ast.FunctionExpression)
    assert now.assignment.init.body == ast.DateTimeLiteral(1_577_836_800_000_000_000, "2020-01-01T00:00:00Z")
    assert sexp(location.assignment.init) == "(call timezone.location name:StringLiteral)"
    assert isinstance(qualified.assignment, ast.MemberAssignment)
    assert sexp(qualified.assignment.member) == "planner.disablePhysicalRules"


def test_attributes():
    file = parse('@edition("2022.1")\npackage main\n@deprecated\nx = 1')
    assert file.package.attributes == (ast.Attribute("edition", (ast.StringLiteral("2022.1"),)),)
    assert file.body[0].attributes == (ast.Attribute("deprecated"),)


# ---------------------------------------------------------------- statements


def test_builtin_statement_with_type_expression():
    file = parse(
        "builtin filter : (<-tables: stream[A], fn: (r: A) => bool, ?onEmpty: string) => stream[A] "
        "where A: Record + Equatable, B: Addable\n"
        "builtin d : [string: {B with a: int, \"b c\": [float]}]"
    )
    statement = file.body[0]
    assert isinstance(statement, ast.BuiltinStatement) and statement.id.name == "filter"
    fn = statement.ty.ty
    assert isinstance(fn, ast.FunctionType)
    tables, predicate, on_empty = fn.parameters
    assert (tables.name, tables.kind) == ("tables", "pipe")
    assert tables.ty == ast.StreamType(ast.NamedType("A"))
    assert isinstance(predicate.ty, ast.FunctionType) and predicate.ty.returns == ast.NamedType("bool")
    assert (on_empty.name, on_empty.kind) == ("onEmpty", "optional")
    assert fn.returns == ast.StreamType(ast.NamedType("A"))
    assert statement.ty.constraints == (
        ast.TypeConstraint("A", ("Record", "Equatable")),
        ast.TypeConstraint("B", ("Addable",)),
    )
    dict_type = file.body[1].ty.ty
    assert isinstance(dict_type, ast.DictType) and dict_type.key == ast.NamedType("string")
    record = dict_type.value
    assert record.tvar == "B" and [p.name for p in record.properties] == ["a", "b c"]
    assert record.properties[1].ty == ast.ArrayType(ast.NamedType("float"))


def test_testcase_blocks():
    file = parse('testcase a { x = 1\n testing.assertEqualValues(got: x, want: 1) }\n'
                 'testcase b extends "flux/a_test.a" { super() }')
    first, second = file.body
    assert isinstance(first, ast.TestCaseStatement) and first.id.name == "a" and first.extends is None
    assert len(first.block.body) == 2
    assert second.extends == ast.StringLiteral("flux/a_test.a")


def test_statements_need_no_separator():
    # Flux has no statement separator; newlines do not matter (as in libflux).
    file = parse("a = 1 b = 2\nc")
    assert [type(s).__name__ for s in file.body] == ["VariableAssignment", "VariableAssignment", "ExpressionStatement"]
    # ... so an operand on the next line continues the expression.
    assert sexp(parse("x = a\n-1").body[0].init) == "(- a 1)"
    assert sexp(parse("x = f\n(a: 1)").body[0].init) == "(call f a:1)"


def test_function_literals():
    simple = expr("(r) => r._value > 0")
    assert [p.key.name for p in simple.params] == ["r"] and simple.params[0].value is None
    assert sexp(simple.body) == "(> r._value 0)"
    defaults = expr("(tables=<-, n=1, fn=(r) => r) => tables")
    assert isinstance(defaults.params[0].value, ast.PipeLiteral)
    assert defaults.params[1].value == ast.IntegerLiteral(1)
    assert isinstance(defaults.params[2].value, ast.FunctionExpression)
    block = expr("(a, b) => {\n  c = a + b\n  return c * 2\n}")
    assert isinstance(block.body, ast.Block)
    assert isinstance(block.body.body[1], ast.ReturnStatement)
    assert expr("() => 1").params == ()


def test_a_brace_after_the_arrow_opens_a_block():
    # As in libflux: `() => {a: 1}` is a block (and an error); a record needs parentheses.
    with pytest.raises(FluxSyntaxError):
        parse("f = () => {a: 1}")
    record = expr("() => ({a: 1})").body
    assert isinstance(record, ast.ObjectExpression)


def test_parenthesized_expressions_are_not_parameters():
    assert sexp(expr("(a + b) * c")) == "(* (+ a b) c)"
    for bad in ["(a, b)", "(a = 1)", "()", "(1) => 1", "((a)) => a", "(a.b) => 1"]:
        with pytest.raises(FluxSyntaxError):
            parse(bad)


# ---------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    "source, tree",
    [
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c", "(or (and a b) c)"),
        ("not a == b", "(not (== a b))"),
        ("not a and exists b", "(and (not a) (exists b))"),
        ("1 + 2 * 3 ^ 4 ^ 5", "(+ 1 (* 2 (^ (^ 3 4) 5)))"),
        ("a - b - c", "(- (- a b) c)"),
        ("a % b * c / d", "(/ (* (% a b) c) d)"),
        ("a < b < c", "(< (< a b) c)"),
        ("-a |> f()", "(|> (- a) (call f))"),
        ("a |> f() + 1", "(+ (|> a (call f)) 1)"),
        ("a + b |> f()", "(+ a (|> b (call f)))"),
        ("a * -b", "(* a (- b))"),
        ("- - a", "(- (- a))"),
        ("a =~ b and c !~ d", "(and (=~ a b) (!~ c d))"),
        ("if a then b else if c then d else e + 1", "(if a b (if c d (+ e 1)))"),
        ("f(a: 1)(b: 2)", "(call (call f a:1) b:2)"),
        ('a.b["c"][0].d', "a.b.'c'[0].d"),
        ("not not a or b", "(or (not (not a)) b)"),
    ],
)
def test_operator_precedence(source, tree):
    assert sexp(expr(source)) == tree


def test_pipe_chains():
    pipeline = expr('from(bucket: "b")\n  |> range(start: -1h)\n  |> filter(fn: (r) => r._measurement == "cpu")')
    assert isinstance(pipeline, ast.PipeExpression)
    assert sexp(pipeline.call.callee) == "filter"
    assert sexp(pipeline.argument.call) == "(call range start:(- DurationLiteral))"
    assert sexp(pipeline.argument.argument) == "(call from bucket:StringLiteral)"


@pytest.mark.parametrize("source", ["a |> f", "a |> (f())", "a |> -f()", "a |> f().b"])
def test_pipe_destination_must_be_a_call(source):
    with pytest.raises(FluxSyntaxError, match="must be a function call"):
        parse(source)


def test_records():
    plain = expr('{a: 1, "b c": 2}')
    assert [p.key for p in plain.properties] == [ast.Identifier("a"), ast.StringLiteral("b c")]
    shorthand = expr("{a, b,}")
    assert [(p.key.name, p.value) for p in shorthand.properties] == [("a", None), ("b", None)]
    extended = expr("{r with _value: r._value * 2, unit: \"x\"}")
    assert extended.with_ == ast.Identifier("r")
    assert [p.key.name for p in extended.properties] == ["_value", "unit"]
    assert expr("{}").properties == ()


@pytest.mark.parametrize("source", ["{a, b: 1}", "f(a, b: 1)", '{"a"}', "{a b}", "{a: 1 b: 2}", "{,}"])
def test_invalid_records(source):
    with pytest.raises(FluxSyntaxError):
        parse(source)


def test_arrays_and_dicts():
    assert [e.value for e in expr("[1, 2, 3,]").elements] == [1, 2, 3]
    assert expr("[]").elements == ()
    dictionary = expr('["a": 1, "b": 2]')
    assert isinstance(dictionary, ast.DictExpression)
    assert [(i.key.value, i.val.value) for i in dictionary.elements] == [("a", 1), ("b", 2)]
    assert expr("[:]") == ast.DictExpression(())
    # libflux (and so InfluxDB) accepts a missing comma after the first one.
    assert len(expr("[1, 2 3]").elements) == 3


def test_member_and_index():
    assert expr('r["a b"]') == ast.MemberExpression(ast.Identifier("r"), ast.StringLiteral("a b"))
    assert expr("a[0]") == ast.IndexExpression(ast.Identifier("a"), ast.IntegerLiteral(0))
    assert expr("a[i + 1]").index == ast.BinaryExpression("+", ast.Identifier("i"), ast.IntegerLiteral(1))


def test_call_arguments():
    call = expr('f(a: 1, b: "x")')
    assert [p.key.name for p in call.arguments.properties] == ["a", "b"]
    assert expr("f()").arguments is None
    assert [p.value for p in expr("f(a, b)").arguments.properties] == [None, None]


def test_contextual_keywords_are_identifiers_elsewhere():
    file = parse("with = 1\nwhere = with + 1\nstream = {with, where}\nextends = stream.with")
    assert [s.id.name for s in file.body] == ["with", "where", "stream", "extends"]


def test_comments_anywhere():
    file = parse(
        "// header\nx = 1 // trailing\n"
        "y = f(\n  // inside\n  a: 1, // after\n)\n"
        "z = 10 // 2\n"
        "s = \"// not a comment\"\n"
    )
    assert len(file.body) == 4
    assert file.body[2].init == ast.IntegerLiteral(10)
    assert file.body[3].init == ast.StringLiteral("// not a comment")


def test_line_endings_and_tabs():
    file = parse("x = 1\r\n\ty\t= (\r\n  2)\r\n")
    assert file.body[1].init == ast.IntegerLiteral(2)
    assert (file.body[1].span.line, file.body[1].span.column) == (2, 2)
    assert (file.body[1].init.span.line, file.body[1].init.span.column) == (2, 6)


# ---------------------------------------------------------------- spans


def test_spans_are_one_based_and_end_exclusive():
    file = parse("x = 1\nfoo = bar(a: 10)")
    assignment = file.body[1]
    assert (assignment.span.line, assignment.span.column) == (2, 1)
    call = assignment.init
    assert (call.span.line, call.span.column, call.span.end_line, call.span.end_column) == (2, 7, 2, 17)
    argument = call.arguments.properties[0].value
    assert (argument.span.column, argument.span.end_column) == (14, 16)


def every_node(node):
    yield node
    for f in fields(node):
        child = getattr(node, f.name)
        children = child if isinstance(child, tuple) else (child,)
        for c in children:
            if isinstance(c, ast.Node):
                yield from every_node(c)


def test_every_node_has_a_span():
    source = (SHARED / "examples" / "seed_task_fixed.flux").read_text()
    source += '\nbuiltin b : (?x: [int]) => {A with a: stream[A]} where A: Record\ns = "a${x}b"\nd = [1: 2]\n'
    for node in every_node(parse(source)):
        assert node.span is not None, node


def test_tokenize():
    assert tokenize("x = a / 2 // c\ny = /re/") == [
        ("IDENT", "x", 0, 1), ("EQUAL", "=", 2, 3), ("IDENT", "a", 4, 5), ("SLASH", "/", 6, 7),
        ("INT", "2", 8, 9), ("IDENT", "y", 15, 16), ("EQUAL", "=", 17, 18), ("REGEX", "/re/", 19, 23),
    ]


# ---------------------------------------------------------------- the conformance corpus


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="../shared/flux-conformance is not present")
def test_every_conformance_file_parses():
    files = sorted(CONFORMANCE.rglob("*.flux"))
    assert len(files) > 100
    failures = []
    for path in files:
        try:
            parse(path.read_text(encoding="utf-8"), str(path))
        except FluxSyntaxError as error:
            failures.append(error.format(str(path)))
    assert failures == []
