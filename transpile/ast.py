"""The Flux abstract syntax tree, named as in the Flux SPEC and libflux's AST.

Owns only the node definitions: frozen dataclasses, each with the source span it came
from. Literals are decoded to values (integers, floats, strings, `Duration`, nanosecond
times). No parsing or evaluation happens here; Lark trees never reach this module.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Union

from .errors import Span
from .values import Duration


@dataclass(frozen=True)
class Node:
    span: Span | None = field(default=None, kw_only=True, compare=False, repr=False)


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Identifier(Node):
    name: str


@dataclass(frozen=True)
class StringLiteral(Node):
    value: str


@dataclass(frozen=True)
class IntegerLiteral(Node):
    value: int


@dataclass(frozen=True)
class UnsignedIntegerLiteral(Node):
    value: int


@dataclass(frozen=True)
class FloatLiteral(Node):
    value: float


@dataclass(frozen=True)
class BooleanLiteral(Node):
    """`true`/`false` are identifiers in Flux; the parser keeps them as Identifier.

    This node exists for code that builds ASTs directly.
    """

    value: bool


@dataclass(frozen=True)
class DurationPart(Node):
    magnitude: int
    unit: str


@dataclass(frozen=True)
class DurationLiteral(Node):
    """`1h30m`, `1mo2w`. `values` are the written parts; `duration` the decoded value."""

    values: tuple[DurationPart, ...]
    duration: Duration


@dataclass(frozen=True)
class DateTimeLiteral(Node):
    """An RFC3339 date-time or a date, decoded to nanoseconds since the Unix epoch, UTC."""

    value: int
    text: str


@dataclass(frozen=True)
class RegexpLiteral(Node):
    """`/pattern/` with `\\/` already unescaped to `/`."""

    value: str


@dataclass(frozen=True)
class LabelLiteral(Node):
    """`.foo`: a label, used where a column name is passed."""

    value: str


@dataclass(frozen=True)
class PipeLiteral(Node):
    """`<-` as the default of a function parameter: the piped-in value."""


@dataclass(frozen=True)
class TextPart(Node):
    value: str


@dataclass(frozen=True)
class InterpolatedPart(Node):
    expression: "Expression"


@dataclass(frozen=True)
class StringExpression(Node):
    """A string literal with `${...}` interpolation."""

    parts: tuple[Union[TextPart, InterpolatedPart], ...]


@dataclass(frozen=True)
class ArrayExpression(Node):
    elements: tuple["Expression", ...]


@dataclass(frozen=True)
class DictItem(Node):
    key: "Expression"
    val: "Expression"


@dataclass(frozen=True)
class DictExpression(Node):
    """`["a": 1, "b": 2]`; `[:]` is the empty dict."""

    elements: tuple[DictItem, ...]


@dataclass(frozen=True)
class Property(Node):
    """`key: value` in a record or a parameter list; value is None for the shorthand `{a}`
    and for a parameter without default."""

    key: Union[Identifier, StringLiteral]
    value: Union["Expression", None]


@dataclass(frozen=True)
class ObjectExpression(Node):
    """A record literal `{a: 1}`; `with_` is the record extended by `{r with a: 1}`."""

    properties: tuple[Property, ...]
    with_: Identifier | None = None


@dataclass(frozen=True)
class Block(Node):
    body: tuple["Statement", ...]


@dataclass(frozen=True)
class FunctionExpression(Node):
    """`(a, b=1, tables=<-) => body`; body is an expression or a Block."""

    params: tuple[Property, ...]
    body: Union["Expression", Block]


@dataclass(frozen=True)
class CallExpression(Node):
    callee: "Expression"
    arguments: ObjectExpression | None


@dataclass(frozen=True)
class PipeExpression(Node):
    """`argument |> call`."""

    argument: "Expression"
    call: CallExpression


@dataclass(frozen=True)
class MemberExpression(Node):
    """`object.property` or `object["property"]`."""

    object: "Expression"
    property: Union[Identifier, StringLiteral]


@dataclass(frozen=True)
class IndexExpression(Node):
    """`array[index]` where index is not a string literal."""

    array: "Expression"
    index: "Expression"


@dataclass(frozen=True)
class UnaryExpression(Node):
    """operator is one of `-`, `+`, `not`, `exists`."""

    operator: str
    argument: "Expression"


@dataclass(frozen=True)
class BinaryExpression(Node):
    """operator is one of `+ - * / % ^ == != < <= > >= =~ !~`."""

    operator: str
    left: "Expression"
    right: "Expression"


@dataclass(frozen=True)
class LogicalExpression(Node):
    """operator is `and` or `or`."""

    operator: str
    left: "Expression"
    right: "Expression"


@dataclass(frozen=True)
class ConditionalExpression(Node):
    test: "Expression"
    consequent: "Expression"
    alternate: "Expression"


Expression = Union[
    Identifier,
    StringLiteral,
    IntegerLiteral,
    UnsignedIntegerLiteral,
    FloatLiteral,
    BooleanLiteral,
    DurationLiteral,
    DateTimeLiteral,
    RegexpLiteral,
    LabelLiteral,
    PipeLiteral,
    StringExpression,
    ArrayExpression,
    DictExpression,
    ObjectExpression,
    FunctionExpression,
    CallExpression,
    PipeExpression,
    MemberExpression,
    IndexExpression,
    UnaryExpression,
    BinaryExpression,
    LogicalExpression,
    ConditionalExpression,
]

# ---------------------------------------------------------------- type expressions


@dataclass(frozen=True)
class NamedType(Node):
    """`int`, `string`, `A` (a type variable is a single upper-case name)."""

    name: str


@dataclass(frozen=True)
class ArrayType(Node):
    element: "MonoType"


@dataclass(frozen=True)
class StreamType(Node):
    element: "MonoType"


@dataclass(frozen=True)
class DictType(Node):
    key: "MonoType"
    value: "MonoType"


@dataclass(frozen=True)
class PropertyType(Node):
    name: str
    ty: "MonoType"


@dataclass(frozen=True)
class RecordType(Node):
    """`{A with a: int}`; tvar is the extended type variable, if any."""

    properties: tuple[PropertyType, ...]
    tvar: str | None = None


@dataclass(frozen=True)
class ParameterType(Node):
    """kind is `required`, `optional` (`?name`) or `pipe` (`<-name`)."""

    name: str
    ty: "MonoType"
    kind: str = "required"


@dataclass(frozen=True)
class FunctionType(Node):
    parameters: tuple[ParameterType, ...]
    returns: "MonoType"


MonoType = Union[NamedType, ArrayType, StreamType, DictType, RecordType, FunctionType]


@dataclass(frozen=True)
class TypeConstraint(Node):
    tvar: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class TypeExpression(Node):
    ty: MonoType
    constraints: tuple[TypeConstraint, ...] = ()


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class Attribute(Node):
    """`@edition("2022.1")` before a package clause, an import or a statement (SPEC:
    Attributes). The runtime defines their meaning; the parser only records them."""

    name: str
    params: tuple[Expression, ...] = ()


@dataclass(frozen=True)
class VariableAssignment(Node):
    id: Identifier
    init: Expression
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True)
class MemberAssignment(Node):
    """`option a.b = ...`: the qualified form of an option."""

    member: MemberExpression
    init: Expression


@dataclass(frozen=True)
class OptionStatement(Node):
    assignment: Union[VariableAssignment, MemberAssignment]
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True)
class BuiltinStatement(Node):
    id: Identifier
    ty: TypeExpression
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True)
class ExpressionStatement(Node):
    expression: Expression
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True)
class ReturnStatement(Node):
    argument: Expression
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True)
class TestCaseStatement(Node):
    """`testcase name [extends "path"] { ... }`."""

    id: Identifier
    block: Block
    extends: StringLiteral | None = None
    attributes: tuple[Attribute, ...] = ()


Statement = Union[
    OptionStatement,
    BuiltinStatement,
    VariableAssignment,
    ExpressionStatement,
    ReturnStatement,
    TestCaseStatement,
]


@dataclass(frozen=True)
class PackageClause(Node):
    name: Identifier
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True)
class ImportDeclaration(Node):
    path: StringLiteral
    alias: Identifier | None = None
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True)
class File(Node):
    name: str
    package: PackageClause | None
    imports: tuple[ImportDeclaration, ...]
    body: tuple[Statement, ...]


def to_json(node) -> object:
    """The AST as plain JSON-able data, `{"type": NodeName, ...fields}` with spans."""
    if isinstance(node, tuple):
        return [to_json(n) for n in node]
    if isinstance(node, Duration):
        return {"months": node.months, "nanoseconds": node.nanoseconds}
    if is_dataclass(node) and isinstance(node, Node):
        out: dict[str, object] = {"type": type(node).__name__}
        for f in fields(node):
            if f.name == "span":
                continue
            out[f.name.rstrip("_")] = to_json(getattr(node, f.name))
        if node.span is not None:
            s = node.span
            out["loc"] = {"start": [s.line, s.column], "end": [s.end_line, s.end_column]}
        return out
    return node
