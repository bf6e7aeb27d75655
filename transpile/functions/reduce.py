"""reduce(fn, identity) as SQL aggregates, for the reducer shapes SQL can express.

https://docs.influxdata.com/flux/v0/stdlib/universe/reduce/ : fn(r, accumulator) runs on
each row in order, starting from identity; the output is one row per table with the key
columns and the final accumulator. SQL has no fold over rows, so each accumulator field
must have one of these shapes (X not reading the accumulator):
    acc.f + X / X + acc.f        -> identity + sum(X)    (acc.f + 1 counts rows)
    acc.f * X / X * acc.f        -> identity * product(X)
    if X > acc.f then X else acc.f (and the mirrored forms) -> max/min with identity
    acc.f                        -> identity
    X                            -> X at the table's last row
or be an expression over the *new* values of such fields, e.g. the documented average
`(acc.sum + r._value) / (acc.count + 1.0)` when sum and count are fields. Anything else
is refused with a one-line error naming the field.
"""
from __future__ import annotations

from ..analyze.objects import Located, Record, RowRecord, RowValue, Stream
from ..analyze.operators import scalar_type, to_scalar, type_of_constant
from ..plan.reshape import AGG, Reduce
from ..scalar import Call, Col, Lit, Scalar, walk
from .registry import flux_function
from .streams import function_arg, row_record, stream_of

ACC = "\x00acc."


def _reads_acc(e: Scalar) -> bool:
    return any(isinstance(n, Col) and n.name.startswith(ACC) for n in walk(e))


def _acc(e: Scalar, field: str) -> bool:
    return isinstance(e, Col) and e.name == ACC + field


def _classify(field: str, e: Scalar):
    """(kind, argument) for the aggregate shapes, else None."""
    if not _reads_acc(e):
        return ("last", e)
    if _acc(e, field):
        return ("identity", None)
    if isinstance(e, Call) and e.fn in ("+", "*") and len(e.args) == 2:
        a, b = e.args
        if _acc(b, field):
            a, b = b, a
        if _acc(a, field) and not _reads_acc(b):
            if e.fn == "+" and isinstance(b, Lit) and b.value == 1:
                return ("count", None)
            return ("sum" if e.fn == "+" else "product", b)
    if isinstance(e, Call) and e.fn == "if" and len(e.args) == 3:
        test, then, other = e.args
        if isinstance(test, Call) and test.fn in (">", ">=", "<", "<=") and len(test.args) == 2:
            left, right = test.args
            greater = test.fn in (">", ">=")
            # `if X > acc then X else acc` keeps the larger: max; mirrored forms likewise.
            if _acc(right, field) and _acc(other, field) and then == left and not _reads_acc(left):
                return ("max" if greater else "min", left)
            if _acc(left, field) and _acc(then, field) and other == right and not _reads_acc(right):
                return ("min" if greater else "max", right)
    return None


@flux_function("universe", partial="reducers must be sums, products, counts, max/min, last values or expressions of those")
def reduce(ctx, tables, fn, identity):
    node = stream_of(ctx, tables)
    fn = function_arg(ctx, fn, "fn")
    if not isinstance(identity, Record):
        raise ctx.error("identity must be a record", "identity")
    for name, value in identity.fields.items():
        if value is not None and type_of_constant(value) is None:
            raise ctx.unsupported(f"identity field {name!r} must be a basic value", "identity")
    acc = RowRecord({f: RowValue(Col(ACC + f, type_of_constant(v))) for f, v in identity.fields.items()})
    span = ctx.arg_spans.get("fn", ctx.span)
    params = getattr(fn, "param_names", ("r", "accumulator"))
    if len(params) != 2:
        raise ctx.error("fn must take (r, accumulator)", "fn")
    result = ctx.evaluator.call_value(fn, {params[0]: Located(row_record(node.schema), span),
                                           params[1]: Located(acc, span)}, span)
    if not isinstance(result, (Record, RowRecord)):
        raise ctx.error("fn must return a record", "fn")
    exprs = {f: to_scalar(v, span) for f, v in result.fields.items()}
    aggregates: list = []
    final: dict[Scalar, Scalar] = {}
    outputs: dict[str, Scalar] = {}
    constants: dict = {}
    for f, e in exprs.items():
        shape = _classify(f, e) if f in identity.fields else (None if _reads_acc(e) else ("last", e))
        if shape is None:
            continue
        kind, arg = shape
        start = identity.fields.get(f)
        t = type_of_constant(start) or scalar_type(e)
        lit = Lit(start, t)
        col = Col(AGG + f, t)
        if kind == "identity":
            outputs[f] = lit
            constants[f] = start
        else:
            aggregates.append((f, kind, arg if arg is not None else Lit(1, t)))
            outputs[f] = _combine(kind, lit, col, t)
        final[e] = outputs[f]
    for f, e in exprs.items():
        if f in outputs:
            continue
        rewritten = _substitute(e, final, constants)
        if _reads_acc(rewritten):
            raise ctx.unsupported(f"the reducer of field {f!r} cannot be computed as a SQL aggregate", "fn")
        for c in {n.name for n in walk(rewritten) if isinstance(n, Col) and not n.name.startswith(AGG)}:
            aggregates.append((f"{f}.{c}", "last", Col(c, node.schema.type_of(c))))
        outputs[f] = _rename_row(rewritten, f)
    types = tuple(type_of_constant(identity.fields.get(f)) or scalar_type(e) for f, e in outputs.items())
    if any(t is None for t in types):
        raise ctx.error("identity must give every field a type", "identity")
    return Stream(Reduce(node, tuple(aggregates), tuple(outputs.items()), types))


def _combine(kind: str, identity: Lit, agg: Col, t) -> Scalar:
    if kind == "count":
        return agg if identity.value in (0, 0.0) else Call("+", (identity, agg), t)
    if kind == "last" or identity.value is None:
        return agg
    if kind == "sum":
        return Call("+", (identity, agg), t)
    if kind == "product":
        return Call("*", (identity, agg), t)
    op = ">" if kind == "max" else "<"
    return Call("if", (Call(op, (agg, identity), None), agg, identity), t)


def _substitute(e: Scalar, final: dict, identity: dict) -> Scalar:
    if e in final:
        return final[e]
    if isinstance(e, Col) and e.name.startswith(ACC) and e.name[len(ACC):] in identity:
        v = identity[e.name[len(ACC):]]
        return Lit(v, type_of_constant(v))
    if isinstance(e, Call):
        return Call(e.fn, tuple(_substitute(a, final, identity) for a in e.args), e.type)
    return e


def _rename_row(e: Scalar, field: str) -> Scalar:
    """Row columns left in a final expression read the table's last row."""
    if isinstance(e, Col) and not e.name.startswith(AGG):
        return Col(f"{AGG}{field}.{e.name}", e.type)
    if isinstance(e, Call):
        return Call(e.fn, tuple(_rename_row(a, field) for a in e.args), e.type)
    return e
