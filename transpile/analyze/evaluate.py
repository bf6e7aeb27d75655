"""The compile-time evaluator: AST -> constants, functions, Plan nodes and row expressions.

One `Evaluator` per program. Options are evaluated first (Flux options are program-wide),
then the statements in order. Calls to user functions are inlined; calls to builtins run
their registered implementation, which returns Plan nodes for table functions.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from .. import ast
from ..errors import FluxError, FluxSemanticError, FluxUnsupportedError, Span
from ..plan import PlanNode, Yield
from ..values import Regex, Time, UInt
from . import operators
from .objects import Builtin, Closure, FluxDict, Located, Package, Record, RowRecord, RowValue, Stream
from .scope import Scope
from .variants import AllChoices, NeedsSplit, StreamVariants, map_call, merges_variants


class ReturnSignal(Exception):
    def __init__(self, value):
        self.value = value


@dataclass
class Program:
    """What a Flux program computes: its named results, and its options."""

    results: list[Yield]
    options: dict
    now: int | None


@dataclass
class CallContext:
    """What a builtin implementation gets besides its arguments."""

    evaluator: "Evaluator"
    name: str
    span: Span | None
    arg_spans: dict = field(default_factory=dict)

    def error(self, message: str, arg: str | None = None) -> FluxSemanticError:
        span = self.arg_spans.get(arg, self.span) if arg else self.span
        return FluxSemanticError(f"{self.name}: {message}", span)

    def unsupported(self, message: str, arg: str | None = None) -> FluxUnsupportedError:
        span = self.arg_spans.get(arg, self.span) if arg else self.span
        return FluxUnsupportedError(f"{self.name}: {message}", span)

    def call(self, fn, args: dict, pipe=None):
        piped = Located(pipe, self.span) if pipe is not None else None
        return self.evaluator.call_value(fn, {k: Located(v, self.span) for k, v in args.items()}, self.span, piped)

    @property
    def now(self) -> int:
        return self.evaluator.now_ns(self.span)

    @property
    def location(self):
        return self.evaluator.options.get("location")


class Evaluator:
    def __init__(self, now: int | None = None, base_dir: str | Path | None = None, catalog=None,
                 source_types: dict | None = None):
        from ..functions import registry
        from ..functions.universe import PRELUDE

        self.packages = registry.PACKAGES
        self.default_now = now
        self.base_dir = Path(base_dir) if base_dir else Path.cwd()
        self.catalog = catalog
        # The `_value` type chosen for each from() call, by call order (see transpile.compile).
        self.source_types = dict(source_types or {})
        self.source_sites = 0
        self.mapping_variants = 0  # > 0 while a builtin is applied to each variant of a stream
        # (record, extra arguments) of the row functions being evaluated, outermost first.
        self.row_records: list = []
        self.options: dict = {}
        self.results: list[Yield] = []
        self.yielded: set[int] = set()
        self.universe = Scope(names=dict(PRELUDE, **self.packages["universe"]))
        self.depth = 0
        # Each package is loaded once per program, so that `option pkg.name = v` is seen by every
        # importer and by the package's own Flux-defined functions (their scope is kept here).
        self.loaded: dict[str, Package] = {}
        self.library_scopes: dict[str, Scope] = {}

    # ------------------------------------------------------------------ program

    def run(self, file: ast.File) -> Program:
        scope = self.universe.child()
        for imp in file.imports:
            path = imp.path.value
            name = imp.alias.name if imp.alias else path.rsplit("/", 1)[-1]
            scope.define(name, self.package(path))
        # Options are program-wide: evaluate them first (Flux applies them before the body).
        deferred = set()
        for i, stmt in enumerate(file.body):
            if isinstance(stmt, ast.OptionStatement):
                try:
                    self.statement(stmt, scope)
                except FluxSemanticError:
                    deferred.add(i)
        streams = []
        for i, stmt in enumerate(file.body):
            if isinstance(stmt, ast.OptionStatement) and i not in deferred:
                continue
            if isinstance(stmt, ast.TestCaseStatement):
                continue
            value = self.statement(stmt, scope)
            if isinstance(value, StreamVariants):
                raise NeedsSplit()
            if isinstance(stmt, ast.ExpressionStatement) and isinstance(value, Stream):
                streams.append((value, stmt.span))
        for value, span in streams:
            if id(value.node) not in self.yielded:
                self.add_result("_result", value.node, span)
        return Program(self.results, self.options, self.default_now)

    def package(self, path: str) -> Package:
        """An imported package: its registered members plus those its Flux source defines."""
        from ..functions.flux_defined import FLUX_SOURCES

        if path in self.loaded:
            return self.loaded[path]
        members = dict(self.packages.get(path, {}))
        source = FLUX_SOURCES.get(path)
        if source is not None:
            library = _library_ast(path, source)
            scope = self.universe.child()
            # As in Flux's stdlib, a package's Flux source calls its own builtins by name.
            scope.names.update(members)
            for imp in library.imports:
                dep = imp.path.value
                scope.define(imp.alias.name if imp.alias else dep.rsplit("/", 1)[-1], self.package(dep))
            for stmt in library.body:
                if isinstance(stmt, ast.OptionStatement):
                    # A package option's default: it lives in the package, not in the program's options.
                    scope.define(stmt.assignment.id.name, self.eval(stmt.assignment.init, scope))
                else:
                    self.statement(stmt, scope)
            members.update({k: v for k, v in scope.names.items() if not k.startswith("_")})
            self.library_scopes[path] = scope
        self.loaded[path] = Package(path, members)
        return self.loaded[path]

    def next_source_site(self, all_choices: bool = False) -> int:
        """Number a source that may be compiled several ways. A source that can give all
        its type groups at once says so with `all_choices` (see analyze/variants.py)."""
        self.source_sites += 1
        if self.mapping_variants:
            raise NeedsSplit()  # the sources would be numbered unlike the first evaluation
        if isinstance(self.source_types.get(self.source_sites), AllChoices) and not all_choices:
            raise NeedsSplit()
        return self.source_sites

    def add_result(self, name: str, node: PlanNode, span) -> None:
        if self.mapping_variants:
            raise NeedsSplit()  # one result per type group: compile once per group
        if any(r.name == name for r in self.results):
            raise FluxSemanticError(f"result name {name!r} is used twice; give each yield its own name", span)
        self.results.append(Yield(name, node, span))
        self.yielded.add(id(node))

    def now_ns(self, span: Span | None) -> int:
        now = self.options.get("now")
        if now is not None:
            value = self.call_value(now, {}, span)
            if not isinstance(value, Time):
                raise FluxSemanticError("option now must be a function returning a time", span)
            return value.nanoseconds
        if self.default_now is None:
            raise FluxSemanticError("now() is not set: pass --now (or set `option now`)", span)
        return self.default_now

    # ------------------------------------------------------------------ statements

    def statement(self, stmt, scope: Scope):
        kind = type(stmt)
        if kind is ast.VariableAssignment:
            scope.define(stmt.id.name, self.bind_name(self.eval(stmt.init, scope), stmt.id.name))
            return None
        if kind is ast.ExpressionStatement:
            return self.eval(stmt.expression, scope)
        if kind is ast.OptionStatement:
            return self.option(stmt.assignment, scope)
        if kind is ast.ReturnStatement:
            raise ReturnSignal(self.eval(stmt.argument, scope))
        if kind is ast.BuiltinStatement:
            return None
        raise FluxUnsupportedError(f"{kind.__name__} is not supported here", stmt.span)

    @staticmethod
    def bind_name(value, name: str):
        if isinstance(value, Closure) and value.name == "<function>":
            return Closure(value.expression, value.scope, name)
        return value

    def option(self, assignment, scope: Scope):
        if isinstance(assignment, ast.VariableAssignment):
            value = self.eval(assignment.init, scope)
            self.options[assignment.id.name] = value
            scope.define(assignment.id.name, value)
            return None
        # `option pkg.name = value` sets an option of an imported package; the ones Flux's
        # test suite sets (planner rules, testing hooks) change how Flux executes, not what
        # a query returns, so they are recorded and otherwise ignored.
        member = assignment.member
        value = self.eval(assignment.init, scope)
        obj = member.object.name if isinstance(member.object, ast.Identifier) else "?"
        prop = member.property.name if isinstance(member.property, ast.Identifier) else member.property.value
        self.options[f"{obj}.{prop}"] = value
        target = scope.names.get(obj) if isinstance(member.object, ast.Identifier) else None
        if isinstance(target, Package):
            # Flux options belong to their package: the package's own functions see the new value
            # (e.g. `option monitor.write = ...` changes what monitor.check() writes with).
            target.members[prop] = value
            library = self.library_scopes.get(target.path)
            if library is not None and prop in library.names:
                library.define(prop, value)
        return None

    # ------------------------------------------------------------------ expressions

    def eval(self, node, scope: Scope):
        try:
            handler = _HANDLERS[type(node)]
        except KeyError:
            raise FluxUnsupportedError(f"{type(node).__name__} is not supported", node.span) from None
        self.depth += 1
        try:
            if self.depth > 400:
                raise FluxSemanticError("expression nests too deeply (recursive function?)", node.span)
            return handler(self, node, scope)
        finally:
            self.depth -= 1

    def e_identifier(self, node: ast.Identifier, scope: Scope):
        try:
            return scope.lookup(node.name)
        except KeyError:
            raise FluxSemanticError(f"undefined identifier {node.name!r}", node.span) from None

    def e_literal(self, node, scope):
        return node.value

    def e_duration(self, node: ast.DurationLiteral, scope):
        return node.duration

    def e_datetime(self, node: ast.DateTimeLiteral, scope):
        return Time(node.value)

    def e_regex(self, node: ast.RegexpLiteral, scope):
        return Regex(node.value)

    def e_uint(self, node, scope):
        return UInt(node.value)

    def e_label(self, node: ast.LabelLiteral, scope):
        return node.value

    def e_string_expression(self, node: ast.StringExpression, scope):
        parts = []
        for part in node.parts:
            if isinstance(part, ast.TextPart):
                parts.append(part.value)
            else:
                parts.append(self.eval(part.expression, scope))
        if any(isinstance(p, RowValue) for p in parts):
            from ..scalar import Call
            from ..types import FluxType

            args = []
            for p in parts:
                s = operators.to_scalar(p, node.span)
                if operators.scalar_type(s) != FluxType.STRING:
                    s = Call("string", (s,), FluxType.STRING)
                args.append(s)
            return RowValue(Call("concat", tuple(args), FluxType.STRING))
        from ..functions.universe import to_string

        return "".join(p if isinstance(p, str) else to_string(p) for p in parts)

    def e_array(self, node: ast.ArrayExpression, scope):
        return [self.eval(e, scope) for e in node.elements]

    def e_dict(self, node: ast.DictExpression, scope):
        return FluxDict({self.eval(i.key, scope): self.eval(i.val, scope) for i in node.elements})

    def e_object(self, node: ast.ObjectExpression, scope):
        fields = {}
        if node.with_ is not None:
            base = self.eval(node.with_, scope)
            if not isinstance(base, (Record, RowRecord)):
                raise FluxSemanticError(f"'with' needs a record, got {operators.describe(base)}", node.with_.span)
            fields.update(base.fields)
        for prop in node.properties:
            key = prop.key.name if isinstance(prop.key, ast.Identifier) else prop.key.value
            if prop.value is None:
                value = self.eval(prop.key, scope)
            else:
                value = self.eval(prop.value, scope)
            fields[key] = value
        if any(isinstance(v, RowValue) for v in fields.values()) or (
            node.with_ is not None and isinstance(base, RowRecord)
        ):
            return RowRecord(fields)
        return Record(fields)

    def e_function(self, node: ast.FunctionExpression, scope):
        return Closure(node, scope)

    def e_member(self, node: ast.MemberExpression, scope):
        obj = self.eval(node.object, scope)
        name = node.property.name if isinstance(node.property, ast.Identifier) else node.property.value
        return self.member(obj, name, node)

    def member(self, obj, name: str, node):
        if isinstance(obj, RowRecord):
            if name in obj.fields:
                return obj.fields[name]
            return RowValue(_null_column())
        if isinstance(obj, Record):
            if name in obj.fields:
                return obj.fields[name]
            raise FluxSemanticError(f"record has no property {name!r}", node.span)
        if isinstance(obj, Package):
            if name in obj.members:
                return obj.members[name]
            if not obj.members:
                raise FluxUnsupportedError(f"package {obj.path!r} is not supported ({obj.path.rsplit('/', 1)[-1]}.{name})", node.span)
            raise FluxUnsupportedError(f"{obj.path}.{name} is not supported", node.span)
        raise FluxSemanticError(f"cannot read property {name!r} of a {operators.describe(obj)}", node.span)

    def e_index(self, node: ast.IndexExpression, scope):
        obj = self.eval(node.array, scope)
        index = self.eval(node.index, scope)
        if isinstance(obj, list) and isinstance(index, int) and not isinstance(index, bool):
            if not 0 <= index < len(obj):
                raise FluxSemanticError(f"index {index} out of bounds for an array of {len(obj)}", node.span)
            return obj[index]
        if isinstance(index, str) and isinstance(obj, (Record, RowRecord)):
            return self.member(obj, index, node)
        if isinstance(obj, RowValue):  # an array computed per row, e.g. strings.split(v: r.x, t: " ")[0]
            from ..functions.scalar_support import index_row_value

            return index_row_value(obj, index, node.span)
        raise FluxSemanticError(f"cannot index a {operators.describe(obj)} with {operators.describe(index)}", node.span)

    def e_unary(self, node: ast.UnaryExpression, scope):
        return operators.unary(node.operator, self.eval(node.argument, scope), node.span)

    def e_binary(self, node: ast.BinaryExpression, scope):
        return operators.binary(node.operator, self.eval(node.left, scope), self.eval(node.right, scope), node.span)

    def e_logical(self, node: ast.LogicalExpression, scope):
        left = self.eval(node.left, scope)
        # Short-circuit on constants, as Flux does.
        if left is False and node.operator == "and":
            return False
        if left is True and node.operator == "or":
            return True
        return operators.logical(node.operator, left, self.eval(node.right, scope), node.span)

    def e_conditional(self, node: ast.ConditionalExpression, scope):
        test = self.eval(node.test, scope)
        if isinstance(test, RowValue):
            from ..scalar import Call

            a, b = self.eval(node.consequent, scope), self.eval(node.alternate, scope)
            if isinstance(a, Stream) or isinstance(b, Stream):
                # Which stream a row function reads depends on its row (functions/extract.py).
                from ..functions.extract import choose_stream

                return choose_stream(self, test, a, b, node.span)
            a = operators.to_scalar(a, node.consequent.span)
            b = operators.to_scalar(b, node.alternate.span)
            return RowValue(Call("if", (test.scalar, a, b), operators.scalar_type(a) or operators.scalar_type(b)))
        if test is True:
            return self.eval(node.consequent, scope)
        return self.eval(node.alternate, scope)

    def e_pipe(self, node: ast.PipeExpression, scope):
        value = self.eval(node.argument, scope)
        return self.e_call(node.call, scope, pipe=Located(value, node.argument.span))

    def e_call(self, node: ast.CallExpression, scope, pipe: Located | None = None):
        fn = self.eval(node.callee, scope)
        args = {}
        if node.arguments is not None:
            for prop in node.arguments.properties:
                key = prop.key.name if isinstance(prop.key, ast.Identifier) else prop.key.value
                expr = prop.value if prop.value is not None else prop.key
                args[key] = Located(self.eval(expr, scope), prop.span)
        return self.call_value(fn, args, node.span, pipe, callee=node.callee)

    # ------------------------------------------------------------------ calls

    def call_value(self, fn, args: dict, span, pipe: Located | None = None, callee=None):
        from ..functions.registry import ScalarFunction

        if isinstance(fn, Closure):
            return self.call_closure(fn, args, span, pipe)
        if isinstance(fn, Builtin):
            return self.call_builtin(fn, args, span, pipe)
        if isinstance(fn, ScalarFunction):
            return self.call_scalar(fn, args, span)
        raise FluxSemanticError(f"cannot call a {operators.describe(fn)}", span)

    def call_closure(self, fn: Closure, args: dict, span, pipe: Located | None):
        params = fn.expression.params
        names = fn.param_names
        for key, located in args.items():
            if key not in names:
                raise FluxSemanticError(f"function {fn.name} has no parameter {key!r}", located.span or span)
        scope = fn.scope.child()
        for prop, name in zip(params, names):
            if isinstance(prop.value, ast.PipeLiteral):
                if pipe is not None:
                    scope.define(name, pipe.value)
                    continue
                if name in args:
                    scope.define(name, args[name].value)
                    continue
                raise FluxSemanticError(f"function {fn.name} needs piped-in tables ({name}=<-)", span)
            if name in args:
                scope.define(name, args[name].value)
            elif prop.value is not None:
                scope.define(name, self.eval(prop.value, scope))
            else:
                raise FluxSemanticError(f"missing required argument {name!r} in call to {fn.name}", span)
        body = fn.expression.body
        if isinstance(body, ast.Block):
            try:
                for stmt in body.body:
                    self.statement(stmt, scope)
            except ReturnSignal as ret:
                return ret.value
            raise FluxSemanticError(f"function {fn.name} has no return statement", fn.expression.span)
        return self.eval(body, scope)

    def call_builtin(self, fn: Builtin, args: dict, span, pipe: Located | None):
        kwargs = {}
        spans = {}
        for key, located in args.items():
            if key not in fn.params:
                raise FluxSemanticError(f"{fn.name}() has no parameter {key!r}", located.span or span)
            kwargs[key] = located.value
            spans[key] = located.span
            wanted = fn.types.get(key)
            if wanted is not None and (type(located.value) not in wanted):
                raise FluxSemanticError(f"{fn.name}: {key} must be {_TYPE_NAMES[wanted]}, got {operators.describe(located.value)}",
                                        located.span or span)
        if fn.pipe_param is not None:
            if pipe is not None:
                kwargs[fn.pipe_param] = pipe.value
            elif fn.pipe_param not in kwargs:
                raise FluxSemanticError(f"{fn.name}() needs piped-in tables", span)
        missing = [p for p in fn.params if p in fn.required and p not in kwargs]
        if missing:
            raise FluxSemanticError(f"missing required argument {missing[0]!r} in call to {fn.name}()", span)
        ctx = CallContext(self, fn.name, span, spans)
        py_kwargs = {_py_name(fn.impl, k): v for k, v in kwargs.items()}
        if not merges_variants(fn.impl) and any(isinstance(v, StreamVariants) for v in py_kwargs.values()):
            self.mapping_variants += 1
            try:
                return map_call(lambda **args: fn.impl(ctx, **args), py_kwargs)
            finally:
                self.mapping_variants -= 1
        return fn.impl(ctx, **py_kwargs)

    def call_scalar(self, fn, args: dict, span):
        from ..scalar import Call

        values = {}
        for key, located in args.items():
            if key not in fn.params:
                raise FluxSemanticError(f"{fn.qualified}() has no parameter {key!r}", located.span or span)
            values[key] = located.value
        for name in fn.params:
            if name not in values:
                if name in fn.defaults:
                    values[name] = fn.defaults[name]
                else:
                    raise FluxSemanticError(f"missing required argument {name!r} in call to {fn.qualified}()", span)
        ordered = [values[n] for n in fn.params]
        if not any(isinstance(v, RowValue) for v in ordered) and fn.fold is not None:
            try:
                return fn.fold(*ordered)
            except FluxError:
                raise
            except (ValueError, TypeError, ArithmeticError) as exc:
                raise FluxSemanticError(f"{fn.qualified}(): {exc}", span) from None
        scalars = tuple(operators.to_scalar(v, span) for v in ordered)
        types = {n: operators.scalar_type(s) for n, s in zip(fn.params, scalars)}
        return RowValue(Call(fn.qualified, scalars, fn.result_type(types)))

    # ------------------------------------------------------------------ row functions

    def row_function(self, fn, record: RowRecord, span, extra: dict | None = None):
        """Apply a row function `(r) => ...` to the symbolic row `record`."""
        enclosing = list(self.row_records)
        self.row_records.append((record, extra))
        try:
            result = self._apply_row_function(fn, record, span, extra)
        finally:
            self.row_records.pop()
        if enclosing:
            # A row function inside another's body reads a stream per outer row (e.g. map(fn: (r) =>
            # zs |> filter(fn: (z) => z.id == r.id) |> findRecord(...))): the outer row's columns
            # become outer references of the subquery (functions/extract.py).
            from ..functions.extract import mark_outer_refs

            result = mark_outer_refs(result, enclosing)
        return result

    def _apply_row_function(self, fn, record: RowRecord, span, extra: dict | None):
        if isinstance(fn, Closure):
            names = fn.param_names
            if not names:
                raise FluxSemanticError(f"function {fn.name} takes no row parameter", span)
            args = {names[0]: Located(record, span)}
            for key, value in (extra or {}).items():
                if key in names:
                    args[key] = Located(value, span)
            return self.call_closure(fn, args, span, None)
        if isinstance(fn, Builtin):
            return self.call_builtin(fn, {"r": Located(record, span)}, span, None)
        raise FluxSemanticError(f"expected a function, got {operators.describe(fn)}", span)


@functools.lru_cache(maxsize=None)
def _library_ast(path: str, source: str):
    """The AST of a package's Flux source, parsed once per process (ASTs are immutable)."""
    from ..parser import parse

    return parse(source, f"<{path}>")


_TYPE_NAMES = {(str,): "a string", (int,): "an int", (bool,): "a bool", (float,): "a float"}


def _py_name(impl, name: str) -> str:
    code = impl.__code__
    return name + "_" if name + "_" in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount] else name


def _null_column():
    from ..scalar import Lit

    return Lit(None, None)


_HANDLERS = {
    ast.Identifier: Evaluator.e_identifier,
    ast.StringLiteral: Evaluator.e_literal,
    ast.IntegerLiteral: Evaluator.e_literal,
    ast.FloatLiteral: Evaluator.e_literal,
    ast.BooleanLiteral: Evaluator.e_literal,
    ast.UnsignedIntegerLiteral: Evaluator.e_uint,
    ast.DurationLiteral: Evaluator.e_duration,
    ast.DateTimeLiteral: Evaluator.e_datetime,
    ast.RegexpLiteral: Evaluator.e_regex,
    ast.LabelLiteral: Evaluator.e_label,
    ast.StringExpression: Evaluator.e_string_expression,
    ast.ArrayExpression: Evaluator.e_array,
    ast.DictExpression: Evaluator.e_dict,
    ast.ObjectExpression: Evaluator.e_object,
    ast.FunctionExpression: Evaluator.e_function,
    ast.MemberExpression: Evaluator.e_member,
    ast.IndexExpression: Evaluator.e_index,
    ast.UnaryExpression: Evaluator.e_unary,
    ast.BinaryExpression: Evaluator.e_binary,
    ast.LogicalExpression: Evaluator.e_logical,
    ast.ConditionalExpression: Evaluator.e_conditional,
    ast.PipeExpression: Evaluator.e_pipe,
    ast.CallExpression: Evaluator.e_call,
}
